//! The clinic's services: what reception, the doctor, the clerk and the command line ask of the
//! records. Each call validates first, then writes in one transaction, then answers.

pub mod access;
mod documents;
mod export;
mod incident;
mod intake;
mod outage;
mod output;
pub mod prescribe;
mod reconcile;
mod reconcile_list;
pub mod search;
pub mod transfer;
pub mod watch;

pub use access::Session;
pub use documents::Form;
pub use export::ExportSummary;
pub use intake::IntakeReceipt;
pub use outage::{OutageRecord, RunbookItem, Status};
pub use prescribe::{PrescriptionReceipt, RecentDrug};
pub use reconcile::{
    Decision, ListOrder, PassOptions, PassReport, PassResult, Progress, QueueRow, ReconcileCounts,
};
pub use reconcile_list::ReconcileList;
pub use search::{PatientHit, VisitPages, VisitRow};

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Local, NaiveDate};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::store::{self, Stamp, Store};

/// Where "now" comes from: the system clock, or a fixed instant for tests and demos.
#[derive(Debug, Clone)]
pub enum Clock {
    System,
    Fixed(DateTime<FixedOffset>),
}

impl Clock {
    pub fn now(&self) -> DateTime<FixedOffset> {
        match self {
            Clock::System => Local::now().fixed_offset(),
            Clock::Fixed(t) => *t,
        }
    }

    /// Reads `ONSHI_FALLBACK_NOW` (RFC 3339) if set: lets demos and tests replay a given day.
    /// [`Records::open`] takes a fixed clock only for a database made for demos and tests; the
    /// audit log keeps the system clock whatever this says.
    pub fn from_env() -> Result<Clock> {
        match std::env::var("ONSHI_FALLBACK_NOW") {
            Ok(s) if !s.trim().is_empty() => DateTime::parse_from_rfc3339(s.trim())
                .map(Clock::Fixed)
                .map_err(|e| {
                    Error::field(
                        "ONSHI_FALLBACK_NOW",
                        "現在時刻の指定",
                        format!(
                            "RFC 3339 形式で指定してください（例 2026-11-25T09:00:00+09:00）: {e}"
                        ),
                        "must be RFC 3339",
                    )
                }),
            _ => Ok(Clock::System),
        }
    }
}

/// Where the records stand: it moves whenever anything is written, since every change is an
/// audit entry (the chain's last sequence number). Reading it is one lookup by key, so a
/// screen compares it before re-reading anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangeMark(i64);

/// The clinic's records, opened for one member of staff.
pub struct Records {
    pub store: Store,
    pub config: Config,
    /// Who is at the desk: written into every record and audit entry.
    pub actor: String,
    pub clock: Clock,
    /// Signed in or not, and as whom: what [`Records::require`] checks.
    pub session: Session,
    /// Who signed out last (the window's lock and quick switch): the next sign-in by someone
    /// else is a switch of user in the audit log.
    signed_out: Option<String>,
    /// The day's backup while it is being taken (see [`DailyBackup`]).
    daily_backup: Option<DailyBackup>,
}

/// The day's backup, taken on a thread of its own with its own connection, so that the first
/// command of the day (the first patient of an outage morning) does not wait for a copy of the
/// whole database. `VACUUM INTO` reads one snapshot, so the copy is consistent whatever is
/// written meanwhile; it is written under a temporary name and renamed, then the old ones are
/// pruned, as before. Dropping it waits for it: the copy is never cut short by the program
/// ending.
#[derive(Debug)]
pub struct DailyBackup {
    thread: Option<std::thread::JoinHandle<Result<Option<PathBuf>>>>,
    /// Taken at once, where no thread could be had.
    done: Option<Result<Option<PathBuf>>>,
}

