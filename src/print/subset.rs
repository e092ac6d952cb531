//! Cuts a bundled TrueType face down to the glyphs one document prints, for embedding.
//!
//! printpdf can subset (through allsorts), but it does so from scratch on every save: it reads
//! the whole 6 MB face, builds the subset, then parses that subset again. For a prescription
//! that was most of the render time. The bundled faces are plain `glyf` TrueType (unhinted by
//! [`super::unhint`]), so the subset is simple to write directly: the used glyphs renumbered
//! in order after `.notdef`, their metrics, a character map for exactly the characters
//! printed, and the few tables a PDF reader needs (`head`, `hhea`, `maxp`, `hmtx`, `loca`,
//! `glyf`, `cmap`, `post`, `name`, `OS/2`). Vertical metrics and layout tables are left out:
//! the forms set horizontal text only.

use std::collections::BTreeMap;

use super::unhint::{component_records, u16_at, u32_at, HAVE_INSTRUCTIONS};

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// The tables of a font file, by tag.
struct Tables<'a>(BTreeMap<[u8; 4], &'a [u8]>);

impl<'a> Tables<'a> {
    fn read(ttf: &'a [u8]) -> Option<Tables<'a>> {
        let n = u16_at(ttf, 4)? as usize;
        let mut map = BTreeMap::new();
        for i in 0..n {
            let rec = 12 + 16 * i;
            let tag: [u8; 4] = ttf.get(rec..rec + 4)?.try_into().ok()?;
            let (off, len) = (
                u32_at(ttf, rec + 8)? as usize,
                u32_at(ttf, rec + 12)? as usize,
            );
            map.insert(tag, ttf.get(off..off + len)?);
        }
        Some(Tables(map))
    }

    fn get(&self, tag: &[u8; 4]) -> Option<&'a [u8]> {
        self.0.get(tag).copied()
    }
}

/// A subset font program.
pub(crate) struct Subset {
    /// With a character map of the characters printed (what printpdf parses, to set the
    /// text in the subset's glyph ids).
    pub bytes: Vec<u8>,
    /// What is embedded: the same without the character map's entries. A PDF reader draws a
    /// CIDFontType2 through `/CIDToGIDMap` and never reads the font's own map (ISO 32000-1,
    /// 9.7.4.2); an empty one is kept for readers that want the table present.
    pub embedded: Vec<u8>,
}

