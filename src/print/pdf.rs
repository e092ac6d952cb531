//! Renders a prescription to PDF: the template's fixed drawing, the data in its slots, the 処方
//! lines flowing over as many sheets as they need, and the JAHIS symbols.
//!
//! Nothing is printed that the font cannot show: [`Renderer::render`] refuses, naming the
//! characters, before a single page is drawn. Characters the font has but JIS X 0208 lacks are
//! printed as they are on paper and become ■ in the symbol (reported in [`Rendered::gaiji`]).

use printpdf::{
    Color, CurTransMat, FontId, Greyscale, Line, LineDashPattern, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem,
};

use super::fonts::{text_width_mm, unprintable_chars, Fonts, PT_TO_MM};
use super::jahis::{self, RxDocument};
use super::qr::{self, QrSymbol, QUIET_ZONE};
use super::sjis;
use super::template::{Align, FontName, Template};
use crate::domain::prescription::DoseForm;
use crate::domain::wareki::format_wareki;
use crate::domain::{Relationship, Sex};
use crate::error::Error;

/// A template with its fonts loaded; build once, render many.
pub struct Renderer {
    pub template: Template,
    fonts: Fonts,
}

/// What [`Renderer::render`] produced.
#[derive(Debug)]
pub struct Rendered {
    pub pdf: Vec<u8>,
    pub pages: usize,
    pub symbols: Vec<QrSymbol>,
    /// Characters printed on paper but written as ■ in the symbol (outside JIS X 0208).
    pub gaiji: Vec<char>,
}

/// One line of the 処方 area.
#[derive(Debug, Clone, PartialEq)]
struct BodyLine {
    /// `1)` on an RP's first line.
    label: String,
    indent: f32,
    text: String,
    right: String,
    no_substitution: bool,
    patient_request: bool,
}

impl BodyLine {
    fn plain(indent: f32, text: impl Into<String>) -> Self {
        BodyLine { label: String::new(), indent, text: text.into(), right: String::new(), no_substitution: false, patient_request: false }
    }
}

const END_MARK: &str = "以下余白";
const CONTINUED_MARK: &str = "（続紙に続く）";

impl Renderer {
    pub fn new(template: Template) -> Result<Renderer, Error> {
        let fonts = Fonts::load(|f| template.uses(f))?;
        Ok(Renderer { template, fonts })
    }

    /// The built-in A5 template.
    pub fn default_a5() -> Result<Renderer, Error> {
        Renderer::new(Template::load(None)?)
    }

    /// Characters of the data that the data font cannot print. Empty means printable.
    pub fn unprintable(&self, doc: &RxDocument) -> Vec<char> {
        let font = self.fonts.get(self.template.page.data_font);
        unprintable_chars(font, &data_text(doc))
    }

