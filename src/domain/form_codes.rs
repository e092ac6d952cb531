//! The numbers staff type for a choice, as the paper forms print them beside each box: 保険の
//! 種類 1 社保 2 国保 3 後期高齢 9 わからない, 本人 1 家族 2, 負担割合 1–3 割. Every form of the
//! window (the 申立書 and the 照合 manual lookup) reads them through here, so the same key
//! means the same thing everywhere; the words themselves (社保, 本人, 3割, 30%) are accepted too.
//! What is not recognised is passed on as typed, for validation to name the field.

use super::text::normalize_number;

/// 保険の種類 as the intake contract spells it (`shaho`, `kokuho`, `kouki`, `public_only`,
/// `unknown`).
pub fn kind(typed: &str) -> String {
    match normalize_number(typed).as_str() {
        "1" | "社保" | "社会保険" => "shaho".into(),
        "2" | "国保" | "国民健康保険" => "kokuho".into(),
        "3" | "後期" | "後期高齢" | "後期高齢者" => "kouki".into(),
        "4" | "公費単独" | "生活保護" | "生保" => "public_only".into(),
        "9" | "0" | "わからない" | "不詳" | "不明" => "unknown".into(),
        other => other.to_string(),
    }
}

/// 本人・家族 as the intake contract spells it (`self`, `family`).
pub fn relationship(typed: &str) -> String {
    match normalize_number(typed).as_str() {
        "1" | "本人" => "self".into(),
        "2" | "家族" => "family".into(),
        other => other.to_string(),
    }
}

/// 負担割合 in percent: 1–3 are 割 (the paper's boxes), 10–30 percent as such, with or without
/// 割 / %. Empty is None (not given); anything else is an impossible value (0) that validation
/// names.
pub fn copay_percent(typed: &str) -> Option<u8> {
    let t = normalize_number(typed);
    let t = t.trim_end_matches('割').trim_end_matches('%');
    if t.is_empty() {
        return None;
    }
    Some(match t.parse::<u8>() {
        Ok(n @ 1..=3) => n * 10,
        Ok(n) => n,
        Err(_) => 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paper_numbers_and_the_words_mean_the_same() {
        assert_eq!(kind("１"), "shaho");
        assert_eq!(kind("国保"), "kokuho");
        assert_eq!(kind("9"), "unknown");
        assert_eq!(kind("x"), "x", "passed on for validation to name");
        assert_eq!(relationship("2"), "family");
        assert_eq!(relationship("本人"), "self");
        for (typed, percent) in [
            ("3", 30),
            ("２割", 20),
            ("10", 10),
            ("30%", 30),
            ("1割", 10),
        ] {
            assert_eq!(copay_percent(typed), Some(percent), "{typed}");
        }
        assert_eq!(copay_percent(""), None);
        assert_eq!(
            copay_percent("三割"),
            Some(0),
            "impossible: validation names it"
        );
        assert_eq!(
            copay_percent("25"),
            Some(25),
            "impossible: validation names it"
        );
    }
}
