//! Page primitives shared by every printed document: drawing in top-left millimetres, fitting
//! and wrapping Japanese text, and the fixed and filled parts of a declarative template
//! (boxes, rules, character cells, wording, named slots, marks).

use printpdf::{
    FontId, Line, LineDashPattern, LinePoint, Mm, Op, PdfFontHandle, Point, Pt, TextItem,
};

use super::fonts::{text_width_mm, Face, Fonts, PT_TO_MM};
use super::qr::{QrSymbol, QUIET_ZONE};
use super::template::{Align, BoxShape, Cells, FontName, Label, Mark, Page, Rule, Slot};
use crate::error::Error;

/// The fonts of one PDF document, with their parsed faces for measuring. A face is named in
/// the pages by a fixed resource name and embedded when the document is saved ([`save`]),
/// cut down to the characters its pages print.
pub(crate) struct FontSet<'a> {
    pub fonts: &'a Fonts,
    pub gothic: Option<FontId>,
    pub mincho: Option<FontId>,
}

impl<'a> FontSet<'a> {
    /// The faces for which `used` is true.
    pub fn register(fonts: &'a Fonts, used: impl Fn(FontName) -> bool) -> FontSet<'a> {
        let id = |name: FontName| used(name).then(|| FontId(resource_name(name).to_string()));
        FontSet {
            fonts,
            gothic: id(FontName::Gothic),
            mincho: id(FontName::Mincho),
        }
    }

    /// The id and face of `name`. Every face a template draws with is registered
    /// ([`Template::uses`](super::template::Template::uses)).
    pub fn get(&self, name: FontName) -> (FontId, &'static Face) {
        let id = match name {
            FontName::Gothic => &self.gothic,
            FontName::Mincho => &self.mincho,
        };
        (
            id.clone().expect("every face drawn with is registered"),
            self.fonts.get(name),
        )
    }

    /// The registered faces with their ids.
    fn faces(&self) -> impl Iterator<Item = (FontId, FontName)> + '_ {
        [
            (&self.gothic, FontName::Gothic),
            (&self.mincho, FontName::Mincho),
        ]
        .into_iter()
        .filter_map(|(id, name)| Some((id.clone()?, name)))
    }
}

/// The resource name of a face in the pages (fixed, so that the same document is the same
/// bytes; not one of the standard 14 names F1–F14).
fn resource_name(name: FontName) -> &'static str {
    match name {
        FontName::Gothic => "IPAexG",
        FontName::Mincho => "IPAexM",
    }
}

