//! The printed prescription, checked the way a pharmacy would: the PDF's pages and fonts, the
//! text on them, and the 2D symbol decoded back and read record by record.
//!
//! Set `PRINT_SAMPLES_DIR` to keep the generated PDFs for a look (`pdftoppm -png -r 100`).

use chrono::NaiveDate;
use lopdf::content::Content;
use lopdf::{Document, Object};
use onshi_fallback::config::Clinic;
use onshi_fallback::domain::prescription::{parse_input, Prescription};
use onshi_fallback::domain::{Insurance, InsuranceKind, PatientDetails, PublicFund, Relationship, Sex};
use onshi_fallback::print::jahis;
use onshi_fallback::print::{Rendered, Renderer, RxDocument};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn clinic() -> Clinic {
    Clinic {
        name: Some("工業会クリニック".into()),
        address: Some("東京都港区新橋1-11-1".into()),
        postal_code: Some("105-0004".into()),
        phone: Some("03-0000-0000".into()),
        prefecture_code: Some("13".into()),
        fee_table: Some("1".into()),
        institution_code: Some("1234567".into()),
        doctors: vec!["工業会 次郎".into()],
    }
}

fn prescription(json_rps: &str, refill: &str, remarks: &str) -> Prescription {
    let json = format!(
        r#"{{"visit_id": "v1", "doctor": "工業会 次郎", "issued_on": "2026-11-25", "rps": {json_rps},
            "refill_count": {refill}, "remarks": "{remarks}"}}"#
    );
    parse_input(&json).unwrap().validate().unwrap()
}

const TWO_RPS: &str = r#"[
  {"form": "internal", "usage": "1日1回朝食後", "days": 28, "drugs": [
    {"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠", "no_substitution": true, "patient_request": false},
    {"name": "ロスバスタチン錠2.5mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": true}]},
  {"form": "prn", "usage": "疼痛時, 1回1錠", "days": 10, "drugs": [
    {"name": "ロキソプロフェンNa錠60mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": false}]},
  {"form": "external", "usage": "1日2回 患部に塗布", "drugs": [
    {"name": "ヘパリン類似物質油性クリーム0.3%", "amount": "50", "unit": "g", "no_substitution": false, "patient_request": false}]}
]"#;

fn document(name: &str, rx: Prescription) -> RxDocument {
    RxDocument {
        clinic: clinic(),
        patient: PatientDetails {
            name: name.into(),
            kana: "ニチヤク タロウ".into(),
            birth_date: d(1950, 6, 6),
            sex: Sex::Male,
            address: "東京都港区芝1-1-1".into(),
            phone: "090-0000-0000".into(),
        },
        insurance: Insurance {
            kind: InsuranceKind::Shaho,
            insurer_number: Some("06012345".into()),
            symbol: "０１－２３".into(),
            number: Some("１２３４".into()),
            branch: "5".into(),
            relationship: Some(Relationship::Family),
            insurer_name: "工業会健保".into(),
            employer: "".into(),
            copay_percent: 20,
            public_funds: vec![PublicFund { payer: "54016027".into(), recipient: "1234566".into() }],
        },
        prescription: rx,
    }
}

fn renderer() -> Renderer {
    Renderer::default_a5().unwrap()
}

fn keep(name: &str, r: &Rendered) {
    if let Ok(dir) = std::env::var("PRINT_SAMPLES_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.pdf"), &r.pdf).unwrap();
    }
}

#[test]
fn sample_renders() {
    let doc = document("日薬 太郎", prescription(TWO_RPS, "2", "一包化\\n粉砕不可"));
    let r = renderer().render(&doc).unwrap();
    keep("two-rps", &r);
    assert_eq!(r.pages, 1);
}

#[test]
fn debug_qr() {
    let doc = document("日薬 太郎", prescription(TWO_RPS, "2", "一包化\\n粉砕不可"));
    let p = jahis::payload(&doc);
    eprintln!("len {}", p.len());
    eprintln!("{:?}", qrcode::QrCode::with_error_correction_level(&p, qrcode::EcLevel::M).map(|c| c.version()));
    for r in jahis::records(&doc) { let b = r.encode(); eprintln!("{} {:?}", r.line(), qrcode::QrCode::new(&b).map(|c| c.version())); }
}

#[test]
fn debug_qr2() {
    use qrcode::bits::Bits;
    let doc = document("日薬 太郎", prescription(TWO_RPS, "2", "一包化\\n粉砕不可"));
    let p = jahis::payload(&doc);
    for v in [10i16, 16, 20] {
        let b = Bits::new(qrcode::Version::Normal(v));
        eprintln!("v{v} maxlen {:?}", b.max_len(qrcode::EcLevel::M));
        let mut bits = Bits::new(qrcode::Version::Normal(v));
        eprintln!("{:?}", bits.push_optimal_data(&p[..300]));
        eprintln!("{:?}", bits.push_terminator(qrcode::EcLevel::M));
        if bits.len() > 0 {}
    }
}
