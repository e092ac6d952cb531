//! Who did it: staff accounts and roles (安全管理ガイドライン). Each role allowed and refused per
//! action through the library and the command line (exit 3, nothing written), the lock after
//! five wrong PINs, break-glass marking, the signed-in doctor on the prescription, and a
//! database that runs open until the first admin.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use onshi_fallback::config::Config;
use onshi_fallback::domain::access::{allows, Right, Role};
use onshi_fallback::domain::prescription::PrescriptionInput;
use onshi_fallback::error::Error;
use onshi_fallback::service::{Decision, Records, Session};
use onshi_fallback::store::Store;

use crate::common::{self, intake, intake_json, CLINIC_CONFIG};

const PINS: &[(&str, Role, &str)] = &[
    ("管理 一郎", Role::Admin, "9999"),
    ("受付 花子", Role::Reception, "1111"),
    ("工業会 次郎", Role::Doctor, "2222"),
    ("請求 三郎", Role::Clerk, "3333"),
];

fn clinic_config() -> Config {
    toml::from_str(CLINIC_CONFIG).unwrap()
}

/// Records with the four accounts, signed in as the admin who made them.
fn staffed(dir: &Path) -> Records {
    let mut records = common::records(Store::open_in_memory().unwrap());
    records.config = clinic_config();
    records.config.printer.archive_dir = dir.join("archive").display().to_string();
    for (name, role, pin) in PINS {
        records.add_staff(name, &[*role], pin).unwrap();
    }
    records
}

fn rx(visit: &str, doctor: &str) -> PrescriptionInput {
    serde_json::from_str(&format!(
        r#"{{"visit_id": "{visit}", "doctor": "{doctor}", "issued_on": "2026-11-25",
            "rps": [{{"form": "internal", "usage": "1日1回朝食後", "days": 28,
                      "drugs": [{{"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠"}}]}}]}}"#
    ))
    .unwrap()
}

fn denied<T: std::fmt::Debug>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(e) if e.is_denied())
}

#[test]
fn each_role_is_allowed_and_refused_per_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = staffed(dir.path());
    // A visit to act on, recorded by reception during an outage.
    records.sign_in("受付 花子", "1111").unwrap();
    records
        .outage_start(
            "回線認証切れ",
            &[],
            onshi_fallback::domain::Detection::Staff,
        )
        .ok();
    let visit = records.intake(&intake(1)).unwrap().visit_id;
    for (name, role, pin) in PINS {
        records.sign_in(name, pin).unwrap();
        let out = dir.path().join(format!("{}.pdf", role.as_str()));
        let csv = dir.path().join(format!("{}.csv", role.as_str()));
        let checks: Vec<(Right, bool)> = vec![
            (Right::Intake, denied(&records.intake(&intake(10)))),
            (
                Right::ViewRecords,
                denied(&records.search_patients("山田", 5)),
            ),
            (Right::Forms, denied(&records.declaration_pdf(visit, &out))),
            (Right::OutageLog, denied(&records.outage_log())),
            (Right::Outage, denied(&records.outage_note("メモ"))),
            (
                Right::Prescribe,
                denied(&records.prescribe(&rx(&visit.to_string(), ""), None, false)),
            ),
            (Right::Reconcile, denied(&records.export_csv(&csv))),
            (
                Right::Reconcile,
                denied(&records.resolve(visit, Decision::FollowUp, "電話で確認")),
            ),
            (Right::MergePatients, denied(&records.possible_duplicates())),
            (Right::Accounts, denied(&records.staff_list())),
            (Right::Administer, denied(&records.audit_verify())),
        ];
        for (right, was_denied) in checks {
            assert_eq!(
                was_denied,
                !allows(&[*role], right),
                "{role} / {right}: denied = {was_denied}"
            );
        }
    }
}

#[test]
fn a_refused_action_writes_nothing_but_the_refusal_is_not_silent() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = staffed(dir.path());
    records.sign_in("請求 三郎", "3333").unwrap();
    let before = common::count(&records.store, "visits");
    let err = records.intake(&intake(1)).unwrap_err();
    assert!(err.is_denied());
    assert!(
        err.ja().contains("受付の記録") && err.ja().contains("請求 三郎"),
        "{}",
        err.ja()
    );
    assert!(err.en().contains("`intake`"), "{}", err.en());
    assert_eq!(common::count(&records.store, "visits"), before);
}

