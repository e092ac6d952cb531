//! The printed prescription, checked the way a pharmacy would: the PDF's pages and fonts, the
//! text on them, and the 2D symbol decoded back and read record by record.
//!
//! Set `PRINT_SAMPLES_DIR` to keep the generated PDFs for a look (`pdftoppm -png -r 100`).

use chrono::NaiveDate;
use lopdf::{Document, Object};
use onshi_fallback::config::Clinic;
use onshi_fallback::domain::prescription::{parse_input, Prescription};
use onshi_fallback::domain::{
    Insurance, InsuranceKind, PatientDetails, PublicFund, Relationship, Sex,
};
use onshi_fallback::print::jahis;
use onshi_fallback::print::{Rendered, Renderer, RxDocument};

use crate::common::pdf_text::page_texts;
use crate::common::qr_read::{page_symbols, read, read_all, rqrr_bytes};

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
            public_funds: vec![PublicFund {
                payer: "54016027".into(),
                recipient: "1234566".into(),
            }],
        },
        prescription: rx,
        sheet: Default::default(),
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

// ---- reading the PDF back ---------------------------------------------------------------

fn sjis_lines(bytes: &[u8]) -> Vec<String> {
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    assert!(!errors);
    assert!(text.ends_with("\r\n"));
    text.trim_end_matches("\r\n")
        .split("\r\n")
        .map(String::from)
        .collect()
}

// ---- the tests ---------------------------------------------------------------------------

#[test]
fn page_is_a5_and_fonts_are_embedded_subsets() {
    let doc = document("日薬 太郎", prescription(TWO_RPS, "2", "一包化"));
    let r = renderer().render(&doc).unwrap();
    keep("two-rps", &r);
    let pdf = Document::load_mem(&r.pdf).unwrap();
    let pages = pdf.get_pages();
    assert_eq!(pages.len(), 1);
    let page = pdf.get_dictionary(*pages.get(&1).unwrap()).unwrap();
    let mm = |pt: f32| pt / 72.0 * 25.4;
    let media: Vec<f32> = page
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect();
    assert!(
        (mm(media[2]) - 148.0).abs() < 0.1 && (mm(media[3]) - 210.0).abs() < 0.1,
        "{media:?}"
    );

    let mut embedded = 0;
    for (_, obj) in pdf.objects.iter() {
        let Ok(dict) = obj.as_dict() else { continue };
        if dict.get(b"Type").and_then(Object::as_name).ok() == Some(b"FontDescriptor".as_slice()) {
            let name =
                String::from_utf8(dict.get(b"FontName").unwrap().as_name().unwrap().to_vec())
                    .unwrap();
            // A subset's name carries a six-letter tag: ABCDEF+IPAexGothic.
            let (tag, base) = name.split_once('+').expect("subset tag");
            assert!(
                tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()),
                "{name}"
            );
            assert!(base.starts_with("IPAex"), "{name}");
            let file = dict.get(b"FontFile2").unwrap().as_reference().unwrap();
            let len = pdf
                .get_object(file)
                .unwrap()
                .as_stream()
                .unwrap()
                .content
                .len();
            assert!(len > 1000 && len < 1_000_000, "subset size {len}");
            embedded += 1;
        }
    }
    assert!(embedded >= 1);
}

#[test]
fn every_field_is_printed() {
    let rx = prescription(TWO_RPS, "2", "一包化");
    let doc = document("日薬 太郎", rx);
    let r = renderer().render(&doc).unwrap();
    let text = page_texts(&r.pdf).concat();
    for want in [
        "処",
        "（この処方箋は、どの保険薬局でも有効です。）",
        "公費負担者番号",
        "保険者番号",
        "日薬 太郎",
        "昭和25年6月6日",
        "男・女",
        "被保険者",
        "被扶養者",
        "〒105-0004 東京都港区新橋1-11-1",
        "工業会クリニック",
        "03-0000-0000",
        "工業会 次郎",
        "令和8年11月25日",
        "処方箋の",
        "使用期間",
        "アムロジピン錠5mg",
        "1錠",
        "1日1回朝食後",
        "28日分",
        "10回分",
        "【外用】1日2回 患部に塗布",
        "50g",
        "以下余白",
        "リフィル可",
        "一包化",
        "保険医署名",
        "保険医療機関へ疑義照会した上で調剤",
        "調剤済年月日",
        "保険薬局の所在",
        "Ａ列５番",
        "０１－２３・１２３４（枝番）5",
    ] {
        assert!(text.contains(want), "missing {want}");
    }
    // Numbers in boxes: one character per box, in order.
    let boxed: String = text.lines().filter(|l| l.chars().count() == 1).collect();
    for digits in ["54016027", "06012345", "1234566", "13", "1234567"] {
        assert!(boxed.contains(digits), "boxes {digits} in {boxed}");
    }
    // 変更不可 and 患者希望 marks, the refill check, and the count.
    assert!(text.lines().filter(|l| *l == "レ").count() >= 3);
    assert!(text.lines().any(|l| l == "2"));
}