/// Embeds each face of `fonts` that the pages use, subset to the characters they print (see
/// [`super::subset`]). A face the subsetter cannot cut is handed to printpdf whole, which
/// subsets it itself (slower, same result on paper).
///
/// Returns each subset's (parsed bytes, embedded bytes), for [`embed_programs`].
fn embed_fonts(pdf: &mut printpdf::PdfDocument, fonts: &FontSet<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    use printpdf::font::{FontEmbeddingMode, PdfFont, PrintpdfFontMeta};
    use std::collections::BTreeMap;
    let mut programs = Vec::new();
    let mut chars: BTreeMap<String, BTreeMap<char, u16>> = BTreeMap::new();
    for (id, name) in fonts.faces() {
        let face = fonts.fonts.get(name);
        let mut current: Option<&str> = None;
        for page in &pdf.pages {
            for op in &page.ops {
                match op {
                    Op::SetFont {
                        font: PdfFontHandle::External(f),
                        ..
                    } => current = Some(f.0.as_str()),
                    Op::ShowText { items } if current == Some(id.0.as_str()) => {
                        let used = chars.entry(id.0.clone()).or_default();
                        for item in items {
                            let TextItem::Text(t) = item else { continue };
                            for c in t.chars() {
                                if let Some(g) = face.glyph(c) {
                                    used.insert(c, g);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    for (id, name) in fonts.faces() {
        let Some(used) = chars.get(&id.0) else {
            continue;
        };
        let face = fonts.fonts.get(name);
        let small = super::subset::subset(super::fonts::face_bytes(name), used).and_then(|s| {
            let parsed = printpdf::ParsedFont::from_bytes(&s.bytes, 0, &mut Vec::new())?;
            programs.push((s.bytes, s.embedded));
            Some(parsed)
        });
        let pdf_font = match small {
            Some(mut small) => {
                // The subset tag (ISO 32000-1, 9.6.4) names the glyph set: the same
                // characters give the same tag, and so the same bytes.
                let base = face.font_name.clone().unwrap_or_else(|| id.0.clone());
                small.font_name = Some(format!("{}+{base}", subset_tag(used)));
                PdfFont::with_meta(
                    small,
                    PrintpdfFontMeta {
                        embedding_mode: FontEmbeddingMode::Full,
                        requires_subsetting: false,
                        ..PrintpdfFontMeta::default()
                    },
                )
            }
            None => PdfFont::new(face.parsed.clone()),
        };
        pdf.resources.fonts.map.insert(id, pdf_font);
    }
    programs
}

/// Puts each subset's embedded program (without its character map) in place of the one
/// printpdf wrote.
fn embed_programs(doc: &mut lopdf::Document, programs: &[(Vec<u8>, Vec<u8>)]) {
    for object in doc.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if let Some((_, embedded)) = programs
            .iter()
            .find(|(parsed, _)| *parsed == stream.content)
        {
            stream.dict.set("Length1", embedded.len() as i64);
            stream.set_content(embedded.clone());
        }
    }
}

/// Six capital letters drawn from the characters of a subset.
fn subset_tag(chars: &std::collections::BTreeMap<char, u16>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for c in chars.keys() {
        h.update((*c as u32).to_be_bytes());
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| (b'A' + b % 26) as char)
        .collect()
}

/// The parts of a template that are the same on every sheet: boxes, rules, cells, wording.
pub(crate) fn draw_fixed(
    page: &mut PageOps,
    fonts: &FontSet<'_>,
    p: &Page,
    boxes: &[BoxShape],
    rules: &[Rule],
    cells: &[Cells],
    labels: &[Label],
) {
    for b in boxes {
        page.rect(b.x, b.y, b.w, b.h, b.width.unwrap_or(p.line_width));
    }
    for r in rules {
        page.line(
            r.x1,
            r.y1,
            r.x2,
            r.y2,
            r.width.unwrap_or(p.line_width),
            r.dashed,
        );
    }
    for c in cells {
        let cw = c.w / c.n as f32;
        page.rect(c.x, c.y, c.w, c.h, p.line_width);
        for i in 1..c.n {
            let x = c.x + cw * i as f32;
            page.line(x, c.y, x, c.y + c.h, p.line_width * 0.6, true);
        }
    }
    for l in labels {
        let size = l.size.unwrap_or(p.label_size);
        let (id, font) = fonts.get(l.font.unwrap_or(p.label_font));
        for (i, line) in l.text.split('\n').enumerate() {
            let y = l.y + i as f32 * size * PT_TO_MM * 1.2;
            let x = aligned_x(l.x, l.w, l.align, text_width_mm(font, line, size));
            page.text(&id, size, x, y, line);
        }
    }
}

/// The filled-in parts: cells and slots with their text, and marks whose condition holds.
/// `text` gives a slot's text; `label` names a slot for the message when its text does not fit.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_filled(
    page: &mut PageOps,
    fonts: &FontSet<'_>,
    p: &Page,
    cells: &[Cells],
    slots: &[Slot],
    marks: &[Mark],
    text: &dyn Fn(&str) -> String,
    holds: &dyn Fn(&str) -> bool,
    label: &dyn Fn(&str) -> String,
) -> Result<(), Error> {
    for c in cells {
        let Some(name) = &c.slot else { continue };
        let chars: Vec<char> = text(name).chars().filter(|c| !c.is_whitespace()).collect();
        let (id, font) = fonts.get(p.data_font);
        let cw = c.w / c.n as f32;
        let size = (c.h / PT_TO_MM * 0.75).min(p.data_size);
        // Numbers sit in the rightmost boxes (a 6-digit 国保 number leaves the first two empty).
        let first = c.n.saturating_sub(chars.len());
        for (i, ch) in chars.iter().take(c.n).enumerate() {
            let s = ch.to_string();
            let cx = c.x + cw * (first + i) as f32;
            let x = aligned_x(cx, cw, Align::Center, text_width_mm(font, &s, size));
            page.text(&id, size, x, c.y + (c.h - size * PT_TO_MM) / 2.0, &s);
        }
    }
    for s in slots {
        let value = text(&s.name);
        if value.is_empty() {
            continue;
        }
        let (id, font) = fonts.get(s.font.unwrap_or(p.data_font));
        let size = s.size.unwrap_or(p.data_size);
        let fitted = match s.h {
            Some(h) => fit_height(font, &value, s.w, h, size, p.min_size),
            None => fit(font, &value, s.w, size, p.min_size, s.lines),
        };
        let (size, lines) = fitted.ok_or_else(|| does_not_fit(&label(&s.name), &value))?;
        for (i, line) in lines.iter().enumerate() {
            let x = aligned_x(s.x, s.w, s.align, text_width_mm(font, line, size));
            page.text(&id, size, x, s.y + i as f32 * size * PT_TO_MM * 1.25, line);
        }
    }
    let (check_id, check_font) = fonts.get(p.data_font);
    for m in marks {
        if !holds(&m.when) {
            continue;
        }
        if m.r > 0.0 {
            page.circle(m.x, m.y, m.rx.unwrap_or(m.r), m.r, p.line_width * 1.2);
        } else {
            let size = 8.0;
            let w = text_width_mm(check_font, "レ", size);
            page.text(
                &check_id,
                size,
                m.x - w / 2.0,
                m.y - size * PT_TO_MM / 2.0,
                "レ",
            );
        }
    }
    Ok(())
}

/// Fits text into `w` and at most `lines` lines, shrinking the size down to `min`. None when it
/// does not fit even then: the caller refuses rather than print a cut-off prescription.
pub(crate) fn fit(
    font: &Face,
    text: &str,
    w: f32,
    size: f32,
    min: f32,
    lines: usize,
) -> Option<(f32, Vec<String>)> {
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

/// The largest size, down to `min`, at which `text` wrapped to `w` stands within `h` (lines
/// spaced as slots print them), with its lines.
pub(crate) fn fit_height(
    font: &Face,
    text: &str,
    w: f32,
    h: f32,
    size: f32,
    min: f32,
) -> Option<(f32, Vec<String>)> {
    let mut size = size;
    loop {
        let wrapped = wrap(font, text, w, size);
        let mm = size * PT_TO_MM;
        if mm + (wrapped.len().max(1) - 1) as f32 * mm * 1.25 <= h + 0.01 {
            return Some((size, wrapped));
        }
        if size <= min {
            return None;
        }
        size = (size - 0.5).max(min);
    }
}

pub(crate) fn does_not_fit(what: &str, text: &str) -> Error {
    let head: String = text.chars().take(20).collect();
    Error::refused(
        format!("{what}が長すぎて用紙の欄に収まりません（「{head}…」）。短くしてください"),
        format!("{what} is too long for its place on the form; shorten it"),
    )
}

/// Characters a line may not start with (行頭禁則, JIS X 4051): closing brackets and
/// punctuation, small kana, the long vowel mark and 々.
const NO_LINE_START: &str =
    "）)」』】〕］]｝}〉》、。，,．.・：:；;！!？?ーぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々";

/// Breaks text at '\n' and wherever a line would pass `w`, the way Japanese is set: between any
/// two characters, except that a run of ASCII letters and digits (a number, a code) stays whole
/// when it fits a line, a line never starts with a closing bracket or small kana (the character
/// before goes down with it), and a paragraph never ends with one character alone on a line.
pub(crate) fn wrap(font: &Face, text: &str, w: f32, size: f32) -> Vec<String> {
    let fits = |s: &str| text_width_mm(font, s, size) <= w;
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut lines: Vec<String> = vec![String::new()];
        for token in tokens(para) {
            let line = lines.last_mut().expect("never empty");
            if fits(&format!("{line}{token}")) || line.is_empty() && fits(&token) {
                line.push_str(&token);
                continue;
            }
            if line.is_empty() || !fits(&token) {
                // Too long for any line (or nothing to break before): character by character.
                for c in token.chars() {
                    let line = lines.last_mut().expect("never empty");
                    line.push(c);
                    if !fits(line) && line.chars().count() > 1 {
                        line.pop();
                        lines.push(c.to_string());
                    }
                }
                continue;
            }
            let mut next = token;
            if next.starts_with(|c| NO_LINE_START.contains(c)) && line.chars().count() > 1 {
                let last = line.pop().expect("not empty");
                next.insert(0, last);
            }
            lines.push(next);
        }
        // No single character alone at the end of a paragraph.
        let n = lines.len();
        if n >= 2 && lines[n - 1].chars().count() == 1 && lines[n - 2].chars().count() >= 3 {
            // (Not a number's digit, nor a mark that may not start a line: then it stays.)
            let moved = lines[n - 2].pop().expect("not empty");
            if moved.is_ascii_alphanumeric() || NO_LINE_START.contains(moved) {
                lines[n - 2].push(moved);
            } else {
                lines[n - 1].insert(0, moved);
            }
        }
        out.extend(lines);
    }
    out
}

/// A paragraph cut into what a line break may not split: runs of ASCII letters, digits and the
/// marks inside numbers and codes (`06012345`, `03-0000-0000`, `1.5mg`), and single characters.
fn tokens(para: &str) -> Vec<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || "-./%".contains(c);
    let mut out: Vec<String> = Vec::new();
    let mut in_word = false;
    for c in para.chars() {
        if word(c) && in_word {
            out.last_mut().expect("in a word").push(c);
        } else {
            out.push(c.to_string());
        }
        in_word = word(c);
    }
    out
}

pub(crate) fn aligned_x(x: f32, w: f32, align: Align, text_w: f32) -> f32 {
    match align {
        Align::Left => x,
        Align::Center => x + (w - text_w) / 2.0,
        Align::Right => x + w - text_w,
    }
}

/// Drawing operations for one page, taking top-left millimetres and emitting printpdf's
/// bottom-left points.
pub(crate) struct PageOps {
    pub ops: Vec<Op>,
    /// The QR symbols, drawn as image masks when the document is saved ([`save`]).
    pub masks: Vec<Mask>,
    height: f32,
}

/// A 1-bit image mask (a QR symbol): one bit per module, 0 for dark, rows padded to a byte,
/// drawn in black at `at` (the matrix that maps the unit square onto the page, in points).
pub(crate) struct Mask {
    pub width: usize,
    pub bits: Vec<u8>,
    pub at: [f32; 6],
}

/// Millimetres in points, to a hundredth of a point (1/7200 inch, far below any printer's
/// dot): the content streams carry short numbers.
pub(crate) fn pt(mm: f32) -> Pt {
    Pt((Mm(mm).into_pt().0 * 100.0).round() / 100.0)
}

impl PageOps {
    pub fn new(height: f32) -> Self {
        PageOps {
            ops: Vec::new(),
            masks: Vec::new(),
            height,
        }
    }

    fn point(&self, x: f32, y: f32) -> LinePoint {
        LinePoint {
            p: Point {
                x: pt(x),
                y: pt(self.height - y),
            },
            bezier: false,
        }
    }

    fn stroke_width(&mut self, w: f32) {
        self.ops.push(Op::SetOutlineThickness { pt: pt(w) });
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32) {
        self.stroke_width(width);
        let pts = vec![
            self.point(x, y),
            self.point(x + w, y),
            self.point(x + w, y + h),
            self.point(x, y + h),
        ];
        self.ops.push(Op::DrawLine {
            line: Line {
                points: pts,
                is_closed: true,
            },
        });
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, dashed: bool) {
        self.stroke_width(width);
        if dashed {
            self.ops.push(Op::SetLineDashPattern {
                dash: LineDashPattern::new(0.0, &[1.0, 1.0]),
            });
        }
        let pts = vec![self.point(x1, y1), self.point(x2, y2)];
        self.ops.push(Op::DrawLine {
            line: Line {
                points: pts,
                is_closed: false,
            },
        });
        if dashed {
            self.ops.push(Op::SetLineDashPattern {
                dash: LineDashPattern::solid(),
            });
        }
    }

    /// An ellipse (radii `rx`, `r`) from four Bézier arcs.
    pub fn circle(&mut self, cx: f32, cy: f32, rx: f32, r: f32, width: f32) {
        const K: f32 = 0.552_284_8;
        let (kx, k) = (K * rx, K * r);
        let p = |s: &Self, x: f32, y: f32, bezier: bool| LinePoint {
            bezier,
            ..s.point(x, y)
        };
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
        self.ops.push(Op::DrawLine {
            line: Line {
                points: pts,
                is_closed: true,
            },
        });
    }

    /// Text whose top-left corner is at (x, y).
    pub fn text(&mut self, font: &FontId, size: f32, x: f32, y: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        let baseline = y + size * PT_TO_MM * 0.88;
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::External(font.clone()),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point {
                    x: pt(x),
                    y: pt(self.height - baseline),
                },
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_string())],
            },
            Op::EndTextSection,
        ]);
    }

    /// A QR symbol of side `size` (quiet zone included) at (x, y), as a 1-bit image mask with
    /// one sample per module: exact modules at any scale, and a few hundred bytes where one
    /// rectangle per run of dark modules took several kilobytes per symbol.
    pub fn qr(&mut self, s: &QrSymbol, x: f32, y: f32, size: f32) {
        let pitch = size / (s.width + 2 * QUIET_ZONE) as f32;
        let x0 = x + pitch * QUIET_ZONE as f32;
        let y0 = y + pitch * QUIET_ZONE as f32;
        let side = pitch * s.width as f32;
        let row_bytes = s.width.div_ceil(8);
        let mut bits = vec![0xFFu8; row_bytes * s.width];
        for row in 0..s.width {
            for col in 0..s.width {
                if s.is_dark(col, row) {
                    bits[row * row_bytes + col / 8] &= !(0x80 >> (col % 8));
                }
            }
        }
        self.masks.push(Mask {
            width: s.width,
            bits,
            at: [
                pt(side).0,
                0.0,
                0.0,
                pt(side).0,
                pt(x0).0,
                pt(self.height - y0 - side).0,
            ],
        });
    }
}

