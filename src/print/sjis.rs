//! The JAHIS character set: JIS X 0201 (8-bit) and JIS X 0208, sent as Shift_JIS.
//!
//! `encoding_rs`'s Shift_JIS is really Windows-31J: it also encodes NEC row 13 (①, ㈱) and the
//! IBM extensions (髙, 﨑), which are *not* JIS X 0208 and which the spec counts as 外字. So a
//! character is accepted only when its two bytes fall in rows 1-8 or 16-84 of JIS X 0208.
//! Everything else becomes ■ (81A1), as the spec requires; the paper copy still prints the real
//! character when the font has it, so the pharmacist can read the name.

use encoding_rs::SHIFT_JIS;

/// The 外字 replacement of JAHIS 3.2.4.
pub const GETA: char = '■';

/// A few characters that look the same to staff but that Unicode spells differently from the
/// JIS X 0208 mapping Shift_JIS encoders use (a Mac or Linux IME gives 〜 where Windows gives ～).
fn jis_variant(c: char) -> char {
    match c {
        '\u{301C}' => '\u{FF5E}', // 〜 WAVE DASH → ～
        '\u{2016}' => '\u{2225}', // ‖ → ∥
        '\u{2212}' => '\u{FF0D}', // − MINUS SIGN → －
        '\u{00A2}' => '\u{FFE0}', // ¢
        '\u{00A3}' => '\u{FFE1}', // £
        '\u{00AC}' => '\u{FFE2}', // ¬
        '\u{2014}' => '\u{2015}', // — EM DASH → ―
        _ => c,
    }
}

/// The Shift_JIS bytes of `c` when it is in JIS X 0201 or JIS X 0208; None for a 外字.
pub fn encode_char(c: char) -> Option<Vec<u8>> {
    let c = jis_variant(c);
    if c.is_control() {
        return None;
    }
    let mut buf = [0u8; 4];
    let (bytes, _, had_errors) = SHIFT_JIS.encode(c.encode_utf8(&mut buf));
    if had_errors {
        return None;
    }
    match bytes.as_ref() {
        [b] if (0x20..=0x7E).contains(b) || (0xA1..=0xDF).contains(b) => Some(vec![*b]),
        [lead, trail] if in_jis_x_0208(*lead, *trail) => Some(vec![*lead, *trail]),
        _ => None,
    }
}

/// True for a double-byte code in JIS X 0208 rows 1-8 or 16-84 (the rows it assigns).
fn in_jis_x_0208(lead: u8, trail: u8) -> bool {
    let pair = match lead {
        0x81..=0x9F => lead - 0x81,
        0xE0..=0xEF => lead - 0xC1,
        _ => return false,
    } as u32;
    let second_row = trail >= 0x9F;
    let row = pair * 2 + 1 + u32::from(second_row);
    (1..=8).contains(&row) || (16..=84).contains(&row)
}

/// True when `c` can be written to the symbol as itself.
pub fn is_jis(c: char) -> bool {
    encode_char(c).is_some()
}

/// Encodes `text` for the symbol: 外字 become ■. Callers clean commas and spaces first.
pub fn encode_lossy(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match encode_char(c) {
            Some(b) => out.extend_from_slice(&b),
            None => out.extend_from_slice(&[0x81, 0xA1]),
        }
    }
    out
}

/// The characters of `text` that would become ■ in the symbol, each once, in order.
pub fn non_jis_chars(text: &str) -> Vec<char> {
    let mut out = Vec::new();
    for c in text.chars() {
        if !is_jis(c) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jis_x_0208_and_0201_pass() {
        for c in [
            'A', '1', ',', 'ｱ', 'あ', '漢', '錠', '■', '，', '～', '〜', '－', '熙',
        ] {
            assert!(is_jis(c), "{c}");
        }
        assert_eq!(encode_char('■'), Some(vec![0x81, 0xA1]));
        assert_eq!(encode_char('〜'), Some(vec![0x81, 0x60]));
    }

    #[test]
    fn windows_extensions_and_beyond_are_gaiji() {
        // NEC row 13, IBM extensions, JIS X 0213 only, emoji, controls.
        for c in ['①', '㈱', '髙', '﨑', '𠮷', '😀', '\t', '\n', '㐂'] {
            assert!(!is_jis(c), "{c}");
        }
        assert_eq!(encode_lossy("髙橋"), vec![0x81, 0xA1, 0x8B, 0xB4]);
        assert_eq!(non_jis_chars("髙橋髙𠮷"), vec!['髙', '𠮷']);
    }
}
