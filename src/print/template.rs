//! Declarative page templates: the form drawn from a TOML file of boxes, rules, fixed labels
//! and named data slots, in millimetres with the origin at the top-left corner (as a ruler on
//! the paper reads). A clinic whose printer shifts the form, or whose pharmacy wants the symbol
//! elsewhere, edits the file and nudges numbers; no rebuild.
//!
//! The default A5 prescription is built in (`templates/prescription.toml`); a file given in the
//! configuration replaces it whole. Unknown keys and unknown slot names are refused at load, so a
//! typo shows up when the clinic loads the file, not as a blank field on a patient's form.

use serde::Deserialize;

use crate::error::Error;

/// The built-in A5 様式第二号 template.
pub const DEFAULT_PRESCRIPTION: &str = include_str!("../../templates/prescription.toml");

/// Which bundled font a text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FontName {
    /// IPAexMincho: the form's own printed wording.
    Mincho,
    /// IPAexGothic: what the clinic fills in, easier to read at small sizes.
    Gothic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub page: Page,
    pub qr: QrArea,
    pub body: Body,
    #[serde(default, rename = "box")]
    pub boxes: Vec<BoxShape>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
    #[serde(default, rename = "cells")]
    pub cells: Vec<Cells>,
    #[serde(default, rename = "label")]
    pub labels: Vec<Label>,
    #[serde(default, rename = "slot")]
    pub slots: Vec<Slot>,
    #[serde(default, rename = "mark")]
    pub marks: Vec<Mark>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    /// Font and size (pt) of labels unless a label says otherwise.
    pub label_font: FontName,
    pub label_size: f32,
    /// Font and size (pt) of filled-in data unless a slot says otherwise.
    pub data_font: FontName,
    pub data_size: f32,
    /// Default stroke width of boxes and rules, mm.
    pub line_width: f32,
    /// Smallest size (pt) a too-long text may be shrunk to before it is wrapped or clipped.
    #[serde(default = "default_min_size")]
    pub min_size: f32,
}

fn default_min_size() -> f32 {
    5.0
}

/// Where the 2D symbols go: a row of squares of side `size` starting at (x, y).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QrArea {
    pub x: f32,
    pub y: f32,
    /// Side of one symbol including its quiet zone, mm.
    pub size: f32,
    pub gap: f32,
    pub max_per_page: usize,
    /// Smallest cell pitch allowed, mm (the spec's minimum is 0.25).
    pub min_cell: f32,
}

/// The 処方 area, where drug lines flow and continue on further sheets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub line_height: f32,
    pub size: f32,
    /// Right edge of the 分量 column.
    pub amount_right: f32,
    /// Centre of the 変更不可 and 患者希望 marker columns.
    pub no_substitution_x: f32,
    pub patient_request_x: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxShape {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub width: Option<f32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
    pub width: Option<f32>,
    #[serde(default)]
    pub dashed: bool,
}

/// A row of `n` equal boxes, one character each (保険者番号, 医療機関コード). With a `slot`, the
/// slot's text is written one character per box, right-aligned as numbers are.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cells {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub n: usize,
    pub slot: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub x: f32,
    pub y: f32,
    pub text: String,
    pub size: Option<f32>,
    pub font: Option<FontName>,
    #[serde(default)]
    pub align: Align,
    /// Width for centre or right alignment.
    #[serde(default)]
    pub w: f32,
}

/// A named place for data. `lines` > 1 lets a long text wrap.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub name: String,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub size: Option<f32>,
    pub font: Option<FontName>,
    #[serde(default)]
    pub align: Align,
    #[serde(default = "one")]
    pub lines: usize,
    /// Height of the slot, mm: when given, a long text wraps onto as many lines as fit this
    /// height, shrinking no further than the page's `min_size` (instead of `lines`).
    pub h: Option<f32>,
}

fn one() -> usize {
    1
}

/// A mark drawn only when its condition holds: a circle around 男/女/被保険者/被扶養者, or a
/// レ in a check box.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mark {
    pub when: String,
    pub x: f32,
    pub y: f32,
    /// Radius of the circle, mm; 0 draws a レ check instead.
    #[serde(default)]
    pub r: f32,
    /// Horizontal radius, for an ellipse around a word.
    pub rx: Option<f32>,
}

/// The data slots a template may name.
pub const SLOT_NAMES: &[&str] = &[
    "sheet",
    "public_fund_payer",
    "public_fund_recipient",
    "insurer_number",
    "symbol_number",
    "patient_name",
    "birth_date",
    "clinic_address",
    "clinic_name",
    "clinic_phone",
    "doctor_name",
    "prefecture_code",
    "fee_table",
    "institution_code",
    "issued_on",
    "valid_until",
    "refill_count",
    "remarks",
    "doctor_signature",
    "seal_mark",
    "sheet_id",
    "reissue",
    "continued",
    "public_fund_payer_2",
    "public_fund_recipient_2",
];

