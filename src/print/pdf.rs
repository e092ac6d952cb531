//! Renders a prescription to PDF: the template's fixed drawing, the data in its slots, the 処方
//! lines flowing over as many sheets as they need, and the JAHIS symbols.
//!
//! Nothing is printed that the font cannot show: [`Renderer::render`] refuses, naming the
//! characters, before a single page is drawn. Characters the font has but JIS X 0208 lacks are
//! printed as they are on paper and become ■ in the symbol (reported in [`Rendered::gaiji`]).

use printpdf::{Mm, PdfDocument, PdfPage};

use super::fonts::{text_width_mm, unprintable_chars, Fonts, PT_TO_MM};
use super::jahis::{self, RxDocument, SheetMarks};
use super::page::{does_not_fit, draw_filled, draw_fixed, fit, wrap, FontSet, PageOps};
use super::qr::{self, QrSymbol};
use super::sjis;
use super::template::Template;
use crate::config::Signature;
use crate::domain::prescription::{DoseForm, Leftover, Rp};
use crate::domain::wareki::format_wareki;
use crate::domain::{Relationship, Sex};
use crate::error::Error;

/// A template with its fonts loaded; build once, render many.
pub struct Renderer {
    pub template: Template,
    fonts: Fonts,
    /// How the 保険医署名 is made (`[printer] signature`).
    pub signature: Signature,
}

/// A prescription checked and encoded, ready to draw ([`Renderer::prepare`]).
pub struct Prepared {
    doc: RxDocument,
    symbols: Vec<QrSymbol>,
    /// Characters printed on paper but written as ■ in the symbol (outside JIS X 0208).
    pub gaiji: Vec<char>,
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
        BodyLine {
            label: String::new(),
            indent,
            text: text.into(),
            right: String::new(),
            no_substitution: false,
            patient_request: false,
        }
    }
}

const END_MARK: &str = "以下余白";
/// Where a drug's name starts, after the RP's `1)` (mm from the body's left edge).
const DRUG_INDENT: f32 = 6.0;
/// Where an RP's 用法 starts.
const USAGE_INDENT: f32 = 9.0;
/// At the foot of the 処方 area of every sheet but the last.
const CONTINUED_MARK: &str = "次頁へ続く";
/// After an RP's number on the sheet where it continues.
const RP_CONTINUES: &str = "（前頁から続く）";
/// Size of the 「1/2」 above a linked symbol, pt.
const SYMBOL_LABEL_PT: f32 = 5.5;

