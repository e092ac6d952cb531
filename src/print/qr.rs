//! The 2D symbol itself: QR Code Model 2 (spec 2.1: cell pitch ≥ 0.25 mm, error correction ≥ L).
//!
//! The symbol is printed at a fixed side (spec 2.4: "if possible, vary the cell size and keep the
//! side fixed"), so the largest usable version follows from the side and the template's minimum
//! pitch (0.33 mm by default, well above the spec's 0.25 so that fax-resolution copies still
//! read). A payload is put in one symbol at level M when it fits, else at L. When even L does not
//! fit, it is split between several symbols linked by QR structured append (ISO/IEC 18004 §8.3:
//! mode 0011, the symbol's index, the total, and the parity of the whole payload), so that a
//! pharmacy reader waits for every symbol and joins them itself, instead of taking one symbol as
//! a whole prescription.
//!
//! Splits fall between RPs (see [`units`]): each RP stays whole in one symbol, so no symbol ends
//! between a drug and its 変更不可 record; the records before the first RP may be split between
//! records. An RP too big for one symbol alone is split between its drugs (a drug always keeps
//! its 2xx records).
//!
//! qrcode 0.14 cannot write the structured-append header (its bit writer is private), so the data
//! codewords are assembled here: the header, then qrcode's optimal segments (Kanji mode for
//! Shift_JIS pairs), then terminator and padding as ISO/IEC 18004 §7.4.9-10 says; qrcode's public
//! error correction and canvas do the rest.

use qrcode::bits::Bits;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{ec, Color, EcLevel, Version};

use super::jahis::Record;
use crate::error::Error;

/// Modules of quiet zone on each side (the QR standard's 4).
pub const QUIET_ZONE: usize = 4;

/// The spec's smallest cell pitch, mm (JAHIS 2.1).
pub const SPEC_MIN_CELL: f32 = 0.25;

/// Most symbols structured append can link (its index and total are 4 bits).
pub const MAX_SYMBOLS: usize = 16;

/// The structured-append header of one symbol of a linked set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequence {
    /// 0-based position of this symbol.
    pub index: u8,
    /// How many symbols the payload takes.
    pub total: u8,
    /// XOR of every byte of the whole payload: the same in every symbol of the set.
    pub parity: u8,
}

/// One symbol as a square matrix of modules, row by row from the top; true is dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSymbol {
    pub width: usize,
    pub modules: Vec<bool>,
    pub version: i16,
    pub ec_level: EcLevel,
    /// The payload bytes it holds (without the structured-append header).
    pub data: Vec<u8>,
    /// Set when the payload is split over several symbols.
    pub sequence: Option<Sequence>,
}

impl QrSymbol {
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.modules[y * self.width + x]
    }

    /// 「1/2」 for the first of two symbols; None for a lone symbol.
    pub fn position_label(&self) -> Option<String> {
        self.sequence
            .map(|s| format!("{}/{}", s.index + 1, s.total))
    }
}

/// The largest version whose modules plus quiet zone fit `side_mm` at `min_cell_mm` or more.
pub fn max_version(side_mm: f32, min_cell_mm: f32) -> Option<i16> {
    let modules = (side_mm / min_cell_mm).floor() as i64 - 2 * QUIET_ZONE as i64;
    let v = (modules - 17) / 4;
    (v >= 1).then_some(v.min(40) as i16)
}

/// The cell pitch a symbol of `width` modules gets in a square of `side_mm` (quiet zone included).
pub fn cell_pitch(side_mm: f32, width: usize) -> f32 {
    side_mm / (width + 2 * QUIET_ZONE) as f32
}

/// Appends bits, most significant first.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    len: usize,
}

impl BitWriter {
    fn push(&mut self, value: u32, bits: usize) {
        for i in (0..bits).rev() {
            if self.len.is_multiple_of(8) {
                self.bytes.push(0);
            }
            if (value >> i) & 1 == 1 {
                *self.bytes.last_mut().expect("pushed above") |= 0x80 >> (self.len % 8);
            }
            self.len += 1;
        }
    }
}

