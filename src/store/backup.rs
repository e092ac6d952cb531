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

/// A backup file found in the folder.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BackupFile {
    pub path: String,
    pub bytes: u64,
    pub modified: String,
}

/// Makes today's backup if there is none yet, then keeps only the newest `keep` daily ones.
/// Returns the path written, if any.
pub fn daily(store: &Store, dir: &Path, today: NaiveDate, keep: u32) -> Result<Option<PathBuf>> {
    let path = dir.join(format!("{DAILY_PREFIX}{}.sqlite3", today.format("%Y%m%d")));
    if path.exists() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    // Write under a temporary name first: a crash mid-copy must not leave a "today" file
    // that looks complete.
    let tmp = dir.join(format!(".{DAILY_PREFIX}{}.partial", today.format("%Y%m%d")));
    let _ = std::fs::remove_file(&tmp);
    store.backup_to(&tmp)?;
    std::fs::rename(&tmp, &path)?;
    let mut daily: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_daily(p))
        .collect();
    daily.sort();
    let excess = daily.len().saturating_sub(keep.max(1) as usize);
    for old in &daily[..excess] {
        let _ = std::fs::remove_file(old);
    }
    Ok(Some(path))
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
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(".restore-in-progress.sqlite3");
    let _ = std::fs::remove_file(&tmp);
    std::fs::copy(backup, &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    let mut aside = None;
    if db.exists() {
        let moved = PathBuf::from(format!("{}.replaced-{stamp}", db.display()));
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
    Ok(aside)
}
