//! The only place SQL lives. A SQLite database in WAL mode with `synchronous=FULL`: a record
//! acknowledged to staff is on disk, and two processes (two reception PCs on one file, or the
//! app and the command line) can write at once.

pub mod audit;
pub mod backup;
pub mod copy;
pub mod engine;
pub mod identity;
pub mod merge;
pub mod meta;
pub mod outages;
pub mod patients;
pub mod pg;
pub mod prescriptions;
pub mod queue;
pub mod schema;
pub mod schema_pg;
pub mod staff;
pub mod visits;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{Error, Result};
use crate::private_files;

/// How long a writer waits for another to finish before giving up. Long enough that a user
/// never sees `database is locked` while another terminal commits.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub use engine::{params, Row, Tx};

/// Held while a reconciliation pass runs (see [`Store::lock_pass`]): a lock file beside a
/// SQLite database, a connection holding an advisory lock on PostgreSQL.
pub struct PassLock {
    _file: Option<std::fs::File>,
    _pg: Option<postgres::Client>,
}

/// Where the records live: a SQLite file on this PC, or the clinic's PostgreSQL server.
enum Engine {
    Lite(Connection),
    Pg(Box<pg::PgStore>),
}

pub struct Store {
    engine: Engine,
    path: Option<PathBuf>,
    backup_dir: Option<PathBuf>,
    /// The file as opened (device and inode on Unix): a file deleted or replaced under a
    /// running app is noticed before the next write instead of written into.
    identity: Option<(u64, u64)>,
}

