//! The clap definitions: every command, flag and help text of the command line. Nothing here runs
//! anything; `super::run` dispatches on what was parsed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "onshi-fallback",
    version,
    about = "オンライン資格確認 障害時の受付・処方・照合 (keeps the clinic working when オン資 is down)"
)]
pub struct Cli {
    /// Database file (default: the per-user data folder).
    #[arg(long, global = true, env = "ONSHI_FALLBACK_DB")]
    pub db: Option<PathBuf>,
    /// Settings file (default: onshi-fallback.toml in the per-user config folder).
    #[arg(long, global = true, env = "ONSHI_FALLBACK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Who is at the desk. Once staff accounts exist: the account, signed in with the PIN from
    /// ONSHI_FALLBACK_PIN or asked on the terminal. Before: written into every record (default:
    /// the OS user name).
    #[arg(long, global = true, env = "ONSHI_FALLBACK_STAFF")]
    pub staff: Option<String>,
    /// Break-glass: during an outage, when nobody can sign in, record intakes under the name
    /// given with --staff and this reason. Every record is marked and the admin reviews it.
    #[arg(
        long,
        global = true,
        env = "ONSHI_FALLBACK_BREAK_GLASS",
        value_name = "REASON"
    )]
    pub break_glass: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// 障害モード: start, end, status, log.
    #[command(subcommand)]
    Outage(OutageCmd),
    /// Records one self-declared visit (申立書), or a returning patient's "no change".
    Intake(IntakeArgs),
    /// Patients.
    #[command(subcommand)]
    Patients(PatientsCmd),
    /// Visits with their insurance and queue state.
    Visits {
        /// Only this day (YYYY-MM-DD or 和暦).
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        json: bool,
        /// Write the day's degraded-mode list (A4 PDF) for the paper file (needs --date).
        #[arg(long, requires = "date")]
        pdf: Option<PathBuf>,
    },
    /// Voids a record by mistake (it stays, marked, with the reason).
    #[command(subcommand)]
    Void(VoidCmd),
    /// The tamper-evident audit chain.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// The records moved whole between stores: a SQLite file and the clinic's PostgreSQL
    /// server (postgresql://user@host:port/dbname), either way.
    #[command(subcommand)]
    Store(StoreCmd),
    /// A consistent copy of the live database.
    Backup {
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Creates a new, empty database where none is (refused if one is there). Needed after a
    /// database went missing: the app never recreates one silently.
    Init {
        /// A database for demos and tests: the only kind that runs on a fixed clock
        /// (ONSHI_FALLBACK_NOW). Never for a clinic's records.
        #[arg(long)]
        demo: bool,
        #[arg(long)]
        json: bool,
    },
    /// Lists the backups, newest first.
    Backups {
        #[arg(long)]
        json: bool,
    },
    /// Puts a backup in place of the database (the current file is set aside, not deleted).
    Restore {
        backup: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Visits with final insurance data for the receipt software.
    Export {
        #[arg(long)]
        csv: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Issues a paper prescription (A5, 様式第二号, JAHIS 2D symbol) for a visit.
    Prescribe {
        /// The prescription as JSON (`-` = standard input).
        #[arg(long = "json", value_name = "FILE")]
        json_file: String,
        /// Where to write the PDF (a copy of the archived one).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also send it to the configured printer.
        #[arg(long)]
        print: bool,
    },
    /// The 被保険者資格申立書 of a visit, pre-filled, to sign (A4 PDF).
    Declaration {
        visit_id: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Sends an issued prescription to the printer again (the same archived document).
    Reprint {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Re-verifies every due record against the configured qualification service.
    Reconcile(ReconcileArgs),
    /// A person's decision on a record waiting for one.
    Resolve {
        visit_id: String,
        /// verified | declared
        #[arg(long, conflicts_with_all = ["follow_up", "manual"])]
        accept: Option<String>,
        /// Not decided yet: say in --note what must be checked (call the patient, …).
        #[arg(long)]
        follow_up: bool,
        /// The result of a manual lookup (insurance JSON as in intake), `-` = stdin.
        #[arg(long, value_name = "FILE")]
        manual: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// Runs the configured health probes once and reports each.
    Probe {
        #[arg(long)]
        json: bool,
    },
    /// Runs the probes on an interval and switches mode automatically.
    Watch {
        /// Seconds between rounds (default: [probes] interval_s).
        #[arg(long)]
        interval: Option<u64>,
        /// Stop after this many rounds (default: run until stopped).
        #[arg(long)]
        rounds: Option<u64>,
    },
    /// Staff accounts: add, list, disable, PIN, roles, break-glass review.
    #[command(subcommand)]
    Staff(StaffCmd),
    /// 資格確認端末シミュレーター: answers DIR/req from a roster until stopped (tests, demos).
    SimulateTerminal {
        /// Folder holding req/ and res/ (and the control file simulator-mode).
        #[arg(long)]
        root: PathBuf,
        /// Roster of insured people (TOML).
        #[arg(long)]
        roster: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum StaffCmd {
    /// Adds an account; its PIN is read from standard input (one line). The first account
    /// must be an admin, needs no sign-in, and switches identification on for good.
    Add {
        name: String,
        /// reception | doctor | clerk | admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Every account with its roles and whether it is in use.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disables an account (never deleted: its name is on records).
    Disable {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Puts a disabled account back in use.
    Enable {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Sets a new PIN, read from standard input (one line); lifts a lock.
    Pin {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Replaces an account's roles.
    Roles {
        name: String,
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// The break-glass sessions of outages, newest first, with the entries made under each.
    BreakGlass {
        #[arg(long)]
        json: bool,
    },
    /// Marks a break-glass session as reviewed.
    Review {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum OutageCmd {
    /// Declares degraded mode now.
    Start {
        #[arg(long)]
        reason: String,
        /// qualification | eprescription (repeatable; default both).
        #[arg(long = "service")]
        services: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Records the line's return; queued records become due.
    End {
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
    },
    Status {
        #[arg(long)]
        json: bool,
    },
    Log {
        #[arg(long)]
        json: bool,
    },
    /// Adds a note to the open outage.
    Note {
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// The runbook steps, with those ticked in the open outage.
    Runbook {
        #[arg(long)]
        json: bool,
    },
    /// Ticks a runbook step (e.g. line_reauth) in the open outage.
    Tick {
        step: String,
        /// What happened (e.g. 「希望する」で復旧).
        #[arg(long, default_value = "")]
        result: String,
        #[arg(long)]
        json: bool,
    },
    /// The incident report (Markdown) of the latest outage, or of --id.
    Report {
        #[arg(long)]
        id: Option<i64>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args)]
pub struct IntakeArgs {
    /// The visit as JSON (`-` = standard input).
    #[arg(long = "json", value_name = "FILE", conflicts_with = "returning")]
    pub json_file: Option<String>,
    /// Many visits, one JSON document per line (`-` = standard input), each recorded in its
    /// own transaction; a bad line stops the run, the lines before it stay recorded.
    #[arg(long = "jsonl", value_name = "FILE", conflicts_with_all = ["json_file", "returning"])]
    pub jsonl_file: Option<String>,
    /// A returning patient's id: reuse their last known insurance.
    #[arg(long, value_name = "PATIENT_ID")]
    pub returning: Option<String>,
    /// With --returning: returning_no_change | portal_screen | certificate.
    #[arg(long, default_value = "returning_no_change")]
    pub basis: String,
    /// With --returning: take the last insurance as declared even though reconciliation found
    /// it 資格なし / 該当なし or left it 要確認; the reason is kept with the visit.
    #[arg(long, value_name = "REASON", requires = "returning")]
    pub declared_anyway: Option<String>,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReconcileArgs {
    #[command(subcommand)]
    pub sub: Option<ReconcileCmd>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum ReconcileCmd {
    /// The list for the billing clerk: open decisions first, then by status.
    Report {
        /// A4 PDF report.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        csv: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PatientsCmd {
    /// By name, カナ (either width, hiragana or katakana), birth date, or insurer/number.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Patients who may be one person registered twice.
    Duplicates {
        #[arg(long)]
        json: bool,
    },
    /// Merges a patient registered twice into the other (both histories stay).
    Merge {
        from: String,
        #[arg(long)]
        into: String,
        /// Why they are one person (required when birth date or sex differ).
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Corrects a patient's details (audited, with the reason): the patient part of the intake
    /// JSON (name, kana, birth_date, sex, address, phone), `-` = stdin.
    Correct {
        patient: String,
        #[arg(long = "json", value_name = "FILE")]
        json_file: String,
        #[arg(long)]
        reason: String,
    },
    /// Undoes a merge made by mistake (audited).
    Unmerge {
        patient: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum VoidCmd {
    /// Voids (never deletes) a prescription.
    Prescription {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    Visit {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum StoreCmd {
    /// Copies every record of FROM into TO (new or empty), then verifies the audit chain on
    /// both sides and compares every table's rows.
    Copy {
        /// The records to copy: a database file or a postgresql:// URL.
        #[arg(long)]
        from: String,
        /// Where to: a file not there yet, or an empty database on the server (with
        /// --merge: the records FROM was carried on from).
        #[arg(long)]
        to: String,
        /// Brings back the records FROM (a PC that carried on from a backup while the server
        /// was out of reach) made on its own into TO, which keeps everything it has.
        #[arg(long)]
        merge: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    Verify {
        #[arg(long)]
        json: bool,
    },
}