/// The face `ttf` reduced to `chars` (each with its glyph id in `ttf`). None when the face is
/// not a TrueType this code understands; the caller then lets printpdf subset it.
pub(crate) fn subset(ttf: &[u8], chars: &BTreeMap<char, u16>) -> Option<Subset> {
    let t = Tables::read(ttf)?;
    let (head, hhea, maxp, hmtx, loca, glyf) = (
        t.get(b"head")?,
        t.get(b"hhea")?,
        t.get(b"maxp")?,
        t.get(b"hmtx")?,
        t.get(b"loca")?,
        t.get(b"glyf")?,
    );
    let long_loca = u16_at(head, 50)? == 1;
    let num_glyphs = u16_at(maxp, 4)?;
    let num_h_metrics = u16_at(hhea, 34)?.max(1);
    let offset = |g: u16| -> Option<usize> {
        let i = g as usize;
        Some(if long_loca {
            u32_at(loca, 4 * i)? as usize
        } else {
            u16_at(loca, 2 * i)? as usize * 2
        })
    };
    let glyph = |g: u16| -> Option<&[u8]> {
        if g >= num_glyphs {
            return None;
        }
        let (a, b) = (offset(g)?, offset(g + 1)?);
        if b > a {
            glyf.get(a..b)
        } else {
            Some(&[])
        }
    };

    // The new order: .notdef, the glyphs printed (ascending), then any composite's parts.
    let mut order: Vec<u16> = vec![0];
    let mut new_id: BTreeMap<u16, u16> = BTreeMap::from([(0, 0)]);
    let mut used: Vec<u16> = chars.values().copied().filter(|g| *g != 0).collect();
    used.sort_unstable();
    used.dedup();
    for g in used {
        new_id.insert(g, order.len() as u16);
        order.push(g);
    }
    let mut i = 0;
    while i < order.len() {
        for part in components(glyph(order[i])?)? {
            if let std::collections::btree_map::Entry::Vacant(e) = new_id.entry(part) {
                e.insert(order.len() as u16);
                order.push(part);
            }
        }
        i += 1;
    }
    let n = u16::try_from(order.len()).ok()?;

    let mut new_glyf = Vec::new();
    let mut offsets = Vec::with_capacity(order.len() + 1);
    let mut new_hmtx = Vec::with_capacity(4 * order.len());
    for &g in &order {
        offsets.push(new_glyf.len());
        let data = glyph(g)?;
        if !data.is_empty() {
            new_glyf.extend_from_slice(&renumbered(data, &new_id)?);
            // Even offsets: what the short loca format needs.
            if new_glyf.len() % 2 != 0 {
                new_glyf.push(0);
            }
        }
        let (advance, lsb) = if g < num_h_metrics {
            (
                u16_at(hmtx, 4 * g as usize)?,
                u16_at(hmtx, 4 * g as usize + 2)?,
            )
        } else {
            let last = 4 * (num_h_metrics as usize - 1);
            let lsb_at = 4 * num_h_metrics as usize + 2 * (g - num_h_metrics) as usize;
            (u16_at(hmtx, last)?, u16_at(hmtx, lsb_at).unwrap_or(0))
        };
        put_u16(&mut new_hmtx, advance);
        put_u16(&mut new_hmtx, lsb);
    }
    offsets.push(new_glyf.len());
    // The short format (offset / 2 in 16 bits) while the glyphs take less than 128 KB.
    let short = new_glyf.len() < 0x20000;
    let mut new_loca = Vec::with_capacity(4 * offsets.len());
    for o in offsets {
        if short {
            put_u16(&mut new_loca, (o / 2) as u16);
        } else {
            put_u32(&mut new_loca, o as u32);
        }
    }

    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]); // checkSumAdjustment, set at the end
    new_head
        .get_mut(50..52)?
        .copy_from_slice(&u16::from(!short).to_be_bytes()); // indexToLocFormat
    let mut new_hhea = hhea.to_vec();
    new_hhea.get_mut(34..36)?.copy_from_slice(&n.to_be_bytes());
    let mut new_maxp = maxp.to_vec();
    new_maxp.get_mut(4..6)?.copy_from_slice(&n.to_be_bytes());
    // post version 3: no glyph names (a CID-keyed embedding never uses them).
    let mut new_post = t.get(b"post")?.get(..32)?.to_vec();
    new_post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());

    let mut tables: Vec<([u8; 4], Vec<u8>)> = vec![
        (*b"cmap", cmap(chars, &new_id)),
        (*b"glyf", new_glyf),
        (*b"head", new_head),
        (*b"hhea", new_hhea),
        (*b"hmtx", new_hmtx),
        (*b"loca", new_loca),
        (*b"maxp", new_maxp),
        (*b"post", new_post),
    ];
    if let Some(data) = t.get(b"OS/2") {
        tables.push((*b"OS/2", data.to_vec()));
    }
    if let Some(data) = t.get(b"name") {
        tables.push((
            *b"name",
            windows_names(data).unwrap_or_else(|| data.to_vec()),
        ));
    }
    tables.sort_by_key(|t| t.0);
    let version = ttf.get(0..4)?;
    let bytes = super::unhint::assemble(version, &tables);
    if let Some(map) = tables.iter_mut().find(|t| &t.0 == b"cmap") {
        map.1 = cmap(&BTreeMap::new(), &new_id);
    }
    Some(Subset {
        bytes,
        embedded: super::unhint::assemble(version, &tables),
    })
}

/// The `name` table with its Windows English records only (the copyright, licence, family
/// and PostScript names stay; the Macintosh and Japanese duplicates go).
fn windows_names(name: &[u8]) -> Option<Vec<u8>> {
    let count = u16_at(name, 2)? as usize;
    let strings = u16_at(name, 4)? as usize;
    let mut records = Vec::new();
    for i in 0..count {
        let r = 6 + 12 * i;
        let (platform, encoding, language) =
            (u16_at(name, r)?, u16_at(name, r + 2)?, u16_at(name, r + 4)?);
        if (platform, encoding, language) != (3, 1, 0x409) {
            continue;
        }
        let (id, len, off) = (
            u16_at(name, r + 6)?,
            u16_at(name, r + 8)? as usize,
            u16_at(name, r + 10)? as usize,
        );
        records.push((id, name.get(strings + off..strings + off + len)?));
    }
    if records.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    put_u16(&mut out, 0);
    put_u16(&mut out, records.len() as u16);
    put_u16(&mut out, (6 + 12 * records.len()) as u16);
    let mut data = Vec::new();
    for (id, text) in &records {
        for v in [3, 1, 0x409, *id, text.len() as u16, data.len() as u16] {
            put_u16(&mut out, v);
        }
        data.extend_from_slice(text);
    }
    out.extend_from_slice(&data);
    Some(out)
}

