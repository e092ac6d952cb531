//! Backups: a daily copy kept for a number of days, a copy before every migration, and
//! restoring one — which sets the current file aside rather than deleting it.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};

const DAILY_PREFIX: &str = "onshi-fallback-";

/// The folder backups go to by default: `backups/` beside the database.
pub fn default_dir(db: &Path) -> PathBuf {
    db.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("backups")
}

/// The folder this PC keeps its daily copies of the clinic's server in by default:
/// `server-backups/` in the per-user data folder. Each PC holds the records as of its day's
/// first start, a SQLite file that opens without the server.
pub fn server_default_dir() -> PathBuf {
    super::default_path()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("server-backups")
}

/// True when `dir` holds at least one backup: a database existed beside it.
pub fn has_backups(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().ends_with(".sqlite3"))
    })
}

/// A backup file found in the folder.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BackupFile {
    pub path: String,
    pub bytes: u64,
    pub modified: String,
}

/// Where the daily backup of `day` goes.
pub fn daily_path(dir: &Path, day: NaiveDate) -> PathBuf {
    dir.join(format!("{DAILY_PREFIX}{}.sqlite3", day.format("%Y%m%d")))
}

/// The database as it stands at one moment, held for a copy made later (on another thread):
/// a read-only connection of its own with a read transaction open. In WAL mode it blocks no
/// writer, and what they write after it was taken is not in the copy.
pub struct Snapshot {
    conn: rusqlite::Connection,
}

impl Snapshot {
    /// Takes the snapshot of the database at `db` now (a read of its schema fixes it). The
    /// connection reads only, but is opened for writing where the file allows it: when it is
    /// the last one to close (the command done before the copy), it folds the `-wal` back into
    /// the database and removes it, as the program's own connection does.
    pub fn take(db: &Path) -> Result<Snapshot> {
        let conn = rusqlite::Connection::open_with_flags(
            db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.execute_batch("BEGIN")?;
        conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(Snapshot { conn })
    }

    /// Writes the snapshot to `dest` (created owner-only; refused when it exists) with
    /// SQLite's backup API in one step, inside the snapshot's read transaction: a copy of that
    /// moment, self-contained (rollback journal, no `-wal`).
    pub fn write_to(&self, dest: &Path) -> Result<()> {
        crate::private_files::create_new(dest)?;
        let copied = (|| -> Result<()> {
            let mut dst = rusqlite::Connection::open(dest)?;
            {
                let backup = rusqlite::backup::Backup::new(&self.conn, &mut dst)?;
                match backup.step(-1)? {
                    rusqlite::backup::StepResult::Done => {}
                    other => {
                        return Err(Error::failed(
                            format!("データベースを読めませんでした（{other:?}）"),
                            format!("the copy did not complete ({other:?})"),
                        ))
                    }
                }
            }
            dst.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
            drop(dst);
            flush_to_disk(dest)?;
            Ok(())
        })();
        if copied.is_err() {
            // Only the copy just made: never a record.
            let _ = std::fs::remove_file(dest);
        }
        copied
    }
}

/// Forces a copy just written onto the disk before it is renamed into place. Opened for
/// writing: Windows flushes a file only through a handle that may write to it (read-only,
/// `sync_all` fails there with "Access denied", as every restore and every daily backup did
/// under Wine until this was shared).
fn flush_to_disk(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .sync_all()
}

/// Makes today's backup if there is none yet, then keeps only the newest `keep` daily ones.
/// Returns the path written, if any.
pub fn daily(store: &Store, dir: &Path, today: NaiveDate, keep: u32) -> Result<Option<PathBuf>> {
    daily_with(dir, today, keep, |tmp| store.backup_to(tmp))
}

/// [`daily`] from a [`Snapshot`] taken earlier: the copy holds the database as it was then.
pub fn daily_from(
    snapshot: &Snapshot,
    dir: &Path,
    today: NaiveDate,
    keep: u32,
) -> Result<Option<PathBuf>> {
    daily_with(dir, today, keep, |tmp| snapshot.write_to(tmp))
}

fn daily_with(
    dir: &Path,
    today: NaiveDate,
    keep: u32,
    copy: impl FnOnce(&Path) -> Result<()>,
) -> Result<Option<PathBuf>> {
    let path = daily_path(dir, today);
    if path.exists() {
        return Ok(None);
    }
    crate::private_files::create_dir_all(dir)?;
    // Write under a temporary name first: a crash mid-copy must not leave a "today" file
    // that looks complete. The name is this copy's own: the copy runs in the background, and
    // another program (the window and a command started together) may be taking one too;
    // whichever is renamed last is a whole, consistent copy as well.
    static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{DAILY_PREFIX}{}.{}-{}.partial",
        today.format("%Y%m%d"),
        std::process::id(),
        COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&tmp);
    if let Err(e) = copy(&tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &path)?;
    prune(dir, &path, keep.max(1) as usize)?;
    remove_stale_partials(dir);
    Ok(Some(path))
}