    /// Renders the whole prescription, or refuses when a character cannot be printed.
    pub fn render(&self, doc: &RxDocument) -> Result<Rendered, Error> {
        doc.check()?;
        let missing = self.unprintable(doc);
        if !missing.is_empty() {
            let list = missing.iter().map(|c| format!("「{c}」(U+{:04X})", *c as u32)).collect::<Vec<_>>().join("、");
            return Err(Error::refused(
                format!("次の文字は同梱フォントで印刷できません: {list}。別の字体に置き換えるか手書きしてください"),
                format!("the bundled font cannot print: {list}; replace them or write them by hand"),
            ));
        }
        let t = &self.template;
        let max_version = qr::max_version(t.qr.size, t.qr.min_cell).ok_or_else(|| {
            Error::refused("テンプレートの２次元シンボル欄が小さすぎます", "the template's symbol area is too small")
        })?;
        let records = jahis::records(doc);
        let symbols = qr::symbols_for(&records, max_version)?;
        let gaiji = sjis::non_jis_chars(&jahis::symbol_text(doc));

        let body_pages = paginate(body_lines(doc), t.body_lines());
        let qr_pages = symbols.len().div_ceil(t.qr.max_per_page);
        let pages = body_pages.len().max(qr_pages);

        let mut pdf = PdfDocument::new("処方箋");
        // Only the fonts the template uses: each registered font costs subsetting time.
        let mut add = |name: FontName| t.uses(name).then(|| pdf.add_font(self.fonts.get(name)));
        let ids = FontIds { gothic: add(FontName::Gothic), mincho: add(FontName::Mincho) };
        let mut out_pages = Vec::with_capacity(pages);
        for n in 0..pages {
            let mut page = PageOps::new(t.page.height);
            self.draw_form(&mut page, &ids);
            self.draw_data(&mut page, &ids, doc, n, pages)?;
            let lines = body_pages.get(n).cloned().unwrap_or_else(|| vec![BodyLine::plain(0.0, "（処方は前葉のとおり）")]);
            self.draw_body(&mut page, &ids, &lines)?;
            let chunk = symbols.iter().skip(n * t.qr.max_per_page).take(t.qr.max_per_page);
            for (i, s) in chunk.enumerate() {
                let x = t.qr.x + i as f32 * (t.qr.size + t.qr.gap);
                page.qr(s, x, t.qr.y, t.qr.size);
            }
            out_pages.push(PdfPage::new(Mm(t.page.width), Mm(t.page.height), page.ops));
        }
        pdf.pages = out_pages;
        let bytes = pdf.save(&PdfSaveOptions::default(), &mut Vec::new());
        Ok(Rendered { pdf: bytes, pages, symbols, gaiji })
    }

    fn font(&self, ids: &FontIds, name: FontName) -> (FontId, &printpdf::ParsedFont) {
        let id = match name {
            FontName::Gothic => &ids.gothic,
            FontName::Mincho => &ids.mincho,
        };
        (id.clone().expect("Template::uses lists every font drawn with"), self.fonts.get(name))
    }

    /// Boxes, rules, cells and fixed wording: the same on every sheet.
    fn draw_form(&self, page: &mut PageOps, ids: &FontIds) {
        let t = &self.template;
        for b in &t.boxes {
            page.rect(b.x, b.y, b.w, b.h, b.width.unwrap_or(t.page.line_width));
        }
        for r in &t.rules {
            page.line(r.x1, r.y1, r.x2, r.y2, r.width.unwrap_or(t.page.line_width), r.dashed);
        }
        for c in &t.cells {
            let cw = c.w / c.n as f32;
            page.rect(c.x, c.y, c.w, c.h, t.page.line_width);
            for i in 1..c.n {
                let x = c.x + cw * i as f32;
                page.line(x, c.y, x, c.y + c.h, t.page.line_width * 0.6, true);
            }
        }
        for l in &t.labels {
            let size = l.size.unwrap_or(t.page.label_size);
            let (id, font) = self.font(ids, l.font.unwrap_or(t.page.label_font));
            for (i, line) in l.text.split('\n').enumerate() {
                let y = l.y + i as f32 * size * PT_TO_MM * 1.2;
                let x = aligned_x(l.x, l.w, l.align, text_width_mm(font, line, size));
                page.text(&id, size, x, y, line);
            }
        }
    }