#[test]
fn five_wrong_pins_lock_the_account_until_the_admin_resets_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = staffed(dir.path());
    for _ in 0..4 {
        let e = records.sign_in("受付 花子", "0000").unwrap_err();
        assert!(e.ja().contains("PINが違います"), "{}", e.ja());
    }
    let e = records.sign_in("受付 花子", "0000").unwrap_err();
    assert!(e.ja().contains("ロック"), "{}", e.ja());
    // Locked: even the right PIN is refused now.
    let e = records.sign_in("受付 花子", "1111").unwrap_err();
    assert!(e.is_denied() && e.ja().contains("ロック"), "{}", e.ja());
    let log: Vec<String> = records
        .store
        .raw()
        .prepare("SELECT action FROM audit_log WHERE actor = '受付 花子' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(log.iter().filter(|a| *a == "login_failed").count(), 6);
    assert_eq!(log.iter().filter(|a| *a == "staff_locked").count(), 1);
    // The admin resets the PIN: the lock is lifted.
    records.sign_in("管理 一郎", "9999").unwrap();
    records.reset_staff_pin("受付 花子", "4321").unwrap();
    records.sign_in("受付 花子", "4321").unwrap();
    assert_eq!(records.actor, "受付 花子");
    // No PIN and no hash is ever in the audit log.
    let leaked: i64 = records
        .store
        .raw()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE detail LIKE '%argon2%' OR detail LIKE '%4321%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(leaked, 0);
}

#[test]
fn a_switch_of_user_and_account_changes_are_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = staffed(dir.path());
    // As records freshly opened are: nobody signed in, nobody before.
    records.session = Session::SignedOut;
    records.sign_in("受付 花子", "1111").unwrap();
    records.sign_in("工業会 次郎", "2222").unwrap();
    records.sign_in("管理 一郎", "9999").unwrap();
    records.disable_staff("請求 三郎", true).unwrap();
    let actions: Vec<(String, String)> = records
        .store
        .raw()
        .prepare("SELECT actor, action FROM audit_log ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let has = |actor: &str, action: &str| actions.iter().any(|(a, b)| a == actor && b == action);
    // The first admin was made by whoever was at the desk of the open database.
    assert!(has("受付 佐藤", "staff_add") && has("受付 佐藤", "identification_on"));
    assert!(has("受付 花子", "login"));
    assert!(has("工業会 次郎", "switch_user"));
    assert!(has("管理 一郎", "staff_disable"));
    // A disabled account cannot sign in, and one signed in stops at its next action.
    assert!(records
        .sign_in("請求 三郎", "3333")
        .unwrap_err()
        .is_denied());
    assert!(
        records.audit_verify().unwrap().ok,
        "the chain holds the staff rows too"
    );
}

#[test]
fn the_last_admin_cannot_be_disabled_or_lose_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = staffed(dir.path());
    assert!(records.disable_staff("管理 一郎", true).is_err());
    assert!(records
        .set_staff_roles("管理 一郎", &[Role::Doctor])
        .is_err());
    records
        .set_staff_roles("受付 花子", &[Role::Reception, Role::Admin])
        .unwrap();
    records.disable_staff("管理 一郎", true).unwrap();
}

#[test]
fn a_fresh_database_runs_open_until_the_first_admin_switches_identification_on() {
    let mut records = common::memory_records();
    assert_eq!(records.session, Session::Open);
    records.intake(&intake(1)).unwrap();
    // The first account must be an admin.
    let e = records
        .add_staff("受付 花子", &[Role::Reception], "1111")
        .unwrap_err();
    assert!(matches!(e, Error::Input(_)), "{e}");
    records
        .add_staff("管理 一郎", &[Role::Admin], "9999")
        .unwrap();
    assert!(records.identification_on().unwrap());
    // Records opened afterwards start signed out, and a session left open stops.
    let db = tempfile::tempdir().unwrap();
    let path = db.path().join("c.sqlite3");
    records.store.backup_to(&path).unwrap();
    let (reopened, _) = Records::open(
        &path,
        Config::default(),
        "だれか",
        onshi_fallback::service::Clock::System,
    )
    .unwrap();
    assert_eq!(reopened.session, Session::SignedOut);
    assert!(denied(&reopened.search_patients("山田", 5)));
    assert!(denied(&reopened.outage_log()));
}

