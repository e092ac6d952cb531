//! A whole outage day through the command line, as a script at the clinic would run it.

use std::path::Path;

use crate::common::{cli, fushou_json, intake_json};

fn ok_json(db: &Path, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    let out = cli(db, args, stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn rows(db: &Path, table: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_whole_outage_day() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");

    // Morning: the terminal errors; staff declare the outage.
    let s = ok_json(
        &db,
        &[
            "outage",
            "start",
            "--reason",
            "資格確認端末がエラー",
            "--json",
        ],
        None,
    );
    assert_eq!(s["started"], true);
    let s = ok_json(
        &db,
        &["outage", "start", "--reason", "again", "--json"],
        None,
    );
    assert_eq!(s["started"], false, "idempotent while open");

    // 20 new patients, 6 returning "no change", 4 不詳: 30 intakes.
    let mut patient_ids = Vec::new();
    let mut visit_nos = Vec::new();
    for n in 0..20 {
        let r = ok_json(&db, &["intake", "--json", "-"], Some(&intake_json(n)));
        patient_ids.push(r["patient_id"].as_str().unwrap().to_string());
        visit_nos.push(r["visit_no"].as_str().unwrap().to_string());
    }
    for id in &patient_ids[..6] {
        let r = ok_json(
            &db,
            &[
                "intake",
                "--returning",
                id,
                "--basis",
                "returning_no_change",
            ],
            None,
        );
        visit_nos.push(r["visit_no"].as_str().unwrap().to_string());
    }
    for n in 0..4 {
        let file = dir.path().join(format!("fushou{n}.json"));
        std::fs::write(&file, fushou_json(n)).unwrap();
        let r = ok_json(&db, &["intake", "--json", file.to_str().unwrap()], None);
        assert!(r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["message_ja"].as_str().unwrap().contains("不詳")));
        visit_nos.push(r["visit_no"].as_str().unwrap().to_string());
    }
    assert_eq!(visit_nos.len(), 30);
    assert_eq!(visit_nos[0], "D-1125-001");
    assert_eq!(visit_nos[29], "D-1125-030");

    // Reception finds a returning patient by カナ in hiragana.
    let hits = ok_json(&db, &["patients", "search", "すずき", "--json"], None);
    assert_eq!(hits.as_array().unwrap().len(), 4);

    let status = ok_json(&db, &["outage", "status", "--json"], None);
    assert_eq!(status["mode"], "degraded");
    assert_eq!(status["queued"], 30);

    // The line comes back.
    ok_json(
        &db,
        &[
            "outage",
            "end",
            "--note",
            "回線認証を再実施して復旧",
            "--json",
        ],
        None,
    );
    let status = ok_json(&db, &["outage", "status", "--json"], None);
    assert_eq!(status["mode"], "normal");
    assert_eq!(status["outage"], serde_json::Value::Null);
    assert_eq!(status["queued"], 30, "everything waits for reconciliation");

    let log = ok_json(&db, &["outage", "log", "--json"], None);
    assert_eq!(log[0]["patients_seen"], 30);
    assert_eq!(log[0]["end_note"], "回線認証を再実施して復旧");

    let visits = ok_json(&db, &["visits", "--date", "2026-11-25", "--json"], None);
    assert_eq!(visits.as_array().unwrap().len(), 30);
    assert!(visits
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["queue_state"] == "due"));

    let verify = cli(&db, &["audit", "verify"], None);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // A backup opens and holds the same rows.
    let copy = dir.path().join("backup.sqlite3");
    assert_eq!(
        cli(&db, &["backup", copy.to_str().unwrap()], None)
            .status
            .code(),
        Some(0)
    );
    for t in [
        "patients",
        "declarations",
        "visits",
        "reconcile_queue",
        "outages",
        "audit_log",
    ] {
        assert_eq!(rows(&copy, t), rows(&db, t), "{t}");
    }
    assert_eq!(
        cli(&copy, &["audit", "verify"], None).status.code(),
        Some(0)
    );

    let csv = dir.path().join("claims.csv");
    let e = ok_json(
        &db,
        &["export", "--csv", csv.to_str().unwrap(), "--json"],
        None,
    );
    assert_eq!(e["visits"], 30);
    assert_eq!(e["fushou"], 4);
}