    /// Slots, cells and marks filled from the document.
    fn draw_data(&self, page: &mut PageOps, ids: &FontIds, doc: &RxDocument, n: usize, pages: usize) -> Result<(), Error> {
        let t = &self.template;
        for c in &t.cells {
            let Some(name) = &c.slot else { continue };
            let text: Vec<char> = slot_text(name, doc, n, pages).chars().filter(|c| !c.is_whitespace()).collect();
            let (id, font) = self.font(ids, t.page.data_font);
            let cw = c.w / c.n as f32;
            let size = (c.h / PT_TO_MM * 0.75).min(t.page.data_size);
            // Numbers sit in the rightmost boxes (a 6-digit 国保 number leaves the first two empty).
            let first = c.n.saturating_sub(text.len());
            for (i, ch) in text.iter().take(c.n).enumerate() {
                let s = ch.to_string();
                let cx = c.x + cw * (first + i) as f32;
                let x = aligned_x(cx, cw, Align::Center, text_width_mm(font, &s, size));
                page.text(&id, size, x, c.y + (c.h - size * PT_TO_MM) / 2.0, &s);
            }
        }
        for s in &t.slots {
            let text = slot_text(&s.name, doc, n, pages);
            if text.is_empty() {
                continue;
            }
            let (id, font) = self.font(ids, s.font.unwrap_or(t.page.data_font));
            let size = s.size.unwrap_or(t.page.data_size);
            let (size, lines) =
                fit(font, &text, s.w, size, t.page.min_size, s.lines).ok_or_else(|| does_not_fit(slot_label(&s.name), &text))?;
            for (i, line) in lines.iter().enumerate() {
                let x = aligned_x(s.x, s.w, s.align, text_width_mm(font, line, size));
                page.text(&id, size, x, s.y + i as f32 * size * PT_TO_MM * 1.25, line);
            }
        }
        let (check_id, check_font) = self.font(ids, t.page.data_font);
        for m in &t.marks {
            if !mark_holds(&m.when, doc) {
                continue;
            }
            if m.r > 0.0 {
                page.circle(m.x, m.y, m.rx.unwrap_or(m.r), m.r, t.page.line_width * 1.2);
            } else {
                let size = 8.0;
                let w = text_width_mm(check_font, "レ", size);
                page.text(&check_id, size, m.x - w / 2.0, m.y - size * PT_TO_MM / 2.0, "レ");
            }
        }
        Ok(())
    }

    fn draw_body(&self, page: &mut PageOps, ids: &FontIds, lines: &[BodyLine]) -> Result<(), Error> {
        let b = &self.template.body;
        let (id, font) = self.font(ids, self.template.page.data_font);
        let min = self.template.page.min_size;
        for (i, l) in lines.iter().enumerate() {
            let y = b.y + i as f32 * b.line_height + (b.line_height - b.size * PT_TO_MM) / 2.0;
            if !l.label.is_empty() {
                page.text(&id, b.size, b.x, y, &l.label);
            }
            let right_w = if l.right.is_empty() { 0.0 } else { text_width_mm(font, &l.right, b.size) + 3.0 };
            let x = b.x + l.indent;
            let room = (b.amount_right - right_w - x).max(10.0);
            let (size, _) = fit(font, &l.text, room, b.size, min, 1).ok_or_else(|| does_not_fit("処方の行", &l.text))?;
            page.text(&id, size, x, y, &l.text);
            if !l.right.is_empty() {
                page.text(&id, b.size, b.amount_right - text_width_mm(font, &l.right, b.size), y, &l.right);
            }
            for (flag, cx) in [(l.no_substitution, b.no_substitution_x), (l.patient_request, b.patient_request_x)] {
                if flag {
                    let w = text_width_mm(font, "レ", b.size);
                    page.text(&id, b.size, cx - w / 2.0, y, "レ");
                }
            }
        }
        Ok(())
    }
}

struct FontIds {
    gothic: Option<FontId>,
    mincho: Option<FontId>,
}

/// Every data text that is printed, for the font check.
fn data_text(doc: &RxDocument) -> String {
    let mut parts = Vec::new();
    for name in super::template::SLOT_NAMES {
        parts.push(slot_text(name, doc, 0, 1));
    }
    for l in body_lines(doc).into_iter().flatten() {
        parts.extend([l.label, l.text, l.right]);
    }
    parts.join("\n")
}