/// The glyphs a composite glyph is built from (none for a simple glyph).
fn components(g: &[u8]) -> Option<Vec<u16>> {
    component_records(g)?
        .into_iter()
        .map(|(at, _)| u16_at(g, at + 2))
        .collect()
}

/// A glyph with its components' ids renumbered (a simple glyph as it is). A composite's own
/// instructions are dropped with the flag that announces them, as [`super::unhint`] does.
fn renumbered(g: &[u8], new_id: &BTreeMap<u16, u16>) -> Option<Vec<u8>> {
    let records = component_records(g)?;
    if records.is_empty() {
        return Some(g.to_vec());
    }
    let mut out = g.get(..10)?.to_vec();
    for (at, len) in records {
        let flags = u16_at(g, at)? & !HAVE_INSTRUCTIONS;
        put_u16(&mut out, flags);
        put_u16(&mut out, *new_id.get(&u16_at(g, at + 2)?)?);
        out.extend_from_slice(g.get(at + 4..at + len)?);
    }
    Some(out)
}

/// A `cmap` for exactly `chars`: format 4 (Windows, BMP) with one segment per run of
/// consecutive characters and glyphs, and format 12 (Windows, full Unicode) beside it.
fn cmap(chars: &BTreeMap<char, u16>, new_id: &BTreeMap<u16, u16>) -> Vec<u8> {
    // (first char, last char, first new glyph): runs where both step by one.
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    for (&c, g) in chars {
        let Some(&g) = new_id.get(g) else { continue };
        let (c, g) = (c as u32, g as u32);
        match runs.last_mut() {
            Some((start, end, first)) if *end + 1 == c && *first + (c - *start) == g => *end = c,
            _ => runs.push((c, c, g)),
        }
    }

    let bmp: Vec<(u32, u32, u32)> = runs
        .iter()
        .filter(|r| r.1 < 0xFFFF)
        .copied()
        .chain([(0xFFFF, 0xFFFF, 0)])
        .collect();
    let seg_x2 = 2 * bmp.len() as u16;
    let entry_selector = 15 - (bmp.len() as u16).leading_zeros() as u16;
    let search_range = 2 * (1u16 << entry_selector);
    let mut f4 = Vec::new();
    put_u16(&mut f4, 4);
    put_u16(&mut f4, (16 + 8 * bmp.len()) as u16);
    put_u16(&mut f4, 0); // language
    put_u16(&mut f4, seg_x2);
    put_u16(&mut f4, search_range);
    put_u16(&mut f4, entry_selector);
    put_u16(&mut f4, seg_x2 - search_range);
    bmp.iter().for_each(|r| put_u16(&mut f4, r.1 as u16));
    put_u16(&mut f4, 0); // reservedPad
    bmp.iter().for_each(|r| put_u16(&mut f4, r.0 as u16));
    for r in &bmp {
        let delta = if r.0 == 0xFFFF {
            1
        } else {
            (r.2 as u16).wrapping_sub(r.0 as u16)
        };
        put_u16(&mut f4, delta);
    }
    bmp.iter().for_each(|_| put_u16(&mut f4, 0)); // idRangeOffset

    let mut f12 = Vec::new();
    put_u16(&mut f12, 12);
    put_u16(&mut f12, 0);
    put_u32(&mut f12, (16 + 12 * runs.len()) as u32);
    put_u32(&mut f12, 0); // language
    put_u32(&mut f12, runs.len() as u32);
    for r in &runs {
        put_u32(&mut f12, r.0);
        put_u32(&mut f12, r.1);
        put_u32(&mut f12, r.2);
    }

    let mut out = Vec::new();
    put_u16(&mut out, 0); // version
    put_u16(&mut out, 2);
    let first = 4 + 2 * 8;
    for (encoding, offset) in [(1u16, first), (10, first + f4.len())] {
        put_u16(&mut out, 3);
        put_u16(&mut out, encoding);
        put_u32(&mut out, offset as u32);
    }
    out.extend_from_slice(&f4);
    out.extend_from_slice(&f12);
    out
}

