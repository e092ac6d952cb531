//! Text normalisation for what staff type on a Japanese keyboard.
//!
//! Numbers and codes arrive full-width (`０１１３`, `ＡＢ`, `－`) when the IME is on; they are
//! folded to ASCII before validation. Names are kept exactly as typed. カナ accepts hiragana and
//! half-width katakana and is stored as full-width katakana.

use unicode_normalization::UnicodeNormalization;

/// Folds full-width ASCII (digits, letters, punctuation) and the ideographic space to their
/// half-width forms and trims. Dash-like characters that IMEs produce between digits
/// (`－`, `−`, `‐`, `ー` after a digit) become `-`. Everything else is kept as it is.
pub fn to_half_width_ascii(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut prev_ascii_alnum = false;
    for c in input.chars() {
        let folded = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            // The long-vowel mark is what many IMEs give for "-" typed between digits.
            'ー' | '\u{FF70}' if prev_ascii_alnum => '-',
            _ => c,
        };
        prev_ascii_alnum = folded.is_ascii_alphanumeric();
        out.push(folded);
    }
    out.trim().to_string()
}

/// Normalises a number field: half-width, and with spaces removed (staff often type
/// `0113 0012`). The result may still contain non-digits; validation reports those.
pub fn normalize_number(input: &str) -> String {
    to_half_width_ascii(input)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Converts hiragana to katakana, half-width katakana to full-width (NFKC), and folds
/// full-width ASCII. Spaces between family and given name are kept as one ASCII space.
pub fn to_katakana(input: &str) -> String {
    let nfkc: String = input.nfkc().collect();
    let mut out = String::with_capacity(nfkc.len());
    let mut last_space = true;
    for c in nfkc.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.push(hiragana_to_katakana(c));
    }
    out.trim_end().to_string()
}

fn hiragana_to_katakana(c: char) -> char {
    match c {
        // ぁ..ゖ and the iteration marks ゝゞ map to ァ..ヶ and ヽヾ
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

/// True when every character is katakana (full-width, after [`to_katakana`]), the
/// long-vowel mark, the middle dot or a space.
pub fn is_katakana(s: &str) -> bool {
    !s.trim().is_empty()
        && s.chars()
            .all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | '・' | 'ヽ' | 'ヾ' | ' '))
}

/// The key used to search by カナ: katakana with spaces removed.
pub fn kana_key(input: &str) -> String {
    to_katakana(input).chars().filter(|c| *c != ' ').collect()
}

/// The key used to search by name: NFKC (so full- and half-width match) with all spaces
/// removed and variant characters in their standard form (髙橋 is found as 高橋).
pub fn name_key(input: &str) -> String {
    input
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| standard_form(c).unwrap_or(c))
        .collect()
}

/// Standard forms (通用字体) of name characters that systems and fonts often lack: a name
/// written with one must still reach paper, and be found when searched in the common form.
const STANDARD_FORMS: &[(char, char)] = &[
    ('𠮷', '吉'),
    ('﨑', '崎'),
    ('髙', '高'),
    ('德', '徳'),
    ('濵', '浜'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('齋', '斎'),
    ('齊', '斉'),
    ('槗', '橋'),
    ('𡈽', '土'),
    ('塚', '塚'),
];

/// The standard form of a variant character, if it has one here.
pub fn standard_form(c: char) -> Option<char> {
    STANDARD_FORMS
        .iter()
        .find(|(v, _)| *v == c)
        .map(|(_, s)| *s)
}

/// A variation selector (standard or ideographic, IVS): it only picks a glyph variant of the
/// character before it, which prints without it.
pub fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Collapses runs of white space (including the ideographic space) into one ASCII space.
pub fn tidy_spaces(input: &str) -> String {
    input
        .split(|c: char| c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_letters_and_dashes_fold() {
        assert_eq!(to_half_width_ascii("０１１３００１２"), "01130012");
        assert_eq!(to_half_width_ascii("ＡＢ－１２"), "AB-12");
        assert_eq!(to_half_width_ascii("１２ー３４"), "12-34");
        assert_eq!(to_half_width_ascii("　12　"), "12");
        // a long-vowel mark inside kana stays
        assert_eq!(to_half_width_ascii("タロー"), "タロー");
    }

    #[test]
    fn number_fields_lose_spaces() {
        assert_eq!(normalize_number("0113 ００１２"), "01130012");
    }

    #[test]
    fn kana_accepts_hiragana_and_half_width() {
        assert_eq!(to_katakana("やまだ　たろう"), "ヤマダ タロウ");
        assert_eq!(to_katakana("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(to_katakana("ヤマダ  タロウ "), "ヤマダ タロウ");
        assert!(is_katakana("ヤマダ タロウ"));
        assert!(!is_katakana("山田"));
        assert_eq!(kana_key("やまだ たろう"), "ヤマダタロウ");
    }

    #[test]
    fn name_key_matches_across_widths() {
        assert_eq!(name_key("山田　太郎"), name_key("山田 太郎"));
    }
}