/// Temporary copies left by a program stopped mid-copy (power cut, killed): none is a backup.
/// Only those a day old, so that a copy another program is writing now is left alone.
fn remove_stale_partials(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().to_string();
        let stale = name.starts_with(&format!(".{DAILY_PREFIX}"))
            && name.ends_with(".partial")
            && e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < day_ago);
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Deletes daily backups beyond the newest `keep`, whatever the clock says: a backup is kept
/// when it is among the newest `keep` by its name's date OR by its file time, and the one just
/// written is always kept. (A PC whose clock was set back names today's backup with an old
/// date: pruning by name alone would delete the newest backup at once.)
fn prune(dir: &Path, just_written: &Path, keep: usize) -> Result<()> {
    let mut daily: Vec<(PathBuf, std::time::SystemTime)> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| is_daily(p))
        .filter_map(|p| {
            let t = std::fs::metadata(&p).and_then(|m| m.modified()).ok()?;
            Some((p, t))
        })
        .collect();
    let mut keep_set: Vec<PathBuf> = vec![just_written.to_path_buf()];
    daily.sort_by(|a, b| b.0.cmp(&a.0));
    keep_set.extend(daily.iter().take(keep).map(|(p, _)| p.clone()));
    daily.sort_by_key(|d| std::cmp::Reverse(d.1));
    keep_set.extend(daily.iter().take(keep).map(|(p, _)| p.clone()));
    for (p, _) in &daily {
        if !keep_set.contains(p) && !carried_on_in(p, just_written) {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(())
}

/// True for a daily copy holding audit entries that the copy just written lacks and that
/// were not merged back into it: a PC carried on in it while the clinic's server was out of
/// reach (or records were restored from an older copy since). Its records exist nowhere
/// else, so it is never pruned. The chains answer it, not file times, which follow whatever
/// clock wrote them. An unreadable copy is pruned as before.
fn carried_on_in(copy: &Path, newest: &Path) -> bool {
    use super::{audit, merge, params};
    let Ok(Some((seq, hash))) = Store::open_readonly(copy).and_then(|s| s.read(audit::head)) else {
        return false;
    };
    let Ok(newest) = Store::open_readonly(newest) else {
        return true;
    };
    let answer = newest.read(|tx| {
        if audit::hash_at(tx, seq)?.as_deref() == Some(hash.as_str()) {
            return Ok(false);
        }
        // `store copy --merge` keeps the hash of each entry it brings back.
        let merged: i64 = tx.value(
            "SELECT COUNT(*) FROM audit_log WHERE detail LIKE ?1",
            params![format!(
                "%\"{}\":{{%\"hash\":\"{hash}\"%",
                merge::MERGED_FROM
            )],
        )?;
        Ok(merged == 0)
    });
    answer.unwrap_or(true)
}

/// The day a daily copy's name gives.
fn name_date(p: &Path) -> Option<NaiveDate> {
    let name = p.file_name()?.to_str()?;
    let digits = name.get(DAILY_PREFIX.len()..DAILY_PREFIX.len() + 8)?;
    NaiveDate::parse_from_str(digits, "%Y%m%d").ok()
}

/// The date in the newest daily backup's name, if any.
pub fn newest_daily(dir: &Path) -> Option<NaiveDate> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| is_daily(p))
        .filter_map(|p| name_date(&p))
        .max()
}

