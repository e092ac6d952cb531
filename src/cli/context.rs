//! What the global flags name: the database, the settings file and who is at the desk (each from
//! its flag, its environment variable or the default), built once and handed to every command.
//!
//! Nothing is read until a command asks for it: `restore` must work when the settings file or the
//! database is broken, `simulate-terminal` needs neither, and bad input is refused before the
//! settings or the database are touched.

use std::path::PathBuf;

use onshi_fallback::config::Config;
use onshi_fallback::error::Error;
use onshi_fallback::service::access::{OPEN_WARNING_EN, OPEN_WARNING_JA};
use onshi_fallback::service::{Clock, DailyBackup, Records, Session};

use super::Failure;

pub struct Context {
    /// `--db` / `ONSHI_FALLBACK_DB`.
    db: Option<PathBuf>,
    /// `--config` / `ONSHI_FALLBACK_CONFIG`.
    config: Option<PathBuf>,
    /// `--staff` / `ONSHI_FALLBACK_STAFF`.
    staff: Option<String>,
    /// `--break-glass REASON` / `ONSHI_FALLBACK_BREAK_GLASS`.
    break_glass: Option<String>,
    /// The day's backups the records started, taken while the command works and waited for
    /// before the program ends ([`finish_backups`](Self::finish_backups)).
    backups: std::cell::RefCell<Vec<DailyBackup>>,
}

impl Context {
    pub fn new(
        db: Option<PathBuf>,
        config: Option<PathBuf>,
        staff: Option<String>,
        break_glass: Option<String>,
    ) -> Context {
        Context {
            db,
            config,
            staff,
            break_glass,
            backups: Default::default(),
        }
    }

    /// The database: `--db` (a file, or a `postgresql://` URL), the settings' `[store] url`,
    /// or the file in the per-user data folder.
    pub fn db_path(&self) -> Result<PathBuf, Failure> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        let url = self
            .config()
            .map(|c| c.store.url.trim().to_string())
            .unwrap_or_default();
        if !url.is_empty() {
            return Ok(PathBuf::from(url));
        }
        default_db_path()
    }

    /// The settings file: `--config`, or `onshi-fallback.toml` in the per-user config folder.
    pub fn config_path(&self) -> Option<PathBuf> {
        self.config.clone().or_else(default_config_path)
    }

    /// The settings; a missing file means built-in defaults.
    pub fn config(&self) -> Result<Config, Failure> {
        Ok(match self.config_path() {
            Some(p) => Config::load(&p)?,
            None => Config::default(),
        })
    }

    /// `--staff` as given, if it names someone (the desktop app asks for a name otherwise).
    #[cfg(feature = "gui")]
    pub fn staff(&self) -> Option<&str> {
        self.staff.as_deref().filter(|s| !s.trim().is_empty())
    }

    /// Opens the records for the member of staff at the desk.
    pub fn records(&self) -> Result<Records, Failure> {
        self.open(self.staff.as_deref())
    }

    /// Opens the records for `--staff`, or `who` when none is given (the watcher records its
    /// switches as 自動監視, not as the OS user who started it).
    pub fn records_as(&self, who: &str) -> Result<Records, Failure> {
        self.open(self.staff.as_deref().or(Some(who)))
    }

    fn open(&self, staff: Option<&str>) -> Result<Records, Failure> {
        let config = self.config()?;
        let path = self.db_path()?;
        let (mut records, warnings) =
            Records::open(&path, config, staff_name(staff), Clock::from_env()?)?;
        // A wrong clock must not stop reception, only be reported.
        for w in warnings {
            eprintln!("注意 (warning): {w}");
        }
        // The day's backup goes on while the command works: the first patient of the day
        // does not wait for a copy of the whole database.
        if let Some(b) = records.take_daily_backup() {
            self.backups.borrow_mut().push(b);
        }
        self.identify(&mut records)?;
        Ok(records)
    }

    /// Waits for the day's backups started by the commands, saying any that failed (a
    /// failure must not stop reception, only be reported).
    pub fn finish_backups(&self) {
        for b in self.backups.borrow_mut().drain(..) {
            if let Err(w) = b.finish() {
                eprintln!("注意 (warning): {w}");
            }
        }
    }

    /// Signs the records in for `--staff` once accounts exist (the PIN from
    /// `ONSHI_FALLBACK_PIN`, or asked on the terminal), or opens break-glass; before accounts
    /// exist, says on stderr that anyone can do anything.
    fn identify(&self, records: &mut Records) -> Result<(), Failure> {
        if records.session == Session::Open {
            eprintln!("注意 (warning): {OPEN_WARNING_JA} ({OPEN_WARNING_EN})");
            return Ok(());
        }
        let Some(name) = self.staff.as_deref().filter(|s| !s.trim().is_empty()) else {
            return Err(Failure::Denied(Error::denied(
                "サインインが必要です: --staff 氏名（または ONSHI_FALLBACK_STAFF）と PIN（ONSHI_FALLBACK_PIN）を指定してください",
                "identification needed: give --staff NAME (or ONSHI_FALLBACK_STAFF) and the PIN (ONSHI_FALLBACK_PIN)",
            )));
        };
        if let Some(reason) = &self.break_glass {
            let session = records.break_glass(name, reason)?;
            eprintln!(
                "注意 (warning): 緊急利用 #{} として記録します。管理者が後で確認します (break-glass #{}: every record is marked and reviewed)",
                session.id, session.id
            );
            return Ok(());
        }
        let pin = pin_for(name)?;
        records.sign_in(name, &pin)?;
        Ok(())
    }

    /// The newest backup and the command that restores it, for a damaged database.
    pub fn backup_hint(&self) -> String {
        let (Ok(cfg), Ok(path)) = (self.config(), self.db_path()) else {
            return String::new();
        };
        match onshi_fallback::service::latest_backup(&cfg, &path) {
            Some(latest) => format!(
                "\n最新のバックアップ (latest backup): {} ({})\n復元するには (to restore): onshi-fallback restore \"{}\"\n（壊れたファイルは消さずに別名で残します / the damaged file is kept aside）",
                latest.path, latest.modified, latest.path
            ),
            None => {
                "\nバックアップが見つかりません。システム担当者に連絡してください (no backup found)"
                    .into()
            }
        }
    }
}

