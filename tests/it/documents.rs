//! The A4 papers: the 申立書 pre-filled for signing, the day's degraded-mode list, the billing
//! clerk's report. Read back from the PDF as a viewer would.

use crate::common::pdf_text::page_texts;
use crate::common::*;
use onshi_fallback::domain::ids::VisitId;
use onshi_fallback::domain::Detection;
use onshi_fallback::store::Store;

fn page_size(pdf: &[u8]) -> (f32, f32) {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let (_, id) = doc.get_pages().into_iter().next().unwrap();
    let page = doc.get_dictionary(id).unwrap();
    let mb = page.get(b"MediaBox").unwrap().as_array().unwrap();
    let n = |o: &lopdf::Object| o.as_float().unwrap_or_else(|_| o.as_i64().unwrap() as f32);
    (n(&mb[2]), n(&mb[3]))
}

fn day() -> (tempfile::TempDir, onshi_fallback::service::Records) {
    let dir = tempfile::tempdir().unwrap();
    let mut r = records(Store::open(&dir.path().join("clinic.sqlite3")).unwrap());
    r.config.clinic.name = Some("工業会クリニック".into());
    r.config.clinic.address = Some("東京都港区新橋1-11-1".into());
    r.outage_start("資格確認端末がエラー", &[], Detection::Staff)
        .unwrap();
    r.intake(&intake(0)).unwrap();
    r.intake(&serde_json::from_str(&fushou_json(1)).unwrap())
        .unwrap();
    (dir, r)
}

#[test]
fn the_declaration_is_a4_prefilled_with_every_field() {
    let (dir, r) = day();
    let out = dir.path().join("decl.pdf");
    r.declaration_pdf(VisitId(1), &out).unwrap();
    let pdf = std::fs::read(&out).unwrap();
    let (w, h) = page_size(&pdf);
    assert!(
        (w - 595.3).abs() < 1.0 && (h - 841.9).abs() < 1.0,
        "A4: {w} × {h}"
    );
    let text = page_texts(&pdf).concat();
    for want in [
        "被保険者資格申立書",
        "D-1125-001",
        "山田 太郎0",
        "ヤマダ タロウ",
        "昭和45年3月1日",
        "東京都港区新橋1-0",
        "03-0000-0000",
        "協会けんぽ東京支部",
        "記号 12-34",
        "番号 1000",
        "株式会社テスト",
        "署名",
        "工業会クリニック",
        "令和8年11月25日",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    // the insurer number, one digit per box
    assert!(text.contains("0\n1\n1\n3\n0\n0\n1\n2\n"), "{text}");
}

/// Curves drawn on the first page between `top` and `bottom` mm from the top of an A4 page:
/// the circles around a choice.
fn curves_between(pdf: &[u8], top: f32, bottom: f32) -> usize {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let (_, id) = doc.get_pages().into_iter().next().unwrap();
    let content = lopdf::content::Content::decode(&doc.get_page_content(id)).unwrap();
    let mm = |pt: f32| 297.0 - pt / 72.0 * 25.4;
    content
        .operations
        .iter()
        .filter(|op| op.operator == "c")
        .filter(|op| {
            let y = mm(op.operands[5].as_float().unwrap());
            y > top && y < bottom
        })
        .count()
}

#[test]
fn the_fushou_declaration_says_what_to_look_up() {
    let (dir, r) = day();
    let out = dir.path().join("decl.pdf");
    r.declaration_pdf(VisitId(2), &out).unwrap();
    let pdf = std::fs::read(&out).unwrap();
    let text = page_texts(&pdf).concat();
    assert!(text.contains("「不詳」で受け付け"), "{text}");
    // 負担割合 offers わからない and is not circled in advance for a 不詳 patient (whose
    // recorded ratio is only the age's default); a 代理人 says who they are.
    assert!(
        text.contains("1割　・　2割　・　3割　・　わからない"),
        "{text}"
    );
    assert!(text.contains("代理の方はご本人との続柄"));
    assert_eq!(curves_between(&pdf, 174.0, 185.0), 0, "no 負担割合 circled");
    let known = dir.path().join("known.pdf");
    r.declaration_pdf(VisitId(1), &known).unwrap();
    assert!(curves_between(&std::fs::read(&known).unwrap(), 174.0, 185.0) > 0);
}

#[test]
fn the_outage_day_list_lists_public_funds_and_keeps_numbers_whole() {
    let (dir, mut r) = day();
    let json = intake_json(2).replace(
        "\"copay_percent\": 30",
        "\"copay_percent\": 30, \"public_funds\": [{\"payer\": \"54016027\", \"recipient\": \"1234566\"}]",
    );
    r.intake(&serde_json::from_str(&json).unwrap()).unwrap();
    let out = dir.path().join("day.pdf");
    r.outage_day_pdf(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), &out)
        .unwrap();
    let text = page_texts(&std::fs::read(&out).unwrap()).concat();
    assert!(text.contains("公費 54016027-1234566"), "{text}");
    // Every number of the insurance column whole on one line.
    for number in ["01130012", "54016027"] {
        assert!(
            text.lines().any(|l| l.contains(number)),
            "{number} split in:\n{text}"
        );
    }
}