/// The character map of `ttf`: its Windows Unicode subtable, format 12 (full repertoire)
/// where there is one, else format 4 (BMP). None when it has neither.
pub(crate) fn char_map(ttf: &[u8]) -> Option<Vec<(char, u16)>> {
    let cmap = Tables::read(ttf)?.get(b"cmap")?;
    let n = u16_at(cmap, 2)? as usize;
    let mut f4 = None;
    let mut f12 = None;
    for i in 0..n {
        let rec = 4 + 8 * i;
        let (platform, encoding) = (u16_at(cmap, rec)?, u16_at(cmap, rec + 2)?);
        let sub = cmap.get(u32_at(cmap, rec + 4)? as usize..)?;
        match (platform, encoding, u16_at(sub, 0)?) {
            (3, 10, 12) | (0, 4, 12) => f12 = Some(sub),
            (3, 1, 4) | (0, 3, 4) => f4 = f4.or(Some(sub)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(t) = f12 {
        for i in 0..u32_at(t, 12)? as usize {
            let g = 16 + 12 * i;
            let (start, end, first) = (u32_at(t, g)?, u32_at(t, g + 4)?, u32_at(t, g + 8)?);
            for c in start..=end.min(0x10FFFF) {
                if let Some(ch) = char::from_u32(c) {
                    out.push((ch, u16::try_from(first + (c - start)).ok()?));
                }
            }
        }
        return Some(out);
    }
    let t = f4?;
    let seg_x2 = u16_at(t, 6)? as usize;
    for s in (0..seg_x2).step_by(2) {
        let end = u16_at(t, 14 + s)?;
        let start = u16_at(t, 16 + seg_x2 + s)?;
        let delta = u16_at(t, 16 + 2 * seg_x2 + s)?;
        let range_at = 16 + 3 * seg_x2 + s;
        let range = u16_at(t, range_at)? as usize;
        for c in start..=end {
            if c == 0xFFFF {
                break;
            }
            let g = if range == 0 {
                c.wrapping_add(delta)
            } else {
                let raw = u16_at(t, range_at + range + 2 * (c - start) as usize)?;
                if raw == 0 {
                    0
                } else {
                    raw.wrapping_add(delta)
                }
            };
            if let Some(ch) = char::from_u32(c as u32) {
                out.push((ch, g));
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::print::template::FontName;

    #[test]
    fn a_subset_keeps_the_characters_their_widths_and_outlines() {
        let face = crate::print::fonts::face_bytes(FontName::Gothic);
        let full = printpdf::ParsedFont::from_bytes(face, 0, &mut Vec::new()).unwrap();
        let text = "処方箋 山田太郎 アムロジピン錠5mg １２３ＡＢＣ 髙 〓";
        let chars: BTreeMap<char, u16> = text
            .chars()
            .filter_map(|c| Some((c, full.lookup_glyph_index(c as u32)?)))
            .collect();
        let s = subset(face, &chars).expect("IPAex is TrueType");
        assert!(s.bytes.len() < 40_000, "{}", s.bytes.len());
        let small = printpdf::ParsedFont::from_bytes(&s.bytes, 0, &mut Vec::new()).unwrap();
        assert_eq!(
            small.num_glyphs as usize,
            chars
                .values()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                + 1
        );
        for (c, g) in &chars {
            let h = small
                .lookup_glyph_index(*c as u32)
                .unwrap_or_else(|| panic!("{c}"));
            assert_ne!(h, 0, "{c}");
            assert_eq!(
                small.get_horizontal_advance(h),
                full.get_horizontal_advance(*g),
                "{c}"
            );
            let bbox_of = |f: &printpdf::ParsedFont, g: u16| {
                f.get_or_decode_glyph(g).map(|x| {
                    let b = &x.bounding_box;
                    (b.min_x, b.min_y, b.max_x, b.max_y)
                })
            };
            assert_eq!(bbox_of(&full, *g), bbox_of(&small, h), "{c}");
        }
        assert_eq!(small.lookup_glyph_index('x' as u32), None);
        // The embedded program: the same glyphs, no characters mapped.
        let embedded = printpdf::ParsedFont::from_bytes(&s.embedded, 0, &mut Vec::new()).unwrap();
        assert_eq!(embedded.num_glyphs, small.num_glyphs);
        assert_eq!(embedded.lookup_glyph_index('処' as u32), None);
        assert!(s.embedded.len() < s.bytes.len());
    }

    #[test]
    fn garbage_is_not_subset() {
        assert!(subset(b"not a font", &BTreeMap::new()).is_none());
    }
}