#[test]
fn break_glass_keeps_reception_going_in_an_outage_and_marks_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = staffed(dir.path());
    records.sign_out();
    // No outage: no break-glass.
    assert!(records
        .break_glass("山田", "PIN忘れ")
        .unwrap_err()
        .is_denied());
    records.sign_in("受付 花子", "1111").unwrap();
    records
        .outage_start(
            "回線認証切れ",
            &[],
            onshi_fallback::domain::Detection::Staff,
        )
        .unwrap();
    records.sign_out();
    // A reason is required.
    assert!(matches!(
        records.break_glass("山田", " "),
        Err(Error::Input(_))
    ));
    let session = records.break_glass("山田", "PIN忘れ（8:40）").unwrap();
    let receipt = records.intake(&intake(1)).unwrap();
    let created_by: String = records
        .store
        .raw()
        .query_row(
            "SELECT created_by FROM visits WHERE id = ?1",
            [receipt.visit_id.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(created_by, format!("山田（緊急利用 #{}）", session.id));
    // Only what keeps patients moving.
    assert!(denied(&records.prescribe(
        &rx(&receipt.visit_id.to_string(), "工業会 次郎"),
        None,
        false
    )));
    assert!(denied(&records.staff_list()));
    // Listed for the admin, with what was done under it.
    records.sign_in("管理 一郎", "9999").unwrap();
    assert_eq!(records.break_glass_unreviewed().unwrap(), 1);
    let list = records.break_glass_list().unwrap();
    assert_eq!(list[0].name, "山田");
    assert!(
        list[0].entries >= 2,
        "the session and the intake: {}",
        list[0].entries
    );
    // The line returns: break-glass ends with the outage.
    records
        .outage_end("復旧", onshi_fallback::domain::Detection::Staff)
        .unwrap();
    records.sign_out();
    records.session = Session::BreakGlass(list[0].clone());
    assert!(denied(&records.intake(&intake(2))));
    records.sign_in("管理 一郎", "9999").unwrap();
    records.review_break_glass(session.id).unwrap();
    assert_eq!(records.break_glass_unreviewed().unwrap(), 0);
}

#[test]
fn a_prescription_records_and_prints_the_signed_in_doctor() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = staffed(dir.path());
    // A second doctor, not in [clinic] doctors: the account is what counts.
    records
        .add_staff("内科 四郎", &[Role::Doctor], "4444")
        .unwrap();
    records.sign_in("受付 花子", "1111").unwrap();
    let visit = records.intake(&intake(1)).unwrap().visit_id;
    records.sign_in("内科 四郎", "4444").unwrap();
    // Another doctor's name is refused, naming the field.
    let e = records
        .prescribe(&rx(&visit.to_string(), "工業会 次郎"), None, false)
        .unwrap_err();
    assert!(
        matches!(&e, Error::Input(f) if f[0].field == "doctor"),
        "{e}"
    );
    let out = dir.path().join("rx.pdf");
    let receipt = records
        .prescribe(&rx(&visit.to_string(), ""), Some(&out), false)
        .unwrap();
    let stored = records.prescription(receipt.prescription_id).unwrap();
    assert_eq!(stored.doctor, "内科 四郎");
    let text = common::pdf_text::page_texts(&std::fs::read(&out).unwrap()).join("\n");
    assert!(text.contains("内科 四郎"), "{text}");
    assert!(!text.contains("工業会 次郎"));
}

// ---- the command line ---------------------------------------------------------------------