#[test]
fn the_symbol_decodes_to_the_payload_record_by_record() {
    let doc = document("日薬 太郎", prescription(TWO_RPS, "2", "一包化, 粉砕"));
    let r = renderer().render(&doc).unwrap();
    let symbols: Vec<_> = page_symbols(&r.pdf).concat();
    assert_eq!(symbols.len(), r.symbols.len());
    let bytes = read_all(&symbols);
    assert_eq!(bytes, jahis::payload(&doc));
    let lines = sjis_lines(&bytes);
    let want = [
        "JAHIS10",
        "1,1,1234567,13,工業会クリニック",
        "2,105-0004,東京都港区新橋1-11-1",
        "3,03-0000-0000,,",
        "5,,,工業会 次郎",
        "11,,日薬 太郎,",
        "12,1",
        "13,19500606",
        // 76 years old on the day, 後期高齢者 2割 → 5 (「高一」 in 備考, record 81 below).
        "14,5",
        "22,06012345",
        "23,０１－２３,１２３４,2,05",
        "27,54016027,1234566",
        "51,20261125",
        "64,2",
        "81,1,,高一",
        "81,2,,一包化， 粉砕",
        "101,1,1,,28",
        "111,1,1,,1日1回朝食後,",
        "201,1,1,1,1,,アムロジピン錠5mg,1,1,錠",
        "281,1,1,1,3,後発品変更不可,",
        "201,1,2,1,1,,ロスバスタチン錠2.5mg,1,1,錠",
        "281,1,2,1,8,先発医薬品患者希望,",
        "101,2,2,,10",
        "111,2,1,,疼痛時， 1回1錠,",
        "201,2,1,1,1,,ロキソプロフェンNa錠60mg,1,1,錠",
        "101,3,3,,1",
        "111,3,1,,1日2回 患部に塗布,",
        "201,3,1,1,1,,ヘパリン類似物質油性クリーム0.3%,50,1,g",
    ];
    assert_eq!(lines, want);
    // Every symbol holds whole records.
    for g in &symbols {
        assert!(read(g).bytes.ends_with(b"\r\n"));
    }
    // Cell pitch of at least 0.33 mm (the spec's minimum is 0.25): 24 mm over the modules and
    // quiet zone.
    for s in &r.symbols {
        assert!(24.0 / (s.width + 8) as f32 >= 0.33, "{}", s.width);
    }
}

/// The lines of the payload a reader gets from the printed symbols.
fn printed_records(r: &Rendered) -> Vec<String> {
    sjis_lines(&read_all(&page_symbols(&r.pdf).concat()))
}

/// The 備考 lines printed on the first sheet (between 保険医署名's note and the 残薬 line).
fn printed_remarks(r: &Rendered) -> String {
    page_texts(&r.pdf)[0].clone()
}

fn with_patient(birth: NaiveDate, kind: InsuranceKind, percent: u8) -> RxDocument {
    let mut doc = document("日薬 太郎", prescription(TWO_RPS, "null", ""));
    doc.patient.birth_date = birth;
    doc.insurance.kind = kind;
    doc.insurance.copay_percent = percent;
    doc
}

#[test]
fn the_age_class_is_printed_in_remarks_as_record_14_says() {
    // Issued 2026-11-25. (birth date, insurance, 負担割合) → (備考, record 14).
    let cases = [
        // 6 years old, before the first 31 March after the 6th birthday: 未就学児.
        (
            d(2020, 6, 6),
            InsuranceKind::Kokuho,
            20,
            Some("６歳"),
            Some("14,3"),
        ),
        // 7 years old: at school, nothing.
        (d(2019, 4, 1), InsuranceKind::Kokuho, 30, None, None),
        // 72: 高齢受給者, 2割 → 高一; 3割 (現役並み) → 高７.
        (
            d(1954, 6, 6),
            InsuranceKind::Kokuho,
            20,
            Some("高一"),
            Some("14,1"),
        ),
        (
            d(1954, 6, 6),
            InsuranceKind::Shaho,
            30,
            Some("高７"),
            Some("14,2"),
        ),
        // 45: nothing.
        (d(1981, 1, 1), InsuranceKind::Shaho, 30, None, None),
    ];
    for (birth, kind, pct, note, rec14) in cases {
        let doc = with_patient(birth, kind, pct);
        let r = renderer().render(&doc).unwrap();
        let records = printed_records(&r);
        let remarks: Vec<&String> = records.iter().filter(|l| l.starts_with("81,")).collect();
        let text = printed_remarks(&r);
        let has14 = records.iter().find(|l| l.starts_with("14,")).cloned();
        assert_eq!(has14.as_deref(), rec14, "{birth}");
        match note {
            Some(n) => {
                assert!(text.lines().any(|l| l == n), "{birth}: {n} printed");
                assert_eq!(remarks[0], &format!("81,1,,{n}"), "{birth}");
            }
            None => {
                for n in ["６歳", "高一", "高７"] {
                    assert!(!text.contains(n), "{birth}: no {n}");
                }
                assert!(remarks.is_empty(), "{birth}");
            }
        }
    }
    if let Ok(dir) = std::env::var("PRINT_SAMPLES_DIR") {
        for (name, birth, pct) in [("age-6", d(2020, 6, 6), 20), ("age-72", d(1954, 6, 6), 20)] {
            let r = renderer()
                .render(&with_patient(birth, InsuranceKind::Kokuho, pct))
                .unwrap();
            std::fs::write(format!("{dir}/{name}.pdf"), &r.pdf).unwrap();
        }
    }
}

