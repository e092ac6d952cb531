//! `onshi-fallback-desktop`: the desktop app for a Windows shortcut, with no console window.
//!
//! `onshi-fallback.exe` is a console program, so that the command line prints and the terminal
//! waits for it; started by a double-click, Windows gives it a console window of its own. This
//! small program is built for the GUI subsystem (no console) and starts `onshi-fallback` from
//! its own folder with the same arguments (`--db`, `--config`, `--staff` work in the shortcut),
//! without a console window (`CREATE_NO_WINDOW`), and waits for it, answering its exit code.
//! With no subcommand that program opens the window. Its messages have nowhere to go here: the
//! window shows what goes wrong, and the command line is `onshi-fallback.exe` in a terminal.
//! On other systems it only starts the program beside it.
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let name = if cfg!(windows) {
        "onshi-fallback.exe"
    } else {
        "onshi-fallback"
    };
    let Ok(me) = std::env::current_exe() else {
        return ExitCode::FAILURE;
    };
    let mut app = Command::new(me.with_file_name(name));
    app.args(std::env::args_os().skip(1));
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        /// `CREATE_NO_WINDOW` of the Win32 process creation flags.
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        app.creation_flags(CREATE_NO_WINDOW);
    }
    match app.status() {
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| u8::try_from(c).unwrap_or(1))),
        Err(_) => ExitCode::FAILURE,
    }
}
