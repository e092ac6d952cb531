//! Issuing paper prescriptions through the command line: the PDF is archived and recorded with
//! the outage it was issued in, printing sends the archived file, a reprint is the reissue copy
//! archived beside it (「再発行」 with the original's date), voids are kept, and bad input writes
//! nothing.

use std::path::Path;

use crate::common::pdf_text::page_texts;
use crate::common::{cli, intake_json, CLINIC_CONFIG};

fn rx(visit: &str, drugs: &str) -> String {
    format!(
        r#"{{"visit_id": "{visit}", "doctor": "工業会 次郎", "issued_on": "2026-11-25",
            "rps": [{{"form": "internal", "usage": "1日1回朝食後", "days": 28, "drugs": {drugs}}}],
            "refill_count": null, "remarks": ""}}"#
    )
}

const AMLODIPINE: &str = r#"[{"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": false}]"#;

fn count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// A clinic whose "printer" copies each job into a spool folder, as lp would queue it.
fn clinic(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("clinic.sqlite3");
    let spool = dir.join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    let printer = dir.join("fake-lp.sh");
    std::fs::write(
        &printer,
        format!(
            "#!/bin/sh\ncp \"$1\" \"{}/job-$(ls {} | wc -l).pdf\"\n",
            spool.display(),
            spool.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&printer, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        db.with_extension("toml"),
        format!(
            "{CLINIC_CONFIG}\n[printer]\ncommand = \"{}\"\n",
            printer.display()
        ),
    )
    .unwrap();
    assert!(cli(
        &db,
        &["outage", "start", "--reason", "電子処方箋も停止"],
        None
    )
    .status
    .success());
    assert!(cli(&db, &["intake", "--json", "-"], Some(&intake_json(1)))
        .status
        .success());
    db
}

#[test]
fn issue_print_reprint_and_void() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    let out = dir.path().join("rx.pdf");
    let o = cli(
        &db,
        &[
            "prescribe",
            "--json",
            "-",
            "--out",
            out.to_str().unwrap(),
            "--print",
        ],
        Some(&rx("V1", AMLODIPINE)),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let receipt: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(receipt["prescription_id"], "RX1");
    assert_eq!(receipt["pdf"], out.to_str().unwrap());
    let archived = receipt["archived"].as_str().unwrap().to_string();
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(
        std::fs::read(&archived).unwrap(),
        pdf,
        "the copy is the archived document"
    );
    let spool = dir.path().join("spool");
    assert_eq!(
        std::fs::read(spool.join("job-0.pdf")).unwrap(),
        pdf,
        "the printer got the archived PDF"
    );
    // recorded with the outage it was issued in
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM prescriptions WHERE outage_id = 1 AND visit_id = 1"
        ),
        1
    );

    // Every sheet names the prescription; the original is not marked.
    let original = page_texts(&pdf);
    assert!(original
        .iter()
        .all(|t| t.contains("処方箋ID RX1") && !t.contains("再発行")));

    // A reprint is the reissue copy archived at issue beside the original (the archive keeps
    // both): the same prescription marked 「再発行」 with the original's date, and audited.
    assert!(cli(&db, &["reprint", "RX1"], None).status.success());
    let reissue = std::fs::read(spool.join("job-1.pdf")).unwrap();
    assert_ne!(reissue, pdf);
    let texts = page_texts(&reissue);
    assert!(texts
        .iter()
        .all(|t| t.contains("再発行（原本の交付 令和8年11月25日）") && t.contains("処方箋ID RX1")));
    assert_eq!(
        texts[0].replace("再発行（原本の交付 令和8年11月25日）\n", ""),
        original[0],
        "otherwise the same sheet"
    );
    assert!(
        std::fs::read(&archived).unwrap() == pdf,
        "the original is kept"
    );
    let copies: Vec<_> = std::fs::read_dir(Path::new(&archived).parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        copies.iter().any(|n| n.ends_with("-reissue.pdf")),
        "{copies:?}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log WHERE action = 'prescription.print' AND detail LIKE '%\"reprint\":true%'"), 1);

    // An archived file changed behind the app's back is not printed.
    let copy = Path::new(&archived)
        .parent()
        .unwrap()
        .join(copies.iter().find(|n| n.ends_with("-reissue.pdf")).unwrap());
    let mut tampered = reissue.clone();
    tampered.push(b'\n');
    std::fs::write(&copy, &tampered).unwrap();
    let o = cli(&db, &["reprint", "RX1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("発行時と違います"));
    std::fs::write(&copy, &reissue).unwrap();

    // Void: kept, marked, and no longer printable.
    assert_eq!(
        cli(
            &db,
            &["void", "prescription", "RX1", "--reason", "用量誤り"],
            None
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM prescriptions WHERE voided_at IS NOT NULL AND void_reason = '用量誤り'"), 1);
    assert_eq!(cli(&db, &["reprint", "RX1"], None).status.code(), Some(2));
    assert_eq!(
        cli(
            &db,
            &["void", "prescription", "RX1", "--reason", "again"],
            None
        )
        .status
        .code(),
        Some(2)
    );
    assert!(cli(&db, &["audit", "verify"], None).status.success());
}

#[test]
fn bad_prescriptions_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    let audit = count(&db, "SELECT COUNT(*) FROM audit_log");
    let cases: Vec<(String, &str)> = vec![
        (rx("V1", "[]"), "rps[0].drugs"),
        (
            rx("V1", AMLODIPINE).replace("\"days\": 28", "\"days\": 0"),
            "rps[0].days",
        ),
        (
            rx("V1", AMLODIPINE).replace("\"days\": 28", "\"days\": 4000"),
            "rps[0].days",
        ),
        (rx("V99", AMLODIPINE), "V99"),
        (
            rx("V1", AMLODIPINE).replace("工業会 次郎", "知らない 医師"),
            "保険医氏名",
        ),
        (
            rx("V1", AMLODIPINE).replace("\"remarks\"", "\"remarkz\""),
            "remarkz",
        ),
        (
            rx("V1", &AMLODIPINE.replace("アムロジピン錠5mg", "𠮷草錠")),
            "印刷できません",
        ),
        (
            rx(
                "V1",
                &AMLODIPINE
                    .replace("\"patient_request\": false", "\"patient_request\": true")
                    .replace("\"no_substitution\": false", "\"no_substitution\": true"),
            ),
            "rps[0].drugs[0].patient_request",
        ),
    ];
    for (input, expect) in cases {
        let o = cli(&db, &["prescribe", "--json", "-"], Some(&input));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{expect}: {err}");
        assert!(err.contains(expect), "{expect}: {err}");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM prescriptions"), 0);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log"), audit);
}

#[test]
fn printing_needs_the_clinic_settings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite3");
    assert!(cli(&db, &["intake", "--json", "-"], Some(&intake_json(1)))
        .status
        .success());
    let o = cli(
        &db,
        &["prescribe", "--json", "-"],
        Some(&rx("V1", AMLODIPINE)),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("clinic.name"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_clinic_name_too_long_for_the_form_is_said_when_the_records_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = clinic(dir.path());
    let config = db.with_extension("toml");
    let long = "工業会".repeat(30);
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("name = \"工業会クリニック\"", &format!("name = \"{long}\""));
    std::fs::write(&config, text).unwrap();
    // Any command, long before the first prescription: a warning naming the key.
    let o = cli(&db, &["outage", "status"], None);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("clinic.name") && err.contains("90 文字"),
        "{err}"
    );
}