fn is_daily(p: &Path) -> bool {
    p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        n.starts_with(DAILY_PREFIX)
            && n.ends_with(".sqlite3")
            && n.len() == DAILY_PREFIX.len() + 8 + 8
    })
}

/// Every backup in `dir`, newest first.
pub fn list(dir: &Path) -> Vec<BackupFile> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, BackupFile)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".sqlite3"))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let modified = meta.modified().ok()?;
            let when: chrono::DateTime<chrono::Local> = modified.into();
            Some((
                modified,
                BackupFile {
                    path: e.path().display().to_string(),
                    bytes: meta.len(),
                    modified: when.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                },
            ))
        })
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files.into_iter().map(|(_, f)| f).collect()
}

/// `base`, or `base-2`, `base-3`, … : the first name not taken.
fn unused_path(base: &str) -> PathBuf {
    (1..)
        .map(|n| match n {
            1 => PathBuf::from(base),
            n => PathBuf::from(format!("{base}-{n}")),
        })
        .find(|p| !p.exists())
        .expect("some name is free")
}

/// Puts `backup` in place of the database at `db`. The backup must open, pass SQLite's
/// integrity check and the audit chain; the current file (if any) is renamed aside, never
/// deleted. Returns where the old file went.
pub fn restore(backup: &Path, db: &Path, stamp: &str) -> Result<Option<PathBuf>> {
    if !backup.is_file() {
        return Err(Error::field(
            "BACKUP",
            "バックアップ",
            format!("{} がありません", backup.display()),
            "no such file",
        ));
    }
    {
        let check = Store::open_readonly(backup)?;
        let integrity = check.integrity_check()?;
        if integrity != "ok" {
            return Err(Error::refused(
                format!("バックアップが壊れています: {integrity}"),
                "the backup fails the integrity check",
            ));
        }
        let audit = check.read(super::audit::verify)?;
        if let Some(p) = audit.problem {
            return Err(Error::refused(
                format!("バックアップの監査ログに異常があります: {}", p.message_ja),
                "the backup's audit chain is broken",
            ));
        }
    }
    let dir = db
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::private_files::create_dir_all(dir)?;
    let tmp = dir.join(".restore-in-progress.sqlite3");
    let _ = std::fs::remove_file(&tmp);
    // Owner-only before SQLite fills it (it would create it world-readable).
    crate::private_files::create_new(&tmp)?;
    // SQLite's backup API, not a file copy: a backup whose last changes still sit in its
    // `-wal` file (copied while open, or never checkpointed) comes back whole.
    {
        let src = rusqlite::Connection::open_with_flags(
            backup,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut dst = rusqlite::Connection::open(&tmp)?;
        rusqlite::backup::Backup::new(&src, &mut dst)?.run_to_completion(
            1024,
            std::time::Duration::ZERO,
            None,
        )?;
        // Fold the copy into its main file: the restored database is one self-contained file.
        dst.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    flush_to_disk(&tmp)?;
    let mut aside = None;
    if db.exists() {
        // Never over an earlier set-aside file: two restores in one second get two names.
        let moved = unused_path(&format!("{}.replaced-{stamp}", db.display()));
        std::fs::rename(db, &moved)?;
        for ext in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{ext}", db.display()));
            if side.exists() {
                std::fs::rename(&side, format!("{}{ext}", moved.display()))?;
            }
        }
        aside = Some(moved);
    }
    std::fs::rename(&tmp, db)?;
    // The restored chain is shorter than the one the anchor and the newer backups hold, on
    // purpose: say so, so that `audit verify` holds it against what comes from here on.
    std::fs::write(super::restored_marker(db), format!("{stamp}\n"))?;
    let _ = std::fs::remove_file(super::anchor_path(db));
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(db: &Path) -> i64 {
        let s = Store::open_readonly(db).unwrap();
        s.raw()
            .query_row("SELECT COUNT(*) FROM outage_notes", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn pruning_never_deletes_the_newest_whatever_the_clock() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("clinic.sqlite3");
        let store = Store::open(&db).unwrap();
        let backups = dir.path().join("backups");
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        for d in 20..=25 {
            daily(&store, &backups, day(d), 3).unwrap();
        }
        assert_eq!(newest_daily(&backups), Some(day(25)));
        // The clock is set back a year: today's backup gets an old name. It is kept, and so
        // are the newest three by name.
        let back = NaiveDate::from_ymd_opt(2025, 11, 26).unwrap();
        let written = daily(&store, &backups, back, 3).unwrap().unwrap();
        assert!(written.exists(), "the backup just written is never pruned");
        for d in 23..=25 {
            assert!(backups
                .join(format!("onshi-fallback-202611{d}.sqlite3"))
                .exists());
        }
    }

    #[test]
    fn a_copy_a_pc_carried_on_in_is_never_pruned_until_merged_back() {
        use crate::store::{outages, Stamp};
        let dir = tempfile::tempdir().unwrap();
        let mut server = Store::open(&dir.path().join("clinic.sqlite3")).unwrap();
        let stamp = Stamp {
            at: "2026-11-20T09:00:00+09:00".into(),
            by: "t".into(),
        };
        let note = |store: &mut Store, text: &str| {
            store
                .write(|tx| {
                    let id =
                        outages::start(tx, text, &[], crate::domain::Detection::Staff, &stamp)?;
                    outages::end(tx, id, "", crate::domain::Detection::Staff, &stamp)
                })
                .unwrap();
        };
        note(&mut server, "before");
        let backups = dir.path().join("server-backups");
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let name = |d: u32| backups.join(format!("onshi-fallback-202611{d}.sqlite3"));
        daily(&server, &backups, day(20), 1).unwrap();
        // The PC carries on in the 20th's copy while the server is away; the server goes on.
        note(&mut Store::open(&name(20)).unwrap(), "on the PC");
        note(&mut server, "on the server");
        daily(&server, &backups, day(21), 1).unwrap();
        daily(&server, &backups, day(22), 1).unwrap();
        assert!(name(20).exists(), "the PC's records are nowhere else");
        assert!(!name(21).exists(), "an untouched older copy is pruned");
        // Once merged back, the next day's pruning lets it go.
        let pc = Store::open(&name(20)).unwrap();
        crate::store::merge::merge(&pc, &mut server, "t").unwrap();
        drop(pc);
        daily(&server, &backups, day(23), 1).unwrap();
        assert!(!name(20).exists());
    }

    #[test]
    fn a_backup_with_unflushed_wal_restores_whole_and_nothing_is_overwritten() {
        use crate::store::{outages, Stamp};
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.sqlite3");
        let mut store = Store::open(&live).unwrap();
        let stamp = Stamp {
            at: "2026-11-25T09:00:00+09:00".into(),
            by: "t".into(),
        };
        store
            .write(|tx| {
                let id = outages::start(tx, "x", &[], crate::domain::Detection::Staff, &stamp)?;
                for n in 0..20 {
                    outages::add_note(tx, id, &format!("note {n}"), &stamp)?;
                }
                Ok(())
            })
            .unwrap();
        // Copied while open: the notes are still in the -wal file, not the main file.
        let copy = dir.path().join("copy.sqlite3");
        std::fs::copy(&live, &copy).unwrap();
        std::fs::copy(
            format!("{}-wal", live.display()),
            format!("{}-wal", copy.display()),
        )
        .unwrap();
        assert!(
            std::fs::metadata(format!("{}-wal", copy.display()))
                .unwrap()
                .len()
                > 0
        );
        drop(store);
        let target = dir.path().join("clinic.sqlite3");
        let first = restore(&copy, &target, "20261125090000").unwrap();
        assert_eq!(first, None, "nothing was there to set aside");
        assert_eq!(rows(&target), 20, "rows before = rows after");
        // Twice in the same second: the first set-aside file is kept, the second gets its own.
        let a = restore(&copy, &target, "20261125090001").unwrap().unwrap();
        let b = restore(&copy, &target, "20261125090001").unwrap().unwrap();
        assert_ne!(a, b);
        assert!(a.exists() && b.exists());
        assert_eq!((rows(&a), rows(&b), rows(&target)), (20, 20, 20));
    }
}