/// The data codewords of one symbol of `version` at `ec`, or None when `data` does not fit.
fn codewords(
    data: &[u8],
    sequence: Option<Sequence>,
    version: i16,
    ec: EcLevel,
) -> Option<Vec<u8>> {
    let v = Version::Normal(version);
    let capacity = Bits::new(v).max_len(ec).ok()?;
    // qrcode's segment optimiser (Kanji mode for Shift_JIS pairs) is not always optimal on mixed
    // text; one byte-mode segment is the fallback that always fits the byte capacity.
    let segments = |optimal: bool| -> Option<Bits> {
        let mut bits = Bits::new(v);
        if optimal {
            bits.push_optimal_data(data).ok()?;
        } else {
            bits.push_byte_data(data).ok()?;
        }
        Some(bits)
    };
    let header = if sequence.is_some() { 20 } else { 0 };
    let seg = segments(true)
        .filter(|b| header + b.len() <= capacity)
        .or_else(|| segments(false))
        .filter(|b| header + b.len() <= capacity)?;

    let mut w = BitWriter::default();
    if let Some(s) = sequence {
        w.push(0b0011, 4);
        w.push(u32::from(s.index), 4);
        w.push(u32::from(s.total - 1), 4);
        w.push(u32::from(s.parity), 8);
    }
    let seg_len = seg.len();
    for (i, byte) in seg.into_bytes().into_iter().enumerate() {
        let bits = (seg_len - i * 8).min(8);
        w.push(u32::from(byte >> (8 - bits)), bits);
    }
    // Terminator (up to 4 zero bits), zeros to the byte boundary, then the pad codewords.
    w.push(0, (capacity - w.len).min(4));
    w.push(0, (8 - w.len % 8) % 8);
    for pad in [0xEC, 0x11].iter().cycle().take((capacity - w.len) / 8) {
        w.push(*pad, 8);
    }
    Some(w.bytes)
}

/// Encodes `data` in the smallest version ≤ `max_version` at `ec` (no version search above it).
fn encode_one(
    data: &[u8],
    sequence: Option<Sequence>,
    max_version: i16,
    ec: EcLevel,
) -> Option<QrSymbol> {
    // The smallest version that holds the data: a larger version always holds more, so a
    // binary search needs a handful of encodings instead of one per version.
    let mut words = codewords(data, sequence, max_version, ec)?;
    let (mut lo, mut hi) = (1, max_version);
    while lo < hi {
        let mid = (lo + hi) / 2;
        match codewords(data, sequence, mid, ec) {
            Some(w) => {
                words = w;
                hi = mid;
            }
            None => lo = mid + 1,
        }
    }
    // `words` always holds the encoding at `hi`, which is now `lo`.
    let v = lo;
    {
        let version = Version::Normal(v);
        let (data_words, ec_words) = ec::construct_codewords(&words, version, ec).ok()?;
        let mut canvas = Canvas::new(version, ec);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&data_words, &ec_words);
        let modules = best_mask(&canvas);
        Some(QrSymbol {
            width: (modules.len() as f64).sqrt() as usize,
            modules,
            version: v,
            ec_level: ec,
            data: data.to_vec(),
            sequence,
        })
    }
}

/// The symbol's modules under the mask with the lowest penalty (ISO/IEC 18004, 7.8.3), as
/// qrcode's `apply_best_mask` chooses it (the same rules, the same scores and the same tie,
/// the first mask), but scored on a plain grid: the crate's scoring took most of the time of
/// rendering a prescription.
fn best_mask(canvas: &Canvas) -> Vec<bool> {
    const ALL: [MaskPattern; 8] = [
        MaskPattern::Checkerboard,
        MaskPattern::HorizontalLines,
        MaskPattern::VerticalLines,
        MaskPattern::DiagonalLines,
        MaskPattern::LargeCheckerboard,
        MaskPattern::Fields,
        MaskPattern::Diamonds,
        MaskPattern::Meadow,
    ];
    ALL.iter()
        .map(|pattern| {
            let mut c = canvas.clone();
            c.apply_mask(*pattern);
            let modules: Vec<bool> = c
                .into_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect();
            (penalty(&modules), modules)
        })
        .min_by_key(|(score, _)| *score)
        .map(|(_, modules)| modules)
        .expect("eight masks")
}

