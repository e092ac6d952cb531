//! A4 documents from declarative templates: the 被保険者資格申立書 (a form), and the lists for
//! the paper file and the billing clerk (the day's degraded-mode visits, the reconciliation
//! report), whose rows flow over as many pages as they need.
//!
//! A sheet template is the prescription's template language (boxes, rules, cells, wording,
//! slots, marks; millimetres from the top-left) without the 処方 area and symbols, plus an
//! optional `[table]` of columns. Slot and mark names are checked against the document's own.

use printpdf::{Mm, PdfDocument, PdfPage};
use serde::Deserialize;

use super::fonts::{text_width_mm, unprintable_chars, Fonts, PT_TO_MM};
use super::page::{draw_filled, draw_fixed, fit, wrap, FontSet, PageOps};
use super::template::{Align, BoxShape, Cells, FontName, Label, Mark, Page, Rule, Slot};
use crate::error::Error;

pub const DECLARATION: &str = include_str!("../../templates/declaration.toml");
pub const OUTAGE_DAY: &str = include_str!("../../templates/outage-day.toml");
pub const RECONCILE_REPORT: &str = include_str!("../../templates/reconcile-report.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sheet {
    pub page: Page,
    pub table: Option<Table>,
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

/// Rows of a list: a header row, then data rows from `y` down to `bottom`, page after page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    pub x: f32,
    pub y: f32,
    pub bottom: f32,
    pub row_height: f32,
    pub size: f32,
    #[serde(rename = "column")]
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub key: String,
    pub title: String,
    pub w: f32,
    #[serde(default)]
    pub align: Align,
}

/// What a document offers its template: slot, mark and column names.
pub struct Names {
    pub slots: &'static [&'static str],
    pub marks: &'static [&'static str],
    pub columns: &'static [&'static str],
}

impl Sheet {
    /// Parses a sheet template, refusing names the document does not know.
    pub fn parse(text: &str, names: &Names) -> Result<Sheet, Error> {
        let s: Sheet = toml::from_str(text).map_err(|e| {
            Error::refused(
                format!("テンプレートを読めません: {e}"),
                format!("cannot read the template: {e}"),
            )
        })?;
        let unknown = |what: &str, name: &str, known: &[&str]| {
            Error::refused(
                format!(
                    "テンプレートに不明な{what} {name} があります（使える名前: {}）",
                    known.join(", ")
                ),
                format!("unknown {what} {name} in the template"),
            )
        };
        for n in s
            .slots
            .iter()
            .map(|s| s.name.as_str())
            .chain(s.cells.iter().filter_map(|c| c.slot.as_deref()))
        {
            if !names.slots.contains(&n) {
                return Err(unknown("欄名", n, names.slots));
            }
        }
        if let Some(m) = s
            .marks
            .iter()
            .find(|m| !names.marks.contains(&m.when.as_str()))
        {
            return Err(unknown("条件", &m.when, names.marks));
        }
        if let Some(t) = &s.table {
            if let Some(c) = t
                .columns
                .iter()
                .find(|c| !names.columns.contains(&c.key.as_str()))
            {
                return Err(unknown("列名", &c.key, names.columns));
            }
            if !(t.row_height > 0.0 && t.bottom > t.y + 2.0 * t.row_height && t.size > 0.0) {
                return Err(Error::refused(
                    "テンプレートの表の寸法が不正です",
                    "invalid table sizes",
                ));
            }
        }
        if !(s.page.width > 0.0 && s.page.height > 0.0 && s.page.min_size > 0.0) {
            return Err(Error::refused(
                "テンプレートの用紙寸法が不正です",
                "invalid page sizes",
            ));
        }
        Ok(s)
    }

    fn uses(&self, font: FontName) -> bool {
        self.page.label_font == font
            || self.page.data_font == font
            || self.labels.iter().any(|l| l.font == Some(font))
            || self.slots.iter().any(|s| s.font == Some(font))
    }

    /// Data rows that fit on one page.
    pub fn rows_per_page(&self) -> usize {
        self.table
            .as_ref()
            .map(|t| ((t.bottom - t.y) / t.row_height).floor() as usize - 1)
            .unwrap_or(0)
            .max(1)
    }
}

/// The data of one document.
pub struct SheetData<'a> {
    pub title: &'a str,
    /// A slot's text; `page` and `pages` are filled in by the renderer.
    pub slot: &'a dyn Fn(&str) -> String,
    pub mark: &'a dyn Fn(&str) -> bool,
    /// Table rows: for each row, the text of each column key.
    pub rows: &'a [std::collections::HashMap<&'static str, String>],
    /// Refuse (forms) rather than replace (lists) characters the font lacks.
    pub strict: bool,
}

/// Fields of a form that must never be refused (a patient's name and address), made
/// printable in the sheet's data font in place; the notes to print with them (see
/// [`super::fonts::printable_fields`]).
pub fn printable_fields<'a>(
    sheet: &Sheet,
    fields: impl IntoIterator<Item = (&'a str, &'a mut String)>,
) -> Result<Vec<String>, Error> {
    let fonts = Fonts::load(|f| f == sheet.page.data_font)?;
    Ok(super::fonts::printable_fields(
        fonts.get(sheet.page.data_font),
        fields,
    ))
}

