//! Damaged, truncated and full databases: a clear message and a way out, never a silent empty
//! database; automatic daily backups with retention; restore that keeps the damaged file.

use crate::common;

use std::path::Path;
use std::process::Output;

use crate::common::{cli, intake, intake_json, records};
use onshi_fallback::store::Store;

fn cli_at(db: &Path, now: &str, args: &[&str], stdin: Option<&str>) -> Output {
    common::spawn_cli(db, now, args, stdin)
        .wait_with_output()
        .unwrap()
}

#[test]
fn the_first_command_of_the_day_makes_a_backup_and_old_ones_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    std::fs::write(db.with_extension("toml"), "[backup]\nkeep_days = 2\n").unwrap();
    for day in 21..=24 {
        let now = format!("2026-11-{day}T09:00:00+09:00");
        assert!(cli_at(
            &db,
            &now,
            &["intake", "--json", "-"],
            Some(&intake_json(day as usize))
        )
        .status
        .success());
        assert!(cli_at(&db, &now, &["outage", "status"], None)
            .status
            .success());
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "onshi-fallback-20261123.sqlite3",
            "onshi-fallback-20261124.sqlite3"
        ]
    );
    // A backup holds what was there when the day's first command ran.
    let b = Store::open(&dir.path().join("backups/onshi-fallback-20261124.sqlite3")).unwrap();
    assert_eq!(common::count(&b, "visits"), 3);
}

