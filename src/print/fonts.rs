//! The bundled fonts (IPAexGothic, IPAexMincho; IPA Font License v1.0, `fonts/`), text widths,
//! and the check that says which characters a font cannot print.
//!
//! The fonts are compiled in so a clinic PC without Japanese fonts still prints, and so every PC
//! prints the same. Parsing one takes about 10 ms: each face is parsed once per process, when a
//! template first uses it, and shared by every [`Fonts`] after.

use printpdf::ParsedFont;

use super::template::FontName;
use crate::error::Error;

/// The bundled faces without their hinting (see [`super::unhint`]), stripped once at build time
/// by `build.rs`: what is embedded, subset, in every PDF.
static GOTHIC: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ipaexg-unhinted.ttf"));
static MINCHO: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ipaexm-unhinted.ttf"));

static GOTHIC_PARSED: std::sync::OnceLock<Option<Face>> = std::sync::OnceLock::new();
static MINCHO_PARSED: std::sync::OnceLock<Option<Face>> = std::sync::OnceLock::new();

/// The unhinted bytes of a bundled face (what is embedded, subset, in every PDF).
pub fn face_bytes(name: FontName) -> &'static [u8] {
    match name {
        FontName::Gothic => GOTHIC,
        FontName::Mincho => MINCHO,
    }
}

/// A bundled face, parsed once per process (the parse takes about 10 ms): every renderer, sheet
/// and check after the first shares it.
fn parsed(name: FontName) -> Option<&'static Face> {
    let cache = match name {
        FontName::Gothic => &GOTHIC_PARSED,
        FontName::Mincho => &MINCHO_PARSED,
    };
    cache.get_or_init(|| Face::parse(face_bytes(name))).as_ref()
}

/// A parsed face with its character map and advances read into a table: measuring text looks
/// up every character many times (fitting, wrapping, checking), and the parser's own lookup
/// walks the font's segments each time.
pub struct Face {
    pub parsed: ParsedFont,
    /// Character → (glyph id, advance in font units).
    glyphs: std::collections::HashMap<char, (u16, u16)>,
}

impl std::ops::Deref for Face {
    type Target = ParsedFont;
    fn deref(&self) -> &ParsedFont {
        &self.parsed
    }
}

impl Face {
    /// Parses `bytes` (what [`Fonts`] does once per face and process; public for the bench).
    pub fn parse(bytes: &[u8]) -> Option<Face> {
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut Vec::new())?;
        let glyphs = super::subset::char_map(bytes)
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, g)| *g != 0 && *g < parsed.num_glyphs)
            .map(|(c, g)| (c, (g, parsed.get_horizontal_advance(g))))
            .collect();
        Some(Face { parsed, glyphs })
    }

    /// The glyph of `c`, None when the face has none.
    pub fn glyph(&self, c: char) -> Option<u16> {
        self.glyphs.get(&c).map(|g| g.0)
    }

    /// The advance of `c` in font units, None when the face has no glyph for it.
    pub fn advance(&self, c: char) -> Option<u16> {
        self.glyphs.get(&c).map(|g| g.1)
    }
}

/// The bundled faces that were asked for, parsed (once per process, shared).
#[derive(Clone, Copy)]
pub struct Fonts {
    gothic: Option<&'static Face>,
    mincho: Option<&'static Face>,
}

impl Fonts {
    /// The faces for which `wanted` is true.
    pub fn load(wanted: impl Fn(FontName) -> bool) -> Result<Fonts, Error> {
        let parse = |name: FontName| -> Result<Option<&'static Face>, Error> {
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
    pub fn get(&self, name: FontName) -> &'static Face {
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
pub fn unprintable_chars(font: &Face, text: &str) -> Vec<char> {
    let mut out = Vec::new();
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            continue;
        }
        if font.glyph(c).is_none() && !out.contains(&c) {
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
pub fn printable(font: &Face, text: &str) -> (String, Vec<(char, char)>) {
    use crate::domain::text::{is_variation_selector, standard_form};
    let has = |c: char| c.is_whitespace() || font.glyph(c).is_some();
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

/// Fields that must reach paper whatever they hold (a patient's name and address), each
/// made printable in place ([`printable`]); returns a note ([`fallback_note`]) for each field
/// that was changed, to print with it.
pub fn printable_fields<'a>(
    font: &Face,
    fields: impl IntoIterator<Item = (&'a str, &'a mut String)>,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (what, field) in fields {
        let (text, replaced) = printable(font, field);
        if !replaced.is_empty() {
            notes.push(fallback_note(what, &replaced));
            *field = text;
        }
    }
    notes
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
pub fn text_width_mm(font: &Face, text: &str, size_pt: f32) -> f32 {
    let upem = font.font_metrics.units_per_em.max(1) as f32;
    let units: f32 = text
        .chars()
        .map(|c| match font.advance(c) {
            Some(a) => a as f32,
            None => upem,
        })
        .sum();
    units / upem * size_pt * PT_TO_MM
}

pub const PT_TO_MM: f32 = 25.4 / 72.0;

#[cfg(test)]
mod tests {
    use super::*;

    /// The table directory's tags of a TrueType font.
    fn table_tags(ttf: &[u8]) -> Vec<[u8; 4]> {
        let n = u16::from_be_bytes([ttf[4], ttf[5]]) as usize;
        (0..n)
            .map(|i| ttf[12 + 16 * i..16 + 16 * i].try_into().unwrap())
            .collect()
    }

    #[test]
    fn the_compiled_in_faces_are_the_build_time_unhinted_ones() {
        for (name, shipped) in [
            (
                FontName::Gothic,
                &include_bytes!("../../fonts/ipaexg.ttf")[..],
            ),
            (
                FontName::Mincho,
                &include_bytes!("../../fonts/ipaexm.ttf")[..],
            ),
        ] {
            assert!(
                table_tags(shipped).contains(b"fpgm"),
                "the shipped face is hinted"
            );
            let tags = table_tags(face_bytes(name));
            assert!(
                !tags.contains(b"fpgm") && !tags.contains(b"prep"),
                "{name:?}"
            );
            assert!(tags.contains(b"glyf") && tags.contains(b"cmap"), "{name:?}");
            assert_eq!(
                Some(face_bytes(name)),
                super::super::unhint::strip_hinting(shipped).as_deref(),
                "{name:?}: what build.rs wrote is what the library's own stripping makes"
            );
        }
    }

    #[test]
    fn the_table_agrees_with_the_parser() {
        let fonts = Fonts::load(|_| true).unwrap();
        for name in [FontName::Gothic, FontName::Mincho] {
            let face = fonts.get(name);
            let mut found = 0;
            for c in (0..0x10000u32).step_by(3).filter_map(char::from_u32) {
                let theirs = face.parsed.lookup_glyph_index(c as u32).filter(|g| *g != 0);
                assert_eq!(face.glyph(c), theirs, "{c:?}");
                if let Some(g) = theirs {
                    found += 1;
                    assert_eq!(face.advance(c), Some(face.parsed.get_horizontal_advance(g)));
                }
            }
            assert!(found > 3000, "{found}");
        }
    }
}