impl Store {
    /// Opens (creating if missing) the database at `path` and brings its schema up to date,
    /// backing it up into `backups/` beside it before any migration.
    /// An existing file that is not a readable database is an error, never replaced.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with_backups(path, &backup::default_dir(path))
    }

    /// Opens a database only to read it (checking a backup before restoring it).
    pub fn open_readonly(path: &Path) -> Result<Store> {
        Store::open_unmigrated(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
    }

    /// Opens the database at `path` as it is: never created, never migrated.
    fn open_unmigrated(path: &Path, flags: OpenFlags) -> Result<Store> {
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| open_error(path, e))?;
        let store = Store {
            engine: Engine::Lite(conn),
            path: Some(path.to_path_buf()),
            backup_dir: None,
            identity: None,
        };
        store.schema_version().map_err(|e| match e {
            Error::Db(e) => open_error(path, e),
            other => other,
        })?;
        Ok(store)
    }

    /// Creates a new database at `path` (`init`): refused when a file is already there.
    pub fn create(path: &Path, backup_dir: &Path) -> Result<Store> {
        if path.exists() {
            return Err(Error::refused(
                format!("{} には既にデータベースがあります", path.display()),
                format!("a database already exists at {}", path.display()),
            ));
        }
        create_folder(path)?;
        Store::connect(path, backup_dir)
    }

    /// As [`Store::open`], with pre-migration backups going to `backup_dir`.
    ///
    /// A database is created only where none has ever been: a missing file whose marker or
    /// backups say it existed (moved, deleted, on a share that is not mounted) is
    /// [`Error::Missing`], never silently replaced by an empty one; and a missing folder is
    /// created only for the default database, never for a path that may be an unmounted share.
    pub fn open_with_backups(path: &Path, backup_dir: &Path) -> Result<Store> {
        if !path.exists() {
            refuse_if_gone(path, backup_dir)?;
            let folder = path.parent().filter(|d| !d.as_os_str().is_empty());
            match folder {
                Some(dir) if !dir.exists() && default_path().as_deref() != Some(path) => {
                    return Err(Error::Unavailable {
                        path: dir.display().to_string(),
                        ja: "データベースのフォルダがありません（ネットワークドライブが未接続？）。新しく作るときは onshi-fallback init を使ってください".into(),
                        en: "the database folder does not exist (a share not mounted?); use `onshi-fallback init` to create a new database".into(),
                        detail: "not found".into(),
                    })
                }
                _ => create_folder(path)?,
            }
        }
        Store::connect(path, backup_dir)
    }

    /// Creates a new database for demos and tests (`init --demo`): the only kind that runs on
    /// a fixed clock (`ONSHI_FALLBACK_NOW`). See [`meta`].
    pub fn create_demo(path: &Path, backup_dir: &Path) -> Result<Store> {
        let mut store = Store::create(path, backup_dir)?;
        store.write(meta::mark_demo)?;
        Ok(store)
    }

    /// True when the database at `path` was made for demos and tests, read without creating,
    /// migrating or writing anything. No database there is `Ok(false)` (a new one would be a
    /// clinic's), except where one existed: [`Error::Missing`], as for [`Store::open`].
    pub fn is_demo_database(path: &Path, backup_dir: &Path) -> Result<bool> {
        if !path.exists() {
            refuse_if_gone(path, backup_dir)?;
            return Ok(false);
        }
        // Read-write (never created: it exists), so that closing it removes the `-wal` and
        // `-shm` files it opened, as a read-only connection cannot; on read-only media SQLite
        // opens it read-only by itself.
        Store::open_unmigrated(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?.read(meta::is_demo)
    }

    fn connect(path: &Path, backup_dir: &Path) -> Result<Store> {
        if !path.exists() {
            // Made here, owner-only, for SQLite to fill: it would create it world-readable, and
            // gives the `-wal` and `-shm` the database file's mode. Made by another process
            // meanwhile, or not makeable (SQLite then says why): either way SQLite goes on.
            let _ = private_files::create_new(path);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_error(path, e))?;
        let mut store = Store {
            engine: Engine::Lite(conn),
            path: Some(path.to_path_buf()),
            backup_dir: Some(backup_dir.to_path_buf()),
            identity: None,
        };
        store.configure().map_err(|e| match e {
            Error::Db(e) => open_error(path, e),
            other => other,
        })?;
        // The marker says "a database lives here" even before the first backup exists.
        let marker = marker_path(path);
        if !marker.exists() {
            let _ = std::fs::write(&marker, "onshi-fallback database\n");
        }
        store.identity = identity(path);
        // A database made before files were created owner-only (or copied in) is tightened.
        for suffix in ["", "-wal", "-shm"] {
            private_files::tighten(Path::new(&format!("{}{suffix}", path.display())));
        }
        Ok(store)
    }

    /// A private in-memory database, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store> {
        let mut store = Store {
            engine: Engine::Lite(Connection::open_in_memory()?),
            path: None,
            backup_dir: None,
            identity: None,
        };
        store.configure()?;
        Ok(store)
    }

    fn configure(&mut self) -> Result<()> {
        let conn = self.sqlite()?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // journal_mode answers with a row; WAL lets readers run while one process writes.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )?;
        self.migrate()
    }

    /// The schema version this build knows.
    pub fn latest_version() -> i64 {
        schema::MIGRATIONS.len() as i64
    }

    pub fn schema_version(&self) -> Result<i64> {
        match &self.engine {
            Engine::Lite(conn) => Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?),
            Engine::Pg(pg) => pg.schema_version(),
        }
    }

    /// The SQLite connection; on PostgreSQL, refused as what only a SQLite database does.
    fn sqlite(&self) -> Result<&Connection> {
        match &self.engine {
            Engine::Lite(conn) => Ok(conn),
            Engine::Pg(_) => Err(Error::refused(
                "この操作は SQLite のデータベースでだけ行えます",
                "this operation applies to a SQLite database only",
            )),
        }
    }

    /// Opens the records on the clinic's PostgreSQL server at `url`
    /// (`postgresql://user@host:port/dbname`), bringing its schema up to date.
    pub fn open_postgres(url: &str) -> Result<Store> {
        Store::open_postgres_with(url, None)
    }

    /// As [`Store::open_postgres`], with the settings file's password for when the
    /// environment gives none.
    pub fn open_postgres_with(url: &str, password: Option<&str>) -> Result<Store> {
        Ok(Store {
            engine: Engine::Pg(Box::new(pg::PgStore::open(url, password)?)),
            path: None,
            backup_dir: None,
            identity: None,
        })
    }

    /// The clinic's server the records live on; None for a SQLite file.
    pub fn server(&self) -> Option<&pg::Server> {
        match &self.engine {
            Engine::Pg(pg) => Some(pg.server()),
            Engine::Lite(_) => None,
        }
    }

    /// True when the records live on a PostgreSQL server.
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Pg(_))
    }

    /// Applies the migrations this database lacks, each atomically with its version bump. A
    /// database that already holds data is copied to the backup folder first.
    fn migrate(&mut self) -> Result<()> {
        let version = self.schema_version()?;
        if version == Self::latest_version() {
            // Up to date: no write transaction at all, so a database on read-only media (or
            // without write permission) still opens to be listed, searched and verified.
            return Ok(());
        }
        if version > 0 && version < Self::latest_version() {
            if let Some(dir) = self.backup_dir.clone() {
                let stamp = chrono::Local::now().format("%Y%m%d%H%M%S");
                self.backup_to(&dir.join(format!("pre-migration-v{version}-{stamp}.sqlite3")))?;
            }
        }
        let conn = self.sqlite()?;
        loop {
            let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > Self::latest_version() {
                return Err(Error::NewerSchema { version });
            }
            let Some(sql) = schema::MIGRATIONS.get(version as usize) else {
                return Ok(());
            };
            tx.execute_batch(sql)?;
            if sql.contains("writable_schema") {
                // A constraint rewritten in place (SQLite's documented procedure for loosening
                // a CHECK): the schema cookie is bumped so every connection re-reads it.
                let cookie: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
                tx.execute_batch(&format!(
                    "PRAGMA schema_version = {}; PRAGMA writable_schema = OFF;",
                    cookie + 1
                ))?;
            }
            if version + 1 == identity::MIGRATION {
                identity::fill(&Tx::lite(&tx))?;
            }
            tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
            tx.commit()?;
        }
    }

    /// Runs `f` in one write transaction taken at once (BEGIN IMMEDIATE), so that two writers
    /// queue on the busy timeout instead of failing on a lock upgrade. Either all of `f`'s
    /// writes land or none do.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.check_still_there()?;
        match &mut self.engine {
            Engine::Lite(conn) => {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = f(&Tx::lite(&tx))?;
                let head = audit::head(&Tx::lite(&tx))?;
                tx.commit()?;
                self.write_anchor(head);
                Ok(value)
            }
            Engine::Pg(pg) => pg.write(f),
        }
    }

    /// The chain's head written beside the database after each commit (`<db>.anchor`): the
    /// audit log's end, held outside the database, so a tail cut off inside it is found. The
    /// records are committed already; failing to write the anchor only weakens that check.
    fn write_anchor(&self, head: Option<(i64, String)>) {
        let (Some(path), Some((seq, hash))) = (&self.path, head) else {
            return;
        };
        let anchor = anchor_path(path);
        let tmp = PathBuf::from(format!("{}.tmp{}", anchor.display(), std::process::id()));
        if std::fs::write(&tmp, format!("{seq} {hash}\n")).is_ok() {
            let _ = std::fs::rename(&tmp, &anchor);
        }
    }

    /// Checks the chain against the heads held outside it: the anchor file beside the
    /// database and the newest backup's own chain.
    pub fn check_anchors(&self) -> Result<Option<audit::Problem>> {
        let Some(path) = &self.path else {
            return Ok(None);
        };
        if let Some((seq, hash)) = read_anchor(&anchor_path(path)) {
            let found = self.read(|tx| {
                audit::check_anchor(tx, seq, &hash, "アンカーファイル", "the anchor file")
            })?;
            if found.is_some() {
                return Ok(found);
            }
        }
        let Some(dir) = &self.backup_dir else {
            return Ok(None);
        };
        // Backups from before a restore hold a longer chain on purpose: the restore put an
        // older one in place (what came after is in the set-aside file).
        let restored = std::fs::metadata(restored_marker(path))
            .and_then(|m| m.modified())
            .ok();
        let newest = backup::list(dir).into_iter().next().filter(|b| {
            let made = std::fs::metadata(&b.path).and_then(|m| m.modified()).ok();
            restored.is_none_or(|r| made.is_some_and(|m| m > r))
        });
        let Some(b) = newest else {
            return Ok(None);
        };
        let Ok(copy) = Store::open_readonly(Path::new(&b.path)) else {
            return Ok(None);
        };
        let Some((seq, hash)) = copy.read(audit::head)? else {
            return Ok(None);
        };
        let (where_ja, where_en) = (
            format!("バックアップ {}", b.path),
            format!("the backup {}", b.path),
        );
        self.read(|tx| audit::check_anchor(tx, seq, &hash, &where_ja, &where_en))
    }

    /// Read access: a consistent snapshot for the duration of `f`.
    pub fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        match &self.engine {
            Engine::Lite(conn) => {
                let tx = conn.unchecked_transaction()?;
                let value = f(&Tx::lite(&tx))?;
                tx.finish()?;
                Ok(value)
            }
            Engine::Pg(pg) => pg.read(f),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Fails when the database file was deleted, moved or replaced since it was opened: the
    /// records must not go on into a file nobody will find (or into a stale one).
    pub fn check_still_there(&self) -> Result<()> {
        match (&self.path, self.identity) {
            (Some(path), Some(was)) if identity(path) != Some(was) => Err(Error::Missing {
                path: path.display().to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Takes the reconciliation lock of this database (a lock file beside it, released when
    /// the returned guard is dropped or the process ends, however it ends): one pass at a time,
    /// so no record is sent to the terminal twice. An in-memory database has one connection
    /// and needs none.
    pub fn lock_pass(&self) -> Result<PassLock> {
        if let Engine::Pg(pg) = &self.engine {
            return Ok(PassLock {
                _file: None,
                _pg: Some(pg.lock_pass()?),
            });
        }
        let Some(path) = &self.path else {
            return Ok(PassLock {
                _file: None,
                _pg: None,
            });
        };
        let lock_path = PathBuf::from(format!("{}.pass-lock", path.display()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        match file.try_lock() {
            Ok(()) => Ok(PassLock {
                _file: Some(file),
                _pg: None,
            }),
            Err(std::fs::TryLockError::WouldBlock) => Err(Error::refused(
                "別の照合が実行中です。終わってからもう一度実行してください",
                "another reconciliation pass is running on this database",
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }

    /// Writes a consistent copy of the live database to `dest` (which must not exist).
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            return Err(Error::field(
                "PATH",
                "バックアップ先",
                format!(
                    "{} は既にあります。別の名前を指定してください",
                    dest.display()
                ),
                "destination already exists",
            ));
        }
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_files::create_dir_all(dir)?;
        }
        if self.is_postgres() {
            return self.copy_to_new_file(dest);
        }
        let dest_text = dest.to_str().ok_or_else(|| {
            Error::field(
                "PATH",
                "バックアップ先",
                "パスに使えない文字があります",
                "path is not valid UTF-8",
            )
        })?;
        // The copy is made owner-only first: VACUUM INTO fills an empty file as it finds it
        // (and would create one world-readable).
        private_files::create_new(dest)?;
        // VACUUM INTO reads one snapshot and writes a compact, self-contained database file.
        if let Err(e) = self.sqlite()?.execute("VACUUM INTO ?1", [dest_text]) {
            // Only the empty (or partial) copy made just above: never a record.
            let _ = std::fs::remove_file(dest);
            return Err(e.into());
        }
        Ok(())
    }

    /// The records copied whole into a new, self-contained SQLite file at `dest` (the backup of
    /// a PostgreSQL store: it opens on any PC). Nothing is left at `dest` when the copy fails.
    fn copy_to_new_file(&self, dest: &Path) -> Result<()> {
        private_files::create_new(dest)?;
        let result = (|| {
            let mut file = Store {
                engine: Engine::Lite(Connection::open(dest)?),
                path: None,
                backup_dir: None,
                identity: None,
            };
            file.configure()?;
            copy::copy(self, &mut file)?;
            // One file, no `-wal` beside it: a backup is carried and opened as it is.
            let _mode: String =
                file.sqlite()?
                    .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
            Ok(())
        })();
        if result.is_err() {
            // Only the copy begun just above: never a record.
            let _ = std::fs::remove_file(dest);
        }
        result
    }

    /// `PRAGMA integrity_check`: "ok" or the problems found.
    pub fn integrity_check(&self) -> Result<String> {
        let Engine::Lite(conn) = &self.engine else {
            return Ok("ok".into());
        };
        let mut stmt = conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows.join("\n"))
    }

    /// Runs `sql` straight on the database, outside the app's transactions and audit: upkeep
    /// that changes no record (PostgreSQL's `ANALYZE`), and tests that must tamper with the
    /// records as an attacker with the server's or the file's access would.
    pub fn execute_outside_app(&self, sql: &str) -> Result<()> {
        match &self.engine {
            Engine::Lite(conn) => Ok(conn.execute_batch(sql)?),
            Engine::Pg(pg) => pg.execute_batch(sql),
        }
    }

    /// Direct connection, for tests that must tamper with the file as an attacker would.
    #[doc(hidden)]
    pub fn raw(&self) -> &Connection {
        match &self.engine {
            Engine::Lite(conn) => conn,
            Engine::Pg(_) => panic!("raw() is the SQLite connection; this store is PostgreSQL"),
        }
    }
}

fn open_error(path: &Path, e: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::*;
    let (path, detail) = (path.display().to_string(), e.to_string());
    let (ja, en) = match e.sqlite_error_code() {
        Some(NotADatabase) | Some(DatabaseCorrupt) => return Error::Corrupt { path, detail },
        Some(ReadOnly) => (
            "データベースに書き込めません（読み取り専用）。ファイルの権限を確認してください",
            "database is read-only",
        ),
        Some(CannotOpen) => (
            "データベースを開けません。場所と権限を確認してください",
            "cannot open the database",
        ),
        Some(DatabaseBusy) | Some(DatabaseLocked) => (
            "データベースが他のプログラムに使われています。しばらく待ってから再度お試しください",
            "database is busy",
        ),
        Some(DiskFull) => (
            "ディスクがいっぱいです。空きを作ってください",
            "disk is full",
        ),
        _ => ("データベースを開けません", "cannot open the database"),
    };
    Error::Unavailable {
        path,
        ja: ja.into(),
        en: en.into(),
        detail,
    }
}

/// The default database: `onshi-fallback.sqlite3` in the OS's per-user data folder.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("jp", "onshi-fallback", "onshi-fallback")
        .map(|d| d.data_dir().join("onshi-fallback.sqlite3"))
}

/// The file beside a database that says when a backup was last restored over it.
pub fn restored_marker(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.restored", db.display()))
}

/// The file beside a database that holds its audit chain's head.
pub fn anchor_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.anchor", db.display()))
}

fn read_anchor(path: &Path) -> Option<(i64, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    let (seq, hash) = text.trim().split_once(' ')?;
    Some((seq.parse().ok()?, hash.to_string()))
}

/// A missing database where one existed (its marker or backups are there) is [`Error::Missing`]:
/// the way out is a backup, never a new empty database.
fn refuse_if_gone(path: &Path, backup_dir: &Path) -> Result<()> {
    if marker_path(path).exists() || backup::has_backups(backup_dir) {
        return Err(Error::Missing {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// The file beside a database that says one was created there.
pub fn marker_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.created", db.display()))
}

fn create_folder(db: &Path) -> Result<()> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_files::create_dir_all(dir).map_err(|e| Error::Unavailable {
            path: dir.display().to_string(),
            ja: "データベースのフォルダを作れません".into(),
            en: "cannot create the database folder".into(),
            detail: e.to_string(),
        })?;
    }
    Ok(())
}

#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Elsewhere an open database file cannot be deleted or replaced; its existence is checked.
#[cfg(not(unix))]
fn identity(path: &Path) -> Option<(u64, u64)> {
    path.exists().then_some((0, 0))
}

/// Current time as stored: RFC 3339 with the local offset, to the second.
pub fn timestamp(t: chrono::DateTime<chrono::FixedOffset>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Who makes a change and when, written into the record; its audit entry takes `by` and the
/// system clock's time (see [`audit::append`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The records' clock: the system's, or a demo database's fixed one.
    pub at: String,
    pub by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_that_existed_is_never_silently_recreated() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("clinic.sqlite3");
        let backups = dir.path().join("backups");
        // First use: created, with the marker that says so.
        drop(Store::open_with_backups(&db, &backups).unwrap());
        assert!(marker_path(&db).exists());
        // Moved away: refused, and nothing is created in its place.
        std::fs::rename(&db, dir.path().join("moved.sqlite3")).unwrap();
        let err = Store::open_with_backups(&db, &backups)
            .err()
            .expect("refused");
        assert!(matches!(err, Error::Missing { .. }), "{err}");
        assert!(err.is_corrupt(), "the way out is a backup");
        assert!(!db.exists(), "nothing created");
        // Backups alone also say a database lived here.
        let other = dir.path().join("other.sqlite3");
        std::fs::create_dir_all(dir.path().join("b2")).unwrap();
        std::fs::write(dir.path().join("b2/onshi-fallback-20261124.sqlite3"), b"x").unwrap();
        assert!(matches!(
            Store::open_with_backups(&other, &dir.path().join("b2")),
            Err(Error::Missing { .. })
        ));
        // A folder that is not there (an unmounted share) is not created for a given path.
        let unmounted = dir.path().join("share/clinic.sqlite3");
        assert!(Store::open_with_backups(&unmounted, &backups).is_err());
        assert!(!dir.path().join("share").exists());
        // `init` creates one on purpose, and refuses where one is.
        drop(Store::create(&db, &backups).unwrap());
        assert!(Store::create(&db, &backups).is_err());
    }

    #[test]
    fn a_running_store_stops_writing_when_its_file_is_deleted_or_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("clinic.sqlite3");
        let mut store = Store::open(&db).unwrap();
        store.write(|_| Ok(())).unwrap();
        std::fs::rename(&db, dir.path().join("aside.sqlite3")).unwrap();
        let err = store.write(|_| Ok(())).unwrap_err();
        assert!(matches!(err, Error::Missing { .. }), "{err}");
        // Replaced by another file under the same name: refused as well.
        std::fs::copy(dir.path().join("aside.sqlite3"), &db).unwrap();
        assert!(matches!(
            store.write(|_| Ok(())),
            Err(Error::Missing { .. })
        ));
    }

    #[test]
    fn one_pass_at_a_time_per_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("clinic.sqlite3");
        let (a, b) = (Store::open(&db).unwrap(), Store::open(&db).unwrap());
        let held = a.lock_pass().unwrap();
        let err = b.lock_pass().err().expect("a second pass is refused");
        assert!(err.ja().contains("別の照合が実行中"), "{err}");
        drop(held);
        assert!(b.lock_pass().is_ok(), "free again once the first pass ends");
    }
}