/// The text of a named slot.
fn slot_text(name: &str, doc: &RxDocument, n: usize, pages: usize) -> String {
    let c = &doc.clinic;
    let ins = &doc.insurance;
    let rx = &doc.prescription;
    let fund = |i: usize, payer: bool| {
        ins.public_funds.get(i).map(|f| if payer { f.payer.clone() } else { f.recipient.clone() }).unwrap_or_default()
    };
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    match name {
        "sheet" if pages > 1 && n == 0 => format!("（1枚目／全{pages}枚）"),
        "sheet" if pages > 1 => format!("続紙（{}枚目／全{pages}枚）\n{}交付・{} 様", n + 1, format_wareki(rx.issued_on), doc.patient.name),
        "public_fund_payer" => fund(0, true),
        "public_fund_recipient" => fund(0, false),
        "public_fund_payer_2" => fund(1, true),
        "public_fund_recipient_2" => fund(1, false),
        "insurer_number" => s(&ins.insurer_number),
        "symbol_number" => {
            let mut t = [ins.symbol.trim(), ins.number.as_deref().unwrap_or("").trim()]
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("・");
            if !ins.branch.trim().is_empty() {
                t.push_str(&format!("（枝番）{}", ins.branch.trim()));
            }
            t
        }
        "patient_name" => doc.patient.name.clone(),
        "birth_date" => format_wareki(doc.patient.birth_date),
        "clinic_address" => match (&c.postal_code, &c.address) {
            (Some(p), Some(a)) => format!("〒{p} {a}"),
            (_, a) => s(a),
        },
        "clinic_name" => s(&c.name),
        "clinic_phone" => s(&c.phone),
        "doctor_name" => rx.doctor.clone(),
        "prefecture_code" => s(&c.prefecture_code),
        "fee_table" => s(&c.fee_table),
        "institution_code" => s(&c.institution_code),
        "issued_on" => format_wareki(rx.issued_on),
        "refill_count" => rx.refill_count.map(|n| n.to_string()).unwrap_or_default(),
        "remarks" => rx.remarks.clone(),
        "doctor_signature" if rx.needs_doctor_signature() => rx.doctor.clone(),
        _ => String::new(),
    }
}

fn mark_holds(when: &str, doc: &RxDocument) -> bool {
    match when {
        "male" => doc.patient.sex == Sex::Male,
        "female" => doc.patient.sex == Sex::Female,
        "insured" => doc.insurance.relationship == Some(Relationship::Insured),
        "family" => doc.insurance.relationship == Some(Relationship::Family),
        "refill" => doc.prescription.refill_count.is_some(),
        _ => false,
    }
}

/// The 処方 lines: each drug with its amount and markers, then the RP's 用法 and day count.
fn body_lines(doc: &RxDocument) -> Vec<Vec<BodyLine>> {
    doc.prescription
        .rps
        .iter()
        .enumerate()
        .map(|(i, rp)| {
            let mut lines: Vec<BodyLine> = rp
                .drugs
                .iter()
                .enumerate()
                .map(|(j, d)| BodyLine {
                    label: if j == 0 { format!("{})", i + 1) } else { String::new() },
                    indent: 6.0,
                    text: d.name.clone(),
                    right: format!("{}{}", d.amount, d.unit),
                    no_substitution: d.no_substitution,
                    patient_request: d.patient_request,
                })
                .collect();
            let qty = match (rp.form, rp.days) {
                (DoseForm::Internal, Some(d)) => format!("{d}日分"),
                (DoseForm::Prn, Some(t)) => format!("{t}回分"),
                _ => String::new(),
            };
            let usage = if rp.form == DoseForm::Internal { rp.usage.clone() } else { format!("【{}】{}", rp.form.ja(), rp.usage) };
            lines.push(BodyLine { right: qty, ..BodyLine::plain(9.0, usage) });
            lines
        })
        .collect()
}

