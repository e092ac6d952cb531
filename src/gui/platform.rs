//! What the app asks of the operating system: opening a file or a page with the program the
//! user has chosen for it.

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