fn run(db: &Path, staff: Option<(&str, &str)>, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut command = Command::new(env!("CARGO_BIN_EXE_onshi-fallback"));
    command
        .args(args)
        .env("ONSHI_FALLBACK_DB", db)
        .env("ONSHI_FALLBACK_CONFIG", db.with_extension("toml"))
        .env_remove("ONSHI_FALLBACK_NOW")
        .env_remove("ONSHI_FALLBACK_STAFF")
        .env_remove("ONSHI_FALLBACK_PIN")
        .env_remove("ONSHI_FALLBACK_BREAK_GLASS");
    if let Some((name, pin)) = staff {
        command
            .env("ONSHI_FALLBACK_STAFF", name)
            .env("ONSHI_FALLBACK_PIN", pin);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A clinic database with the four accounts, made through the command line.
fn cli_clinic(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("clinic.sqlite3");
    std::fs::write(db.with_extension("toml"), CLINIC_CONFIG).unwrap();
    assert_eq!(code(&run(&db, None, &["init"], None)), 0);
    // Before accounts: open, with the warning on stderr.
    let out = run(&db, None, &["outage", "status"], None);
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).contains("アカウントが未設定です"),
        "{}",
        stderr(&out)
    );
    // The first admin needs no PIN of anyone; its own comes on stdin.
    let out = run(
        &db,
        None,
        &["staff", "add", "管理 一郎", "--role", "admin"],
        Some("9999\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for (name, role, pin) in &PINS[1..] {
        let out = run(
            &db,
            Some(("管理 一郎", "9999")),
            &["staff", "add", name, "--role", role.as_str()],
            Some(&format!("{pin}\n")),
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    db
}

fn visits(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM visits", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_command_line_signs_in_and_exits_3_when_refused_writing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_clinic(dir.path());
    let intake_args = ["intake", "--json", "-"];
    let json = intake_json(1);
    // No name, an unknown name, a wrong PIN: exit 3, nothing written.
    for staff in [None, Some(("だれか", "1111")), Some(("受付 花子", "0000"))] {
        let out = run(&db, staff, &intake_args, Some(&json));
        assert_eq!(code(&out), 3, "{staff:?}: {}", stderr(&out));
    }
    // The wrong role: exit 3, the right named in both languages.
    for (name, _, pin) in [PINS[0], PINS[2], PINS[3]] {
        let out = run(&db, Some((name, pin)), &intake_args, Some(&json));
        assert_eq!(code(&out), 3, "{name}");
        let e = stderr(&out);
        assert!(e.contains("受付の記録") && e.contains("`intake`"), "{e}");
    }
    assert_eq!(visits(&db), 0);
    let out = run(&db, Some(("受付 花子", "1111")), &intake_args, Some(&json));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(visits(&db), 1);
    // Per command: reconcile and export are the clerk's, staff the admin's, outage everyone's.
    let csv = dir.path().join("claims.csv");
    let csv = csv.to_str().unwrap();
    let cases: &[(&[&str], &str, i32)] = &[
        (&["export", "--csv", csv], "受付 花子", 3),
        (&["export", "--csv", csv], "請求 三郎", 0),
        (&["reconcile", "report", "--csv", csv], "工業会 次郎", 3),
        (&["staff", "list"], "請求 三郎", 3),
        (&["staff", "list"], "管理 一郎", 0),
        (&["audit", "verify"], "受付 花子", 3),
        (&["audit", "verify"], "管理 一郎", 0),
        (&["outage", "start", "--reason", "回線"], "工業会 次郎", 0),
        (&["outage", "log"], "工業会 次郎", 3),
        (&["outage", "log"], "受付 花子", 0),
        (&["patients", "search", "鈴木"], "管理 一郎", 3),
        (&["patients", "search", "鈴木"], "工業会 次郎", 0),
    ];
    for (args, name, want) in cases {
        let pin = PINS.iter().find(|p| p.0 == *name).unwrap().2;
        let out = run(&db, Some((name, pin)), args, None);
        assert_eq!(code(&out), *want, "{args:?} as {name}: {}", stderr(&out));
    }
    // The doctor's search is in the audit log as a view of the patient.
    let views: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'view' AND actor = '工業会 次郎'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(views, 1);
}

#[test]
fn staff_commands_take_the_new_pin_from_stdin_and_need_the_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_clinic(dir.path());
    // A PIN too short is bad input, nothing written.
    let out = run(
        &db,
        Some(("管理 一郎", "9999")),
        &["staff", "pin", "受付 花子"],
        Some("12\n"),
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("PIN"), "{}", stderr(&out));
    // Not the admin: exit 3.
    let out = run(
        &db,
        Some(("受付 花子", "1111")),
        &["staff", "pin", "受付 花子"],
        Some("5555\n"),
    );
    assert_eq!(code(&out), 3);
    let out = run(
        &db,
        Some(("管理 一郎", "9999")),
        &["staff", "pin", "受付 花子"],
        Some("5555\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        code(&run(
            &db,
            Some(("受付 花子", "1111")),
            &["outage", "status"],
            None
        )),
        3
    );
    assert_eq!(
        code(&run(
            &db,
            Some(("受付 花子", "5555")),
            &["outage", "status"],
            None
        )),
        0
    );
    // A role that is not one is bad input.
    let out = run(
        &db,
        Some(("管理 一郎", "9999")),
        &["staff", "add", "看護 五郎", "--role", "nurse"],
        Some("5555\n"),
    );
    assert_eq!(code(&out), 2);
    let list = run(
        &db,
        Some(("管理 一郎", "9999")),
        &["staff", "list", "--json"],
        None,
    );
    let accounts: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(accounts.as_array().unwrap().len(), 4);
    // The database holds no PIN in clear.
    let raw = std::fs::read(&db).unwrap();
    let wal = std::fs::read(db.with_extension("sqlite3-wal")).unwrap_or_default();
    for bytes in [raw, wal] {
        assert!(!bytes.windows(4).any(|w| w == b"5555"), "a PIN in clear");
    }
}

#[test]
fn break_glass_on_the_command_line_records_marked_intakes_during_an_outage() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_clinic(dir.path());
    let glass = |args: &[&str], stdin: Option<&str>| {
        let mut all = vec!["--staff", "山田", "--break-glass", "PIN忘れ"];
        all.extend_from_slice(args);
        run(&db, None, &all, stdin)
    };
    // No outage: refused.
    let out = glass(&["intake", "--json", "-"], Some(&intake_json(1)));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    assert_eq!(visits(&db), 0);
    let out = run(
        &db,
        Some(("受付 花子", "1111")),
        &["outage", "start", "--reason", "回線"],
        None,
    );
    assert_eq!(code(&out), 0);
    let out = glass(&["intake", "--json", "-"], Some(&intake_json(1)));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("緊急利用"),
        "never silent: {}",
        stderr(&out)
    );
    // Nothing beyond reception.
    assert_eq!(code(&glass(&["export", "--csv", "x.csv"], None)), 3);
    let out = run(
        &db,
        Some(("管理 一郎", "9999")),
        &["staff", "break-glass", "--json"],
        None,
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["name"], "山田");
    assert_eq!(list[0]["reason"], "PIN忘れ");
}

#[test]
fn restore_is_the_admins() {
    let dir = tempfile::tempdir().unwrap();
    let db = cli_clinic(dir.path());
    let backup = dir.path().join("copy.sqlite3");
    let b = backup.to_str().unwrap();
    assert_eq!(
        code(&run(&db, Some(("管理 一郎", "9999")), &["backup", b], None)),
        0
    );
    assert_eq!(
        code(&run(&db, Some(("受付 花子", "1111")), &["backup", b], None)),
        3
    );
    assert_eq!(
        code(&run(
            &db,
            Some(("受付 花子", "1111")),
            &["restore", b],
            None
        )),
        3
    );
    // The live database gone: the backup's own admin decides.
    std::fs::remove_file(&db).unwrap();
    assert_eq!(
        code(&run(
            &db,
            Some(("受付 花子", "1111")),
            &["restore", b],
            None
        )),
        3
    );
    let out = run(&db, Some(("管理 一郎", "9999")), &["restore", b], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}