/// Saves a document with honest metadata: this app as creator and producer, the creation date
/// given (a prescription's day of issue, 00:00 in Japan, rather than printpdf's 1970), no
/// empty PDF/X version marker (printpdf writes `/GTS_PDFXVersion()` for a document that claims
/// no PDF/X conformance), and a document id (`/ID`) drawn from the content instead of
/// printpdf's random one: the same document is always the same bytes, so an archived copy can
/// be checked by rendering it again. The fonts are embedded subset ([`embed_fonts`]) and the
/// streams compressed.
///
/// `form` is drawn once, as a form XObject that every page shows under its own content (the
/// fixed boxes and wording of a prescription's sheets are written once, not once per sheet);
/// `masks` are each page's image masks ([`PageOps::qr`]).
pub(crate) fn save(
    mut pdf: printpdf::PdfDocument,
    fonts: &FontSet<'_>,
    created_on: Option<chrono::NaiveDate>,
    form: Option<Vec<Op>>,
    masks: &[Vec<Mask>],
) -> Vec<u8> {
    let form = form.and_then(|ops| {
        let mut page = pdf.pages.first()?.clone();
        page.ops = ops;
        pdf.pages.push(page);
        Some(())
    });
    let programs = embed_fonts(&mut pdf, fonts);
    let info = &mut pdf.metadata.info;
    let name = concat!("onshi-fallback ", env!("CARGO_PKG_VERSION"));
    info.creator = name.to_string();
    info.producer = format!("{name} (printpdf)");
    if let Some(day) = created_on {
        use chrono::{Datelike, Timelike};
        // The date is written as UTC: 00:00 JST is 15:00 UTC the day before.
        let utc = day.and_hms_opt(0, 0, 0).expect("midnight exists") - chrono::Duration::hours(9);
        let at = printpdf::DateTime {
            date: printpdf::Date {
                year: utc.year(),
                month: utc.month() as u8,
                day: utc.day() as u8,
            },
            time: printpdf::Time {
                hour: utc.hour() as u8,
                minute: 0,
                second: 0,
                millisecond: 0,
            },
            offset: printpdf::Offset {
                hours: 0,
                minutes: 0,
                seconds: 0,
                milliseconds: 0,
            },
        };
        info.creation_date = at;
        info.modification_date = at;
        info.metadata_date = at;
    }
    let opts = printpdf::PdfSaveOptions {
        optimize: false,
        ..Default::default()
    };
    let mut doc = printpdf::serialize::to_lopdf_doc(&pdf, &opts, &mut Vec::new());
    if let Ok(info) = doc
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .and_then(|id| doc.get_dictionary_mut(id))
    {
        if info
            .get(b"GTS_PDFXVersion")
            .and_then(lopdf::Object::as_str)
            .is_ok_and(<[u8]>::is_empty)
        {
            info.remove(b"GTS_PDFXVersion");
        }
    }
    embed_programs(&mut doc, &programs);
    add_form_and_masks(&mut doc, form.is_some(), masks);
    compress(&mut doc);
    // The id is a hash of the file written with a blank id, put in place of the blank (same
    // length, so the cross-reference offsets stay right).
    const BLANK: [u8; 16] = [0; 16];
    let blank = || lopdf::Object::String(BLANK.to_vec(), lopdf::StringFormat::Hexadecimal);
    doc.trailer
        .set("ID", lopdf::Object::Array(vec![blank(), blank()]));
    // Object streams (PDF 1.5): the dictionaries, the glyph widths among them, compressed too.
    let mut bytes = Vec::new();
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(true)
        .use_xref_streams(true)
        .compression_level(6)
        .build();
    doc.save_with_options(&mut bytes, options)
        .expect("writing to memory");
    let id = {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(&bytes);
        hash[..16]
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    };
    // The blank id is written (uncompressed) in the last dictionary of the file, the trailer
    // or the cross-reference stream's.
    let blank_hex = format!("<{}>", "00".repeat(16));
    for _ in 0..2 {
        if let Some(i) = bytes
            .windows(blank_hex.len())
            .rposition(|w| w == blank_hex.as_bytes())
        {
            bytes[i + 1..i + 1 + 32].copy_from_slice(id.as_bytes());
        }
    }
    bytes
}

