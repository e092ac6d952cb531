//! Whose clock: `ONSHI_FALLBACK_NOW` replays a day only on a database made for demos and tests;
//! a clinic's database refuses it, and the audit log keeps the system clock either way.

use std::path::Path;

use crate::common::{cli, intake_json, spawn_cli_as_is, NOW};

fn on_system_clock(db: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    spawn_cli_as_is(db, None, args, stdin)
        .wait_with_output()
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir` with the digest of its content: what "nothing written" is checked
/// against.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    use sha2::{Digest, Sha256};
    let mut files: Vec<(String, String)> = walk(dir)
        .into_iter()
        .map(|p| {
            let digest = Sha256::digest(std::fs::read(&p).unwrap());
            (p.display().to_string(), format!("{digest:?}"))
        })
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_clinic_database_refuses_a_fixed_clock_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    let out = on_system_clock(&db, &["intake", "--json", "-"], Some(&intake_json(1)));
    assert!(out.status.success(), "{}", stderr(&out));
    let before = snapshot(dir.path());
    let mut commands = vec![
        vec!["intake", "--json", "-"],
        vec!["outage", "status"],
        vec!["audit", "verify"],
    ];
    if cfg!(feature = "gui") {
        commands.push(vec![]); // the window: refused before it opens
    }
    for args in commands {
        // `cli` sets ONSHI_FALLBACK_NOW, and leaves an existing database as it is.
        let out = cli(&db, &args, Some(&intake_json(2)));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("ONSHI_FALLBACK_NOW"),
            "names the variable: {err}"
        );
        assert!(err.contains("デモ・テスト用"), "Japanese first: {err}");
        assert!(err.contains("init --demo"), "says what is allowed: {err}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(snapshot(dir.path()), before, "nothing was written");
    // Without it, the same database works on.
    assert!(on_system_clock(&db, &["outage", "status"], None)
        .status
        .success());
}

#[test]
fn no_database_is_created_for_a_fixed_clock() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh.sqlite3");
    let out = spawn_cli_as_is(&fresh, Some(NOW), &["outage", "status"], None)
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("ONSHI_FALLBACK_NOW"));
    assert!(!fresh.exists(), "a new database would be a clinic's");
    assert!(!onshi_fallback::store::marker_path(&fresh).exists());
}

#[test]
fn a_demo_database_replays_the_day_but_its_audit_log_keeps_the_system_clock() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite3");
    let out = on_system_clock(&db, &["init", "--demo", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(made["purpose"], "demo");
    let out = cli(&db, &["intake", "--json", "-"], Some(&intake_json(1)));
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["visit_no"].as_str().unwrap().contains("-1125-"),
        "the visit is on the fixed day: {v}"
    );
    let c = rusqlite::Connection::open(&db).unwrap();
    let (created, audited): (String, String) = c
        .query_row(
            "SELECT v.created_at, a.at FROM visits v, audit_log a WHERE a.entity = 'visit' AND a.entity_id = v.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(created, NOW, "the record carries the replayed time");
    let audited = chrono::DateTime::parse_from_rfc3339(&audited).unwrap();
    let off = (chrono::Local::now().fixed_offset() - audited)
        .num_minutes()
        .abs();
    assert!(
        off < 60,
        "the audit entry has the system clock's time: {audited}"
    );
}

#[test]
fn a_clinic_database_cannot_be_made_a_demo_one_later() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    let out = on_system_clock(&db, &["intake", "--json", "-"], Some(&intake_json(1)));
    assert!(out.status.success(), "{}", stderr(&out));
    let c = rusqlite::Connection::open(&db).unwrap();
    let err = c
        .execute(
            "INSERT INTO meta (key, value) VALUES ('purpose', 'demo')",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("when it is created"), "{err}");
    // Nor a demo database a clinic's (or the other way round) once made.
    let demo = dir.path().join("demo.sqlite3");
    assert!(on_system_clock(&demo, &["init", "--demo"], None)
        .status
        .success());
    let c = rusqlite::Connection::open(&demo).unwrap();
    assert!(c.execute("UPDATE meta SET value = 'clinic'", []).is_err());
    assert!(c.execute("DELETE FROM meta", []).is_err());
}
