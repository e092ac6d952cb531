//! No subcommand: the desktop app, or in a build without it (`--no-default-features`) a note and
//! the list of commands. Answers the exit code; a failure before the window opens goes back to
//! `super::run` like any command's.

use super::context::Context;
use super::Failure;

/// No subcommand, in a build without the desktop app: say so, and show the commands.
#[cfg(not(feature = "gui"))]
pub fn run(_ctx: &Context) -> Result<i32, Failure> {
    use clap::CommandFactory;
    eprintln!("この版には画面がありません（gui 機能なしでビルド）。コマンドを使ってください (built without the desktop app)");
    let _ = super::args::Cli::command().print_help();
    Ok(2)
}

/// No subcommand: the desktop app, on the same database and settings as the command line.
#[cfg(feature = "gui")]
pub fn run(ctx: &Context) -> Result<i32, Failure> {
    use onshi_fallback::service::{backup_dir, Clock};
    let (db_path, clock) = (ctx.db_path()?, Clock::from_env()?);
    // A fixed clock on a clinic's database is bad input, said here with exit 2 rather than on
    // the window's screen for a database that cannot be opened. (Settings that do not load
    // are the window's to show: the default backup folder is enough for this check.)
    clock.allowed_on(
        &db_path,
        &backup_dir(&ctx.config().unwrap_or_default(), &db_path),
    )?;
    let launch = onshi_fallback::gui::Launch {
        db_path,
        config_path: ctx.config_path(),
        staff: ctx.staff().map(str::to_string),
        clock,
    };
    // Opening the database, the daily backup and any failure are shown in the window.
    match onshi_fallback::gui::run(launch) {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("画面を開けません (cannot open the window): {e}");
            Ok(1)
        }
    }
}