impl DailyBackup {
    /// Starts today's backup of the database at `db` into `dir` unless it is already there
    /// (checked here, so that most commands start no thread at all).
    pub fn start(db: &Path, dir: &Path, today: NaiveDate, keep: u32) -> DailyBackup {
        let mut backup = DailyBackup {
            thread: None,
            done: None,
        };
        if store::backup::daily_path(dir, today).exists() {
            return backup;
        }
        // The moment copied is now, before the command's work: the copy holds the day as it
        // began, as when it was taken before anything else.
        let snapshot = match store::backup::Snapshot::take(db) {
            Ok(s) => s,
            Err(e) => {
                backup.done = Some(Err(e));
                return backup;
            }
        };
        let to = dir.to_path_buf();
        match std::thread::Builder::new()
            .name("daily-backup".into())
            .spawn(move || store::backup::daily_from(&snapshot, &to, today, keep))
        {
            Ok(t) => backup.thread = Some(t),
            // No thread to be had: take it here and now, as before.
            Err(_) => {
                backup.done = Some(
                    store::backup::Snapshot::take(db)
                        .and_then(|s| store::backup::daily_from(&s, dir, today, keep)),
                )
            }
        }
        backup
    }

    /// Starts today's copy of the clinic's server into `dir` on this PC, unless it is there
    /// already: a SQLite file of the records as they are now, on a connection of its own.
    pub fn start_from_server(
        server: store::pg::Server,
        dir: PathBuf,
        today: NaiveDate,
        keep: u32,
    ) -> DailyBackup {
        let mut backup = DailyBackup {
            thread: None,
            done: None,
        };
        if store::backup::daily_path(&dir, today).exists() {
            return backup;
        }
        let copy = move || {
            let store = Store::open_postgres_with(&server.url, server.password.as_deref())?;
            store::backup::daily(&store, &dir, today, keep)
        };
        match std::thread::Builder::new()
            .name("daily-backup".into())
            .spawn(copy.clone())
        {
            Ok(t) => backup.thread = Some(t),
            Err(_) => backup.done = Some(copy()),
        }
        backup
    }

    /// Whether the copy is done (or there was none to take): [`finish`](Self::finish) will
    /// not wait.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the copy; its failure comes back as the warning to show (reception carries
    /// on). Returns the backup written, if one was.
    pub fn finish(mut self) -> std::result::Result<Option<PathBuf>, Error> {
        let result = match self.thread.take() {
            Some(thread) => thread.join().unwrap_or_else(|_| {
                Err(Error::failed(
                    "バックアップの処理が異常終了しました",
                    "the backup thread panicked",
                ))
            }),
            None => self.done.take().unwrap_or(Ok(None)),
        };
        result.map_err(|e| {
            Error::failed(
                format!(
                    "自動バックアップに失敗しました（受付は続けられます）: {}",
                    e.ja()
                ),
                format!("the daily backup failed (reception carries on): {}", e.en()),
            )
        })
    }
}

impl Drop for DailyBackup {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Records {
    pub fn new(store: Store, config: Config, actor: impl Into<String>, clock: Clock) -> Records {
        let mut records = Records {
            store,
            config,
            actor: actor.into(),
            clock,
            session: Session::Open,
            signed_out: None,
            daily_backup: None,
        };
        records.session = records.initial_session();
        records
    }

    pub fn stamp(&self) -> Stamp {
        Stamp {
            at: store::timestamp(self.clock.now()),
            by: self.actor.clone(),
        }
    }

    /// Where the records stand now (see [`ChangeMark`]).
    pub fn change_mark(&self) -> Result<ChangeMark> {
        Ok(ChangeMark(
            self.store
                .read(store::audit::head)?
                .map_or(0, |(seq, _)| seq),
        ))
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.now().date_naive()
    }

