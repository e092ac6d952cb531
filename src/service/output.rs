//! Every file the app writes for people (the PDFs, the CSV lists, the incident report): never
//! one of the records' own files, and never half written. The target is checked against the
//! live database, its `-wal`/`-shm`, the backup folder and the prescription archive; the bytes
//! go to a temporary file beside it, are synced, then renamed into place, so a reader (or a
//! power cut) sees the old file or the new one, never a mix.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Records;
use crate::error::{Error, Result};

impl Records {
    /// Writes `bytes` to `path`, given by the user with `flag` (`--out`, `--csv`, `PATH`).
    pub fn write_output(&self, path: &Path, flag: &str, bytes: &[u8]) -> Result<()> {
        self.write_output_with(path, flag, |out| Ok(out.write_all(bytes)?))
    }

    /// Writes to `path` what `write` writes, as it goes: a list of a year's records is never
    /// held whole in memory.
    pub fn write_output_with(
        &self,
        path: &Path,
        flag: &str,
        write: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        self.check_output(path, flag)?;
        write_atomically(path, flag, write)
    }

    /// Refuses a target that is one of the records' own files.
    pub fn check_output(&self, path: &Path, flag: &str) -> Result<()> {
        let target = resolved(path);
        let refuse = |what_ja: &str, what_en: &str| {
            Err(Error::field(
                flag,
                "出力先",
                format!(
                    "{} は{what_ja}です。記録を守るため、別の場所を指定してください",
                    path.display()
                ),
                format!("{} is {what_en}: choose another path", path.display()),
            ))
        };
        if let Some(db) = self.store.path().map(resolved) {
            for (suffix, ja, en) in [
                ("", "稼働中のデータベース", "the live database"),
                (
                    "-wal",
                    "データベースの WAL ファイル",
                    "the database's WAL file",
                ),
                (
                    "-shm",
                    "データベースの共有メモリファイル",
                    "the database's shared-memory file",
                ),
                (
                    "-journal",
                    "データベースのジャーナル",
                    "the database's journal",
                ),
            ] {
                if target == format!("{}{suffix}", db.display()) {
                    return refuse(ja, en);
                }
            }
        }
        if let Some(dir) = self.backup_dir().map(|d| resolved(&d)) {
            if target.starts_with(&dir) {
                return refuse("バックアップの保存先", "inside the backup folder");
            }
        }
        if let Ok(dir) = self.archive_dir().map(|d| resolved(&d)) {
            if target.starts_with(&dir) {
                return refuse(
                    "処方箋の控え（保存用PDF）の保存先",
                    "inside the prescription archive",
                );
            }
        }
        Ok(())
    }
}

/// The path with its folder resolved (links, `..`), as far as the folder exists: two spellings
/// of one file compare equal.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (parent.canonicalize(), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// Writes through a temporary file beside `path` (what `write` writes, buffered), synced, then
/// renamed over it. Nothing is left behind when any step fails.
pub(crate) fn write_atomically(
    path: &Path,
    flag: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let cannot = |e: &dyn std::fmt::Display| {
        Error::field(
            flag,
            "出力先",
            format!("{} に書き込めません: {e}", path.display()),
            format!("cannot write {}: {e}", path.display()),
        )
    };
    let name = path
        .file_name()
        .ok_or_else(|| cannot(&"ファイル名がありません (no file name)"))?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let file = crate::private_files::create(&tmp).map_err(|e| cannot(&e))?;
        let mut out = std::io::BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| cannot(e.error()))?;
        file.sync_all().map_err(|e| cannot(&e))?;
        std::fs::rename(&tmp, path).map_err(|e| cannot(&e))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::service::Clock;
    use crate::store::Store;

    #[test]
    fn the_records_own_files_are_refused_as_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("clinic.sqlite3");
        let r = Records::new(
            Store::open(&db).unwrap(),
            Config::default(),
            "t",
            Clock::System,
        );
        let spelled_otherwise = dir.path().join("x/../clinic.sqlite3");
        std::fs::create_dir_all(dir.path().join("x")).unwrap();
        for target in [
            db.clone(),
            spelled_otherwise,
            PathBuf::from(format!("{}-wal", db.display())),
            PathBuf::from(format!("{}-shm", db.display())),
            dir.path().join("backups/onshi-fallback-20261125.sqlite3"),
            dir.path().join("archive/2026/rx-20261125-RX1-0000.pdf"),
        ] {
            let before = std::fs::read(&db).unwrap();
            let err = r.write_output(&target, "--out", b"%PDF").unwrap_err();
            assert!(err.is_bad_input(), "{}: {err}", target.display());
            assert_eq!(std::fs::read(&db).unwrap(), before, "nothing written");
        }
        let ok = dir.path().join("list.csv");
        r.write_output(&ok, "--csv", b"a,b\r\n").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"a,b\r\n");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary file left");
    }
}
