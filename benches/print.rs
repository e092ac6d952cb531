//! Rendering one prescription (target: < 15 ms, PDF < 50 KB; issue 14).
//!
//! What is cached, as in the app: each bundled face is parsed once per process (`print::fonts`;
//! its hinting was stripped at build time, by `build.rs`), and a `Renderer` is built once. Everything that depends on the
//! prescription is in the measured time: the JAHIS records and QR symbols, drawing, subsetting
//! the font to the characters printed, compressing and writing the PDF. The one-time costs are
//! measured apart ("parse a bundled face"; "unhint a bundled face" is what each process paid
//! before the stripping moved to the build).

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};
use onshi_fallback::config::Clinic;
use onshi_fallback::domain::prescription::parse_input;
use onshi_fallback::domain::{Insurance, InsuranceKind, PatientDetails, Relationship, Sex};
use onshi_fallback::print::fonts::Face;
use onshi_fallback::print::template::FontName;
use onshi_fallback::print::{Renderer, RxDocument};

static GOTHIC: &[u8] = include_bytes!("../fonts/ipaexg.ttf");

fn document() -> RxDocument {
    let rx = parse_input(
        r#"{"visit_id": "v1", "doctor": "工業会 次郎", "issued_on": "2026-11-25", "rps": [
          {"form": "internal", "usage": "1日1回朝食後", "days": 28, "drugs": [
            {"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠", "no_substitution": true, "patient_request": false},
            {"name": "ロスバスタチン錠2.5mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": true}]},
          {"form": "prn", "usage": "疼痛時", "days": 10, "drugs": [
            {"name": "ロキソプロフェンNa錠60mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": false}]}],
          "refill_count": null, "remarks": "一包化"}"#,
    )
    .unwrap()
    .validate()
    .unwrap();
    RxDocument {
        clinic: Clinic {
            name: Some("工業会クリニック".into()),
            address: Some("東京都港区新橋1-11-1".into()),
            postal_code: Some("105-0004".into()),
            phone: Some("03-0000-0000".into()),
            prefecture_code: Some("13".into()),
            fee_table: Some("1".into()),
            institution_code: Some("1234567".into()),
            doctors: vec![],
        },
        patient: PatientDetails {
            name: "日薬 太郎".into(),
            kana: String::new(),
            birth_date: NaiveDate::from_ymd_opt(1960, 6, 6).unwrap(),
            sex: Sex::Male,
            address: String::new(),
            phone: String::new(),
        },
        insurance: Insurance {
            kind: InsuranceKind::Shaho,
            insurer_number: Some("01130012".into()),
            symbol: "１２３".into(),
            number: Some("４５６".into()),
            branch: "01".into(),
            relationship: Some(Relationship::Insured),
            insurer_name: String::new(),
            employer: String::new(),
            copay_percent: 30,
            public_funds: vec![],
        },
        prescription: rx,
        sheet: Default::default(),
    }
}

/// 14 RPs of two drugs, notes in 備考, the id on every sheet: three sheets.
fn three_sheets() -> RxDocument {
    let rp = |i: usize| {
        format!(
            r#"{{"form": "internal", "usage": "1日3回毎食後", "days": 14, "drugs": [
              {{"name": "薬品{i}の0錠10mg", "amount": "3", "unit": "錠", "no_substitution": false, "patient_request": false}},
              {{"name": "薬品{i}の1錠10mg", "amount": "3", "unit": "錠", "no_substitution": false, "patient_request": false}}]}}"#
        )
    };
    let rps: Vec<String> = (1..=14).map(rp).collect();
    let json = format!(
        r#"{{"visit_id": "v1", "doctor": "工業会 次郎", "issued_on": "2026-11-25", "rps": [{}],
          "refill_count": null, "remarks": "一包化（朝・夕食後の分）\n粉砕不可\n腎機能低下あり（eGFR 45）"}}"#,
        rps.join(",")
    );
    let mut doc = document();
    doc.prescription = parse_input(&json).unwrap().validate().unwrap();
    doc.sheet.id = Some("RX1234".into());
    doc
}

fn bench(c: &mut Criterion) {
    let renderer = Renderer::default_a5().unwrap();
    let doc = document();
    let long = three_sheets();
    let one = renderer.render(&doc).unwrap();
    let three = renderer.render(&long).unwrap();
    eprintln!(
        "PDF size: {} bytes ({} sheet), {} bytes ({} sheets)",
        one.pdf.len(),
        one.pages,
        three.pdf.len(),
        three.pages
    );
    c.bench_function("render one prescription", |b| {
        b.iter(|| renderer.render(&doc).unwrap())
    });
    c.bench_function("render a 3-sheet prescription", |b| {
        b.iter(|| renderer.render(&long).unwrap())
    });
    let records = onshi_fallback::print::jahis::records(&doc);
    c.bench_function("jahis records + qr symbols", |b| {
        b.iter(|| onshi_fallback::print::qr::symbols_for(&records, 11).unwrap())
    });
    c.bench_function("load template (faces already parsed)", |b| {
        b.iter(|| Renderer::default_a5().unwrap())
    });
    let gothic = onshi_fallback::print::fonts::face_bytes(FontName::Gothic);
    c.bench_function("parse a bundled face (once per process)", |b| {
        b.iter(|| Face::parse(gothic).unwrap())
    });
    c.bench_function("unhint a bundled face (build time now)", |b| {
        b.iter(|| onshi_fallback::print::unhint::strip_hinting(GOTHIC).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