    /// Opens the clinic's records at `db`: the database (migrated, with a backup taken first),
    /// its backup folder (`[backup] dir`, or `backups/` beside it) and the day's backup, which
    /// is taken in the background ([`DailyBackup`]: see [`take_daily_backup`] and
    /// [`finish_daily_backup`] for its outcome). What must not stop reception but must be said
    /// comes back as warnings, for the front end to show: a clock that disagrees with the
    /// records.
    ///
    /// [`take_daily_backup`]: Self::take_daily_backup
    /// [`finish_daily_backup`]: Self::finish_daily_backup
    pub fn open(
        db: &Path,
        config: Config,
        actor: impl Into<String>,
        clock: Clock,
    ) -> Result<(Records, Vec<Error>)> {
        if let Some(url) = db.to_str().filter(|d| store::pg::is_url(d)) {
            return Records::open_postgres(url, config, actor, clock);
        }
        let backups = backup_dir(&config, db);
        // Checked before anything is created, migrated or backed up.
        clock.allowed_on(db, &backups)?;
        let store = Store::open_with_backups(db, &backups)?;
        let mut records = Records::new(store, config, actor, clock);
        // The app's own folders beside the database, made before they were created
        // owner-only, are tightened (their files are then out of other accounts' reach too).
        // A folder named in the settings is the administrator's to set, and left as it is.
        if records.config.backup.dir.trim().is_empty() {
            crate::private_files::tighten(&backups);
        }
        if records.config.printer.archive_dir.trim().is_empty() {
            if let Ok(archive) = records.archive_dir() {
                crate::private_files::tighten(&archive);
            }
        }
        let mut warnings = Vec::new();
        warnings.extend(records.clock_warning(&backups));
        records.daily_backup = Some(DailyBackup::start(
            db,
            &backups,
            records.today(),
            records.config.backup.keep_days,
        ));
        warnings.extend(records.print_settings_warning());
        Ok((records, warnings))
    }

    /// Opens the clinic's records on the PostgreSQL server at `url` (`--db`, or `[store] url`).
    /// A fixed clock is honoured only by a database made for demos and tests, as on SQLite.
    fn open_postgres(
        url: &str,
        config: Config,
        actor: impl Into<String>,
        clock: Clock,
    ) -> Result<(Records, Vec<Error>)> {
        let store = Store::open_postgres_with(url, config.store.password())?;
        if matches!(clock, Clock::Fixed(_)) && !store.read(store::meta::is_demo)? {
            return Err(fixed_clock_refused());
        }
        let server = store.server().cloned();
        let mut records = Records::new(store, config, actor, clock);
        let warnings = records.print_settings_warning().into_iter().collect();
        if let (Some(server), Some(dir)) = (server, records.backup_dir()) {
            records.daily_backup = Some(DailyBackup::start_from_server(
                server,
                dir,
                records.today(),
                records.config.backup.keep_days,
            ));
        }
        Ok((records, warnings))
    }

    /// `[clinic]` texts too long for the prescription form, said when the records are opened
    /// rather than at the first prescription (printing then refuses, naming the same key).
    fn print_settings_warning(&self) -> Option<Error> {
        let c = &self.config.clinic;
        if c.name.is_none() && c.address.is_none() {
            return None;
        }
        self.renderer().and_then(|r| r.check_clinic(c)).err()
    }

    /// The day's backup started by [`open`](Self::open), if it is still held here: the caller
    /// takes it to learn its outcome when it suits (the command line after the command's work,
    /// the window on its tick).
    pub fn take_daily_backup(&mut self) -> Option<DailyBackup> {
        self.daily_backup.take()
    }

    /// Waits for the day's backup started by [`open`](Self::open), if any; a failure is the
    /// warning to show.
    pub fn finish_daily_backup(&mut self) -> Option<Error> {
        self.daily_backup.take()?.finish().err()
    }

    /// A PC clock far from the records' own dates: set back before the newest backup, or more
    /// than 30 days past the newest record. Dates on paper and in the records would be wrong.
    fn clock_warning(&self, backups: &Path) -> Option<Error> {
        let today = self.today();
        if let Some(newest) = store::backup::newest_daily(backups).filter(|d| *d > today) {
            return Some(Error::failed(
                format!("PCの日付（{today}）が最新のバックアップ（{newest}）より前です。時計を確認してください"),
                format!("the PC's date ({today}) is before the newest backup ({newest}): check the clock"),
            ));
        }
        let newest = self.store.read(store::audit::latest_at).ok().flatten()?;
        let newest = DateTime::parse_from_rfc3339(&newest).ok()?.date_naive();
        (today - newest > chrono::Duration::days(30)).then(|| {
            Error::failed(
                format!("PCの日付（{today}）が最新の記録（{newest}）より30日以上先です。時計を確認してください"),
                format!("the PC's date ({today}) is over 30 days past the newest record ({newest}): check the clock"),
            )
        })
    }

