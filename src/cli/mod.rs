//! The command line of `../shared/reference/cli-contract.md`. Every command calls the library;
//! nothing here knows SQL or the rules. Exit codes: 0 ok, 2 bad input (nothing written), 3
//! identification failed or the role lacks the right (nothing written), 1 other.
//!
//! `args` holds the clap definitions, `context` what the global flags name (database, settings,
//! staff), `input` and `output` the one way in and out for JSON and text, and one module per
//! command group does the work. [`run`] is the only place a failure becomes an exit code.

mod args;
mod context;
mod desktop;
mod input;
mod outage;
mod output;
mod paper;
mod reception;
mod reconcile;
mod records;
mod staff;
mod terminal;

use clap::Parser;
use onshi_fallback::error::Error;

use args::{
    AuditCmd, Cli, Command, OutageCmd, PatientsCmd, ReconcileCmd, StaffCmd, StoreCmd, VoidCmd,
};
use context::Context;
use output::Output;

/// What a failed command reports: bad input (exit 2), refused identification or right
/// (exit 3), or anything else (exit 1).
pub enum Failure {
    Input(Error),
    Denied(Error),
    /// The database file is damaged: said with the way out (the latest backup).
    Corrupt(String),
    Other(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if e.is_denied() {
            Failure::Denied(e)
        } else if e.is_bad_input() {
            Failure::Input(e)
        } else if e.is_corrupt() {
            Failure::Corrupt(e.to_string())
        } else {
            Failure::Other(e.to_string())
        }
    }
}

/// The failure's message, as `run` prints it after its heading.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Input(e) | Failure::Denied(e) => write!(f, "{e}"),
            Failure::Corrupt(m) | Failure::Other(m) => f.write_str(m),
        }
    }
}

/// What a command answers: its output, or why it failed.
pub type CliResult<T = Output> = Result<T, Failure>;

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let ctx = Context::new(cli.db, cli.config, cli.staff, cli.break_glass);
    let outcome = match cli.command {
        None => desktop::run(&ctx),
        Some(command) => dispatch(&ctx, command).map(|()| 0),
    };
    // The day's backup, taken in the background while the command worked, is done before
    // the program ends.
    ctx.finish_backups();
    match outcome {
        Ok(code) => code,
        Err(Failure::Input(e)) => {
            eprintln!("入力エラー (bad input):\n{e}");
            2
        }
        Err(Failure::Denied(e)) => {
            eprintln!("本人確認・権限のエラー (not allowed):\n{e}");
            3
        }
        Err(Failure::Corrupt(msg)) => {
            eprintln!("エラー (error): {msg}{}", ctx.backup_hint());
            1
        }
        Err(Failure::Other(msg)) => {
            eprintln!("エラー (error): {msg}");
            1
        }
    }
}