#[test]
fn a_fushou_prescription_says_so_and_a_strict_reader_accepts_record_23() {
    let mut doc = with_patient(d(1981, 1, 1), InsuranceKind::Unknown, 30);
    doc.insurance.insurer_number = None;
    doc.insurance.number = None;
    doc.insurance.symbol = String::new();
    doc.insurance.branch = String::new();
    doc.insurance.relationship = None;
    doc.insurance.public_funds.clear();
    let r = renderer().render(&doc).unwrap();
    keep("fushou", &r);
    let text = printed_remarks(&r);
    // 記号・番号 reads 不詳, not blank as for 自費; 備考 says why and what was declared.
    assert!(text.lines().any(|l| l == "不詳"), "{text}");
    assert!(text.contains(
        "不詳（オンライン資格確認不可・被保険者資格申立書による）申立: 不明・3割・工業会健保・本人・家族の別不明"
    ), "{text}");
    // Neither insurer digits nor a circled 区分.
    let boxed: String = text.lines().filter(|l| l.chars().count() == 1).collect();
    assert!(!boxed.contains("06012345"));
    let records = printed_records(&r);
    assert!(records.contains(&"22,".to_string()));
    // 被保険者／被扶養者 is required (◎): never empty.
    let rec23 = records.iter().find(|l| l.starts_with("23,")).unwrap();
    let fields: Vec<&str> = rec23.split(',').collect();
    assert_eq!(fields.len(), 5, "{rec23}");
    assert!(["1", "2"].contains(&fields[3]), "{rec23}");
    assert!(records.iter().any(|l| l.starts_with("81,1,,不詳（")));
}

#[test]
fn a_public_only_prescription_prints_the_fund_and_no_fushou() {
    let mut doc = with_patient(d(1981, 1, 1), InsuranceKind::Unknown, 0);
    doc.insurance.insurer_number = None;
    doc.insurance.number = None;
    doc.insurance.symbol = String::new();
    doc.insurance.branch = String::new();
    doc.insurance.relationship = None;
    doc.insurance.public_funds = vec![PublicFund {
        payer: "12136010".into(),
        recipient: "7654321".into(),
    }];
    let r = renderer().render(&doc).unwrap();
    keep("public-only", &r);
    let text = printed_remarks(&r);
    assert!(!text.contains("不詳"), "{text}");
    let boxed: String = text.lines().filter(|l| l.chars().count() == 1).collect();
    assert!(
        boxed.contains("12136010") && boxed.contains("7654321"),
        "{boxed}"
    );
    assert!(!boxed.contains("06012345"));
    let records = printed_records(&r);
    assert!(records.contains(&"22,".to_string()));
    assert!(records.contains(&"23,,,1,".to_string()));
    assert!(records.contains(&"27,12136010,7654321".to_string()));
    assert!(!records.iter().any(|l| l.contains("不詳")));
}