    /// Where this database's backups live (None for an in-memory database).
    pub fn backup_dir(&self) -> Option<PathBuf> {
        match self.store.server() {
            Some(server) => Some(backup_dir(&self.config, Path::new(&server.url))),
            None => self.store.path().map(|db| backup_dir(&self.config, db)),
        }
    }

    /// Writes a consistent copy of the database to `dest`.
    pub fn backup(&self, dest: &Path) -> Result<()> {
        self.require(crate::domain::access::Right::Administer)?;
        self.store.backup_to(dest)
    }

    /// Walks the audit chain and the records, then holds its end against the heads kept
    /// outside the database (the anchor file, the newest backup).
    pub fn audit_verify(&self) -> Result<store::audit::VerifyReport> {
        self.require(crate::domain::access::Right::Administer)?;
        let mut report = self.store.read(store::audit::verify)?;
        if report.ok {
            report.problem = self.store.check_anchors()?;
            report.ok = report.problem.is_none();
        }
        Ok(report)
    }
}

impl Clock {
    /// The system clock suits every database. A fixed clock backdates records: only a database
    /// made for demos and tests (`init --demo`) takes one; a clinic's database, or none yet (it
    /// would be a clinic's), refuses it as bad input naming the variable. Reads the database
    /// (backups beside it at `backups`) without creating or writing anything.
    pub fn allowed_on(&self, db: &Path, backups: &Path) -> Result<()> {
        match self {
            Clock::System => Ok(()),
            Clock::Fixed(_) if Store::is_demo_database(db, backups)? => Ok(()),
            Clock::Fixed(_) => Err(fixed_clock_refused()),
        }
    }
}

fn fixed_clock_refused() -> Error {
    Error::field(
        "ONSHI_FALLBACK_NOW",
        "現在時刻の指定",
        "ONSHI_FALLBACK_NOW（時刻の固定）はデモ・テスト用のデータベース（onshi-fallback init --demo で作成）でだけ使えます。診療の記録の時刻は固定できません。ONSHI_FALLBACK_NOW を外して実行してください",
        "a fixed clock is honoured only by a demo/test database (made with `onshi-fallback init --demo`); this database holds a clinic's records: unset ONSHI_FALLBACK_NOW",
    )
}

/// Where the backups of the database at `db` live: `[backup] dir`, or `backups/` beside it
/// (for the clinic's server, `server-backups/` in this PC's data folder).
pub fn backup_dir(config: &Config, db: &Path) -> PathBuf {
    let server = db.to_str().is_some_and(store::pg::is_url);
    match config.backup.dir.trim() {
        "" if server => store::backup::server_default_dir(),
        "" => store::backup::default_dir(db),
        dir => PathBuf::from(dir),
    }
}

/// The newest backup of the database at `db`, for the message that says how to restore it.
pub fn latest_backup(config: &Config, db: &Path) -> Option<store::backup::BackupFile> {
    store::backup::list(&backup_dir(config, db))
        .into_iter()
        .next()
}

/// On Windows, starts a helper program (the print command, `cmd /C start` for opening a file)
/// without a console window of its own: from the desktop app, which has no console, each would
/// otherwise flash one up. Elsewhere, and for a program that is given a console by its parent,
/// nothing changes.
pub fn no_console_window(cmd: &mut std::process::Command) {
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        /// `CREATE_NO_WINDOW` of the Win32 process creation flags.
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        cmd.creation_flags(CREATE_NO_WINDOW);
    }
    #[cfg(not(windows))]
    let _ = cmd;
}