/// Turns the last page into the form XObject `/Fm` that every other page draws first (when
/// `form`), and draws each page's masks after its content.
fn add_form_and_masks(doc: &mut lopdf::Document, form: bool, masks: &[Vec<Mask>]) {
    use lopdf::{Dictionary, Object, Stream};
    let mut pages: Vec<lopdf::ObjectId> = doc.get_pages().into_values().collect();
    let Some(&first) = pages.first() else { return };
    let reference = |doc: &lopdf::Document, dict: lopdf::ObjectId, key: &[u8]| {
        doc.get_dictionary(dict)
            .ok()?
            .get(key)
            .ok()?
            .as_reference()
            .ok()
    };
    let Some(resources) = reference(doc, first, b"Resources") else {
        return;
    };
    let (Some(xobjects), Some(font_dict)) = (
        reference(doc, resources, b"XObject"),
        reference(doc, resources, b"Font"),
    ) else {
        return;
    };
    let mut names: Vec<(Vec<u8>, lopdf::ObjectId)> = Vec::new();
    let mut prefix = Vec::new();
    if form {
        let page = pages.pop().expect("the form's page");
        let (Some(content), Ok(media)) = (
            reference(doc, page, b"Contents"),
            doc.get_dictionary(page)
                .and_then(|d| d.get(b"MediaBox"))
                .cloned(),
        ) else {
            return;
        };
        let own_resources = reference(doc, page, b"Resources");
        let Ok(Object::Stream(stream)) = doc.get_object_mut(content) else {
            return;
        };
        let mut dict = Dictionary::new();
        dict.set("Type", "XObject");
        dict.set("Subtype", "Form");
        dict.set("BBox", media);
        dict.set(
            "Resources",
            Dictionary::from_iter(vec![("Font", Object::Reference(font_dict))]),
        );
        *stream = Stream::new(dict, std::mem::take(&mut stream.content));
        doc.objects.remove(&page);
        if let Some(r) = own_resources {
            doc.objects.remove(&r);
        }
        if let Some(tree) = reference(doc, first, b"Parent") {
            if let Ok(dict) = doc.get_dictionary_mut(tree) {
                dict.set("Count", pages.len() as i64);
                dict.set(
                    "Kids",
                    pages
                        .iter()
                        .map(|p| Object::Reference(*p))
                        .collect::<Vec<_>>(),
                );
            }
        }
        names.push((b"Fm".to_vec(), content));
        prefix.extend_from_slice(b"q /Fm Do Q\n");
    }
    for (n, page) in pages.iter().enumerate() {
        let mut suffix = Vec::new();
        for (k, m) in masks.get(n).into_iter().flatten().enumerate() {
            let name = format!("Qr{}_{}", n + 1, k + 1);
            let mut dict = Dictionary::new();
            dict.set("Type", "XObject");
            dict.set("Subtype", "Image");
            dict.set("Width", m.width as i64);
            dict.set("Height", m.width as i64);
            dict.set("ImageMask", true);
            dict.set("BitsPerComponent", 1);
            let id = doc.add_object(Stream::new(dict, m.bits.clone()));
            names.push((name.clone().into_bytes(), id));
            let [a, b, c, d, e, f] = m.at;
            suffix.extend_from_slice(
                format!("q 0 g {a:.4} {b} {c} {d:.4} {e:.4} {f:.4} cm /{name} Do Q\n").as_bytes(),
            );
        }
        if prefix.is_empty() && suffix.is_empty() {
            continue;
        }
        let Some(content) = reference(doc, *page, b"Contents") else {
            continue;
        };
        if let Ok(Object::Stream(stream)) = doc.get_object_mut(content) {
            let mut bytes = prefix.clone();
            bytes.extend_from_slice(&stream.content);
            bytes.push(b'\n');
            bytes.extend_from_slice(&suffix);
            stream.set_content(bytes);
        }
    }
    if let Ok(dict) = doc.get_dictionary_mut(xobjects) {
        for (name, id) in names {
            dict.set(name, Object::Reference(id));
        }
    }
}

