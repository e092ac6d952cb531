//! The watcher sees the terminal go down, switches to degraded mode after N failed rounds, and
//! records the line's return when it comes back: through the real folder, with the simulator
//! standing in for the 資格確認端末.

use crate::common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use onshi_fallback::config::Config;
use onshi_fallback::domain::Detection;
use onshi_fallback::outage::probe::Probes;
use onshi_fallback::outage::watch::{Decision, Watch};
use onshi_fallback::qualification::simulator::{self, Roster};
use onshi_fallback::qualification::xml::request_xml;
use onshi_fallback::qualification::VerifyRequest;
use onshi_fallback::service::watch::round;
use onshi_fallback::service::{Clock, Records};
use onshi_fallback::store::Store;

const ROSTER: &str = r#"
[[person]]
insurer_number = "01130012"
number = "5678"
birth_date = "1970-03-01"
name = "山田 太郎"
"#;

/// What the clinic's receipt software does all day: drop a request into req/.
fn receipt_software_asks(root: &Path, n: u32) {
    let req = VerifyRequest {
        id: format!("R{n}"),
        insurer_number: "01130012".into(),
        symbol: String::new(),
        number: "5678".into(),
        branch: String::new(),
        birth_date: NaiveDate::from_ymd_opt(1970, 3, 1).unwrap(),
        confirmation_date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        consent: false,
    };
    let file_id = format!("20261125090000{n:04}");
    let bytes = request_xml(
        &req,
        "1311234567",
        &file_id,
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
    )
    .unwrap();
    std::fs::write(
        root.join("req")
            .join(format!("OQSsiquc01req_{file_id}.xml")),
        bytes,
    )
    .unwrap();
}

#[test]
fn watch_degrades_after_n_failures_and_records_the_return() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("oqs");
    std::fs::create_dir_all(root.join("req")).unwrap();
    std::fs::create_dir_all(root.join("res")).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let sim = {
        let (root, stop) = (root.clone(), stop.clone());
        let roster = Roster::parse(ROSTER).unwrap();
        std::thread::spawn(move || simulator::run(&root, &roster, &stop))
    };

    let config = Config::parse(&format!(
        "[qualification]\nroot = {:?}\ntimeout_s = 1\nmedical_institution_code = \"1311234567\"\n[probes]\nfailures_to_degrade = 3\npasses_to_recover = 2\n",
        root.to_str().unwrap()
    ))
    .unwrap();
    let probes = Probes::from_config(&config).unwrap();
    let mut records = Records::new(
        Store::open(&dir.path().join("db.sqlite3")).unwrap(),
        config,
        "自動監視",
        Clock::System,
    );
    let mut watch = Watch::new(3, 2);

    // The terminal answers: rounds pass, nothing happens.
    receipt_software_asks(&root, 1);
    std::thread::sleep(Duration::from_millis(600));
    for _ in 0..2 {
        let (report, decision) = round(&mut records, &probes, &mut watch).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(decision, Decision::Nothing);
    }

    // The line drops: requests pile up unanswered.
    simulator::set_mode(&root, "down").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    receipt_software_asks(&root, 2);
    std::thread::sleep(Duration::from_millis(1300)); // older than the 1 s time-out
    let mut decisions = Vec::new();
    for _ in 0..3 {
        let (report, decision) = round(&mut records, &probes, &mut watch).unwrap();
        assert!(!report.ok);
        decisions.push(decision);
    }
    assert_eq!(decisions[0], Decision::Nothing);
    assert_eq!(decisions[1], Decision::Nothing);
    assert!(
        matches!(&decisions[2], Decision::Degrade { reason } if reason.contains("要求を処理していません")),
        "{decisions:?}"
    );
    let status = records.status().unwrap();
    assert_eq!(status.mode, "degraded");
    assert_eq!(
        status.outage.as_ref().unwrap().detected_by,
        Detection::Probe
    );

    // More failing rounds do not start a second outage.
    round(&mut records, &probes, &mut watch).unwrap();
    assert_eq!(records.outage_log().unwrap().len(), 1);

    // The line returns: the terminal answers the backlog, probes pass, the return is recorded.
    std::thread::sleep(Duration::from_millis(1100)); // so start and end differ by a second
    simulator::set_mode(&root, "up").unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let (_, d1) = round(&mut records, &probes, &mut watch).unwrap();
    let (_, d2) = round(&mut records, &probes, &mut watch).unwrap();
    assert_eq!((d1, d2), (Decision::Nothing, Decision::Recover));
    assert_eq!(records.status().unwrap().mode, "normal");

    let log = records.outage_log().unwrap();
    let o = &log[0].outage;
    assert_eq!(o.detected_by, Detection::Probe);
    assert_eq!(o.ended_detected_by, Some(Detection::Probe));
    let (start, end) = (
        o.started_at.clone(),
        o.ended_at.clone().expect("return recorded"),
    );
    assert!(end > start, "{start} .. {end}");
    assert!(records.audit_verify().unwrap().ok);

    stop.store(true, Ordering::Relaxed);
    sim.join().unwrap().unwrap();
}

