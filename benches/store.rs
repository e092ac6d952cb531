//! Benchmarks for issue 2's targets: patient search over 100,000 patients (< 10 ms) and one
//! intake committed to disk with synchronous=FULL (< 5 ms); and `audit verify` at 100,000
//! visits (each patient with a declaration and one visit: 400,000 audited records, < 1 s), and
//! the lists of that whole history (`export --csv`, `reconcile report --csv`).
//!
//! Run: `cargo bench --bench store`

use chrono::{DateTime, NaiveDate};
use criterion::{criterion_group, criterion_main, Criterion};
use onshi_fallback::config::Config;
use onshi_fallback::domain::intake::IntakeInput;
use onshi_fallback::domain::numbers::check_digit;
use onshi_fallback::domain::{
    Basis, Insurance, InsuranceKind, PatientDetails, Relationship, Sex, Source,
};
use onshi_fallback::service::{Clock, Records};
use onshi_fallback::store::{patients, visits, Stamp, Store};

const PATIENTS: usize = 100_000;

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

/// Fills a file database with `PATIENTS` patients, each with a declaration, in one transaction.
fn populate(path: &std::path::Path) -> Store {
    let mut store = Store::open(path).unwrap();
    let stamp = Stamp {
        at: "2026-11-01T09:00:00+09:00".into(),
        by: "bench".into(),
    };
    let first_day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let no_warnings = serde_json::json!([]);
    store
        .write(|conn| {
            for i in 0..PATIENTS {
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
    let store = populate(&path);
    if let Ok(keep) = std::env::var("KEEP_DB") {
        store.backup_to(std::path::Path::new(&keep)).unwrap();
    }
    let clock = Clock::Fixed(DateTime::parse_from_rfc3339("2026-11-25T09:00:00+09:00").unwrap());
    let mut records = Records::new(store, Config::default(), "bench", clock);

    let mut g = c.benchmark_group("search_100k");
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
        eprintln!("{label}: {query} -> {hits} hits");
        g.bench_function(label, |b| {
            b.iter(|| records.search_patients(query, 20).unwrap())
        });
    }
    g.finish();

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

    let mut n = 0usize;
    let mut g = c.benchmark_group("intake_commit");
    g.bench_function("new_patient_synchronous_full", |b| {
        b.iter(|| {
            n += 1;
            let kana = ["あ", "い", "う", "え", "お"][n % 5];
            let birth = NaiveDate::from_ymd_opt(1940 + (n % 60) as i32, 1 + (n % 12) as u32, 1 + (n % 28) as u32).unwrap();
            let json = format!(
                r#"{{"patient": {{"name": "測定 {n}", "kana": "そくてい{kana}", "birth_date": "{birth}", "sex": "male", "address": "東京都", "phone": ""}},
                    "insurance": {{"kind": "shaho", "insurer_number": "01130012", "number": "{n}", "relationship": "self", "copay_percent": 30}},
                    "basis": "self_declaration"}}"#
            );
            let input: IntakeInput = serde_json::from_str(&json).unwrap();
            records.intake(&input).unwrap()
        })
    });
    g.bench_function("returning_no_change_synchronous_full", |b| {
        b.iter(|| {
            records
                .intake_returning(
                    onshi_fallback::domain::ids::PatientId(1),
                    Basis::ReturningNoChange,
                    None,
                )
                .unwrap()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
