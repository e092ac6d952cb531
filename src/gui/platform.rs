//! What the app asks of the operating system: opening a file or a page with the program the
//! user has chosen for it, and a short sound.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use crate::service::no_console_window;

/// The program that hands a file or URL to the system's default application.
pub const OPENER: &str = if cfg!(target_os = "windows") {
    "cmd"
} else if cfg!(target_os = "macos") {
    "open"
} else {
    "xdg-open"
};

/// Opens a file or URL with the system's default program (browser, PDF viewer) without waiting
/// for it: the UI must not block while a browser starts. The child is reaped on a thread so it
/// does not linger as a zombie. Fails when [`OPENER`] cannot be started.
pub fn open(target: impl AsRef<OsStr>) -> std::io::Result<()> {
    let mut cmd = Command::new(OPENER);
    if cfg!(target_os = "windows") {
        cmd.args(["/C", "start", ""]);
    }
    no_console_window(&mut cmd);
    let mut child = cmd
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// A short system sound (the line came back), where the platform has one: the desktop's
/// "complete" sound on Linux (canberra, else PulseAudio's player), the system asterisk on
/// Windows, Glass on macOS. Best effort and never waited for: a PC without sound stays silent.
pub fn chime() {
    let candidates: &[(&str, &[&str])] = if cfg!(target_os = "windows") {
        &[(
            "powershell",
            &[
                "-NoProfile",
                "-Command",
                "[System.Media.SystemSounds]::Asterisk.Play()",
            ],
        )]
    } else if cfg!(target_os = "macos") {
        &[("afplay", &["/System/Library/Sounds/Glass.aiff"])]
    } else {
        &[
            ("canberra-gtk-play", &["-i", "complete"]),
            (
                "paplay",
                &["/usr/share/sounds/freedesktop/stereo/complete.oga"],
            ),
        ]
    };
    std::thread::spawn(move || {
        for (program, args) in candidates {
            let mut cmd = Command::new(program);
            cmd.args(*args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            no_console_window(&mut cmd);
            if cmd.status().is_ok_and(|s| s.success()) {
                return;
            }
        }
    });
}