impl Renderer {
    pub fn new(template: Template) -> Result<Renderer, Error> {
        let fonts = Fonts::load(|f| template.uses(f))?;
        Ok(Renderer {
            template,
            fonts,
            signature: Signature::default(),
        })
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

    /// Everything [`render`](Self::render) would refuse, without drawing: the settings, the
    /// characters, the symbols. Returns the characters that become ■ in the symbol.
    pub fn check(&self, doc: &RxDocument) -> Result<Vec<char>, Error> {
        Ok(self.prepare(doc)?.gaiji)
    }

    /// The checked document and its symbols, ready to draw ([`Self::render_prepared`]): what
    /// the sheets of one prescription share, so that its original and its reissue copy are
    /// checked and encoded once.
    pub fn prepare(&self, doc: &RxDocument) -> Result<Prepared, Error> {
        let (doc, symbols) = self.prepare_doc(doc)?;
        let gaiji = sjis::non_jis_chars(&jahis::symbol_text(&doc));
        Ok(Prepared {
            doc,
            symbols,
            gaiji,
        })
    }

    /// The document as printed (names the font lacks replaced, with a note in 備考) and its
    /// symbols, or the reason it cannot be printed.
    fn prepare_doc(&self, doc: &RxDocument) -> Result<(RxDocument, Vec<QrSymbol>), Error> {
        doc.check()?;
        let font = self.fonts.get(self.template.page.data_font);
        let mut doc = doc.clone();
        let notes = super::fonts::printable_fields(
            font,
            [
                ("氏名", &mut doc.patient.name),
                ("住所", &mut doc.patient.address),
            ],
        );
        if !notes.is_empty() {
            let remarks = &mut doc.prescription.remarks;
            let sep = if remarks.is_empty() { "" } else { "\n" };
            *remarks = format!("{remarks}{sep}{}", notes.join("\n"));
        }
        let missing = self.unprintable(&doc);
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|c| format!("「{c}」(U+{:04X})", *c as u32))
                .collect::<Vec<_>>()
                .join("、");
            return Err(Error::refused(
                format!("次の文字は同梱フォントで印刷できません: {list}。別の字体に置き換えるか手書きしてください"),
                format!("the bundled font cannot print: {list}; replace them or write them by hand"),
            ));
        }
        let t = &self.template;
        let max_version = qr::max_version(t.qr.size, t.qr.min_cell).ok_or_else(|| {
            Error::refused(
                "テンプレートの２次元シンボル欄が小さすぎます",
                "the template's symbol area is too small",
            )
        })?;
        let records = jahis::records(&doc);
        // A prescription too long for 16 linked symbols at the template's pitch gets larger
        // symbols with a finer pitch, down to the spec's 0.25 mm, rather than none.
        let symbols =
            qr::symbols_for(&records, max_version).or_else(|e| {
                match qr::max_version(t.qr.size, qr::SPEC_MIN_CELL) {
                    Some(v) if v > max_version => qr::symbols_for(&records, v),
                    _ => Err(e),
                }
            })?;
        Ok((doc, symbols))
    }

    /// Renders the whole prescription, or refuses when a character cannot be printed. The
    /// patient's name and address are never refused: a character the font lacks prints in its
    /// standard form (or 〓), said in a note in 備考, so the patient's prescription always
    /// reaches paper.
    pub fn render(&self, doc: &RxDocument) -> Result<Rendered, Error> {
        let prepared = self.prepare(doc)?;
        self.render_prepared(&prepared, &doc.sheet)
    }

    /// Draws a prepared prescription with the marks of this copy (its id, a reissue's
    /// mark), which are printed on the sheets and are not in the symbols.
    pub fn render_prepared(&self, p: &Prepared, marks: &SheetMarks) -> Result<Rendered, Error> {
        let mut owned = None;
        let doc = if p.doc.sheet == *marks {
            &p.doc
        } else {
            let mut d = p.doc.clone();
            d.sheet = marks.clone();
            &*owned.insert(d)
        };
        let symbols = p.symbols.clone();
        let gaiji = p.gaiji.clone();
        let t = &self.template;

        let body = paginate(
            self.wrap_body(body_lines(&doc.prescription.rps)),
            t.body_lines(),
        );
        let body_pages = &body.pages;
        let qr_pages = symbols.len().div_ceil(t.qr.max_per_page);
        let pages = body_pages.len().max(qr_pages);

        let mut pdf = PdfDocument::new("処方箋");
        let ids = FontSet::register(&self.fonts, |name| t.uses(name));
        // The form is the same on every sheet: drawn once, shown by each.
        let mut form = PageOps::new(t.page.height);
        self.draw_form(&mut form, &ids);
        let mut out_pages = Vec::with_capacity(pages);
        let mut masks = Vec::with_capacity(pages);
        for n in 0..pages {
            let mut page = PageOps::new(t.page.height);
            let sheet = SheetPos {
                n,
                pages,
                end_below: body.end_below && n + 1 == body_pages.len(),
            };
            self.draw_data(&mut page, &ids, doc, sheet)?;
            let lines = body_pages
                .get(n)
                .cloned()
                .unwrap_or_else(|| vec![BodyLine::plain(0.0, "（処方は前葉のとおり）")]);
            self.draw_body(&mut page, &ids, &lines)?;
            let chunk = symbols
                .iter()
                .skip(n * t.qr.max_per_page)
                .take(t.qr.max_per_page);
            for (i, s) in chunk.enumerate() {
                let x = t.qr.x + i as f32 * (t.qr.size + t.qr.gap);
                page.qr(s, x, t.qr.y, t.qr.size);
                self.draw_symbol_label(&mut page, &ids, s, x);
            }
            masks.push(page.masks);
            out_pages.push(PdfPage::new(Mm(t.page.width), Mm(t.page.height), page.ops));
        }
        pdf.pages = out_pages;
        let bytes = super::page::save(
            pdf,
            &ids,
            Some(doc.prescription.issued_on),
            Some(form.ops),
            &masks,
        );
        Ok(Rendered {
            pdf: bytes,
            pages,
            symbols,
            gaiji,
        })
    }

    /// 「1/2」 centred above a symbol of a linked set, between the frame and the quiet zone, so
    /// that whoever scans can see at once that another symbol belongs to it.
    fn draw_symbol_label(&self, page: &mut PageOps, fonts: &FontSet<'_>, s: &QrSymbol, x: f32) {
        let Some(label) = s.position_label() else {
            return;
        };
        let q = &self.template.qr;
        let (id, font) = fonts.get(self.template.page.data_font);
        let size = SYMBOL_LABEL_PT;
        let w = text_width_mm(font, &label, size);
        page.text(
            &id,
            size,
            x + (q.size - w) / 2.0,
            q.y - size * PT_TO_MM - 0.3,
            &label,
        );
    }

    /// The `[clinic]` texts that do not fit their places on the form, each named by its key:
    /// checked when the records are opened, so that a clinic learns it on the first day, not at
    /// its first prescription of an outage.
    pub fn check_clinic(&self, clinic: &crate::config::Clinic) -> Result<(), Error> {
        let t = &self.template;
        let mut errs = Vec::new();
        for slot in &t.slots {
            let Some((_, key)) = CLINIC_KEYS.iter().find(|(n, _)| *n == slot.name) else {
                continue;
            };
            let text = clinic_text(&slot.name, clinic);
            let font = self.fonts.get(slot.font.unwrap_or(t.page.data_font));
            let size = slot.size.unwrap_or(t.page.data_size);
            let fits = match slot.h {
                Some(h) => super::page::fit_height(font, &text, slot.w, h, size, t.page.min_size),
                None => fit(font, &text, slot.w, size, t.page.min_size, slot.lines),
            };
            if fits.is_none() {
                errs.push(crate::error::FieldError::new(
                    *key,
                    slot_label(&slot.name),
                    format!(
                        "{} 文字は処方箋の欄（{}pt まで縮小）に入りません。短くしてください",
                        text.chars().count(),
                        t.page.min_size
                    ),
                    format!(
                        "too long for its place on the prescription, even at {} pt",
                        t.page.min_size
                    ),
                ));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Error::Input(errs))
        }
    }

    /// Lines too long for the 処方 area (a long 用法, a long drug name) continue on the next line
    /// at the same indent, at the body's size, instead of shrinking out of reach of the eye;
    /// the amount or day count stays on the first line.
    fn wrap_body(&self, groups: Vec<Vec<BodyLine>>) -> Vec<Vec<BodyLine>> {
        let b = &self.template.body;
        let font = self.fonts.get(self.template.page.data_font);
        groups
            .into_iter()
            .map(|group| {
                let mut out = Vec::with_capacity(group.len());
                for line in group {
                    let right_w = if line.right.is_empty() {
                        0.0
                    } else {
                        text_width_mm(font, &line.right, b.size) + 3.0
                    };
                    let room = (b.amount_right - right_w - b.x - line.indent).max(10.0);
                    let mut parts = wrap(font, &line.text, room, b.size).into_iter();
                    let first = parts.next().unwrap_or_default();
                    let indent = line.indent;
                    out.push(BodyLine {
                        text: first,
                        ..line
                    });
                    out.extend(parts.map(|rest| BodyLine::plain(indent, rest)));
                }
                out
            })
            .collect()
    }

    /// Boxes, rules, cells and fixed wording: the same on every sheet.
    fn draw_form(&self, page: &mut PageOps, fonts: &FontSet<'_>) {
        let t = &self.template;
        draw_fixed(
            page, fonts, &t.page, &t.boxes, &t.rules, &t.cells, &t.labels,
        );
    }

    /// Slots, cells and marks filled from the document.
    fn draw_data(
        &self,
        page: &mut PageOps,
        fonts: &FontSet<'_>,
        doc: &RxDocument,
        sheet: SheetPos,
    ) -> Result<(), Error> {
        let t = &self.template;
        draw_filled(
            page,
            fonts,
            &t.page,
            &t.cells,
            &t.slots,
            &t.marks,
            &|name| slot_text(name, doc, sheet, self.signature),
            &|when| mark_holds(when, doc, self.signature),
            &|name| slot_label(name).to_string(),
        )
    }

    fn draw_body(
        &self,
        page: &mut PageOps,
        fonts: &FontSet<'_>,
        lines: &[BodyLine],
    ) -> Result<(), Error> {
        let b = &self.template.body;
        let (id, font) = fonts.get(self.template.page.data_font);
        let min = self.template.page.min_size;
        for (i, l) in lines.iter().enumerate() {
            let y = b.y + i as f32 * b.line_height + (b.line_height - b.size * PT_TO_MM) / 2.0;
            if !l.label.is_empty() {
                page.text(&id, b.size, b.x, y, &l.label);
            }
            let right_w = if l.right.is_empty() {
                0.0
            } else {
                text_width_mm(font, &l.right, b.size) + 3.0
            };
            let x = b.x + l.indent;
            let room = (b.amount_right - right_w - x).max(10.0);
            let (size, _) = fit(font, &l.text, room, b.size, min, 1)
                .ok_or_else(|| does_not_fit("処方の行", &l.text))?;
            page.text(&id, size, x, y, &l.text);
            if !l.right.is_empty() {
                page.text(
                    &id,
                    b.size,
                    b.amount_right - text_width_mm(font, &l.right, b.size),
                    y,
                    &l.right,
                );
            }
            for (flag, cx) in [
                (l.no_substitution, b.no_substitution_x),
                (l.patient_request, b.patient_request_x),
            ] {
                if flag {
                    let w = text_width_mm(font, "レ", b.size);
                    page.text(&id, b.size, cx - w / 2.0, y, "レ");
                }
            }
        }
        Ok(())
    }
}