/// The conditions a mark may name.
pub const MARK_CONDITIONS: &[&str] = &[
    "male",
    "female",
    "insured",
    "family",
    "refill",
    "seal",
    "leftover_inquire",
    "leftover_inform",
];

impl Template {
    /// Parses and checks a template. Errors name the template and the problem.
    pub fn parse(text: &str) -> Result<Template, Error> {
        let t: Template = toml::from_str(text).map_err(|e| {
            Error::refused(
                format!("テンプレートを読めません: {e}"),
                format!("cannot read the template: {e}"),
            )
        })?;
        let unknown_slot = t
            .slots
            .iter()
            .map(|s| s.name.as_str())
            .chain(t.cells.iter().filter_map(|c| c.slot.as_deref()))
            .find(|n| !SLOT_NAMES.contains(n));
        if let Some(n) = unknown_slot {
            return Err(Error::refused(
                format!(
                    "テンプレートに不明な欄名 {n} があります（使える欄名: {}）",
                    SLOT_NAMES.join(", ")
                ),
                format!("unknown slot name {n} in the template"),
            ));
        }
        if let Some(m) = t
            .marks
            .iter()
            .find(|m| !MARK_CONDITIONS.contains(&m.when.as_str()))
        {
            return Err(Error::refused(
                format!(
                    "テンプレートに不明な条件 {} があります（使える条件: {}）",
                    m.when,
                    MARK_CONDITIONS.join(", ")
                ),
                format!("unknown mark condition {}", m.when),
            ));
        }
        let sizes_ok = [
            t.page.width,
            t.page.height,
            t.qr.size,
            t.body.w,
            t.body.h,
            t.body.line_height,
            t.page.min_size,
        ]
        .iter()
        .all(|v| v.is_finite() && *v > 0.0)
            && t.qr.max_per_page >= 1
            && t.qr.min_cell >= 0.25
            && t.body.h >= 3.0 * t.body.line_height;
        if !sizes_ok {
            return Err(Error::refused(
                "テンプレートの寸法が不正です（大きさは正の数、セルは0.25mm以上、処方欄は3行以上）",
                "template sizes are invalid (positive sizes, cell ≥ 0.25 mm, body ≥ 3 lines)",
            ));
        }
        if let Some((x, y)) = t.line_crossing_symbols() {
            return Err(Error::refused(
                format!("２次元シンボル欄に罫線がかかっています（x={x:.1}mm, y={y:.1}mm）。[qr] の位置を罫線のない余白に移してください"),
                format!("a ruled line crosses the 2D symbol area at ({x:.1}, {y:.1}) mm; move [qr] to a clear margin"),
            ));
        }
        let right = t.qr.x + t.qr.max_per_page as f32 * (t.qr.size + t.qr.gap) - t.qr.gap;
        if t.qr.x < 0.0
            || t.qr.y < 0.0
            || right > t.page.width
            || t.qr.y + t.qr.size > t.page.height
        {
            return Err(Error::refused(
                "２次元シンボル欄が用紙からはみ出しています",
                "the 2D symbol area runs off the page",
            ));
        }
        Ok(t)
    }

    /// The area the symbols may take on a page: `max_per_page` squares in a row.
    fn symbol_area(&self) -> (f32, f32, f32, f32) {
        let q = &self.qr;
        (
            q.x,
            q.y,
            q.x + q.max_per_page as f32 * (q.size + q.gap) - q.gap,
            q.y + q.size,
        )
    }

    /// A point where a rule, box or cell edge enters the symbol area (JAHIS 2.2: the symbol is
    /// printed clear of ruled lines), or None.
    fn line_crossing_symbols(&self) -> Option<(f32, f32)> {
        let (x0, y0, x1, y1) = self.symbol_area();
        let mut segments: Vec<(f32, f32, f32, f32)> = self
            .rules
            .iter()
            .map(|r| (r.x1, r.y1, r.x2, r.y2))
            .collect();
        let rects = self
            .boxes
            .iter()
            .map(|b| (b.x, b.y, b.w, b.h))
            .chain(self.cells.iter().map(|c| (c.x, c.y, c.w, c.h)));
        for (x, y, w, h) in rects {
            segments.extend([
                (x, y, x + w, y),
                (x, y + h, x + w, y + h),
                (x, y, x, y + h),
                (x + w, y, x + w, y + h),
            ]);
        }
        // Sampling along each segment is exact enough at 0.1 mm for axis-aligned and slanted rules.
        for (ax, ay, bx, by) in segments {
            let steps = (((bx - ax).abs() + (by - ay).abs()) / 0.1).ceil().max(1.0) as usize;
            for i in 0..=steps.min(100_000) {
                let f = i as f32 / steps as f32;
                let (x, y) = (ax + (bx - ax) * f, ay + (by - ay) * f);
                if x > x0 && x < x1 && y > y0 && y < y1 {
                    return Some((x, y));
                }
            }
        }
        None
    }

