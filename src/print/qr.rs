//! The 2D symbol itself: QR Code Model 2 (spec 2.1: cell pitch ≥ 0.25 mm, error correction ≥ L).
//!
//! The symbol is printed at a fixed side (spec 2.4: "if possible, vary the cell size and keep the
//! side fixed"), so the largest usable version follows from the side and the minimum pitch. A
//! payload is put in one symbol at level M when it fits, else at L; when even L does not fit, the
//! payload is split between several symbols at record boundaries (see [`super::jahis::split`]).
//!
//! Split symbols are plain, independent QR symbols in printed order, not QR "structured append":
//! qrcode 0.14 has no public way to write the structured-append header. Each symbol holds whole
//! records, and reading them in order and joining them gives the payload exactly.

use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

use super::jahis::{split, Record};
use crate::error::Error;

/// Modules of quiet zone on each side (the QR standard's 4).
pub const QUIET_ZONE: usize = 4;

/// One symbol as a square matrix of modules, row by row from the top; true is dark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrSymbol {
    pub width: usize,
    pub modules: Vec<bool>,
    pub version: i16,
    pub ec_level: EcLevel,
    /// The bytes it holds.
    pub data: Vec<u8>,
}

impl QrSymbol {
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.modules[y * self.width + x]
    }
}

/// The largest version whose modules plus quiet zone fit `side_mm` at `min_cell_mm` or more.
pub fn max_version(side_mm: f32, min_cell_mm: f32) -> Option<i16> {
    let modules = (side_mm / min_cell_mm).floor() as i64 - 2 * QUIET_ZONE as i64;
    let v = (modules - 17) / 4;
    (v >= 1).then_some(v.min(40) as i16)
}

/// Encodes `data` in the smallest version ≤ `max_version` at `ec` (no version search above it).
fn encode_one(data: &[u8], max_version: i16, ec: EcLevel) -> Option<QrSymbol> {
    (1..=max_version).find_map(|v| {
        // qrcode's segment optimiser (Kanji mode for Shift_JIS pairs) is not always optimal on
        // mixed text; one byte-mode segment is the fallback that always fits `byte_capacity`.
        let build = |optimal: bool| -> Option<Bits> {
            let mut bits = Bits::new(Version::Normal(v));
            if optimal {
                bits.push_optimal_data(data).ok()?
            } else {
                bits.push_byte_data(data).ok()?
            }
            bits.push_terminator(ec).ok()?;
            Some(bits)
        };
        let bits = build(true).or_else(|| build(false))?;
        let code = QrCode::with_bits(bits, ec).ok()?;
        Some(QrSymbol {
            width: code.width(),
            modules: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
            version: v,
            ec_level: ec,
            data: data.to_vec(),
        })
    })
}

/// The largest byte count that is sure to fit one symbol of `max_version` at `ec` (byte mode
/// throughout, the worst case).
fn byte_capacity(max_version: i16, ec: EcLevel) -> usize {
    let bits = Bits::new(Version::Normal(max_version))
        .max_len(ec)
        .unwrap_or(0);
    let count_bits = if max_version <= 9 { 8 } else { 16 };
    (bits.saturating_sub(4 + count_bits)) / 8
}

/// The symbols for a payload made of `records`: one at M if it fits, else one at L, else split.
pub fn symbols_for(records: &[Record], max_version: i16) -> Result<Vec<QrSymbol>, Error> {
    let data: Vec<u8> = records.iter().flat_map(Record::encode).collect();
    for ec in [EcLevel::M, EcLevel::L] {
        if let Some(s) = encode_one(&data, max_version, ec) {
            return Ok(vec![s]);
        }
    }
    let too_big = || {
        Error::refused(
            "処方の1行が長すぎて２次元シンボルに入りません",
            "one record is too long for a 2D symbol",
        )
    };
    // Split at M, so that every symbol of a split payload has the stronger correction.
    let cap = byte_capacity(max_version, EcLevel::M);
    let chunks = split(records, cap).ok_or_else(too_big)?;
    chunks
        .iter()
        .map(|c| encode_one(c, max_version, EcLevel::M).ok_or_else(too_big))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_follows_side_and_pitch() {
        // 25 mm at 0.3 mm: 83 modules - 8 quiet = 75 → version 14 (73 modules).
        assert_eq!(max_version(25.0, 0.3), Some(14));
        assert_eq!(max_version(5.0, 0.3), None);
        assert_eq!(max_version(1000.0, 0.25), Some(40));
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
    }
}
