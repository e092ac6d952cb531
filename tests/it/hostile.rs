//! What a hostile or careless user tried, through the command line as they would: every record
//! acknowledged stays, nothing is written over the records, and a doubtful input or output is
//! refused with the field named.

use std::path::Path;

use crate::common::{cli, intake_json, CLINIC_CONFIG};

fn rx(visit: &str) -> String {
    format!(
        r#"{{"visit_id": "{visit}", "doctor": "工業会 次郎", "issued_on": "2026-11-25",
            "rps": [{{"form": "internal", "usage": "1日1回朝食後", "days": 28,
                      "drugs": [{{"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠"}}]}}]}}"#
    )
}

/// `prescribe` for `visit`, its PDF copied to `out`.
fn prescribe_to(db: &Path, visit: &str, out: &Path) -> std::process::Output {
    cli(
        db,
        &[
            "prescribe",
            "--json",
            "-",
            "--out",
            &out.display().to_string(),
        ],
        Some(&rx(visit)),
    )
}

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A clinic database with one visit (V1) and the settings printing needs.
fn clinic(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("clinic.sqlite3");
    std::fs::write(db.with_extension("toml"), CLINIC_CONFIG).unwrap();
    let out = cli(&db, &["intake", "--json", "-"], Some(&intake_json(1)));
    assert!(out.status.success(), "{}", stderr(&out));
    db
}

#[test]
fn a_missing_database_is_named_with_its_backup_never_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    std::fs::rename(&db, dir.path().join("moved-away.sqlite3")).unwrap();
    let out = cli(&db, &["visits", "--json"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("データベースがありません"), "{err}");
    assert!(
        err.contains("onshi-fallback restore"),
        "names the way out: {err}"
    );
    assert!(
        err.contains("onshi-fallback-20261125.sqlite3"),
        "names the latest backup: {err}"
    );
    assert!(!db.exists(), "nothing was created");
    // `init` makes a new one on purpose, and refuses where one is.
    assert!(cli(&db, &["init"], None).status.success());
    assert_eq!(cli(&db, &["init"], None).status.code(), Some(2));
}

#[test]
fn outputs_never_go_over_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    let before = std::fs::read(&db).unwrap();
    let wal = format!("{}-wal", db.display());
    let backup = dir.path().join("backups/onshi-fallback-20261125.sqlite3");
    for target in [db.display().to_string(), wal, backup.display().to_string()] {
        for args in [
            vec!["export", "--csv", target.as_str()],
            vec!["reconcile", "report", "--csv", target.as_str()],
            vec!["declaration", "V1", "--out", target.as_str()],
            vec!["visits", "--date", "2026-11-25", "--pdf", target.as_str()],
        ] {
            let out = cli(&db, &args, None);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("出力先"),
                "{args:?}: the field is named"
            );
        }
    }
    assert!(cli(&db, &["audit", "verify"], None).status.success());
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the database file is untouched"
    );
    let out = prescribe_to(&db, "V1", &db);
    assert_eq!(
        out.status.code(),
        Some(2),
        "refused before anything is issued"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM prescriptions"), 0);
}

#[test]
fn the_same_prescription_twice_is_two_intact_files_and_a_late_failure_names_the_rx() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    let first = cli(&db, &["prescribe", "--json", "-"], Some(&rx("V1")));
    let second = cli(&db, &["prescribe", "--json", "-"], Some(&rx("V1")));
    assert!(first.status.success() && second.status.success());
    let path = |o: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["archived"].as_str().unwrap().to_string()
    };
    let (a, b) = (path(&first), path(&second));
    assert_ne!(a, b, "each issue has its own archived file");
    assert!(std::fs::read(&a).unwrap().starts_with(b"%PDF"));
    assert!(std::fs::read(&b).unwrap().starts_with(b"%PDF"));
    assert!(a.contains("RX1") && b.contains("RX2"), "{a} {b}");
    // Issued, then the copy cannot be written: exit 1, never 2, naming RX3 and reprint.
    let out = cli(
        &db,
        &[
            "prescribe",
            "--json",
            "-",
            "--out",
            &dir.path()
                .join("no/such/folder/rx.pdf")
                .display()
                .to_string(),
        ],
        Some(&rx("V1")),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("RX3") && err.contains("reprint"), "{err}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM prescriptions"), 3);
}

#[test]
fn trailing_json_is_refused_and_a_bom_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    let two = format!("{}\n{}", intake_json(2), intake_json(3));
    let out = cli(&db, &["intake", "--json", "-"], Some(&two));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("余分なデータ"));
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM visits"),
        1,
        "nothing written"
    );
    let bom = format!("\u{FEFF}{}", intake_json(4));
    assert!(cli(&db, &["intake", "--json", "-"], Some(&bom))
        .status
        .success());
}