/// The penalty of a masked symbol (lower is better): runs of five or more, 2×2 blocks,
/// finder-like patterns, and the balance of dark and light.
fn penalty(m: &[bool]) -> u32 {
    const FINDER: [bool; 7] = [true, false, true, true, true, false, true];
    let w = (m.len() as f64).sqrt() as usize;
    if w == 0 {
        return 0;
    }
    // Columns as rows, so that both directions are read as slices.
    let t: Vec<bool> = (0..w * w).map(|i| m[(i % w) * w + i / w]).collect();
    let mut score = 0u32;
    for grid in [m, &t[..]] {
        for line in grid.chunks_exact(w) {
            // Runs of one colour: 3 for five, one more for each further module.
            let mut run = 1;
            for k in 1..w {
                if line[k] == line[k - 1] {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            if run >= 5 {
                score += run - 2;
            }
            // 1:1:3:1:1 with four light modules on either side (or the edge).
            for j in 0..w.saturating_sub(6) {
                if line[j..j + 7] != FINDER {
                    continue;
                }
                let before = line[j.saturating_sub(4)..j].iter().any(|d| *d);
                let after = line[j + 7..(j + 11).min(w)].iter().any(|d| *d);
                if !before || !after {
                    score += 40;
                }
            }
        }
    }
    for y in 0..w.saturating_sub(1) {
        for x in 0..w - 1 {
            let c = m[y * w + x];
            if m[y * w + x + 1] == c && m[(y + 1) * w + x] == c && m[(y + 1) * w + x + 1] == c {
                score += 3;
            }
        }
    }
    let ratio = m.iter().filter(|d| **d).count() * 200 / m.len().max(1);
    score + ratio.abs_diff(100) as u32
}

/// The payload cut where a split may fall: between the records before the first RP (clinic,
/// patient, insurance, remarks: nothing a pharmacy dispenses from), and between RPs. An RP that
/// does not fit one symbol on its own is later cut between its drugs.
fn units(records: &[Record]) -> Vec<&[Record]> {
    let first_rp = records
        .iter()
        .position(|r| r.no == Some(101))
        .unwrap_or(records.len());
    let mut out: Vec<&[Record]> = records[..first_rp].chunks(1).collect();
    let mut start = first_rp;
    for (i, r) in records.iter().enumerate().skip(first_rp + 1) {
        if r.no == Some(101) {
            out.push(&records[start..i]);
            start = i;
        }
    }
    if start < records.len() {
        out.push(&records[start..]);
    }
    out
}

/// An RP's records cut before each drug (201), keeping its 101/111 with the first drug.
fn drug_units(rp: &[Record]) -> Vec<&[Record]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut seen_drug = false;
    for (i, r) in rp.iter().enumerate() {
        if r.no == Some(201) {
            if seen_drug {
                out.push(&rp[start..i]);
                start = i;
            }
            seen_drug = true;
        }
    }
    out.push(&rp[start..]);
    out
}

fn bytes_of(records: &[Record]) -> Vec<u8> {
    records.iter().flat_map(Record::encode).collect()
}

/// The symbols for a payload made of `records`: one at M if it fits, else one at L, else split
/// between RPs into linked symbols at M.
pub fn symbols_for(records: &[Record], max_version: i16) -> Result<Vec<QrSymbol>, Error> {
    let data = bytes_of(records);
    for ec in [EcLevel::M, EcLevel::L] {
        if let Some(s) = encode_one(&data, None, max_version, ec) {
            return Ok(vec![s]);
        }
    }
    let too_big = || {
        Error::refused(
            "処方の1行が長すぎて２次元シンボルに入りません",
            "one record is too long for a 2D symbol",
        )
    };
    // Any header will do to test a fit: its length does not depend on its values.
    let probe = Some(Sequence {
        index: 0,
        total: 1,
        parity: 0,
    });
    // Only the data codewords are needed to know whether a piece fits: drawing a symbol (and
    // choosing its mask) is left for the chunks finally made.
    let fits = |bytes: &[u8]| codewords(bytes, probe, max_version, EcLevel::M).is_some();
    let mut pieces: Vec<Vec<u8>> = Vec::new();
    for unit in units(records) {
        let bytes = bytes_of(unit);
        if fits(&bytes) {
            pieces.push(bytes);
        } else {
            for drug in drug_units(unit) {
                let bytes = bytes_of(drug);
                if !fits(&bytes) {
                    return Err(too_big());
                }
                pieces.push(bytes);
            }
        }
    }
    // Greedy: each symbol takes as many whole pieces as fit.
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for piece in pieces {
        match chunks.last_mut() {
            Some(last) if fits(&[last.as_slice(), &piece].concat()) => last.extend(piece),
            _ => chunks.push(piece),
        }
    }
    if chunks.len() > MAX_SYMBOLS {
        return Err(Error::refused(
            format!(
                "処方が長すぎて２次元シンボル{MAX_SYMBOLS}個に入りません。処方箋を分けてください"
            ),
            format!("the prescription needs more than {MAX_SYMBOLS} linked 2D symbols; split it"),
        ));
    }
    let parity = data.iter().fold(0u8, |p, b| p ^ b);
    let total = chunks.len() as u8;
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let seq = Sequence {
                index: i as u8,
                total,
                parity,
            };
            encode_one(c, Some(seq), max_version, EcLevel::M).ok_or_else(too_big)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_is_the_one_qrcode_would_choose() {
        for (n, data) in [
            &b"JAHIS10\r\n1,1,1234567,13,1\r\n"[..],
            &[0x81u8; 300][..],
            b"x",
        ]
        .iter()
        .enumerate()
        {
            for v in [1, 5, 10, 14] {
                let Some(words) = codewords(data, None, v, EcLevel::M) else {
                    continue;
                };
                let version = Version::Normal(v);
                let (d, e) = ec::construct_codewords(&words, version, EcLevel::M).unwrap();
                let mut canvas = Canvas::new(version, EcLevel::M);
                canvas.draw_all_functional_patterns();
                canvas.draw_data(&d, &e);
                let theirs: Vec<bool> = canvas
                    .apply_best_mask()
                    .into_colors()
                    .into_iter()
                    .map(|c| c == Color::Dark)
                    .collect();
                assert!(theirs == best_mask(&canvas), "data {n}, version {v}");
            }
        }
    }

    fn rec(no: u16, text: &str) -> Record {
        Record {
            no: Some(no),
            fields: vec![text.into()],
        }
    }

    #[test]
    fn version_follows_side_and_pitch() {
        // 25 mm at 0.3 mm: 83 modules - 8 quiet = 75 → version 14 (73 modules).
        assert_eq!(max_version(25.0, 0.3), Some(14));
        assert_eq!(max_version(5.0, 0.3), None);
        assert_eq!(max_version(1000.0, 0.25), Some(40));
        // The default template: 24 mm at 0.33 mm → version 11, 61 modules, 0.348 mm.
        assert_eq!(max_version(24.0, 0.33), Some(11));
        assert!(cell_pitch(24.0, 61) > 0.34);
    }

    #[test]
    fn small_payload_is_one_symbol_at_m() {
        let recs = vec![Record {
            no: None,
            fields: vec!["JAHIS10".into()],
        }];
        let s = symbols_for(&recs, 10).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].ec_level, EcLevel::M);
        assert_eq!(s[0].version, 1);
        assert_eq!(s[0].modules.len(), 21 * 21);
        assert_eq!(s[0].sequence, None);
        assert_eq!(s[0].position_label(), None);
    }

    #[test]
    fn the_header_is_written_before_the_data() {
        let seq = Sequence {
            index: 2,
            total: 5,
            parity: 0xA5,
        };
        let words = codewords(b"ab", Some(seq), 1, EcLevel::M).unwrap();
        // 0011 0010 0100 10100101, then byte mode 0100 with count 00000010.
        assert_eq!(words[0], 0b0011_0010);
        assert_eq!(words[1], 0b0100_1010);
        assert_eq!(words[2], 0b0101_0100);
        assert_eq!(words[3], 0b0000_0010);
        assert_eq!(words.len(), 16, "version 1-M holds 16 data codewords");
    }

    #[test]
    fn splits_fall_between_rps_and_are_linked() {
        let mut recs = vec![rec(1, &"医".repeat(40))];
        for rp in 0..6 {
            recs.push(rec(101, &rp.to_string()));
            recs.push(rec(111, &"用".repeat(30)));
            recs.push(rec(201, &"薬".repeat(30)));
            recs.push(rec(281, "後発品変更不可"));
        }
        let s = symbols_for(&recs, 8).unwrap();
        assert!(s.len() >= 3, "{}", s.len());
        let whole = bytes_of(&recs);
        let parity = whole.iter().fold(0, |p, b| p ^ b);
        for (i, sym) in s.iter().enumerate() {
            let seq = sym.sequence.unwrap();
            assert_eq!((seq.index as usize, seq.total as usize), (i, s.len()));
            assert_eq!(seq.parity, parity);
            // Each symbol after the first starts with an RP.
            if i > 0 {
                assert!(sym.data.starts_with(b"101,"), "symbol {i}");
            }
        }
        assert_eq!(
            s.iter().flat_map(|x| x.data.clone()).collect::<Vec<_>>(),
            whole
        );
        assert_eq!(s[1].position_label().unwrap(), format!("2/{}", s.len()));
    }

    #[test]
    fn an_rp_too_big_alone_splits_between_drugs_only() {
        let mut recs = vec![rec(101, "1"), rec(111, "毎食後")];
        for _ in 0..8 {
            recs.push(rec(201, &"薬".repeat(30)));
            recs.push(rec(281, "後発品変更不可"));
        }
        let s = symbols_for(&recs, 6).unwrap();
        assert!(s.len() >= 2);
        for sym in &s[1..] {
            assert!(sym.data.starts_with(b"201,"));
        }
    }
}
