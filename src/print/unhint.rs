//! Removes TrueType hinting from the bundled fonts before they are embedded.
//!
//! Hinting (glyph instructions and the `fpgm`, `prep`, `cvt ` programs) only helps rasterise at
//! low resolution on screens; a printer at 300 dpi and more ignores it. In IPAex Gothic it is
//! almost half of every glyph's bytes, so dropping it nearly halves the embedded subset and the
//! prescription PDF. Outlines, metrics and character maps are untouched.

/// Tables that exist only for hinting (or hold metrics computed by it).
const HINTING_TABLES: [&[u8; 4]; 6] = [b"fpgm", b"prep", b"cvt ", b"hdmx", b"LTSH", b"VDMX"];

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The font without hinting, or None when it is not a TrueType font this code understands (the
/// caller then embeds it as it is).
pub fn strip_hinting(ttf: &[u8]) -> Option<Vec<u8>> {
    let num_tables = u16_at(ttf, 4)? as usize;
    let mut tables: Vec<([u8; 4], Vec<u8>)> = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = ttf.get(rec..rec + 4)?.try_into().ok()?;
        let (off, len) = (
            u32_at(ttf, rec + 8)? as usize,
            u32_at(ttf, rec + 12)? as usize,
        );
        tables.push((tag, ttf.get(off..off + len)?.to_vec()));
    }
    let find = |tag: &[u8; 4]| tables.iter().position(|(t, _)| t == tag);
    let (head, maxp, loca, glyf) = (
        find(b"head")?,
        find(b"maxp")?,
        find(b"loca")?,
        find(b"glyf")?,
    );
    let long_loca = u16_at(&tables[head].1, 50)? == 1;
    let num_glyphs = u16_at(&tables[maxp].1, 4)? as usize;
    let offset = |i: usize| -> Option<usize> {
        let l = &tables[loca].1;
        Some(if long_loca {
            u32_at(l, 4 * i)? as usize
        } else {
            u16_at(l, 2 * i)? as usize * 2
        })
    };

    let old_glyf = &tables[glyf].1;
    let mut new_glyf = Vec::with_capacity(old_glyf.len());
    let mut new_loca = Vec::with_capacity(4 * (num_glyphs + 1));
    for i in 0..num_glyphs {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        let (a, b) = (offset(i)?, offset(i + 1)?);
        if b > a {
            new_glyf.extend_from_slice(&unhinted_glyph(old_glyf.get(a..b)?)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());

    tables[glyf].1 = new_glyf;
    tables[loca].1 = new_loca;
    tables[head]
        .1
        .get_mut(50..52)?
        .copy_from_slice(&1u16.to_be_bytes()); // long loca
    tables[head]
        .1
        .get_mut(8..12)?
        .copy_from_slice(&0u32.to_be_bytes()); // checkSumAdjustment, set below
    if tables[maxp].1.len() >= 28 {
        tables[maxp].1[26..28].copy_from_slice(&0u16.to_be_bytes()); // maxSizeOfInstructions
    }
    tables.retain(|(t, _)| !HINTING_TABLES.contains(&t));
    tables.sort_by_key(|t| t.0);
    Some(assemble(ttf.get(0..4)?, &tables))
}

/// One glyph without its instructions.
fn unhinted_glyph(g: &[u8]) -> Option<Vec<u8>> {
    let contours = u16_at(g, 0)? as i16;
    if contours >= 0 {
        let n = contours as usize;
        let at = 10 + 2 * n; // header, then endPtsOfContours
        let skip = u16_at(g, at)? as usize;
        let mut out = g.get(..at)?.to_vec();
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(g.get(at + 2 + skip..)?);
        return Some(out);
    }
    // Composite: clear WE_HAVE_INSTRUCTIONS on each component, drop the trailing program.
    let mut out = g.get(..10)?.to_vec();
    for (at, len) in component_records(g)? {
        let flags = u16_at(g, at)? & !HAVE_INSTRUCTIONS;
        out.extend_from_slice(&flags.to_be_bytes());
        out.extend_from_slice(g.get(at + 2..at + len)?);
    }
    Some(out)
}

// Composite glyph component flags (TrueType `glyf`).
const ARGS_ARE_WORDS: u16 = 0x0001;
const HAVE_SCALE: u16 = 0x0008;
const MORE: u16 = 0x0020;
const X_AND_Y_SCALE: u16 = 0x0040;
const TWO_BY_TWO: u16 = 0x0080;
pub(crate) const HAVE_INSTRUCTIONS: u16 = 0x0100;

/// Each component record of a composite glyph: (offset of its flags, length); none for a
/// simple glyph. Shared by the unhinting and the subsetter (`super::subset`).
pub(crate) fn component_records(g: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    if g.is_empty() || u16_at(g, 0)? as i16 >= 0 {
        return Some(out);
    }
    let mut at = 10;
    loop {
        let flags = u16_at(g, at)?;
        let mut len = 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
        len += if flags & HAVE_SCALE != 0 {
            2
        } else if flags & X_AND_Y_SCALE != 0 {
            4
        } else if flags & TWO_BY_TWO != 0 {
            8
        } else {
            0
        };
        g.get(at..at + len)?;
        out.push((at, len));
        at += len;
        if flags & MORE == 0 {
            return Some(out);
        }
    }
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(w))
    })
}

pub(crate) fn assemble(version: &[u8], tables: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let n = tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16; // floor(log2 n)
    let search_range = (1u16 << entry_selector) * 16;
    let mut out = version.to_vec();
    for v in [n, search_range, entry_selector, n * 16 - search_range] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut body = Vec::new();
    for (tag, data) in tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        body.extend_from_slice(data);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        offset = 12 + 16 * tables.len() + body.len();
    }
    out.extend_from_slice(&body);
    // head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
    if let Some(pos) = tables.iter().position(|(t, _)| t == b"head") {
        let head_offset = u32_at(&out, 12 + 16 * pos + 8).unwrap_or(0) as usize;
        let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        if let Some(slot) = out.get_mut(head_offset + 8..head_offset + 12) {
            slot.copy_from_slice(&adjust.to_be_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_gothic_loses_its_hinting_and_keeps_its_glyphs() {
        let original = include_bytes!("../../fonts/ipaexg.ttf");
        let stripped = strip_hinting(original).expect("IPAex is TrueType");
        assert!(
            stripped.len() < original.len() * 3 / 4,
            "{} → {}",
            original.len(),
            stripped.len()
        );
        let before = printpdf::ParsedFont::from_bytes(original, 0, &mut Vec::new()).unwrap();
        let after = printpdf::ParsedFont::from_bytes(&stripped, 0, &mut Vec::new()).unwrap();
        for c in "処方箋山田太郎アムロジピン錠5mg１２３ＡＢＣ髙".chars() {
            let (g0, g1) = (
                before.lookup_glyph_index(c as u32),
                after.lookup_glyph_index(c as u32),
            );
            assert_eq!(g0, g1, "{c}");
            let g = g0.unwrap();
            assert_eq!(
                before.get_horizontal_advance(g),
                after.get_horizontal_advance(g),
                "{c}"
            );
        }
    }

    #[test]
    fn garbage_is_not_a_font() {
        assert!(strip_hinting(b"not a font at all").is_none());
        assert!(strip_hinting(&[]).is_none());
    }
}
