//! Benchmarks for issue 2's targets: patient search over 100,000 patients (< 10 ms) and one
//! intake committed to disk with synchronous=FULL (< 5 ms); and `audit verify` at 100,000
//! visits (each patient with a declaration and one visit: 400,000 audited records, < 1 s), and
//! the lists of that whole history (`export --csv`, `reconcile report --csv`); the 照合 screen's
//! list at that size (issue 17: open < 200 ms, ↓ < 50 ms), as the model and as the screen; the
//! day's backup at that size, and what the first command of the day waits for.
//!
//! Issue 16: the search and the intake on PostgreSQL too, and `store copy` of 10,000 visits
//! into it, when `ONSHI_TEST_PG` names a server (scripts/pg-test-cluster.sh); and `store copy
//! --merge` of a PC's morning into a 10,000-visit file.
//!
//! Run: `cargo bench --bench store` (one group: `cargo bench --bench store -- reconcile_`)

use chrono::{DateTime, NaiveDate};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use onshi_fallback::config::Config;
use onshi_fallback::domain::intake::IntakeInput;
use onshi_fallback::domain::numbers::check_digit;
use onshi_fallback::domain::QueueState;
use onshi_fallback::domain::{
    Basis, Insurance, InsuranceKind, PatientDetails, Relationship, Sex, Source,
};
use onshi_fallback::service::transfer::store_copy;
use onshi_fallback::service::{Clock, ReconcileList, Records};
use onshi_fallback::store::merge::merge;
use onshi_fallback::store::{patients, visits, Stamp, Store};

#[path = "../tests/it/common/history.rs"]
mod history;

const PATIENTS: usize = 100_000;
/// Rows the 照合 screen lays out at once.
const WINDOW: usize = 12;