#[test]
fn the_pass_asks_about_the_visit_day_and_keeps_names_out_of_its_progress() {
    use onshi_fallback::qualification::simulator::{self, Roster};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("oqs");
    std::fs::create_dir_all(root.join("req")).unwrap();
    std::fs::create_dir_all(root.join("res")).unwrap();
    let db = dir.path().join("clinic.sqlite3");
    std::fs::write(
        db.with_extension("toml"),
        format!(
            "[qualification]\nroot = {:?}\ntimeout_s = 5\nmedical_institution_code = \"1311234567\"\n[reconcile]\ndelay_ms = 0\n",
            root.display().to_string()
        ),
    )
    .unwrap();
    // Received on the 25th ...
    let out = cli(&db, &["intake", "--json", "-"], Some(&intake_json(0)));
    assert!(out.status.success(), "{}", stderr(&out));
    let stop = Arc::new(AtomicBool::new(false));
    let roster = Roster::parse(&crate::common::day_roster(1)).unwrap();
    // The terminal, played here as the simulator answers, keeping each request it was sent
    // (the app removes its answers from res/ once read).
    let sim = {
        let (root, stop) = (root.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut asked = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                for entry in std::fs::read_dir(root.join("req")).unwrap() {
                    let path = entry.unwrap().path();
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    let Some(id) = name
                        .strip_prefix("OQSsiquc01req_")
                        .and_then(|n| n.strip_suffix(".xml"))
                    else {
                        continue;
                    };
                    let request = std::fs::read(&path).unwrap();
                    let doc = onshi_fallback::qualification::xml::parse_doc(&request).unwrap();
                    let now = chrono::Local::now().naive_local();
                    let tmp = root.join(format!("res/~{id}.tmp"));
                    std::fs::write(&tmp, simulator::answer(&doc, &roster, now)).unwrap();
                    std::fs::rename(&tmp, root.join(format!("res/OQSsiquc01res_{id}.xml")))
                        .unwrap();
                    std::fs::remove_file(&path).unwrap();
                    asked.push(String::from_utf8_lossy(&request).into_owned());
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            asked
        })
    };
    // ... reconciled on the 27th: eligibility is asked for the 25th.
    let out = crate::common::spawn_cli(
        &db,
        "2026-11-27T14:00:00+09:00",
        &["reconcile", "--json"],
        None,
    )
    .wait_with_output()
    .unwrap();
    stop.store(true, Ordering::Relaxed);
    let asked = sim.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["results"][0]["status"], "match", "{report}");
    assert_eq!(asked.len(), 1);
    assert!(
        asked[0]
            .contains("<QualificationConfirmationDate>20261125</QualificationConfirmationDate>"),
        "{asked:?}"
    );
    let err = stderr(&out);
    assert!(err.contains("照合中 1/1 S-1125-001"), "{err}");
    let (name, _, _) = crate::common::person(0);
    assert!(!err.contains(&name), "no patient name on stderr: {err}");
}

#[test]
fn a_returning_patients_new_address_is_kept_and_details_can_be_corrected() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    // The same person declares again with a new address and phone: kept, not dropped.
    let moved = intake_json(1)
        .replace("東京都港区新橋1-1", "東京都品川区大崎2-2")
        .replace("03-0000-0001", "03-1111-2222");
    let out = cli(&db, &["intake", "--json", "-"], Some(&moved));
    assert!(out.status.success(), "{}", stderr(&out));
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["patient_id"], "P1", "the same patient");
    let found = cli(&db, &["patients", "search", "P1", "--json"], None);
    let text = String::from_utf8_lossy(&found.stdout);
    assert!(
        text.contains("東京都品川区大崎2-2") && text.contains("03-1111-2222"),
        "{text}"
    );
    // A typo in the name corrected on purpose, with a reason; audited.
    let (name, kana, sex) = crate::common::person(1);
    let fixed = format!(
        r#"{{"name": "{}", "kana": "{kana}", "birth_date": "S45.3.2", "sex": "{sex}",
            "address": "東京都品川区大崎2-2", "phone": "03-1111-2222"}}"#,
        name.replace('花', "華")
    );
    let out = cli(
        &db,
        &["patients", "correct", "P1", "--json", "-", "--reason", ""],
        Some(&fixed),
    );
    assert_eq!(out.status.code(), Some(2), "a reason is required");
    let out = cli(
        &db,
        &[
            "patients",
            "correct",
            "P1",
            "--json",
            "-",
            "--reason",
            "氏名の誤記",
        ],
        Some(&fixed),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'patient.update'"
        ),
        2
    );
    assert!(cli(&db, &["audit", "verify"], None).status.success());
}

#[test]
fn a_prescription_for_a_name_the_font_lacks_prints_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    let gaiji = intake_json(2).replace(&crate::common::person(2).0, "𠮷田 太郎");
    let out = cli(&db, &["intake", "--json", "-"], Some(&gaiji));
    assert!(out.status.success(), "{}", stderr(&out));
    let pdf = dir.path().join("rx.pdf");
    let out = prescribe_to(&db, "V2", &pdf);
    assert!(
        out.status.success(),
        "never refused forever: {}",
        stderr(&out)
    );
    let text = crate::common::pdf_text::page_texts(&std::fs::read(&pdf).unwrap()).concat();
    assert!(text.contains("吉田"), "{text}");
    assert!(text.contains("U+20BB7"), "the note in 備考: {text}");
}

#[test]
fn a_report_without_a_target_writes_nothing_not_even_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new.sqlite3");
    let out = crate::common::spawn_cli_as_is(&db, None, &["reconcile", "report"], None)
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        !db.exists(),
        "no database was created for a refused command"
    );
}

#[test]
fn a_long_visit_list_is_streamed_page_by_page_whole_and_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    let n = onshi_fallback::service::search::PAGE * 2 + 37;
    {
        let mut r = crate::common::records(crate::common::demo_store(&db));
        for i in 0..n {
            r.intake(&crate::common::intake(i)).unwrap();
        }
    }
    let out = cli(&db, &["visits", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(rows.len(), n);
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r["visit_id"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (1..=n).map(|i| format!("V{i}")).collect();
    assert_eq!(ids, expected, "every visit once, in order, across pages");
    let text = cli(&db, &["visits"], None);
    assert_eq!(String::from_utf8_lossy(&text.stdout).lines().count(), n);
}