/// Splits RP groups over sheets of `capacity` lines, keeping an RP on one sheet when it fits on
/// one, and ending each sheet with 以下余白 or （続紙に続く）.
fn paginate(groups: Vec<Vec<BodyLine>>, capacity: usize) -> Vec<Vec<BodyLine>> {
    let room = capacity.saturating_sub(1).max(1);
    let mut pages: Vec<Vec<BodyLine>> = vec![Vec::new()];
    for group in groups {
        let current = pages.last().map_or(0, Vec::len);
        if current > 0 && current + group.len() > room && group.len() <= room {
            pages.push(Vec::new());
        }
        for line in group {
            if pages.last().map_or(0, Vec::len) >= room {
                pages.push(Vec::new());
            }
            pages.last_mut().expect("never empty").push(line);
        }
    }
    let last = pages.len() - 1;
    for (i, p) in pages.iter_mut().enumerate() {
        p.push(BodyLine::plain(0.0, if i == last { END_MARK } else { CONTINUED_MARK }));
    }
    pages
}

/// Fits text into `w` and at most `lines` lines, shrinking the size down to `min`. None when it
/// does not fit even then: the caller refuses rather than print a cut-off prescription.
fn fit(font: &printpdf::ParsedFont, text: &str, w: f32, size: f32, min: f32, lines: usize) -> Option<(f32, Vec<String>)> {
    let mut size = size;
    loop {
        let wrapped = wrap(font, text, w, size);
        if wrapped.len() <= lines.max(1) {
            return Some((size, wrapped));
        }
        if size <= min {
            return None;
        }
        size = (size - 0.5).max(min);
    }
}

fn does_not_fit(what: &str, text: &str) -> Error {
    let head: String = text.chars().take(20).collect();
    Error::refused(
        format!("{what}が長すぎて用紙の欄に収まりません（「{head}…」）。短くしてください"),
        format!("{what} is too long for its place on the form; shorten it"),
    )
}

/// What staff call a slot, for messages.
fn slot_label(name: &str) -> &str {
    match name {
        "patient_name" => "患者氏名",
        "symbol_number" => "記号・番号",
        "clinic_address" => "保険医療機関の所在地",
        "clinic_name" => "保険医療機関の名称",
        "clinic_phone" => "電話番号",
        "doctor_name" | "doctor_signature" => "保険医氏名",
        "remarks" => "備考",
        "sheet" => "続紙の表示",
        other => other,
    }
}

/// Breaks text at '\n' and wherever a line would pass `w` (Japanese breaks between any two
/// characters).
fn wrap(font: &printpdf::ParsedFont, text: &str, w: f32, size: f32) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for c in para.chars() {
            line.push(c);
            if text_width_mm(font, &line, size) > w && line.chars().count() > 1 {
                line.pop();
                out.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
        out.push(line);
    }
    out
}

fn aligned_x(x: f32, w: f32, align: Align, text_w: f32) -> f32 {
    match align {
        Align::Left => x,
        Align::Center => x + (w - text_w) / 2.0,
        Align::Right => x + w - text_w,
    }
}

/// Drawing operations for one page, taking top-left millimetres and emitting printpdf's
/// bottom-left points.
struct PageOps {
    ops: Vec<Op>,
    height: f32,
}

fn pt(mm: f32) -> Pt {
    Mm(mm).into_pt()
}

impl PageOps {
    fn new(height: f32) -> Self {
        PageOps { ops: Vec::new(), height }
    }

    fn point(&self, x: f32, y: f32) -> LinePoint {
        LinePoint { p: Point { x: pt(x), y: pt(self.height - y) }, bezier: false }
    }

    fn stroke_width(&mut self, w: f32) {
        self.ops.push(Op::SetOutlineThickness { pt: pt(w) });
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32) {
        self.stroke_width(width);
        let pts = vec![self.point(x, y), self.point(x + w, y), self.point(x + w, y + h), self.point(x, y + h)];
        self.ops.push(Op::DrawLine { line: Line { points: pts, is_closed: true } });
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, dashed: bool) {
        self.stroke_width(width);
        if dashed {
            self.ops.push(Op::SetLineDashPattern { dash: LineDashPattern::new(0.0, &[1.0, 1.0]) });
        }
        let pts = vec![self.point(x1, y1), self.point(x2, y2)];
        self.ops.push(Op::DrawLine { line: Line { points: pts, is_closed: false } });
        if dashed {
            self.ops.push(Op::SetLineDashPattern { dash: LineDashPattern::solid() });
        }
    }