#[test]
fn the_outage_day_list_holds_the_days_visits() {
    let (dir, r) = day();
    let out = dir.path().join("day.pdf");
    let s = r
        .outage_day_pdf(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), &out)
        .unwrap();
    assert_eq!(s.visits, 2);
    let text = page_texts(&std::fs::read(&out).unwrap()).concat();
    for want in [
        "障害時受付一覧",
        "D-1125-001",
        "D-1125-002",
        "山田 太郎0",
        "不詳",
        "資格確認端末がエラー",
        "照合待ち",
    ] {
        assert!(text.contains(want), "{want} missing from:\n{text}");
    }
    // The audit chain's end is on paper too.
    let (seq, hash) = r
        .store
        .read(onshi_fallback::store::audit::head)
        .unwrap()
        .unwrap();
    assert!(
        text.contains(&format!("監査ログ {seq} 番 {}", &hash[..12])),
        "{text}"
    );
}

#[test]
fn the_reconcile_report_flows_over_pages_in_landscape() {
    let (dir, mut r) = day();
    for n in 2..60 {
        r.intake(&intake(n)).unwrap();
    }
    let out = dir.path().join("report.pdf");
    let s = r.reconcile_report_pdf(&out).unwrap();
    assert_eq!(s.visits, 60);
    let pdf = std::fs::read(&out).unwrap();
    let (w, h) = page_size(&pdf);
    assert!(w > h, "landscape");
    let pages = page_texts(&pdf);
    assert!(pages.len() >= 2, "60 rows take more than one page");
    let all = pages.concat();
    for n in 1..=60 {
        assert!(all.contains(&format!("D-1125-{n:03}")), "row {n} missing");
    }
    assert!(pages
        .last()
        .unwrap()
        .contains(&format!("{} / {} 頁", pages.len(), pages.len())));
    // Wrapped cells break as Japanese is set: no line starts with a closing bracket, and no
    // word loses its last kana to a line of its own (「照合待」「ち」).
    for line in all.lines() {
        assert!(
            !line.starts_with([')', '）', '」', '、', '。']) && line != "ち",
            "a line starts badly: {line:?}"
        );
    }
}

#[test]
fn a_name_with_a_character_the_font_lacks_still_reaches_paper() {
    let (dir, mut r) = day();
    let mut input = intake(3);
    input.patient.name = "𠮷田 太郎".into();
    r.intake(&input).unwrap();
    let out = dir.path().join("x.pdf");
    r.declaration_pdf(VisitId(3), &out).unwrap();
    let text = page_texts(&std::fs::read(&out).unwrap()).concat();
    assert!(
        text.contains("吉田 太郎"),
        "the standard form is printed: {text}"
    );
    assert!(
        text.contains("U+20BB7"),
        "with a note naming the original: {text}"
    );
}
