//! Reconciliation overhead per record (target < 2 ms): 1,000 queued records re-verified by a
//! service that answers at once, so what is measured is the app's own work (reading the queue,
//! classifying, writing each result in its own synchronous=FULL transaction), not the wait
//! for the terminal.
//!
//! Then the pace through the real folder adapter, against the terminal stand-in serving a
//! temporary folder (`folder_pass_100_records_*`): woken by `res/`'s notifications (the
//! default) and looking every 100 ms only (the fallback, and how every pass waited before),
//! with the `[reconcile]` defaults (2 at a time, no delay).
//!
//! Run: `cargo bench --bench reconcile`

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::DateTime;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use onshi_fallback::config::Config;
use onshi_fallback::domain::intake::IntakeInput;
use onshi_fallback::domain::Detection;
use onshi_fallback::qualification::{
    QualificationService, Validity, VerifiedQualification, VerifyOutcome, VerifyRequest,
    VerifyResult,
};
use onshi_fallback::service::{Clock, PassOptions, Records};
use onshi_fallback::store::Store;

const RECORDS: usize = 1_000;

/// Answers every request as eligible under the numbers asked, instantly.
struct Instant_;
impl QualificationService for Instant_ {
    fn verify(&self, req: &VerifyRequest) -> VerifyOutcome {
        VerifyOutcome::Answered(VerifyResult {
            segment_of_result: "1".into(),
            processing_result_status: Some("1".into()),
            validity: Some(Validity::Valid),
            qualifications: vec![VerifiedQualification {
                insurer_number: req.insurer_number.clone(),
                symbol: req.symbol.clone(),
                number: req.number.clone(),
                branch: req.branch.clone(),
                birth_date: Some(req.birth_date),
                copay_percent: Some(30),
                ..Default::default()
            }],
            ..Default::default()
        })
    }
}

fn records(path: &Path) -> Records {
    let clock = Clock::Fixed(DateTime::parse_from_rfc3339("2026-11-25T15:00:00+09:00").unwrap());
    Records::new(
        Store::open(path).unwrap(),
        Config::default(),
        "bench",
        clock,
    )
}

/// A database with `RECORDS` outage-day visits, all due.
fn template(path: &Path) {
    let mut r = records(path);
    r.outage_start("bench", &[], Detection::Staff).unwrap();
    for n in 0..RECORDS {
        let json = format!(
            r#"{{"patient": {{"name": "照合 {n}", "kana": "しょうごう", "birth_date": "1970-01-{:02}", "sex": "male", "address": "東京都"}},
                "insurance": {{"kind": "shaho", "insurer_number": "01130012", "symbol": "1", "number": "{n}", "branch": "01", "relationship": "self", "copay_percent": 30}},
                "basis": "self_declaration"}}"#,
            1 + n % 28
        );
        let input: IntakeInput = serde_json::from_str(&json).unwrap();
        r.intake(&input).unwrap();
    }
    r.outage_end("", Detection::Staff).unwrap();
    r.store
        .raw()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let tpl = dir.path().join("template.sqlite3");
    template(&tpl);
    let opts = PassOptions {
        concurrency: 2,
        delay: Duration::ZERO,
        auto_settle_match: true,
    };

    // One measured run, printed per record.
    let run = dir.path().join("run.sqlite3");
    std::fs::copy(&tpl, &run).unwrap();
    let mut r = records(&run);
    let t = Instant::now();
    let report = r.reconcile_pass(&Instant_, &opts, |_| {}).unwrap();
    let per = t.elapsed() / report.checked as u32;
    eprintln!(
        "{} records reconciled in {:?}: {:?} per record",
        report.checked,
        t.elapsed(),
        per
    );
    drop(r);

    let mut g = c.benchmark_group("reconcile");
    g.sample_size(10);
    g.bench_function("pass_1000_records_instant_service", |b| {
        b.iter_batched(
            || {
                let p = dir.path().join("iter.sqlite3");
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
                }
                std::fs::copy(&tpl, &p).unwrap();
                records(&p)
            },
            |mut r| {
                let report = r.reconcile_pass(&Instant_, &opts, |_| {}).unwrap();
                assert_eq!(report.checked, RECORDS);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();

    folder_pass(c, dir.path(), &tpl, &opts);
}

/// The first `FOLDER_RECORDS` of the template's queue through `OqsFolder` and the stand-in.
const FOLDER_RECORDS: usize = 100;

fn folder_pass(c: &mut Criterion, dir: &Path, tpl: &Path, opts: &PassOptions) {
    use onshi_fallback::qualification::folder::OqsFolder;
    use onshi_fallback::qualification::simulator::{self, Roster};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let root = dir.join("oqs");
    let stop = Arc::new(AtomicBool::new(false));
    let terminal = {
        let (root, stop) = (root.clone(), stop.clone());
        std::thread::spawn(move || simulator::run(&root, &Roster::default(), &stop).unwrap())
    };
    while !root.join("res").is_dir() {
        std::thread::sleep(Duration::from_millis(10));
    }
    // A copy of the template with all but FOLDER_RECORDS of its queue settled by hand.
    let small = dir.join("small.sqlite3");
    std::fs::copy(tpl, &small).unwrap();
    Store::open(&small)
        .unwrap()
        .raw()
        .execute(
            "UPDATE reconcile_queue SET state = 'settled' WHERE visit_id > ?1",
            [FOLDER_RECORDS as i64],
        )
        .unwrap();

    let mut g = c.benchmark_group("reconcile");
    g.sample_size(10);
    for (label, notified) in [
        ("folder_pass_100_records_notified", true),
        ("folder_pass_100_records_polling_100ms", false),
    ] {
        let service = OqsFolder::new(&root, Duration::from_secs(30), "1311234567")
            .with_notifications(notified);
        g.bench_function(label, |b| {
            b.iter_batched(
                || {
                    let p = dir.join("folder.sqlite3");
                    for ext in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{ext}", p.display()));
                    }
                    std::fs::copy(&small, &p).unwrap();
                    records(&p)
                },
                |mut r| {
                    let report = r.reconcile_pass(&service, opts, |_| {}).unwrap();
                    assert_eq!(report.checked, FOLDER_RECORDS);
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
    stop.store(true, Ordering::Relaxed);
    terminal.join().unwrap();
}

criterion_group!(benches, bench);
criterion_main!(benches);