#[test]
fn the_signature_line_is_left_for_the_hand_or_printed_with_a_seal() {
    use onshi_fallback::config::Signature;
    // TWO_RPS has a 変更不可 drug: the 保険医署名 is needed.
    let doc = document("日薬 太郎", prescription(TWO_RPS, "null", ""));
    let count =
        |r: &Rendered, what: &str| page_texts(&r.pdf)[0].lines().filter(|l| *l == what).count();
    let mut rend = renderer();
    assert_eq!(rend.signature, Signature::Hand, "the default");
    let hand = rend.render(&doc).unwrap();
    // The name once (保険医氏名), the line empty for the doctor's hand; the form's two 印.
    assert_eq!(count(&hand, "工業会 次郎"), 1);
    assert_eq!(count(&hand, "印"), 2);
    rend.signature = Signature::Seal;
    let seal = rend.render(&doc).unwrap();
    keep("seal", &seal);
    assert_eq!(count(&seal, "工業会 次郎"), 2);
    assert_eq!(count(&seal, "印"), 3);
    // Without 変更不可 neither is printed, whatever the setting.
    let plain = prescription(
        r#"[{"form": "internal", "usage": "1日1回朝食後", "days": 28, "drugs": [
        {"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": false}]}]"#,
        "null",
        "",
    );
    let r = rend.render(&document("日薬 太郎", plain)).unwrap();
    assert_eq!((count(&r, "工業会 次郎"), count(&r, "印")), (1, 2));
}

#[test]
fn the_pdf_says_when_and_by_what_it_was_made() {
    let doc = document("日薬 太郎", prescription(TWO_RPS, "null", ""));
    let r = renderer().render(&doc).unwrap();
    let pdf = Document::load_mem(&r.pdf).unwrap();
    let info = pdf
        .get_dictionary(pdf.trailer.get(b"Info").unwrap().as_reference().unwrap())
        .unwrap();
    let text = |key: &[u8]| -> String {
        let bytes = info.get(key).unwrap().as_str().unwrap();
        if bytes.starts_with(&[0xFE, 0xFF]) {
            let units: Vec<u16> = bytes[2..]
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).unwrap()
        } else {
            String::from_utf8_lossy(bytes).to_string()
        }
    };
    // Issued 2026-11-25: 00:00 in Japan is 15:00 UTC the day before.
    assert_eq!(text(b"CreationDate"), "D:20261124150000+00'00'");
    assert!(
        text(b"Producer").starts_with("onshi-fallback "),
        "{}",
        text(b"Producer")
    );
    assert!(
        info.get(b"GTS_PDFXVersion").is_err(),
        "no empty PDF/X marker"
    );
}

#[test]
fn a_long_clinic_name_wraps_and_a_name_too_long_is_named_by_its_key() {
    let mut doc = document("日薬 太郎", prescription(TWO_RPS, "null", ""));
    let name = "医療法人社団工業会記念病院附属新橋駅前総合内科クリニック"; // 28 characters
    doc.clinic.name = Some(name.into());
    doc.clinic.address =
        Some("東京都港区新橋一丁目十一番一号 新橋駅前ビルディング東館十二階".into());
    let rend = renderer();
    let r = rend.render(&doc).unwrap();
    keep("long-clinic", &r);
    let text = page_texts(&r.pdf)[0].replace('\n', "");
    assert!(text.contains(name), "printed whole, wrapped");
    assert!(rend.check_clinic(&doc.clinic).is_ok());
    doc.clinic.name = Some(name.repeat(3));
    let err = rend.check_clinic(&doc.clinic).unwrap_err().to_string();
    assert!(
        err.contains("clinic.name") && err.contains("84 文字"),
        "{err}"
    );
    assert!(rend.render(&doc).is_err());
}

#[test]
fn a_long_usage_wraps_at_the_body_size() {
    let usage = "1日3回毎食後に服用、ただし空腹時の胃部不快感が強いときは食直後に服用すること";
    let rps = format!(
        r#"[{{"form": "internal", "usage": "{usage}", "days": 14, "drugs": [
        {{"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": false}}]}}]"#
    );
    let r = renderer()
        .render(&document("日薬 太郎", prescription(&rps, "null", "")))
        .unwrap();
    keep("long-usage", &r);
    let text = page_texts(&r.pdf)[0].clone();
    // On two lines, nothing lost, and the day count on the first.
    assert!(!text.lines().any(|l| l == usage), "wrapped");
    assert!(text.replace("14日分", "").replace('\n', "").contains(usage));
    let first = text
        .lines()
        .position(|l| l.starts_with("1日3回毎食後に") && usage.starts_with(l))
        .unwrap();
    assert_eq!(text.lines().nth(first + 1), Some("14日分"));
}