fn default_db_path() -> Result<PathBuf, Failure> {
    onshi_fallback::store::default_path().ok_or_else(|| {
        Failure::Other(
            "ホームフォルダが見つかりません。--db で指定してください (no home folder: use --db)"
                .into(),
        )
    })
}

fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("jp", "onshi-fallback", "onshi-fallback")
        .map(|d| d.config_dir().join("onshi-fallback.toml"))
}

/// Who is written into every record: `--staff`, else the OS user name.
fn staff_name(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "不明".into())
}

impl Context {
    /// Who runs this command, as entries name them: `--staff`, else the OS user.
    pub fn actor(&self) -> String {
        staff_name(self.staff.as_deref())
    }

    /// `restore`'s check: the admin of the records in `store` (read only), when they have
    /// accounts.
    pub fn check_admin_of(&self, store: &onshi_fallback::store::Store) -> Result<(), Failure> {
        if !store.read(onshi_fallback::store::staff::identification_on)? {
            return Ok(());
        }
        let name = self.staff.as_deref().unwrap_or_default();
        let pin = pin_for(name)?;
        Ok(onshi_fallback::service::access::check_admin(
            store, name, &pin,
        )?)
    }
}

/// The signing-in PIN: `ONSHI_FALLBACK_PIN`, or asked (not echoed) on the terminal.
fn pin_for(name: &str) -> Result<String, Failure> {
    if let Ok(pin) = std::env::var("ONSHI_FALLBACK_PIN") {
        return Ok(pin);
    }
    rpassword::prompt_password(format!("{name} さんのPIN (PIN for {name}): ")).map_err(|_| {
        Failure::Denied(Error::denied(
            "PINが必要です: ONSHI_FALLBACK_PIN を指定するか、端末から実行してください",
            "a PIN is needed: set ONSHI_FALLBACK_PIN or run from a terminal",
        ))
    })
}