const FAMILY: &[(&str, &str)] = &[
    ("山田", "ヤマダ"),
    ("鈴木", "スズキ"),
    ("田中", "タナカ"),
    ("佐藤", "サトウ"),
    ("高橋", "タカハシ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山本", "ヤマモト"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
];
const GIVEN: &[(&str, &str)] = &[
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("一郎", "イチロウ"),
    ("美紀", "ミキ"),
    ("健", "ケン"),
    ("直子", "ナオコ"),
    ("翔", "ショウ"),
    ("陽菜", "ヒナ"),
    ("大輔", "ダイスケ"),
    ("恵", "メグミ"),
];

fn insurer(i: usize) -> String {
    let body = format!("0113{:03}", i % 500);
    format!("{body}{}", check_digit(&body).unwrap())
}

/// Fills a store with `count` patients, each with a declaration and a visit, in one
/// transaction.
fn populate(mut store: Store, count: usize) -> Store {
    let stamp = Stamp {
        at: "2026-11-01T09:00:00+09:00".into(),
        by: "bench".into(),
    };
    let first_day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let no_warnings = serde_json::json!([]);
    store
        .write(|conn| {
            for i in 0..count {
                let (f, fk) = FAMILY[i % FAMILY.len()];
                let (g, gk) = GIVEN[(i / FAMILY.len()) % GIVEN.len()];
                let birth = NaiveDate::from_ymd_opt(
                    1930 + (i % 90) as i32,
                    1 + (i % 12) as u32,
                    1 + (i % 28) as u32,
                )
                .unwrap();
                let p = PatientDetails {
                    name: format!("{f} {g}{}", i / 150),
                    kana: format!("{fk} {gk}"),
                    birth_date: birth,
                    sex: if i % 2 == 0 { Sex::Male } else { Sex::Female },
                    address: format!("東京都港区新橋{}-{}", i % 9 + 1, i % 30 + 1),
                    phone: format!("03-{:04}-{:04}", i % 10_000, i / 10),
                };
                let id = patients::insert_patient(conn, &p, &stamp)?;
                let ins = Insurance {
                    kind: InsuranceKind::Shaho,
                    insurer_number: Some(insurer(i)),
                    symbol: format!("{}", i % 97),
                    number: Some(format!("{}", 100_000 + i)),
                    branch: "01".into(),
                    relationship: Some(Relationship::Insured),
                    insurer_name: String::new(),
                    employer: String::new(),
                    copay_percent: 30,
                    public_funds: vec![],
                };
                let decl = patients::insert_declaration(
                    conn,
                    id,
                    &ins,
                    Source::Declared,
                    "self_declaration",
                    None,
                    &stamp,
                )?;
                // One visit each, about 200 a day over a year and a half, each queued.
                visits::insert(
                    conn,
                    &visits::NewVisit {
                        visit_date: first_day + chrono::Days::new((i / 200) as u64),
                        patient_id: id,
                        declaration_id: decl,
                        basis: Basis::SelfDeclaration,
                        outage_id: None,
                        warnings: &no_warnings,
                    },
                    &stamp,
                )?;
            }
            Ok(())
        })
        .unwrap();
    store
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.sqlite3");
    eprintln!("populating {PATIENTS} patients…");
    let store = populate(Store::open(&path).unwrap(), PATIENTS);
    if let Ok(keep) = std::env::var("KEEP_DB") {
        store.backup_to(std::path::Path::new(&keep)).unwrap();
    }
    let clock = Clock::Fixed(DateTime::parse_from_rfc3339("2026-11-25T09:00:00+09:00").unwrap());
    let mut records = Records::new(store, Config::default(), "bench", clock);

    search_group(c, "search_100k", &records);
    postgres_benches(c, &dir);
    merge_group(c, &dir);

    // `audit verify` over the whole chain at 100,000 visits (each patient, its declaration,
    // its visit and queue entry: 400,000 audited records), one digest per record in memory.
    let mut g = c.benchmark_group("audit_100k");
    g.sample_size(10);
    assert!(records.audit_verify().unwrap().ok);
    g.bench_function("verify", |b| b.iter(|| records.audit_verify().unwrap()));
    g.finish();

    // The lists of the whole history, written row by row from one read (100,000 visits).
    let mut g = c.benchmark_group("lists_100k");
    g.sample_size(10);
    let out = dir.path().join("list.csv");
    g.bench_function("export_csv", |b| {
        b.iter(|| records.export_csv(&out).unwrap())
    });
    g.bench_function("reconcile_report_csv", |b| {
        b.iter(|| records.reconcile_report_csv(&out).unwrap())
    });
    g.finish();

    // The day's backup at 100,000 visits: the copy itself (before: VACUUM INTO on the
    // command's own connection, which the first command of the day waited for; now: a
    // snapshot copied with the backup API on a thread of its own), and what the first
    // command of the day waits for now when it opens the records.
    let mut g = c.benchmark_group("backup_100k");
    g.sample_size(10);
    let mut n = 0usize;
    // A new backup folder each time (today's copy is taken once a day), the last one removed:
    // each copy is the whole database.
    let mut fresh = || {
        let _ = std::fs::remove_dir_all(dir.path().join(format!("backups-{n}")));
        n += 1;
        dir.path().join(format!("backups-{n}"))
    };
    g.bench_function("vacuum_into", |b| {
        b.iter_batched(
            &mut fresh,
            |to| {
                onshi_fallback::store::backup::daily(&records.store, &to, records.today(), 14)
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("snapshot_copy", |b| {
        b.iter_batched(
            &mut fresh,
            |to| {
                let snapshot = onshi_fallback::store::backup::Snapshot::take(&path).unwrap();
                onshi_fallback::store::backup::daily_from(&snapshot, &to, records.today(), 14)
                    .unwrap()
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("open_first_of_day", |b| {
        b.iter_batched(
            || {
                let mut config = Config::default();
                config.backup.dir = fresh().display().to_string();
                config
            },
            // The records come back with the copy under way; it is waited for when they are
            // dropped, outside the measurement.
            |config| Records::open(&path, config, "bench", Clock::System).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.finish();

    // The 照合 screen's list at 100,000 visits of history, as a clinic has it after a year of
    // passes: 99 % settled, the rest due (照合待ち) or answered and waiting for a person (要判断).
    // First the worst case: a history never reconciled, all 100,000 records open (照合待ち).
    let mut g = c.benchmark_group("reconcile_list_100k_all_open");
    g.sample_size(10);
    g.bench_function("open", |b| {
        b.iter(|| {
            let mut list = ReconcileList::new(WINDOW);
            list.refresh(&records).unwrap();
            list.len()
        })
    });
    g.finish();
    settle_most(&mut records);
    let mut g = c.benchmark_group("reconcile_list_100k");
    g.sample_size(10);
    // What the screen did before: every queue entry read and held, sorted into its groups.
    g.bench_function("whole_list", |b| {
        b.iter(|| {
            let mut rows = records.reconcile_list().unwrap();
            rows.sort_by_key(|r| r.entry.state == QueueState::Settled);
            rows.len()
        })
    });
    // The screen's model now: the open records' ids and a window of rows around the selection.
    g.bench_function("open", |b| {
        b.iter(|| {
            let mut list = ReconcileList::new(WINDOW);
            list.refresh(&records).unwrap();
            list.len()
        })
    });
    let mut list = ReconcileList::new(WINDOW);
    list.refresh(&records).unwrap();
    eprintln!("open records: {}, counts {:?}", list.len(), list.counts());
    // ↓ through the open records: past the first screenful every step moves the window.
    g.bench_function("move_down", |b| {
        b.iter(|| {
            if list.selected() + 1 >= list.len() {
                list.select(&records, 0).unwrap();
            }
            list.move_by(&records, 1).unwrap();
        })
    });
    // The 3 s tick when nothing changed: one lookup of the audit log's end.
    g.bench_function("refresh_unchanged", |b| {
        b.iter(|| assert!(!list.refresh(&records).unwrap()))
    });
    // A tick after something changed: counts, open ids and the window read again.
    g.bench_function("refresh_changed", |b| {
        b.iter(|| list.reload(&records).unwrap())
    });
    // The settled records on request, the selection deep in them (a page read by OFFSET).
    list.set_show_settled(&records, true).unwrap();
    g.bench_function("show_settled", |b| {
        b.iter(|| {
            list.set_show_settled(&records, false).unwrap();
            list.set_show_settled(&records, true).unwrap();
        })
    });
    list.select(&records, 90_000).unwrap();
    g.bench_function("move_down_settled_90000", |b| {
        b.iter(|| {
            if list.selected() >= 95_000 {
                list.select(&records, 90_000).unwrap();
            }
            list.move_by(&records, 1).unwrap();
        })
    });
    g.finish();

    // The 照合 screen itself (headless): opening it (read and build the view), ↓ with the
    // view built again, and the frame's tick when nothing changed.
    #[cfg(feature = "gui")]
    {
        use onshi_fallback::gui::{
            self,
            reconcile::{Message, ReconcileScreen},
        };
        let mut g = c.benchmark_group("reconcile_screen_100k");
        g.sample_size(10);
        g.bench_function("open_and_view", |b| {
            b.iter(|| {
                let mut screen = ReconcileScreen::default();
                screen.refresh(&records);
                let _ = screen.view(&records);
            })
        });
        let mut screen = ReconcileScreen::default();
        screen.refresh(&records);
        // ↓ through the open records, back to the top at the end (where ↓ does nothing).
        let wrap = |screen: &mut ReconcileScreen, records: &mut Records| {
            if screen.list().selected() + 1 >= screen.list().len() {
                let _ = screen.update(records, Message::Select(0));
            }
        };
        g.bench_function("down_and_view", |b| {
            b.iter(|| {
                wrap(&mut screen, &mut records);
                let _ = screen.update(&mut records, Message::Move(1));
                let _ = screen.view(&records);
            })
        });
        g.bench_function("idle_tick_and_view", |b| {
            b.iter(|| {
                screen.refresh(&records);
                let _ = screen.view(&records);
            })
        });
        // The same, laid out headless at 1366×768 as the window does (iced_test, tiny-skia):
        // the font is loaded once, before.
        let size = iced::Size::new(gui::DESIGN_SIZE.0, gui::DESIGN_SIZE.1);
        drop(iced_test::Simulator::with_size(
            gui::settings(),
            size,
            screen.view(&records),
        ));
        let laid_out = || iced::Settings {
            fonts: vec![],
            ..gui::settings()
        };
        g.bench_function("open_laid_out", |b| {
            b.iter(|| {
                let mut screen = ReconcileScreen::default();
                screen.refresh(&records);
                drop(iced_test::Simulator::with_size(
                    laid_out(),
                    size,
                    screen.view(&records),
                ));
            })
        });
        g.bench_function("down_laid_out", |b| {
            b.iter(|| {
                wrap(&mut screen, &mut records);
                let _ = screen.update(&mut records, Message::Move(1));
                drop(iced_test::Simulator::with_size(
                    laid_out(),
                    size,
                    screen.view(&records),
                ));
            })
        });
        g.finish();
    }

    intake_group(c, "intake_commit", &mut records);
}

/// Patient search at 100,000 patients, the same queries on each engine.
fn search_group(c: &mut Criterion, name: &str, records: &Records) {
    let mut g = c.benchmark_group(name);
    for (label, query) in [
        ("kana_hiragana", "やまだ"),
        ("kana_family_given", "ヤマダ タロウ"),
        ("given_kana", "ハナコ"),
        ("name_kanji", "山田"),
        ("birth_wareki", "S5.1.1"),
        ("kana_and_birth", "やまだ S5.1.1"),
        ("insured_number", "150000"),
        ("insurer_number", &insurer(42)),
    ] {
        let hits = records.search_patients(query, 20).unwrap().len();
        eprintln!("{name} {label}: {query} -> {hits} hits");
        g.bench_function(label, |b| {
            b.iter(|| records.search_patients(query, 20).unwrap())
        });
    }
    g.finish();
}

/// A new patient's 申立書, the `n`th.
fn new_patient(n: usize) -> IntakeInput {
    let kana = ["あ", "い", "う", "え", "お"][n % 5];
    let birth = NaiveDate::from_ymd_opt(
        1940 + (n % 60) as i32,
        1 + (n % 12) as u32,
        1 + (n % 28) as u32,
    )
    .unwrap();
    let json = format!(
        r#"{{"patient": {{"name": "測定 {n}", "kana": "そくてい{kana}", "birth_date": "{birth}", "sex": "male", "address": "東京都", "phone": ""}},
            "insurance": {{"kind": "shaho", "insurer_number": "01130012", "number": "{n}", "relationship": "self", "copay_percent": 30}},
            "basis": "self_declaration"}}"#
    );
    serde_json::from_str(&json).unwrap()
}

/// `store copy --merge` of a PC's morning apart (30 new patients received while the server
/// was out of reach) into a 10,000-visit clinic file: the whole merge, its verification of
/// the chain and every record before it commits included.
fn merge_group(c: &mut Criterion, dir: &tempfile::TempDir) {
    let base = dir.path().join("merge-base.sqlite3");
    drop(populate(Store::open(&base).unwrap(), 10_000));
    let pc = dir.path().join("pc/merge-pc.sqlite3");
    std::fs::create_dir_all(dir.path().join("pc")).unwrap();
    Store::open(&base).unwrap().backup_to(&pc).unwrap();
    let clock = Clock::Fixed(DateTime::parse_from_rfc3339("2026-11-25T09:00:00+09:00").unwrap());
    let mut laptop = Records::new(Store::open(&pc).unwrap(), Config::default(), "bench", clock);
    for n in 0..30 {
        laptop.intake(&new_patient(n)).unwrap();
    }
    let mut round = 0;
    let mut g = c.benchmark_group("merge_10k");
    g.sample_size(10);
    g.bench_function("pc_morning_30_patients", |b| {
        b.iter_batched(
            || {
                round += 1;
                let to = dir.path().join(format!("merge-{round}.sqlite3"));
                std::fs::copy(&base, &to).unwrap();
                Store::open(&to).unwrap()
            },
            |mut to| {
                let report = merge(&laptop.store, &mut to, "bench").unwrap();
                assert_eq!(
                    report
                        .inserted
                        .iter()
                        .find(|t| t.table == "visits")
                        .unwrap()
                        .records,
                    30
                );
                report
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// One intake committed (new patient, returning "no change"), the same on each engine: on
/// SQLite to disk with synchronous=FULL, on PostgreSQL committed by the server.
fn intake_group(c: &mut Criterion, name: &str, records: &mut Records) {
    let mut n = 0usize;
    let mut g = c.benchmark_group(name);
    g.bench_function("new_patient", |b| {
        b.iter(|| {
            n += 1;
            records.intake(&new_patient(n)).unwrap()
        })
    });
    // Each returning patient a different one, as at the desk (the same one again and again
    // would pile a day's visits on one record).
    let mut k = 0i64;
    g.bench_function("returning_no_change", |b| {
        b.iter(|| {
            k += 1;
            records
                .intake_returning(
                    onshi_fallback::domain::ids::PatientId(1 + k % 20_000),
                    Basis::ReturningNoChange,
                    None,
                )
                .unwrap()
        })
    });
    g.finish();
}

/// The same search and intake on the clinic's PostgreSQL server, when `ONSHI_TEST_PG` names one
/// (a new database there, 100,000 patients); and `store copy` of a 10,000-visit SQLite file
/// into a new database on it.
fn postgres_benches(c: &mut Criterion, dir: &tempfile::TempDir) {
    let Ok(server) = std::env::var("ONSHI_TEST_PG") else {
        eprintln!("ONSHI_TEST_PG not set: the PostgreSQL benchmarks are left out");
        return;
    };
    let new_database = || {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let name = format!(
            "onshi_bench_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        );
        let mut admin = postgres::Client::connect(&server, postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, _) = server.rsplit_once('/').unwrap();
        format!("{base}/{name}")
    };
    // A database an earlier run filled (`ONSHI_BENCH_PG_DB`: its URL) saves the load, five
    // minutes here.
    let store = match std::env::var("ONSHI_BENCH_PG_DB") {
        Ok(url) => Store::open_postgres(&url).unwrap(),
        Err(_) => {
            eprintln!("populating {PATIENTS} patients on PostgreSQL…");
            let store = populate(Store::open_postgres(&new_database()).unwrap(), PATIENTS);
            // The statistics the server gathers by itself soon after a load, gathered now.
            store.execute_outside_app("ANALYZE").unwrap();
            store
        }
    };
    let clock = Clock::Fixed(DateTime::parse_from_rfc3339("2026-11-25T09:00:00+09:00").unwrap());
    let mut records = Records::new(store, Config::default(), "bench", clock);
    search_group(c, "search_100k_postgres", &records);
    intake_group(c, "intake_commit_postgres", &mut records);

    let file = dir.path().join("copy-10k.sqlite3");
    drop(populate(Store::open(&file).unwrap(), 10_000));
    let mut g = c.benchmark_group("store_copy_10k");
    g.sample_size(10);
    g.bench_function("sqlite_to_postgres", |b| {
        b.iter_batched(
            &new_database,
            |to| {
                let report = store_copy(&Config::default(), file.to_str().unwrap(), &to).unwrap();
                assert_eq!(
                    report
                        .tables
                        .iter()
                        .find(|t| t.table == "visits")
                        .unwrap()
                        .destination,
                    10_000
                );
                report
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Settles 99 % of the queue as a pass would (an automatic `match`); of the rest, half get an
/// answer that waits for a person (要判断) and half stay due.
fn settle_most(records: &mut Records) {
    let stamp = Stamp {
        at: "2026-11-02T09:00:00+09:00".into(),
        by: "bench".into(),
    };
    history::settle_most(records, PATIENTS as i64, &stamp);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