#[test]
fn the_period_of_use_and_the_leftover_instruction_are_on_paper_and_in_the_symbol() {
    let rps = r#"[{"form": "internal", "usage": "1日1回朝食後", "days": 28, "drugs": [
        {"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": false}]}]"#;
    let json = format!(
        r#"{{"visit_id": "v1", "doctor": "工業会 次郎", "issued_on": "2026-11-25", "rps": {rps},
            "valid_until": "2026-12-02", "leftover": "inform"}}"#
    );
    let rx = parse_input(&json).unwrap().validate().unwrap();
    let plain = renderer()
        .render(&document("日薬 太郎", prescription(rps, "null", "")))
        .unwrap();
    let r = renderer().render(&document("日薬 太郎", rx)).unwrap();
    keep("valid-until-leftover", &r);
    let text = page_texts(&r.pdf)[0].clone();
    assert!(text.contains("令和8年12月2日"), "使用期間 printed");
    let checks = |r: &Rendered| page_texts(&r.pdf)[0].lines().filter(|l| *l == "レ").count();
    assert_eq!(checks(&r), checks(&plain) + 1, "one more レ: the 残薬 box");
    let records = printed_records(&r);
    assert!(records.contains(&"52,20261202".to_string()), "{records:?}");
    assert!(records.contains(&"62,2".to_string()));
    let at = |p: &str| records.iter().position(|l| l.starts_with(p)).unwrap();
    assert!(
        at("51,") < at("52,") && at("52,") < at("62,"),
        "record order"
    );
    // A day before issue, or a choice that is not one, is refused naming the field.
    for (bad, field) in [
        (json.replace("2026-12-02", "2026-11-20"), "valid_until"),
        (json.replace("\"inform\"", "\"ask\""), "leftover"),
    ] {
        let errs = parse_input(&bad).unwrap().validate().unwrap_err();
        assert!(errs.iter().any(|e| e.field == field), "{errs:?}");
    }
}

#[test]
fn a_short_prescription_is_one_symbol() {
    let rps = r#"[{"form": "internal", "usage": "1日1回朝食後", "days": 28, "drugs": [
        {"name": "アムロジピン錠5mg", "amount": "1", "unit": "錠", "no_substitution": false, "patient_request": false}]}]"#;
    let doc = document("日薬 太郎", prescription(rps, "null", ""));
    let r = renderer().render(&doc).unwrap();
    keep("one-rp", &r);
    // One symbol, not a linked set (at the 0.33 mm pitch this one needs level L).
    assert_eq!(r.symbols.len(), 1);
    assert_eq!(r.symbols[0].sequence, None);
    let lines = sjis_lines(&rqrr_bytes(&page_symbols(&r.pdf)[0][0]));
    assert!(
        !lines.iter().any(|l| l.starts_with("64,")),
        "no refill record without refill"
    );
    assert!(
        !page_texts(&r.pdf)[0].contains("保険医署名\n工業会"),
        "no signature without 変更不可"
    );
}

fn rps_of(n: usize, drugs: usize) -> String {
    let rp = |i: usize| {
        let drugs: Vec<String> = (0..drugs)
            .map(|j| format!(
                r#"{{"name": "薬品{i}の{j}錠10mg", "amount": "3", "unit": "錠", "no_substitution": false, "patient_request": false}}"#
            ))
            .collect();
        format!(
            r#"{{"form": "internal", "usage": "1日3回毎食後", "days": 14, "drugs": [{}]}}"#,
            drugs.join(",")
        )
    };
    format!("[{}]", (1..=n).map(rp).collect::<Vec<_>>().join(","))
}

#[test]
fn fourteen_rps_take_three_sheets_that_cannot_be_taken_apart() {
    let mut doc = document("日薬 太郎", prescription(&rps_of(14, 2), "null", ""));
    doc.sheet.id = Some("RX12".into());
    let r = renderer().render(&doc).unwrap();
    keep("three-sheets", &r);
    assert_eq!(r.pages, 3, "was 5 before the sheets were filled");
    let texts = page_texts(&r.pdf);
    for (i, t) in texts.iter().enumerate() {
        let n = i + 1;
        let sheet = if n == 1 {
            "1/3 枚".to_string()
        } else {
            format!("続紙 {n}/3 枚")
        };
        assert!(t.lines().any(|l| l == sheet), "sheet {n}: {sheet}");
        // Every sheet names the patient, the day of issue and the prescription.
        assert!(
            t.contains("日薬 太郎") && t.contains("令和8年11月25日"),
            "sheet {n}"
        );
        assert!(t.contains("処方箋ID RX12"), "sheet {n}");
        assert_eq!(t.contains("次頁へ続く"), n < 3, "sheet {n}");
        assert_eq!(t.contains("以下余白"), n == 3, "sheet {n}");
    }
    assert!(texts[0].contains("5)") && !texts[0].contains("6)"));
    assert!(texts[2].contains("14)"));
    assert!(!texts[0].contains("再発行"));
    // The symbols on all sheets are one linked set that gives the whole payload.
    let all = read_all(&page_symbols(&r.pdf).concat());
    assert_eq!(all, jahis::payload(&doc));
    assert!(r.symbols.len() >= 2);
}