#[test]
fn bad_input_exits_2_names_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    ok_json(&db, &["intake", "--json", "-"], Some(&intake_json(1)));
    let audit = rows(&db, "audit_log");

    let cases: Vec<(String, &str)> = vec![
        (
            intake_json(2).replace("０１１３００１２", "01130013"),
            "保険者番号",
        ),
        (
            intake_json(2).replace("\"sex\": \"male\"", "\"sex\": \"unknown\""),
            "性別",
        ),
        (
            intake_json(2).replace(
                "\"birth_date\": \"S45.3.3\"",
                "\"birth_date\": \"S45.2.30\"",
            ),
            "生年月日",
        ),
        (
            intake_json(2).replace("\"phone\"", "\"fone\""),
            "patient.fone",
        ),
        (
            intake_json(2).replace("\"copay_percent\": 30", "\"copay_percent\": \"3割\""),
            "insurance.copay_percent",
        ),
        ("not json at all".to_string(), "入力JSON"),
        (String::new(), "入力JSON"),
    ];
    for (input, expect) in cases {
        let out = cli(&db, &["intake", "--json", "-"], Some(&input));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{expect}: {err}");
        assert!(err.contains(expect), "message must name {expect}: {err}");
        assert!(
            out.stdout.is_empty(),
            "nothing on stdout for a refused intake"
        );
        assert_eq!(
            rows(&db, "audit_log"),
            audit,
            "{expect}: something was written"
        );
    }
    let out = cli(&db, &["intake", "--returning", "P999"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = cli(
        &db,
        &["outage", "start", "--reason", "x", "--service", "fax"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("対象サービス"));
    let out = cli(&db, &["outage", "end"], None);
    assert_eq!(out.status.code(), Some(2), "no outage to end");
    assert_eq!(rows(&db, "audit_log"), audit);
}

#[test]
fn a_broken_audit_chain_exits_1_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    ok_json(&db, &["intake", "--json", "-"], Some(&intake_json(1)));
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = '{}' WHERE seq = 2;",
    )
    .unwrap();
    drop(c);
    let out = cli(&db, &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("監査ログ 2 番"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_corrupt_database_exits_1_and_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    std::fs::write(&db, vec![0x42u8; 8192]).unwrap();
    let out = cli(&db, &["outage", "status", "--json"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("バックアップ"));
    assert_eq!(std::fs::read(&db).unwrap(), vec![0x42u8; 8192]);
}

#[test]
fn intake_jsonl_records_line_by_line_and_stops_at_a_bad_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    let line = |json: String| json.replace('\n', " ");
    let typo = intake_json(3).replace("０１１３００１２", "01130013");
    let text = [
        line(intake_json(0)),
        line(intake_json(1)),
        String::new(), // blank lines are skipped, still counted
        line(fushou_json(2)),
        line(typo),
        line(intake_json(4)),
    ]
    .join("\n");
    let file = dir.path().join("list.jsonl");
    std::fs::write(&file, text).unwrap();
    let out = cli(&db, &["intake", "--jsonl", file.to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let ja = err
        .find("5 行目 保険者番号")
        .expect("names the line and the field");
    let en = err
        .find("line 5 insurance.insurer_number")
        .expect("in English");
    assert!(ja < en, "Japanese first: {err}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["recorded"], 3);
    let lines: Vec<_> = summary["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 4]);
    assert_eq!(summary["stopped_at"]["line"], 5);
    assert_eq!(
        rows(&db, "visits"),
        3,
        "the lines before it are kept, none after"
    );

    // From standard input, every line good: all recorded, exit 0.
    let good = [line(intake_json(5)), line(intake_json(6))].join("\n") + "\n";
    let summary = ok_json(&db, &["intake", "--jsonl", "-"], Some(&good));
    assert_eq!(summary["recorded"], 2);
    assert!(summary["stopped_at"].is_null());
    assert_eq!(rows(&db, "visits"), 5);

    // A line that is not JSON is named too, and nothing is written for it.
    let out = cli(&db, &["intake", "--jsonl", "-"], Some("{\"patient\": "));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("1 行目 入力JSON"), "{err}");
    assert_eq!(rows(&db, "visits"), 5);
    let verify = cli(&db, &["audit", "verify"], None);
    assert!(verify.status.success());
}
