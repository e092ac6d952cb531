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
    use onshi_fallback::service::Clock;
    let launch = onshi_fallback::gui::Launch {
        db_path: ctx.db_path()?,
        config_path: ctx.config_path(),
        staff: ctx.staff().map(str::to_string),
        clock: Clock::from_env()?,
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