/// The 14-RP prescription of three sheets, with notes in 備考 and its id on every sheet.
fn long_prescription_with_notes() -> RxDocument {
    let mut doc = document(
        "日薬 太郎",
        prescription(
            &rps_of(14, 2),
            "null",
            "一包化（朝・夕食後の分）\\n粉砕不可\\n腎機能低下あり（eGFR 45）",
        ),
    );
    doc.sheet.id = Some("RX1234".into());
    doc
}

#[test]
fn a_three_sheet_prescription_with_notes_stays_under_50_kb() {
    let doc = long_prescription_with_notes();
    let r = renderer().render(&doc).unwrap();
    keep("three-sheets-notes", &r);
    assert_eq!(r.pages, 3);
    assert!(printed_remarks(&r).contains("粉砕不可"));
    assert!(r.pdf.len() < 50 * 1024, "{} bytes", r.pdf.len());
    // One sheet, as most prescriptions are, with room to spare.
    let one = renderer()
        .render(&document("日薬 太郎", prescription(TWO_RPS, "2", "一包化")))
        .unwrap();
    assert_eq!(one.pages, 1);
    assert!(one.pdf.len() < 50 * 1024, "{} bytes", one.pdf.len());
}

#[test]
fn the_same_prescription_renders_to_the_same_bytes() {
    let doc = long_prescription_with_notes();
    let first = renderer().render(&doc).unwrap();
    // Another renderer (as another print, or another day's process, would use).
    let again = renderer().render(&doc).unwrap();
    assert!(
        first.pdf == again.pdf,
        "two renders of one prescription differ"
    );
    // The document id is drawn from the content: another prescription has another.
    let id = |pdf: &[u8]| {
        let doc = Document::load_mem(pdf).unwrap();
        format!("{:?}", doc.trailer.get(b"ID").unwrap())
    };
    let mut other = doc.clone();
    other.sheet.id = Some("RX1235".into());
    let other = renderer().render(&other).unwrap();
    assert_ne!(id(&first.pdf), id(&other.pdf));
}

#[test]
fn an_rp_that_runs_over_a_sheet_repeats_its_number() {
    // 2 RPs of 10 drugs: 11 lines each, 15 to a sheet.
    let doc = document("日薬 太郎", prescription(&rps_of(2, 10), "null", ""));
    let r = renderer().render(&doc).unwrap();
    keep("rp-continues", &r);
    let texts = page_texts(&r.pdf);
    assert_eq!(texts.len(), 2);
    assert!(texts[0].contains("2)") && texts[0].contains("次頁へ続く"));
    assert!(texts[1].contains("2)\n（前頁から続く）"), "{}", texts[1]);
}

#[test]
fn a_reissue_is_marked_with_the_original_date() {
    let mut doc = document("日薬 太郎", prescription(TWO_RPS, "null", ""));
    doc.sheet.id = Some("RX7".into());
    doc.sheet.reissue_of = Some(d(2026, 11, 25));
    let r = renderer().render(&doc).unwrap();
    keep("reissue", &r);
    for t in page_texts(&r.pdf) {
        assert!(t.contains("再発行（原本の交付 令和8年11月25日）"), "{t}");
        assert!(t.contains("処方箋ID RX7"));
    }
}

#[test]
fn a_name_outside_jis_x_0208_becomes_geta_in_the_symbol_only() {
    let doc = document("髙橋 一郎", prescription(TWO_RPS, "null", ""));
    let rend = renderer();
    let r = rend.render(&doc).unwrap();
    keep("gaiji-name", &r);
    assert_eq!(r.gaiji, vec!['髙']);
    let lines = sjis_lines(&read_all(&page_symbols(&r.pdf).concat()));
    assert!(lines.contains(&"11,,■橋 一郎,".to_string()), "{lines:?}");
    // The paper keeps the real character: the bundled font has it.
    assert!(page_texts(&r.pdf)[0].contains("髙橋 一郎"));
}

#[test]
fn a_name_with_a_character_the_font_lacks_is_printed_with_a_mark_and_a_note() {
    let rend = renderer();
    // U+E000 (private use) is in no font and has no standard form: 〓 on paper, and a note.
    let doc = document("\u{E000}山 花子", prescription(TWO_RPS, "null", ""));
    assert_eq!(rend.unprintable(&doc), vec!['\u{E000}']);
    let r = rend
        .render(&doc)
        .expect("a patient's prescription is never refused for a name");
    let text = page_texts(&r.pdf).concat();
    assert!(text.contains("〓山 花子"), "{text}");
    assert!(text.contains("U+E000"), "{text}");
    // A character the font lacks but whose standard form it has prints in that form.
    let doc = document("𠮷田 花子", prescription(TWO_RPS, "null", ""));
    let r = rend.render(&doc).unwrap();
    let text = page_texts(&r.pdf).concat();
    assert!(
        text.contains("吉田 花子") && text.contains("U+20BB7"),
        "{text}"
    );
    // A drug name is the doctor's to fix: still refused, naming the character.
    let mut rx = prescription(TWO_RPS, "null", "");
    rx.rps[0].drugs[0].name = "\u{E000}錠".into();
    let err = rend
        .render(&document("山田 花子", rx))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("U+E000") && err.contains("印刷できません"),
        "{err}"
    );
}