#[test]
fn a_missing_request_folder_is_a_failed_probe_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(&format!(
        "[qualification]\nroot = {:?}\nmedical_institution_code = \"1311234567\"\n",
        dir.path().join("nowhere").to_str().unwrap()
    ))
    .unwrap();
    let report = Probes::from_config(&config).unwrap().run();
    assert!(!report.ok);
    assert!(
        report.summary_ja().contains("フォルダがありません"),
        "{}",
        report.summary_ja()
    );
}

#[test]
fn a_staff_outage_is_left_to_staff() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = Config::parse(&format!(
        "[probes]\ntcp = [\"{}\"]\n",
        listener.local_addr().unwrap()
    ))
    .unwrap();
    let probes = Probes::from_config(&config).unwrap();
    let mut records = common::records(Store::open(&dir.path().join("db.sqlite3")).unwrap());
    records.config = config;
    records
        .outage_start("受付で端末エラーを確認", &[], Detection::Staff)
        .unwrap();
    let mut watch = Watch::new(1, 1);
    let (_, d) = round(&mut records, &probes, &mut watch).unwrap();
    assert_eq!(d, Decision::NoteRecovered);
    assert_eq!(
        records.status().unwrap().mode,
        "degraded",
        "not ended for staff"
    );
    assert!(records.outage_log().unwrap()[0].notes[0]
        .text
        .contains("応答が戻りました"));
}

#[test]
fn runbook_ticks_are_timed_and_reported() {
    let mut records = common::memory_records();
    records.config.runbook.consent_page_url = "https://example.invalid/consent".into();
    assert!(
        records
            .runbook_tick("line_reauth", "")
            .unwrap_err()
            .is_bad_input(),
        "no outage open"
    );
    records
        .outage_start("端末エラー", &[], Detection::Staff)
        .unwrap();
    let items = records.runbook().unwrap();
    assert_eq!(items[0].step.id, "line_reauth");
    assert_eq!(items[0].step.url, "https://example.invalid/consent");
    assert!(items.iter().all(|i| i.ticked.is_none()));
    let t = records
        .runbook_tick("line_reauth", "「希望する」で復旧")
        .unwrap();
    assert_eq!(t.by, "受付 佐藤");
    assert_eq!(t.at, common::NOW);
    assert!(records.runbook().unwrap()[0].ticked.is_some());
    assert!(records
        .runbook_tick("reboot_everything", "")
        .unwrap_err()
        .to_string()
        .contains("line_reauth"));
    records.intake(&common::intake(1)).unwrap();
    records
        .outage_end("回線認証で復旧", Detection::Staff)
        .unwrap();
    let md = records.incident_report(None).unwrap();
    assert!(md.contains("回線認証をやり直す"), "{md}");
    assert!(md.contains("「希望する」で復旧"));
    assert!(md.contains("| 障害中の受付 | 1 名 |"));
    assert!(md.contains("令和8年11月25日 09:00"));
}