/// Every data text that is printed, for the font check.
fn data_text(doc: &RxDocument) -> String {
    let mut parts = Vec::new();
    for name in super::template::SLOT_NAMES {
        parts.push(slot_text(name, doc, SheetPos::default(), Signature::Seal));
    }
    for l in body_lines(&doc.prescription.rps).into_iter().flatten() {
        parts.extend([l.label, l.text, l.right]);
    }
    parts.join("\n")
}

/// The text of a named slot.
/// Which sheet is being drawn.
#[derive(Debug, Clone, Copy, Default)]
struct SheetPos {
    /// 0-based.
    n: usize,
    pages: usize,
    /// 以下余白 did not fit the 処方 area of this (the last body) sheet: it goes below it.
    end_below: bool,
}

fn slot_text(name: &str, doc: &RxDocument, sheet: SheetPos, signature: Signature) -> String {
    let SheetPos { n, pages, .. } = sheet;
    let c = &doc.clinic;
    let ins = &doc.insurance;
    let rx = &doc.prescription;
    let fund = |i: usize, payer: bool| {
        ins.public_funds
            .get(i)
            .map(|f| {
                if payer {
                    f.payer.clone()
                } else {
                    f.recipient.clone()
                }
            })
            .unwrap_or_default()
    };
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    match name {
        // Large, so that no sheet is taken for a prescription of its own.
        "sheet" if pages > 1 && n == 0 => format!("1/{pages} 枚"),
        "sheet" if pages > 1 => format!("続紙 {}/{pages} 枚", n + 1),
        "sheet_id" => doc
            .sheet
            .id
            .as_deref()
            .map(|id| format!("処方箋ID {id}"))
            .unwrap_or_default(),
        "reissue" => doc
            .sheet
            .reissue_of
            .map(|d| format!("再発行（原本の交付 {}）", format_wareki(d)))
            .unwrap_or_default(),
        "continued" => {
            let mut parts = Vec::new();
            if sheet.end_below {
                parts.push(END_MARK);
            }
            if n + 1 < pages {
                parts.push(CONTINUED_MARK);
            }
            parts.join("　")
        }
        "public_fund_payer" => fund(0, true),
        "public_fund_recipient" => fund(0, false),
        "public_fund_payer_2" => fund(1, true),
        "public_fund_recipient_2" => fund(1, false),
        "insurer_number" => s(&ins.insurer_number),
        // Not blank, which would read as 自費: the numbers are unknown, not absent.
        "symbol_number" if jahis::fushou(ins) => "不詳".to_string(),
        "symbol_number" => {
            let mut t = [
                ins.symbol.trim(),
                ins.number.as_deref().unwrap_or("").trim(),
            ]
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
        "clinic_address" | "clinic_name" | "clinic_phone" => clinic_text(name, c),
        "doctor_name" => rx.doctor.clone(),
        "prefecture_code" => s(&c.prefecture_code),
        "fee_table" => s(&c.fee_table),
        "institution_code" => s(&c.institution_code),
        "issued_on" => format_wareki(rx.issued_on),
        "valid_until" => rx.valid_until.map(format_wareki).unwrap_or_default(),
        "refill_count" => rx.refill_count.map(|n| n.to_string()).unwrap_or_default(),
        "remarks" => jahis::remarks(doc),
        // A hand signature goes on the empty line; for the seal, the name and a circled 印.
        "doctor_signature" if seal(doc, signature) => rx.doctor.clone(),
        "seal_mark" if seal(doc, signature) => "印".to_string(),
        _ => String::new(),
    }
}

/// True when the 保険医署名 is the printed name with the doctor's seal.
fn seal(doc: &RxDocument, signature: Signature) -> bool {
    signature == Signature::Seal && doc.prescription.needs_doctor_signature()
}

fn mark_holds(when: &str, doc: &RxDocument, signature: Signature) -> bool {
    match when {
        "seal" => seal(doc, signature),
        "male" => doc.patient.sex == Sex::Male,
        "female" => doc.patient.sex == Sex::Female,
        "insured" => doc.insurance.relationship == Some(Relationship::Insured),
        "family" => doc.insurance.relationship == Some(Relationship::Family),
        "refill" => doc.prescription.refill_count.is_some(),
        "leftover_inquire" => doc.prescription.leftover == Some(Leftover::Inquire),
        "leftover_inform" => doc.prescription.leftover == Some(Leftover::Inform),
        _ => false,
    }
}

/// The 処方 lines: each drug with its amount and markers, then the RP's 用法 and day count.
fn body_lines(rps: &[Rp]) -> Vec<Vec<BodyLine>> {
    rps.iter()
        .enumerate()
        .map(|(i, rp)| {
            let mut lines: Vec<BodyLine> = rp
                .drugs
                .iter()
                .enumerate()
                .map(|(j, d)| BodyLine {
                    label: if j == 0 {
                        format!("{})", i + 1)
                    } else {
                        String::new()
                    },
                    indent: DRUG_INDENT,
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
            let usage = if rp.form == DoseForm::Internal {
                rp.usage.clone()
            } else {
                format!("【{}】{}", rp.form.ja(), rp.usage)
            };
            lines.push(BodyLine {
                right: qty,
                ..BodyLine::plain(USAGE_INDENT, usage)
            });
            lines
        })
        .collect()
}

/// The 処方 lines as text, in the paper's order and wording, for a preview on screen: `1)` before
/// an RP's first drug, the amount after the name, the 変更不可 and 患者希望 check columns named
/// (［変更不可］), the 用法 with its day count, then 以下余白 (one sheet: no 続紙 on screen).
pub fn rx_lines(rps: &[Rp]) -> Vec<String> {
    body_lines(rps)
        .iter()
        .flatten()
        .map(BodyLine::as_text)
        .chain([END_MARK.to_string()])
        .collect()
}

impl BodyLine {
    /// The line as one string: the indent as full-width spaces (the label in its place).
    fn as_text(&self) -> String {
        let mut s = if !self.label.is_empty() {
            format!("{} ", self.label)
        } else if self.indent >= USAGE_INDENT {
            "　　".to_string()
        } else if self.indent >= DRUG_INDENT {
            "　".to_string()
        } else {
            String::new()
        };
        s.push_str(&self.text);
        if !self.right.is_empty() {
            s.push(' ');
            s.push_str(&self.right);
        }
        if self.no_substitution {
            s.push_str(" ［変更不可］");
        }
        if self.patient_request {
            s.push_str(" ［患者希望］");
        }
        s
    }
}

/// The 処方 lines cut into sheets.
#[derive(Debug)]
struct Body {
    pages: Vec<Vec<BodyLine>>,
    /// The last sheet is full: its 以下余白 is printed below the area.
    end_below: bool,
}

/// Fills sheets of `capacity` lines. An RP that runs over a sheet continues on the next under its
/// number (「3)（前頁から続く）」), except that an RP never leaves only its first line behind when
/// it would fit the next sheet whole. 以下余白 ends the last sheet.
fn paginate(groups: Vec<Vec<BodyLine>>, capacity: usize) -> Body {
    let capacity = capacity.max(2);
    let mut pages: Vec<Vec<BodyLine>> = vec![Vec::new()];
    for (i, group) in groups.into_iter().enumerate() {
        let room = capacity - pages.last().map_or(0, Vec::len);
        if room == 1 && group.len() > 1 && group.len() <= capacity {
            pages.push(Vec::new());
        }
        for (j, line) in group.into_iter().enumerate() {
            if pages.last().map_or(0, Vec::len) >= capacity {
                // A new RP at the top of a sheet needs no continuation line.
                pages.push(if j == 0 {
                    Vec::new()
                } else {
                    vec![BodyLine {
                        label: format!("{})", i + 1),
                        ..BodyLine::plain(DRUG_INDENT, RP_CONTINUES)
                    }]
                });
            }
            pages.last_mut().expect("never empty").push(line);
        }
    }
    let last = pages.last_mut().expect("never empty");
    let end_below = last.len() >= capacity;
    if !end_below {
        last.push(BodyLine::plain(0.0, END_MARK));
    }
    Body { pages, end_below }
}

/// The clinic's own slots, from `[clinic]`.
fn clinic_text(name: &str, c: &crate::config::Clinic) -> String {
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    match name {
        "clinic_address" => match (&c.postal_code, &c.address) {
            (Some(p), Some(a)) => format!("〒{p} {a}"),
            (_, a) => s(a),
        },
        "clinic_name" => s(&c.name),
        "clinic_phone" => s(&c.phone),
        _ => String::new(),
    }
}

/// The `[clinic]` key behind a clinic slot.
const CLINIC_KEYS: &[(&str, &str)] = &[
    ("clinic_name", "clinic.name"),
    ("clinic_address", "clinic.address"),
    ("clinic_phone", "clinic.phone"),
];

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
        "reissue" => "再発行の表示",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> BodyLine {
        BodyLine::plain(0.0, n.to_string())
    }

    #[test]
    fn sheets_are_filled_and_a_continued_rp_repeats_its_number() {
        let groups = vec![
            (0..4).map(line).collect(),
            (0..4).map(line).collect(),
            (0..3).map(line).collect(),
        ];
        let body = paginate(groups, 6);
        let lens: Vec<usize> = body.pages.iter().map(Vec::len).collect();
        // 4 + 2 of the second RP; its number, the rest and the third RP: full, so 以下余白
        // goes below the area.
        assert_eq!(lens, [6, 6]);
        assert_eq!(body.pages[1][0].label, "2)");
        assert_eq!(body.pages[1][0].text, RP_CONTINUES);
        assert_eq!(body.pages[1][1].text, "2");
        assert!(body.end_below);
        let body = paginate(
            vec![(0..4).map(line).collect(), (0..1).map(line).collect()],
            6,
        );
        assert_eq!(body.pages[0].last().unwrap().text, END_MARK);
        assert!(!body.end_below);
    }

    #[test]
    fn an_rp_does_not_leave_its_first_line_alone_and_a_full_last_sheet_ends_below() {
        let groups = vec![(0..5).map(line).collect(), (0..3).map(line).collect()];
        let body = paginate(groups, 6);
        assert_eq!(body.pages.iter().map(Vec::len).collect::<Vec<_>>(), [5, 4]);
        assert_eq!(body.pages[1][0].text, "0", "the second RP starts its sheet");
        let full = paginate(vec![(0..6).map(line).collect()], 6);
        assert!(full.end_below);
        assert_eq!(full.pages.len(), 1);
    }

    #[test]
    fn the_text_lines_follow_the_paper() {
        use crate::domain::prescription::Drug;
        let drug = |name: &str, no_substitution| Drug {
            name: name.into(),
            amount: "1".into(),
            unit: "錠".into(),
            no_substitution,
            patient_request: false,
        };
        let rps = [
            Rp {
                form: DoseForm::Internal,
                usage: "1日1回朝食後".into(),
                days: Some(14),
                drugs: vec![drug("アムロジピン錠5mg", false), drug("ロキソニン錠", true)],
            },
            Rp {
                form: DoseForm::Prn,
                usage: "疼痛時".into(),
                days: Some(5),
                drugs: vec![drug("カロナール錠200", false)],
            },
        ];
        assert_eq!(
            rx_lines(&rps),
            [
                "1) アムロジピン錠5mg 1錠",
                "　ロキソニン錠 1錠 ［変更不可］",
                "　　1日1回朝食後 14日分",
                "2) カロナール錠200 1錠",
                "　　【頓服】疼痛時 5回分",
                "以下余白",
            ]
        );
    }

    #[test]
    fn a_huge_rp_is_split() {
        let body = paginate(vec![(0..25).map(line).collect()], 10);
        // 10, then the number and 9, then the number, 6 and 以下余白.
        assert_eq!(
            body.pages.iter().map(Vec::len).collect::<Vec<_>>(),
            [10, 10, 8]
        );
    }
}