#[test]
fn remarks_that_do_not_fit_are_refused_not_cut() {
    let many_lines = (1..=12)
        .map(|i| format!("備考{i}"))
        .collect::<Vec<_>>()
        .join("\\n");
    let doc = document("日薬 太郎", prescription(TWO_RPS, "null", &many_lines));
    let err = renderer().render(&doc).unwrap_err().to_string();
    assert!(err.contains("備考が長すぎて"), "{err}");
}

#[test]
fn missing_clinic_settings_are_named() {
    let mut doc = document("日薬 太郎", prescription(TWO_RPS, "null", ""));
    doc.clinic.institution_code = None;
    let err = renderer().render(&doc).unwrap_err().to_string();
    assert!(err.contains("clinic.institution_code"), "{err}");
}

#[test]
fn a_template_override_moves_the_symbol() {
    let text = onshi_fallback::print::template::DEFAULT_PRESCRIPTION.replacen(
        "x = 6.0\ny = 181.0\nsize = 24.0\ngap = 2.0\nmax_per_page = 4",
        "x = 80.0\ny = 181.0\nsize = 24.0\ngap = 2.0\nmax_per_page = 1",
        1,
    );
    let t = onshi_fallback::print::template::Template::parse(&text).unwrap();
    assert_eq!(t.qr.x, 80.0);
    let r = Renderer::new(t)
        .unwrap()
        .render(&document("日薬 太郎", prescription(TWO_RPS, "null", "")))
        .unwrap();
    let pdf = Document::load_mem(&r.pdf).unwrap();
    let page = *pdf.get_pages().get(&1).unwrap();
    let content = lopdf::content::Content::decode(&pdf.get_page_content(page)).unwrap();
    // 80 mm + 4 modules of quiet zone = the cm translation, in points.
    assert!(content
        .operations
        .iter()
        .any(|op| op.operator == "cm" && op.operands[4].as_float().unwrap() > 80.0 / 25.4 * 72.0));
}

#[test]
fn a_template_may_set_its_wording_in_mincho() {
    let text = onshi_fallback::print::template::DEFAULT_PRESCRIPTION.replacen(
        "label_font = \"gothic\"",
        "label_font = \"mincho\"",
        1,
    );
    let t = onshi_fallback::print::template::Template::parse(&text).unwrap();
    let r = Renderer::new(t)
        .unwrap()
        .render(&document("日薬 太郎", prescription(TWO_RPS, "null", "")))
        .unwrap();
    keep("mincho-labels", &r);
    let pdf = Document::load_mem(&r.pdf).unwrap();
    let mut names: Vec<String> = pdf
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| {
            d.get(b"Type").and_then(Object::as_name).ok() == Some(b"FontDescriptor".as_slice())
        })
        .map(|d| {
            String::from_utf8_lossy(d.get(b"FontName").unwrap().as_name().unwrap())
                .split('+')
                .nth(1)
                .unwrap()
                .to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["IPAexGothic", "IPAexMincho"]);
    assert!(page_texts(&r.pdf)[0].contains("保険医療機関へ疑義照会した上で調剤"));
}

// ---- no input panics ---------------------------------------------------------------------

mod props {
    use super::*;
    use onshi_fallback::domain::prescription::{DoseForm, DrugInput, PrescriptionInput, RpInput};
    use onshi_fallback::print::template::{Template, DEFAULT_PRESCRIPTION};
    use proptest::prelude::*;

    thread_local! {
        static RENDERER: Renderer = renderer();
    }

    fn any_form() -> impl Strategy<Value = DoseForm> {
        prop_oneof![
            Just(DoseForm::Internal),
            Just(DoseForm::Prn),
            Just(DoseForm::External)
        ]
    }

    fn any_drug() -> impl Strategy<Value = DrugInput> {
        (".{0,50}", ".{0,14}", ".{0,8}", any::<bool>(), any::<bool>()).prop_map(
            |(name, amount, unit, ns, pr)| DrugInput {
                name,
                amount,
                unit,
                no_substitution: ns,
                patient_request: pr,
            },
        )
    }