#[test]
fn a_corrupt_database_points_to_the_latest_backup_and_restore_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    assert!(cli(&db, &["intake", "--json", "-"], Some(&intake_json(1)))
        .status
        .success());
    assert!(cli(&db, &["intake", "--json", "-"], Some(&intake_json(2)))
        .status
        .success());
    // Disaster: the file is overwritten with garbage.
    std::fs::write(&db, vec![0xA5u8; 64 * 1024]).unwrap();
    let _ = std::fs::remove_file(dir.path().join("clinic.sqlite3-wal"));
    let _ = std::fs::remove_file(dir.path().join("clinic.sqlite3-shm"));
    let out = cli(&db, &["visits", "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("最新のバックアップ") && err.contains("onshi-fallback restore"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        vec![0xA5u8; 64 * 1024],
        "never replaced by an empty database"
    );

    let backup = dir.path().join("backups/onshi-fallback-20261125.sqlite3");
    let out = cli(&db, &["restore", backup.to_str().unwrap(), "--json"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let aside = v["previous_file"].as_str().unwrap();
    assert_eq!(
        std::fs::read(aside).unwrap(),
        vec![0xA5u8; 64 * 1024],
        "the damaged file is kept"
    );
    // The backup was taken by the first command of the day, before the first intake.
    let out = cli(&db, &["outage", "status", "--json"], None);
    assert!(out.status.success());
    assert!(cli(&db, &["audit", "verify"], None).status.success());
}

#[test]
fn a_truncated_database_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    {
        let mut r = records(common::demo_store(&db));
        for n in 0..200 {
            r.intake(&intake(n)).unwrap();
        }
        // fold the WAL into the main file so truncating it loses data
        r.store
            .raw()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let len = std::fs::metadata(&db).unwrap().len();
    let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.set_len(len / 3).unwrap();
    drop(f);
    let out = cli(&db, &["visits", "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("壊れています"), "{err}");
    assert!(err.contains("バックアップ"), "{err}");
}

#[test]
fn a_full_disk_refuses_the_intake_whole_and_keeps_the_rest() {
    let mut r = common::memory_records();
    r.intake(&intake(0)).unwrap();
    let pages: i64 = r
        .store
        .raw()
        .query_row("PRAGMA page_count", [], |x| x.get(0))
        .unwrap();
    // SQLite reports a full disk exactly as when the file system is full.
    r.store
        .raw()
        .query_row(
            &format!("PRAGMA max_page_count = {}", pages + 2),
            [],
            |_| Ok(()),
        )
        .unwrap();
    let mut saved = 1;
    let err = loop {
        match r.intake(&intake(saved)) {
            Ok(_) => saved += 1,
            Err(e) => break e,
        }
        assert!(saved < 500, "never filled up");
    };
    let msg = err.to_string();
    assert!(
        msg.contains("ディスクがいっぱい") && msg.contains("保存されていません"),
        "{msg}"
    );
    assert_eq!(
        r.visits(None).unwrap().len(),
        saved,
        "every saved intake is there, the failed one is not"
    );
    assert!(r.audit_verify().unwrap().ok);
    assert_eq!(r.store.integrity_check().unwrap(), "ok");
}

#[test]
fn restore_refuses_a_damaged_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    assert!(cli(&db, &["intake", "--json", "-"], Some(&intake_json(1)))
        .status
        .success());
    let bad = dir.path().join("bad.sqlite3");
    std::fs::write(&bad, b"nope").unwrap();
    let out = cli(&db, &["restore", bad.to_str().unwrap()], None);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        cli(&db, &["audit", "verify"], None).status.success(),
        "the live database is untouched"
    );
}

#[test]
fn a_migration_is_preceded_by_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    {
        // A database as the first release left it: migration 1 only, with a patient.
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(onshi_fallback::store::schema::MIGRATIONS[0])
            .unwrap();
        c.execute_batch("PRAGMA user_version = 1").unwrap();
    }
    let s = Store::open(&db).unwrap();
    assert_eq!(s.schema_version().unwrap(), Store::latest_version());
    let backups: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(backups[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("pre-migration-v1-"));
    let old = rusqlite::Connection::open(&backups[0]).unwrap();
    let v: i64 = old
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1, "the backup is the database as it was before");
}

/// Makes a file immutable (ext4's `chattr +i`): even root cannot write it, as a database on
/// read-only media or without write permission is for a clinic's account. Undone on drop.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn new(path: &Path) -> Immutable {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "chattr +i failed: this test needs ext4 (or a file system with chattr)"
        );
        Immutable(path.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_read_only_database_can_still_be_listed_searched_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    {
        let mut r = records(common::demo_store(&db));
        for n in 0..3 {
            r.intake(&intake(n)).unwrap();
        }
        r.store
            .raw()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let _guard = Immutable::new(&db);
    for args in [
        vec!["visits", "--json"],
        vec!["patients", "search", "やまだ", "--json"],
        vec!["audit", "verify"],
    ] {
        let out = cli(&db, &args, None);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Writing is refused, plainly, and nothing is lost.
    let out = cli(&db, &["intake", "--json", "-"], Some(&intake_json(9)));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("読み取り専用"));
}

fn open_at_nine(
    db: &Path,
    config: onshi_fallback::config::Config,
) -> onshi_fallback::service::Records {
    let clock = onshi_fallback::service::Clock::Fixed(
        chrono::DateTime::parse_from_rfc3339(common::NOW).unwrap(),
    );
    let (records, warnings) =
        onshi_fallback::service::Records::open(db, config, "受付 佐藤", clock).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    records
}

#[test]
fn the_days_backup_runs_beside_the_first_intake_and_holds_the_day_as_it_began() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    // Yesterday's records, written without opening the day.
    let mut r = records(common::demo_store(&db));
    r.intake(&intake(1)).unwrap();
    r.intake(&intake(2)).unwrap();
    drop(r);

    // The day's first opening: the copy goes on while the first patient is recorded.
    let mut r = open_at_nine(&db, Default::default());
    r.intake(&intake(3)).unwrap();
    assert!(r.finish_daily_backup().is_none(), "the backup succeeded");
    let path = dir.path().join("backups/onshi-fallback-20261125.sqlite3");
    let backup = Store::open_readonly(&path).unwrap();
    assert_eq!(backup.integrity_check().unwrap(), "ok");
    assert!(
        backup
            .read(onshi_fallback::store::audit::verify)
            .unwrap()
            .ok
    );
    assert_eq!(
        common::count(&backup, "visits"),
        2,
        "the copy is the moment the records opened, not half of the first intake"
    );
    assert_eq!(common::count(&r.store, "visits"), 3);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "owner-only, as every backup");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(left.is_empty(), "no temporary copy left: {left:?}");
    drop(r);

    // The day's next opening takes none, and the first one stays as it was.
    let mut r = open_at_nine(&db, Default::default());
    let again = r.take_daily_backup().unwrap();
    assert!(again.is_finished());
    assert_eq!(again.finish().unwrap(), None);
    let backup = Store::open_readonly(&path).unwrap();
    assert_eq!(common::count(&backup, "visits"), 2);
}

#[test]
fn a_background_backup_that_fails_is_still_said() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    drop(common::demo_store(&db));
    // `[backup] dir` names a file, not a folder: no backup can be written there.
    let not_a_folder = dir.path().join("not-a-folder");
    std::fs::write(&not_a_folder, "x").unwrap();
    let mut config = onshi_fallback::config::Config::default();
    config.backup.dir = not_a_folder.display().to_string();
    let mut r = open_at_nine(&db, config);
    r.intake(&intake(1)).unwrap();
    let warning = r.finish_daily_backup().expect("the failure is said");
    assert!(
        warning
            .ja()
            .contains("自動バックアップに失敗しました（受付は続けられます）"),
        "{}",
        warning.ja()
    );
}