/// Renders a sheet document to PDF bytes.
pub fn render(sheet: &Sheet, data: &SheetData<'_>) -> Result<Vec<u8>, Error> {
    let fonts = Fonts::load(|f| sheet.uses(f))?;
    let data_font = fonts.get(sheet.page.data_font);
    // Every text that is printed, checked against the font before anything is drawn.
    let mut all: Vec<String> = sheet.slots.iter().map(|s| (data.slot)(&s.name)).collect();
    all.extend(data.rows.iter().flat_map(|r| r.values().cloned()));
    let missing = unprintable_chars(data_font, &all.join("\n"));
    if data.strict && !missing.is_empty() {
        let list = missing
            .iter()
            .map(|c| format!("「{c}」(U+{:04X})", *c as u32))
            .collect::<Vec<_>>()
            .join("、");
        return Err(Error::refused(
            format!("次の文字は同梱フォントで印刷できません: {list}。別の字体に置き換えるか手書きしてください"),
            format!("the bundled font cannot print: {list}"),
        ));
    }
    // Lists print every row: a character the font lacks in its standard form, else 〓.
    let printable = |t: &str| -> String { super::fonts::printable(data_font, t).0 };

    let per_page = sheet.rows_per_page();
    let pages = if sheet.table.is_some() {
        data.rows.len().div_ceil(per_page).max(1)
    } else {
        1
    };
    let mut pdf = PdfDocument::new(data.title);
    let set = FontSet::register(&fonts, |f| sheet.uses(f));
    let mut out = Vec::with_capacity(pages);
    let mut masks = Vec::with_capacity(pages);
    for n in 0..pages {
        let mut page = PageOps::new(sheet.page.height);
        draw_fixed(
            &mut page,
            &set,
            &sheet.page,
            &sheet.boxes,
            &sheet.rules,
            &sheet.cells,
            &sheet.labels,
        );
        let slot = |name: &str| match name {
            "page" => format!("{} / {} 頁", n + 1, pages),
            other => printable(&(data.slot)(other)),
        };
        draw_filled(
            &mut page,
            &set,
            &sheet.page,
            &sheet.cells,
            &sheet.slots,
            &sheet.marks,
            &slot,
            data.mark,
            &|n| n.to_string(),
        )?;
        if let Some(t) = &sheet.table {
            let rows = data.rows.iter().skip(n * per_page).take(per_page);
            draw_table(
                &mut page,
                &set,
                sheet,
                t,
                rows.map(|r| {
                    t.columns
                        .iter()
                        .map(|c| printable(r.get(c.key.as_str()).map(String::as_str).unwrap_or("")))
                        .collect()
                }),
            );
        }
        masks.push(page.masks);
        out.push(PdfPage::new(
            Mm(sheet.page.width),
            Mm(sheet.page.height),
            page.ops,
        ));
    }
    pdf.pages = out;
    Ok(super::page::save(pdf, &set, None, None, &masks))
}

fn draw_table(
    page: &mut PageOps,
    fonts: &FontSet<'_>,
    sheet: &Sheet,
    t: &Table,
    rows: impl Iterator<Item = Vec<String>>,
) {
    let (id, font) = fonts.get(sheet.page.data_font);
    let width: f32 = t.columns.iter().map(|c| c.w).sum();
    let lw = sheet.page.line_width;
    let mut y = t.y;
    let draw_row = |page: &mut PageOps, cells: &[String], y: f32, header: bool| {
        let mut x = t.x;
        for (c, text) in t.columns.iter().zip(cells) {
            let pad = 0.8;
            let room = c.w - 2.0 * pad;
            // Two lines at most, shrinking to the minimum size; a list is not a legal form, so
            // what still does not fit is cut with … (the CSV beside it has the whole text).
            let (size, lines) = fit(font, text, room, t.size, sheet.page.min_size, 2)
                .unwrap_or_else(|| {
                    let mut lines = wrap(font, text, room, sheet.page.min_size);
                    lines.truncate(2);
                    if let Some(last) = lines.last_mut() {
                        last.pop();
                        last.push('…');
                    }
                    (sheet.page.min_size, lines)
                });
            let line_h = size * PT_TO_MM * 1.15;
            let top = y + (t.row_height - line_h * lines.len() as f32) / 2.0;
            for (i, line) in lines.iter().enumerate() {
                let w = text_width_mm(font, line, size);
                let lx = super::page::aligned_x(
                    x + pad,
                    room,
                    if header { Align::Center } else { c.align },
                    w,
                );
                page.text(&id, size, lx, top + i as f32 * line_h, line);
            }
            x += c.w;
            page.line(x, y, x, y + t.row_height, lw * 0.5, false);
        }
        page.line(
            t.x,
            y + t.row_height,
            t.x + width,
            y + t.row_height,
            if header { lw * 1.5 } else { lw * 0.5 },
            false,
        );
    };
    let titles: Vec<String> = t.columns.iter().map(|c| c.title.clone()).collect();
    page.rect(t.x, y, width, t.row_height, lw);
    draw_row(page, &titles, y, true);
    y += t.row_height;
    for r in rows {
        page.line(t.x, y, t.x, y + t.row_height, lw * 0.5, false);
        draw_row(page, &r, y, false);
        y += t.row_height;
    }
}