    fn any_input() -> impl Strategy<Value = PrescriptionInput> {
        let rp = (
            any_form(),
            ".{0,60}",
            proptest::option::of(-5i64..500),
            proptest::collection::vec(any_drug(), 0..4),
        )
            .prop_map(|(form, usage, days, drugs)| RpInput {
                form,
                usage,
                days,
                drugs,
            });
        (
            ".{0,5}",
            ".{0,25}",
            ".{0,14}",
            proptest::collection::vec(rp, 0..4),
            proptest::option::of(-2i64..6),
            proptest::option::of(".{0,80}"),
        )
            .prop_map(
                |(visit_id, doctor, issued_on, rps, refill_count, remarks)| PrescriptionInput {
                    visit_id,
                    doctor,
                    issued_on,
                    rps,
                    refill_count,
                    remarks,
                    issued_on_reason: None,
                    valid_until: None,
                    leftover: None,
                },
            )
    }

    /// Mostly valid prescriptions with arbitrary text, to exercise layout and encoding.
    fn likely_valid() -> impl Strategy<Value = Prescription> {
        // Kana, ASCII, commas, and a few characters outside JIS X 0208 (髙﨑①) that the font has.
        fn text(min: usize, max: usize) -> proptest::string::RegexGeneratorStrategy<String> {
            proptest::string::string_regex(&format!(
                "[ぁ-んァ-ヶA-Za-z0-9,，．. ・（）%&錠散剤軟膏髙﨑①]{{{min},{max}}}"
            ))
            .unwrap()
        }
        let drug = (
            text(1, 40),
            "[1-9][0-9]{0,2}(\\.[0-9]{1,2})?",
            "[錠gmLカプセル包枚本]{1,6}",
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(name, amount, unit, ns, pr)| DrugInput {
                name,
                amount,
                unit,
                no_substitution: ns,
                patient_request: pr,
            });
        let rp = (
            any_form(),
            text(1, 50),
            1i64..99,
            proptest::collection::vec(drug, 1..5),
        )
            .prop_map(|(form, usage, days, drugs)| RpInput {
                form,
                usage,
                days: (form != DoseForm::External).then_some(days),
                drugs,
            });
        (
            proptest::collection::vec(rp, 1..9),
            proptest::option::of(1i64..=3),
            text(0, 120),
        )
            .prop_filter_map("valid", |(rps, refill_count, remarks)| {
                PrescriptionInput {
                    visit_id: "v".into(),
                    doctor: "工業会 次郎".into(),
                    issued_on: "2026-11-25".into(),
                    rps,
                    refill_count,
                    remarks: Some(remarks),
                    issued_on_reason: None,
                    valid_until: None,
                    leftover: None,
                }
                .validate()
                .ok()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn parsing_any_text_never_panics(s in ".{0,200}") {
            let _ = parse_input(&s);
        }

        #[test]
        fn validating_and_encoding_never_panic(input in any_input(), name in ".{0,30}") {
            if let Ok(rx) = input.validate() {
                let doc = document(&name, rx);
                let bytes = jahis::payload(&doc);
                // Whatever was typed, the payload is CR LF-terminated Shift_JIS records with
                // exactly the commas of the layout.
                let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
                prop_assert!(!errors);
                prop_assert!(text.starts_with("JAHIS10\r\n") && text.ends_with("\r\n"));
                for line in text.trim_end().split("\r\n") {
                    prop_assert!(!line.contains('\n') && !line.contains('\r'));
                }
                let rec11 = text.split("\r\n").find(|l| l.starts_with("11,")).unwrap();
                prop_assert_eq!(rec11.matches(',').count(), 3);
            }
        }

        #[test]
        fn rendering_any_valid_prescription_never_panics(rx in likely_valid(), name in "[ぁ-んァ-ヶ日薬太郎髙﨑 ]{1,20}") {
            let doc = document(&name, rx);
            match RENDERER.with(|r| r.render(&doc)) {
                Ok(r) => {
                    prop_assert!(r.pages >= 1 && !r.symbols.is_empty());
                    // Whatever was typed, the symbols give back the payload.
                    let data: Vec<u8> = r.symbols.iter().flat_map(|s| s.data.clone()).collect();
                    prop_assert_eq!(data, jahis::payload(&doc));
                }
                // Only a character the font lacks, or 備考 too long for its box, may stop
                // printing; every line of a valid 処方 fits.
                Err(e) => prop_assert!(
                    e.to_string().contains("印刷できません") || e.to_string().contains("備考が長すぎて"),
                    "{}", e
                ),
            }
        }

        #[test]
        fn template_parsing_never_panics(cut in 0usize..DEFAULT_PRESCRIPTION.len(), junk in ".{0,20}") {
            let mut text: String = DEFAULT_PRESCRIPTION.chars().take(cut).collect();
            text.push_str(&junk);
            let _ = Template::parse(&text);
        }
    }
}