/// Compresses every stream that may be (content, font program, character maps) with Flate at
/// the default level: nearly the size of the best level at a fraction of its time.
fn compress(doc: &mut lopdf::Document) {
    use std::io::Write;
    for object in doc.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        if z.write_all(&stream.content).is_err() {
            continue;
        }
        let Ok(packed) = z.finish() else { continue };
        if packed.len() + 19 < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(packed);
        }
    }
}

#[cfg(test)]
mod wrap_tests {
    use super::*;

    fn gothic() -> Fonts {
        Fonts::load(|f| f == FontName::Gothic).unwrap()
    }

    #[test]
    fn numbers_stay_whole_and_no_line_starts_with_a_closing_mark() {
        let fonts = gothic();
        let font = fonts.get(FontName::Gothic);
        let size = 10.0;
        let em = text_width_mm(font, "あ", size);
        // Room for 8 full-width characters.
        let w = em * 8.2;
        let lines = wrap(font, "保険者番号は06012345です", w, size);
        assert!(lines.iter().any(|l| l.contains("06012345")), "{lines:?}");
        let lines = wrap(font, "あいうえおかきく）けこ", w, size);
        assert!(!lines.iter().any(|l| l.starts_with('）')), "{lines:?}");
        assert_eq!(lines.concat(), "あいうえおかきく）けこ");
        let lines = wrap(font, "回線復旧後に照合する予定の照合待ち", w, size);
        assert!(!lines.iter().any(|l| l.chars().count() == 1), "{lines:?}");
        assert!(!lines.iter().any(|l| l.starts_with('ち')), "{lines:?}");
        assert_eq!(lines.concat(), "回線復旧後に照合する予定の照合待ち");
        // What cannot be kept whole is still broken, never lost.
        let long = "1234567890".repeat(4);
        assert_eq!(wrap(font, &long, w, size).concat(), long);
        assert_eq!(wrap(font, "", w, size), [""]);
    }
}
