//! A whole day end to end: an outage, intakes covering every status, the line's return, the
//! reconciliation pass through the real folder adapter and the terminal simulator, the clerk's
//! decisions, the billing CSV. Then the same day with the pass killed half-way and rerun.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::common::*;
use onshi_fallback::domain::ids::{PatientId, VisitId};
use onshi_fallback::domain::Detection;
use onshi_fallback::qualification::simulator::{self, Roster};
use onshi_fallback::qualification::OqsFolder;
use onshi_fallback::reconcile::ReconcileStatus;
use onshi_fallback::service::{Decision, PassOptions, Records};
use onshi_fallback::store::Store;

const PATIENTS: usize = 24;

struct Terminal {
    root: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<onshi_fallback::error::Result<()>>>,
}

impl Terminal {
    fn start(dir: &Path) -> Terminal {
        let root = dir.join("oqs");
        std::fs::create_dir_all(root.join("req")).unwrap();
        std::fs::create_dir_all(root.join("res")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let roster = Roster::parse(&day_roster(PATIENTS)).unwrap();
        let thread = {
            let (root, stop) = (root.clone(), stop.clone());
            Some(std::thread::spawn(move || {
                simulator::run(&root, &roster, &stop)
            }))
        };
        Terminal { root, stop, thread }
    }
    fn mode(&self, m: &str) {
        simulator::set_mode(&self.root, m).unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    fn adapter(&self) -> OqsFolder {
        OqsFolder::new(&self.root, Duration::from_secs(1), "1311234567")
            .with_poll_interval(Duration::from_millis(20))
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The morning: an outage, the day's patients (new, returning, 不詳), the line's return.
fn outage_morning(r: &mut Records) -> HashMap<VisitId, &'static str> {
    let mut expected = HashMap::new();
    r.outage_start("資格確認端末がエラー", &[], Detection::Staff)
        .unwrap();
    for n in 0..PATIENTS {
        let receipt = r.intake(&intake(n)).unwrap();
        expected.insert(receipt.visit_id, expected_status(n));
    }
    for n in 0..2 {
        let receipt = r
            .intake(&serde_json::from_str(&fushou_json(n)).unwrap())
            .unwrap();
        expected.insert(receipt.visit_id, "needs_manual");
    }
    let again = r
        .intake_returning(
            PatientId(1),
            onshi_fallback::domain::Basis::ReturningNoChange,
            None,
        )
        .unwrap();
    expected.insert(again.visit_id, "match");
    r.outage_end("回線認証を再実施して復旧", Detection::Staff)
        .unwrap();
    expected
}

fn fast() -> PassOptions {
    PassOptions {
        concurrency: 4,
        delay: Duration::ZERO,
        auto_settle_match: true,
    }
}

#[test]
fn a_whole_day_reconciled() {
    let dir = tempfile::tempdir().unwrap();
    let terminal = Terminal::start(dir.path());
    let mut r = records(Store::open(&dir.path().join("clinic.sqlite3")).unwrap());

    // Reconciling while the outage is open is refused: every answer would be "no answer".
    r.outage_start("端末エラー", &[], Detection::Staff).unwrap();
    assert!(r
        .reconcile_pass(&terminal.adapter(), &fast(), |_| {})
        .unwrap_err()
        .is_bad_input());
    r.outage_end("", Detection::Staff).unwrap();

    let expected = outage_morning(&mut r);
    let total = expected.len();

    // First pass while the terminal still does not answer: nothing settles, nothing is lost.
    terminal.mode("down");
    let first = r
        .reconcile_pass(&terminal.adapter(), &fast(), |_| {})
        .unwrap();
    assert_eq!(first.checked, total);
    for res in &first.results {
        let want = if expected[&res.visit_id] == "needs_manual" && res.reason.contains("不詳") {
            "needs_manual"
        } else {
            "no_answer"
        };
        assert_eq!(
            res.status.as_str(),
            want,
            "{}: {}",
            res.visit_id,
            res.reason
        );
    }
    assert_eq!(
        r.status().unwrap().queued as usize,
        total,
        "no_answer stays queued"
    );

    // The terminal answers: the rest sort as expected.
    terminal.mode("up");
    let mut seen = Vec::new();
    let second = r
        .reconcile_pass(&terminal.adapter(), &fast(), |p| {
            seen.push((p.done, p.total))
        })
        .unwrap();
    assert_eq!(
        second.checked,
        total - 2,
        "the 不詳 records were already sorted"
    );
    assert_eq!(
        seen.last(),
        Some(&(total - 2, total - 2)),
        "progress counts to the end"
    );
    let list = r.reconcile_list().unwrap();
    for row in &list {
        assert_eq!(
            row.entry.status.map(|s| s.as_str()),
            Some(expected[&row.visit_id]),
            "{} {}",
            row.visit_id,
            row.entry.reason
        );
    }
    let by_status = |s: &str| {
        list.iter()
            .filter(|x| x.entry.status.map(|s| s.as_str()) == Some(s))
            .count()
    };
    for s in ReconcileStatus::ALL
        .iter()
        .filter(|s| **s != ReconcileStatus::NoAnswer)
    {
        assert!(by_status(s.as_str()) > 0, "no {s} in the day");
    }
    // match records settled themselves and were stamped verified
    assert!(list
        .iter()
        .filter(|x| x.entry.status.map(|s| s.as_str()) == Some("match"))
        .all(|x| x.entry.decision.map(|d| d.as_str()) == Some("auto")));
    // open decisions come first in the list
    let first_settled = list
        .iter()
        .position(|x| x.entry.state.as_str() == "settled")
        .unwrap();
    assert!(list[first_settled..]
        .iter()
        .all(|x| x.entry.state.as_str() == "settled"));
    // …and within each, by status (as ReconcileStatus::ALL lists them, last first, unchecked
    // last of all), then by day and visit number
    let rank = |x: &onshi_fallback::service::QueueRow| {
        let status = x.entry.status.map(|s| {
            ReconcileStatus::ALL.len() - ReconcileStatus::ALL.iter().position(|a| *a == s).unwrap()
        });
        (
            x.entry.state.as_str() == "settled",
            status.unwrap_or(0),
            x.visit_date,
            x.visit_no.clone(),
        )
    };
    let ranks: Vec<_> = list.iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert!(
        ranks
            .iter()
            .map(|k| k.1)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 2
    );
    // needs_manual rows say exactly what to look up
    let manual = list
        .iter()
        .find(|x| x.patient.name.starts_with("不詳"))
        .unwrap();
    assert!(
        manual
            .lookup
            .as_ref()
            .unwrap()
            .contains("住所 東京都港区芝5-0"),
        "{:?}",
        manual.lookup
    );

    // A third pass finds nothing due and changes nothing.
    assert_eq!(
        r.reconcile_pass(&terminal.adapter(), &fast(), |_| {})
            .unwrap()
            .checked,
        0
    );

    // The clerk decides.
    let find = |status: &str| {
        list.iter()
            .find(|x| x.entry.status.map(|s| s.as_str()) == Some(status))
            .unwrap()
            .visit_id
    };
    let changed = find("changed");
    let e = r.resolve(changed, Decision::AcceptVerified, "").unwrap();
    assert_eq!(e.decision.map(|d| d.as_str()), Some("verified"));
    let ineligible = find("ineligible");
    assert!(
        r.resolve(ineligible, Decision::AcceptDeclared, "")
            .unwrap_err()
            .is_bad_input(),
        "a reason is required"
    );
    assert!(
        r.resolve(ineligible, Decision::AcceptVerified, "x")
            .unwrap_err()
            .is_bad_input(),
        "nothing verified to accept"
    );
    r.resolve(
        ineligible,
        Decision::AcceptDeclared,
        "10月末で喪失、本人に新しい保険を確認中のため旧資格で請求",
    )
    .unwrap();
    let not_found = find("not_found");
    let e = r
        .resolve(
            not_found,
            Decision::FollowUp,
            "本人に電話して保険証情報を確認",
        )
        .unwrap();
    assert_eq!(e.state.as_str(), "needs_decision", "a follow-up stays open");
    let manual_input = serde_json::from_str(
        r#"{"kind": "shaho", "insurer_number": "01130012", "number": "4242", "relationship": "self", "copay_percent": 30}"#,
    )
    .unwrap();
    r.resolve(
        manual.visit_id,
        Decision::Manual(Box::new(manual_input)),
        "緊急時資格確認で照会",
    )
    .unwrap();
    let matched = find("match");
    let err = r
        .resolve(matched, Decision::AcceptDeclared, "x")
        .unwrap_err();
    assert!(err.to_string().contains("判断待ちではありません"), "{err}");

    // The patient's insurance was updated by the accepted verification; the old one is history.
    let row = r
        .reconcile_list()
        .unwrap()
        .into_iter()
        .find(|x| x.visit_id == changed)
        .unwrap();
    assert_eq!(row.claim_basis_ja, "確認済みの資格");

    // The billing outputs.
    let csv = dir.path().join("report.csv");
    let s = r.reconcile_report_csv(&csv).unwrap();
    assert_eq!(s.visits, total);
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].starts_with("要判断"),
        "open decisions first: {}",
        lines[1]
    );
    assert!(text.contains("旧資格（申告のまま）"));
    assert!(text.contains("負担割合: 3割 → 2割"));
    // Decisions in the clerk's words, never the codes the JSON uses.
    for code in [
        ",follow_up,",
        ",declared,",
        ",manual,",
        ",verified,",
        ",auto,",
    ] {
        assert!(!text.contains(code), "{code} in the clerk's CSV");
    }
    assert!(text.contains(",要確認,"), "{text}");
    let export = dir.path().join("claims.csv");
    let e = r.export_csv(&export).unwrap();
    assert_eq!(e.visits, total);
    let claims = std::fs::read_to_string(&export).unwrap();
    assert!(
        claims.contains(",01130012,,4242,"),
        "the manual lookup is claimed"
    );
    // with the kind it established, not the 不詳 patient's declared 「不明」
    assert!(claims.contains(",社保,01130012,,4242,"), "{claims}");
    assert!(r.audit_verify().unwrap().ok);
    drop(terminal);
}

fn cli(db: &Path, cfg: &Path, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_onshi-fallback"))
        .args(args)
        .env("ONSHI_FALLBACK_DB", db)
        .env("ONSHI_FALLBACK_CONFIG", cfg)
        .env("ONSHI_FALLBACK_NOW", NOW)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_pass_killed_half_way_loses_and_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let terminal = Terminal::start(dir.path());
    let db = dir.path().join("clinic.sqlite3");
    let expected = {
        let mut r = records(demo_store(&db));
        outage_morning(&mut r)
    };
    let cfg = dir.path().join("onshi-fallback.toml");
    std::fs::write(
        &cfg,
        format!(
            "[qualification]\nroot = {:?}\ntimeout_s = 5\nmedical_institution_code = \"1311234567\"\n[reconcile]\nconcurrency = 1\ndelay_ms = 0\n",
            terminal.root.to_str().unwrap()
        ),
    )
    .unwrap();

    // The terminal is slow; the pass is killed (power cut) part-way through.
    terminal.mode("slow 150");
    let mut child = cli(&db, &cfg, &["reconcile", "--json"]);
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    let checked_before: i64 = {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.query_row(
            "SELECT COUNT(*) FROM reconcile_queue WHERE status IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert!(
        checked_before > 0 && (checked_before as usize) < expected.len(),
        "killed half-way: {checked_before} checked"
    );

    // Run again to the end.
    terminal.mode("up");
    let out = cli(&db, &cfg, &["reconcile", "--json"])
        .wait_with_output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["checked"].as_u64().unwrap() as usize,
        expected.len() - checked_before as usize,
        "only what was left"
    );

    let r = records(Store::open(&db).unwrap());
    let list = r.reconcile_list().unwrap();
    assert_eq!(list.len(), expected.len(), "nothing lost");
    for row in &list {
        assert_eq!(
            row.entry.status.map(|s| s.as_str()),
            Some(expected[&row.visit_id]),
            "{}",
            row.visit_id
        );
        assert_eq!(
            row.entry.attempts, 1,
            "{} checked once, never twice",
            row.visit_id
        );
    }
    // one check event per record in the audit log: no decision repeated
    let c = rusqlite::Connection::open(&db).unwrap();
    let doubled: i64 = c
        .query_row("SELECT COUNT(*) FROM (SELECT entity_id FROM audit_log WHERE action = 'queue.check' GROUP BY entity_id HAVING COUNT(*) > 1)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(doubled, 0);
    assert!(r.audit_verify().unwrap().ok);
}

#[test]
fn a_public_only_patient_is_claimed_to_the_fund_and_looked_up_by_hand() {
    use onshi_fallback::domain::claim::ClaimBasis;
    let mut r = memory_records();
    let input: onshi_fallback::domain::intake::IntakeInput = serde_json::from_str(
        r#"{"patient": {"name": "生保 太郎", "kana": "セイホ タロウ", "birth_date": "1960-01-01",
                        "sex": "male", "address": "東京都港区1-1", "phone": ""},
            "insurance": {"kind": "public_only",
                          "public_funds": [{"payer": "12136016", "recipient": "7654320"}]},
            "basis": "self_declaration"}"#,
    )
    .unwrap();
    let receipt = r.intake(&input).unwrap();
    assert!(
        receipt.warnings.is_empty(),
        "no 不詳 warning: {:?}",
        receipt.warnings
    );
    let rows = r.reconcile_list().unwrap();
    assert_eq!(rows[0].claim.basis, ClaimBasis::PublicOnly);
    assert_eq!(rows[0].claim.insurer_number, "", "no 77777777");
    // Numbers for a 公費単独 patient are refused, naming the field; so is a missing 公費.
    let mut bad = input.clone();
    bad.insurance.insurer_number = "01130012".into();
    let e = r.intake(&bad).unwrap_err();
    assert!(e.to_string().contains("insurance.insurer_number"), "{e}");
    let mut bad = input;
    bad.insurance.public_funds.clear();
    let e = r.intake(&bad).unwrap_err();
    assert!(e.to_string().contains("insurance.public_funds"), "{e}");
}
