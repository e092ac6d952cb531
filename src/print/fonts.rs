//! The bundled fonts (IPAexGothic, IPAexMincho; IPA Font License v1.0, `fonts/`), text widths,
//! and the check that says which characters a font cannot print.
//!
//! The fonts are compiled in so a clinic PC without Japanese fonts still prints, and so every PC
//! prints the same. Parsing one takes about 10 ms: each face is parsed once per process, when a
//! template first uses it, and shared by every [`Fonts`] after.

use printpdf::ParsedFont;

use super::template::FontName;
use crate::error::Error;

static GOTHIC: &[u8] = include_bytes!("../../fonts/ipaexg.ttf");
static MINCHO: &[u8] = include_bytes!("../../fonts/ipaexm.ttf");

static GOTHIC_UNHINTED: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
static MINCHO_UNHINTED: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
static GOTHIC_PARSED: std::sync::OnceLock<Option<ParsedFont>> = std::sync::OnceLock::new();
static MINCHO_PARSED: std::sync::OnceLock<Option<ParsedFont>> = std::sync::OnceLock::new();

/// The face without hinting (see [`super::unhint`]), made once per process; the face as
/// shipped if it cannot be rewritten.
fn unhinted(
    cache: &'static std::sync::OnceLock<Option<Vec<u8>>>,
    original: &'static [u8],
) -> &'static [u8] {
    cache
        .get_or_init(|| super::unhint::strip_hinting(original))
        .as_deref()
        .unwrap_or(original)
}

/// The unhinted bytes of a bundled face (what is embedded, subset, in every PDF).
pub(crate) fn face_bytes(name: FontName) -> &'static [u8] {
    match name {
        FontName::Gothic => unhinted(&GOTHIC_UNHINTED, GOTHIC),
        FontName::Mincho => unhinted(&MINCHO_UNHINTED, MINCHO),
    }
}

/// A bundled face, parsed once per process (the parse takes about 10 ms, the unhinting as
/// much again): every renderer, sheet and check after the first shares it.
fn parsed(name: FontName) -> Option<&'static ParsedFont> {
    let cache = match name {
        FontName::Gothic => &GOTHIC_PARSED,
        FontName::Mincho => &MINCHO_PARSED,
    };
    cache
        .get_or_init(|| ParsedFont::from_bytes(face_bytes(name), 0, &mut Vec::new()))
        .as_ref()
}

/// The bundled faces that were asked for, parsed (once per process, shared).
#[derive(Clone, Copy)]
pub struct Fonts {
    gothic: Option<&'static ParsedFont>,
    mincho: Option<&'static ParsedFont>,
}

impl Fonts {
    /// The faces for which `wanted` is true.
    pub fn load(wanted: impl Fn(FontName) -> bool) -> Result<Fonts, Error> {
        let parse = |name: FontName| -> Result<Option<&'static ParsedFont>, Error> {
            if !wanted(name) {
                return Ok(None);
            }
            let label = match name {
                FontName::Gothic => "IPAexGothic",
                FontName::Mincho => "IPAexMincho",
            };
            parsed(name).map(Some).ok_or_else(|| {
                Error::failed(
                    format!("同梱フォント {label} を読み込めません"),
                    format!("cannot parse the bundled font {label}"),
                )
            })
        };
        Ok(Fonts {
            gothic: parse(FontName::Gothic)?,
            mincho: parse(FontName::Mincho)?,
        })
    }

    /// A loaded face. Panics when it was not asked for: [`Fonts::load`] with
    /// [`Template::uses`](super::template::Template::uses) loads every face a template draws with.
    pub fn get(&self, name: FontName) -> &ParsedFont {
        let face = match name {
            FontName::Gothic => &self.gothic,
            FontName::Mincho => &self.mincho,
        };
        face.expect("font loaded for the template")
    }
}

/// The characters of `text` that `font` has no glyph for, each once, in order. Spaces and line
/// breaks are never reported. Printing refuses such text instead of letting it come out as
/// empty boxes (the "●" names clinics complain about).
pub fn unprintable_chars(font: &ParsedFont, text: &str) -> Vec<char> {
    let mut out = Vec::new();
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            continue;
        }
        if font.lookup_glyph_index(c as u32).is_none() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Printed for a character neither the font nor a standard form can show: 〓 (geta), the
/// printers' own mark for a missing character, so the line is visibly incomplete.
pub const GETA: char = '〓';

/// `text` as `font` can print it: variation selectors dropped (the base character prints), a
/// character the font lacks replaced by its standard form when the font has that (𠮷 → 吉),
/// else by [`GETA`]. Returns the text and each replacement made, for a note on the paper.
pub fn printable(font: &ParsedFont, text: &str) -> (String, Vec<(char, char)>) {
    use crate::domain::text::{is_variation_selector, standard_form};
    let has = |c: char| c.is_whitespace() || font.lookup_glyph_index(c as u32).is_some();
    let mut out = String::with_capacity(text.len());
    let mut replaced = Vec::new();
    for c in text.chars().filter(|c| !is_variation_selector(*c)) {
        if has(c) {
            out.push(c);
            continue;
        }
        let instead = standard_form(c).filter(|s| has(*s)).unwrap_or(GETA);
        if !replaced.contains(&(c, instead)) {
            replaced.push((c, instead));
        }
        out.push(instead);
    }
    (out, replaced)
}

/// The note printed with a name set in fallback characters. It names the original by its code
/// point (the font cannot show it): 「※氏名の「吉」は U+20BB7 の代わりに印字」.
pub fn fallback_note(what: &str, replaced: &[(char, char)]) -> String {
    let list = replaced
        .iter()
        .map(|(c, s)| format!("「{s}」は U+{:04X}", *c as u32))
        .collect::<Vec<_>>()
        .join("、");
    format!("※{what}の{list} の代わりに印字")
}

/// Width of `text` set in `font` at `size_pt`, in millimetres.
pub fn text_width_mm(font: &ParsedFont, text: &str, size_pt: f32) -> f32 {
    let upem = font.font_metrics.units_per_em.max(1) as f32;
    let units: f32 = text
        .chars()
        .map(|c| match font.lookup_glyph_index(c as u32) {
            Some(g) => font.get_horizontal_advance(g) as f32,
            None => upem,
        })
        .sum();
    units / upem * size_pt * PT_TO_MM
}

pub const PT_TO_MM: f32 = 25.4 / 72.0;