    /// The built-in template, or the file at `path` when given.
    pub fn load(path: Option<&std::path::Path>) -> Result<Template, Error> {
        match path {
            None => Template::parse(DEFAULT_PRESCRIPTION),
            Some(p) => Template::parse(&std::fs::read_to_string(p)?),
        }
    }

    /// True when some text is set in `font`.
    pub fn uses(&self, font: FontName) -> bool {
        self.page.label_font == font
            || self.page.data_font == font
            || self.labels.iter().any(|l| l.font == Some(font))
            || self.slots.iter().any(|s| s.font == Some(font))
    }

    /// Lines of drug text that fit in the 処方 area of one sheet.
    pub fn body_lines(&self) -> usize {
        (self.body.h / self.body.line_height).floor() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_template_loads() {
        let t = Template::load(None).unwrap();
        assert_eq!((t.page.width, t.page.height), (148.0, 210.0));
        assert!(t.body_lines() >= 10);
    }

    #[test]
    fn the_sex_circles_are_centred_on_their_characters() {
        use super::super::fonts::{text_width_mm, Fonts, PT_TO_MM};
        let t = Template::load(None).unwrap();
        let fonts = Fonts::load(|f| t.uses(f)).unwrap();
        let label = t.labels.iter().find(|l| l.text == "男・女").unwrap();
        let size = label.size.unwrap_or(t.page.label_size);
        let font = fonts.get(label.font.unwrap_or(t.page.label_font));
        let centre = |before: &str, ch: &str| {
            label.x + text_width_mm(font, before, size) + text_width_mm(font, ch, size) / 2.0
        };
        for (when, before, ch) in [("male", "", "男"), ("female", "男・", "女")] {
            let m = t.marks.iter().find(|m| m.when == when).unwrap();
            assert!(
                (m.x - centre(before, ch)).abs() < 0.15,
                "{when}: {} vs {}",
                m.x,
                centre(before, ch)
            );
            assert!(
                (m.y - (label.y + size * PT_TO_MM / 2.0)).abs() < 0.25,
                "{when}"
            );
        }
    }

    #[test]
    fn the_leftover_checks_sit_on_their_boxes() {
        use super::super::fonts::{text_width_mm, Fonts, PT_TO_MM};
        let t = Template::load(None).unwrap();
        let fonts = Fonts::load(|f| t.uses(f)).unwrap();
        let label = t
            .labels
            .iter()
            .find(|l| l.text.starts_with("□保険医療機関へ疑義照会"))
            .unwrap();
        let size = label.size.unwrap_or(t.page.label_size);
        let font = fonts.get(label.font.unwrap_or(t.page.label_font));
        let second = label.text.rfind('□').unwrap();
        for (when, before) in [
            ("leftover_inquire", ""),
            ("leftover_inform", &label.text[..second]),
        ] {
            let m = t.marks.iter().find(|m| m.when == when).unwrap();
            let centre =
                label.x + text_width_mm(font, before, size) + text_width_mm(font, "□", size) / 2.0;
            assert!((m.x - centre).abs() < 0.2, "{when}: {} vs {centre}", m.x);
            assert!(
                (m.y - (label.y + size * PT_TO_MM / 2.0)).abs() < 0.3,
                "{when}"
            );
        }
    }

    #[test]
    fn typos_are_refused() {
        let bad =
            DEFAULT_PRESCRIPTION.replacen("name = \"patient_name\"", "name = \"patient_nmae\"", 1);
        assert!(Template::parse(&bad)
            .unwrap_err()
            .to_string()
            .contains("patient_nmae"));
        let bad = DEFAULT_PRESCRIPTION.replacen("[page]", "[page]\ncolour = 1", 1);
        assert!(Template::parse(&bad).is_err());
    }

    #[test]
    fn symbols_must_stay_clear_of_rules_and_on_the_page() {
        let onto_the_form =
            DEFAULT_PRESCRIPTION.replacen("x = 6.0\ny = 181.0", "x = 6.0\ny = 150.0", 1);
        let e = Template::parse(&onto_the_form).unwrap_err().to_string();
        assert!(e.contains("罫線がかかっています"), "{e}");
        let off_the_page =
            DEFAULT_PRESCRIPTION.replacen("x = 6.0\ny = 181.0", "x = 6.0\ny = 190.0", 1);
        assert!(Template::parse(&off_the_page)
            .unwrap_err()
            .to_string()
            .contains("はみ出し"));
    }
}