    /// An ellipse (radii `rx`, `r`) from four Bézier arcs.
    fn circle(&mut self, cx: f32, cy: f32, rx: f32, r: f32, width: f32) {
        const K: f32 = 0.552_284_8;
        let (kx, k) = (K * rx, K * r);
        let p = |s: &Self, x: f32, y: f32, bezier: bool| LinePoint { bezier, ..s.point(x, y) };
        let pts = vec![
            p(self, cx + rx, cy, false),
            p(self, cx + rx, cy + k, true),
            p(self, cx + kx, cy + r, true),
            p(self, cx, cy + r, false),
            p(self, cx - kx, cy + r, true),
            p(self, cx - rx, cy + k, true),
            p(self, cx - rx, cy, false),
            p(self, cx - rx, cy - k, true),
            p(self, cx - kx, cy - r, true),
            p(self, cx, cy - r, false),
            p(self, cx + kx, cy - r, true),
            p(self, cx + rx, cy - k, true),
            p(self, cx + rx, cy, false),
        ];
        self.stroke_width(width);
        self.ops.push(Op::DrawLine { line: Line { points: pts, is_closed: true } });
    }

    /// Text whose top-left corner is at (x, y).
    fn text(&mut self, font: &FontId, size: f32, x: f32, y: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        let baseline = y + size * PT_TO_MM * 0.88;
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(font.clone()), size: Pt(size) },
            Op::SetTextCursor { pos: Point { x: pt(x), y: pt(self.height - baseline) } },
            Op::ShowText { items: vec![TextItem::Text(text.to_string())] },
            Op::EndTextSection,
        ]);
    }

    /// A QR symbol of side `size` (quiet zone included) at (x, y). A transformation puts the
    /// origin at the symbol's top-left module with one unit per module, so each run of dark
    /// modules in a row is a short `x y w 1 re f`: this keeps the content stream small.
    fn qr(&mut self, s: &QrSymbol, x: f32, y: f32, size: f32) {
        let pitch = size / (s.width + 2 * QUIET_ZONE) as f32;
        let x0 = x + pitch * QUIET_ZONE as f32;
        let y0 = y + pitch * QUIET_ZONE as f32;
        let p = pt(pitch).0;
        self.ops.push(Op::SaveGraphicsState);
        self.ops.push(Op::SetTransformationMatrix {
            matrix: CurTransMat::Raw([p, 0.0, 0.0, -p, pt(x0).0, pt(self.height - y0).0]),
        });
        self.ops.push(Op::SetFillColor { col: Color::Greyscale(Greyscale { percent: 0.0, icc_profile: None }) });
        for row in 0..s.width {
            let mut col = 0;
            while col < s.width {
                if !s.is_dark(col, row) {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < s.width && s.is_dark(col, row) {
                    col += 1;
                }
                self.ops.push(Op::DrawRectangle {
                    rectangle: Rect {
                        x: Pt(start as f32),
                        y: Pt(row as f32),
                        width: Pt((col - start) as f32),
                        height: Pt(1.0),
                        mode: Some(PaintMode::Fill),
                        winding_order: None,
                    },
                });
            }
        }
        self.ops.push(Op::RestoreGraphicsState);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> BodyLine {
        BodyLine::plain(0.0, n.to_string())
    }

    #[test]
    fn rps_stay_together_and_sheets_end_with_a_mark() {
        let groups = vec![(0..4).map(line).collect(), (0..4).map(line).collect(), (0..3).map(line).collect()];
        let pages = paginate(groups, 10);
        let lens: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(lens, [9, 4]);
        assert_eq!(pages[0].last().unwrap().text, CONTINUED_MARK);
        assert_eq!(pages[1].last().unwrap().text, END_MARK);
    }

    #[test]
    fn a_huge_rp_is_split() {
        let pages = paginate(vec![(0..25).map(line).collect()], 10);
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 8]);
    }
}
