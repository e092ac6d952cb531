//! Files holding patients' records are readable by their owner only (Unix modes): the
//! database and its `-wal`/`-shm`, backups and their folder, archived prescriptions and theirs,
//! exports and reports. Folders and a database made with wider modes are tightened on open.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{cli, demo_store, intake_json, CLINIC_CONFIG};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn ok(db: &Path, args: &[&str], stdin: Option<&str>) {
    let out = cli(db, args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The test proves something only where a file made without a mode is readable by others.
fn assert_umask_lets_others_read(dir: &Path) {
    let probe = dir.join("probe");
    std::fs::write(&probe, b"").unwrap();
    assert_ne!(
        mode(&probe) & 0o044,
        0,
        "the umask already hides files from others: this test proves nothing"
    );
    std::fs::remove_file(probe).unwrap();
}

const RX: &str = r#"{"visit_id": "V1", "doctor": "工業会 次郎", "issued_on": "2026-11-25",
    "rps": [{"form": "internal", "usage": "1日1回朝食後", "days": 28, "drugs": [{"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠"}]}]}"#;

#[test]
fn everything_holding_records_is_created_for_the_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    assert_umask_lets_others_read(dir.path());
    // A folder the app makes for the database (`init` where it is missing).
    let db = dir.path().join("clinic/clinic.sqlite3");
    ok(&db, &["outage", "status"], None);
    std::fs::write(db.with_extension("toml"), CLINIC_CONFIG).unwrap();
    ok(&db, &["intake", "--json", "-"], Some(&intake_json(1)));
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let path = |name: &str| out.join(name).display().to_string();
    ok(
        &db,
        &["prescribe", "--json", "-", "--out", &path("rx.pdf")],
        Some(RX),
    );
    ok(&db, &["export", "--csv", &path("claims.csv")], None);
    ok(
        &db,
        &["reconcile", "report", "--csv", &path("list.csv")],
        None,
    );
    ok(
        &db,
        &["reconcile", "report", "--out", &path("list.pdf")],
        None,
    );
    ok(
        &db,
        &["visits", "--date", "2026-11-25", "--pdf", &path("day.pdf")],
        None,
    );
    ok(
        &db,
        &["declaration", "V1", "--out", &path("decl.pdf")],
        None,
    );
    ok(&db, &["backup", &path("copies/copy.sqlite3")], None);

    let clinic = dir.path().join("clinic");
    let archived: Vec<_> = std::fs::read_dir(clinic.join("archive/2026"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        archived.len(),
        2,
        "the original and its 再発行 copy: {archived:?}"
    );
    let backups: Vec<_> = std::fs::read_dir(clinic.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!backups.is_empty());
    for folder in [
        clinic.clone(),
        clinic.join("backups"),
        clinic.join("archive"),
        clinic.join("archive/2026"),
        out.join("copies"),
    ] {
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
    }
    let mut files = vec![db.clone()];
    files.extend(archived);
    files.extend(backups);
    for name in [
        "rx.pdf",
        "claims.csv",
        "list.csv",
        "list.pdf",
        "day.pdf",
        "decl.pdf",
        "copies/copy.sqlite3",
    ] {
        files.push(out.join(name));
    }
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    // The -wal and -shm exist while the database is open: SQLite gives them the file's mode.
    let store = demo_store(&db);
    store.raw().execute_batch("PRAGMA user_version").unwrap();
    for suffix in ["-wal", "-shm"] {
        let side = format!("{}{suffix}", db.display());
        assert_eq!(mode(Path::new(&side)), 0o600, "{side}");
    }
}

#[test]
fn a_database_and_folders_made_with_wider_modes_are_tightened_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    std::fs::write(db.with_extension("toml"), CLINIC_CONFIG).unwrap();
    ok(&db, &["intake", "--json", "-"], Some(&intake_json(1)));
    ok(&db, &["prescribe", "--json", "-"], Some(RX));
    let wide = |p: &Path, m: u32| std::fs::set_permissions(p, PermissionsExt::from_mode(m));
    let (backups, archive) = (dir.path().join("backups"), dir.path().join("archive"));
    wide(&db, 0o644).unwrap();
    wide(&backups, 0o755).unwrap();
    wide(&archive, 0o755).unwrap();
    ok(&db, &["outage", "status"], None);
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&backups), 0o700);
    assert_eq!(mode(&archive), 0o700);
}