/// Runs one command and prints its answer: the JSON document when `--json` was given (or the
/// command answers only in JSON), else the text for people.
///
/// Each command parses everything the user typed before opening the database, so bad input
/// writes nothing.
fn dispatch(ctx: &Context, command: Command) -> CliResult<()> {
    let (out, json) = match command {
        Command::Outage(cmd) => match cmd {
            OutageCmd::Start {
                reason,
                services,
                json,
            } => (outage::start(ctx, &reason, &services)?, json),
            OutageCmd::End { note, json } => (outage::end(ctx, &note)?, json),
            OutageCmd::Status { json } => (outage::status(ctx)?, json),
            OutageCmd::Log { json } => (outage::log(ctx)?, json),
            OutageCmd::Note { text, json } => (outage::note(ctx, &text)?, json),
            OutageCmd::Runbook { json } => (outage::runbook(ctx)?, json),
            OutageCmd::Tick { step, result, json } => (outage::tick(ctx, &step, &result)?, json),
            OutageCmd::Report { id, out } => (outage::report(ctx, id, out.as_deref())?, false),
        },
        Command::Intake(args) => (reception::intake(ctx, &args)?, true),
        Command::Patients(cmd) => match cmd {
            PatientsCmd::Search { text, limit, json } => {
                (reception::search(ctx, &text, limit)?, json)
            }
            PatientsCmd::Duplicates { json } => (reception::duplicates(ctx)?, json),
            PatientsCmd::Merge {
                from,
                into,
                reason,
                json,
            } => (reception::merge(ctx, &from, &into, &reason)?, json),
            // Like intake, answers in JSON.
            PatientsCmd::Correct {
                patient,
                json_file,
                reason,
            } => (
                reception::correct(ctx, &patient, &json_file, &reason)?,
                true,
            ),
            PatientsCmd::Unmerge {
                patient,
                reason,
                json,
            } => (reception::unmerge(ctx, &patient, &reason)?, json),
        },
        Command::Visits { date, json, pdf } => (
            reception::visits(ctx, date.as_deref(), pdf.as_deref(), json)?,
            json,
        ),
        Command::Void(VoidCmd::Visit { id, reason, json }) => {
            (reception::void_visit(ctx, &id, &reason)?, json)
        }
        Command::Prescribe {
            json_file,
            out,
            print,
        } => (
            paper::prescribe(ctx, &json_file, out.as_deref(), print)?,
            true,
        ),
        Command::Declaration { visit_id, out } => (paper::declaration(ctx, &visit_id, &out)?, true),
        Command::Reprint { id, json } => (paper::reprint(ctx, &id)?, json),
        Command::Void(VoidCmd::Prescription { id, reason, json }) => {
            (paper::void_prescription(ctx, &id, &reason)?, json)
        }
        Command::Reconcile(args) => match args.sub {
            None => (reconcile::pass(ctx)?, args.json),
            Some(ReconcileCmd::Report { out, csv, json }) => (
                reconcile::report(ctx, out.as_deref(), csv.as_deref())?,
                json,
            ),
        },
        Command::Resolve {
            visit_id,
            accept,
            follow_up,
            manual,
            note,
            json,
        } => {
            let decision = reconcile::decision(accept.as_deref(), follow_up, manual.as_deref())?;
            (reconcile::resolve(ctx, &visit_id, decision, &note)?, json)
        }
        Command::Audit(AuditCmd::Verify { json }) => (records::audit_verify(ctx)?, json),
        Command::Store(StoreCmd::Copy {
            from,
            to,
            merge,
            json,
        }) => match merge {
            true => (records::store_merge(ctx, &from, &to)?, json),
            false => (records::store_copy(ctx, &from, &to)?, json),
        },
        Command::Backup { path, json } => (records::backup(ctx, &path)?, json),
        Command::Init { demo, json } => (records::init(ctx, demo)?, json),
        Command::Backups { json } => (records::backups(ctx)?, json),
        Command::Restore { backup, json } => (records::restore(ctx, &backup)?, json),
        Command::Export { csv, json } => (records::export(ctx, &csv)?, json),
        Command::Probe { json } => (terminal::probe(ctx)?, json),
        Command::Watch { interval, rounds } => (terminal::watch(ctx, interval, rounds)?, false),
        Command::Staff(cmd) => match cmd {
            StaffCmd::Add { name, roles, json } => (staff::add(ctx, &name, &roles)?, json),
            StaffCmd::List { json } => (staff::list(ctx)?, json),
            StaffCmd::Disable { name, json } => (staff::disable(ctx, &name, true)?, json),
            StaffCmd::Enable { name, json } => (staff::disable(ctx, &name, false)?, json),
            StaffCmd::Pin { name, json } => (staff::pin(ctx, &name)?, json),
            StaffCmd::Roles { name, roles, json } => (staff::roles(ctx, &name, &roles)?, json),
            StaffCmd::BreakGlass { json } => (staff::break_glass(ctx)?, json),
            StaffCmd::Review { id, json } => (staff::review(ctx, id)?, json),
        },
        Command::SimulateTerminal { root, roster } => {
            (terminal::simulate_terminal(&root, &roster)?, false)
        }
    };
    out.print(json)
}
