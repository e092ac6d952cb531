//! 保険者番号, 公費負担者番号, 公費受給者番号 and 医療機関コード, with their check digits.
//!
//! All use one rule (厚労省 保険者番号設定要領): over the digits before the check digit, from the
//! rightmost leftwards, multiply by 2, 1, 2, 1, …; add the digits of each product; the check digit
//! is (10 − sum mod 10) mod 10.

/// 不詳 placeholder for 保険者番号 (billing rule of 2023-07-19).
pub const FUSHOU_INSURER: &str = "77777777";
/// 不詳 placeholder for 被保険者番号.
pub const FUSHOU_NUMBER: &str = "777777777";
/// 不詳 placeholder for 被保険者番号 under 後期高齢者 (8 digits).
pub const FUSHOU_NUMBER_KOUKI: &str = "77777777";

/// The check digit for `body` (digits only), or None if it holds anything else.
pub fn check_digit(body: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, b) in body.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = (b - b'0') as u32;
        let p = if i % 2 == 0 { d * 2 } else { d };
        sum += p / 10 + p % 10;
    }
    if body.is_empty() {
        return None;
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// True when the last digit of `number` is the check digit of the rest.
pub fn has_valid_check_digit(number: &str) -> bool {
    let Some(last) = number.bytes().last() else {
        return false;
    };
    if !last.is_ascii_digit() {
        return false;
    }
    check_digit(&number[..number.len() - 1]) == Some(last - b'0')
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// What is wrong with a number, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberProblem {
    NotDigits,
    WrongLength {
        expected: &'static str,
    },
    CheckDigit {
        expected: u8,
    },
    /// The 不詳 placeholder used where a real number is required.
    Placeholder,
}

impl NumberProblem {
    pub fn message_ja(&self) -> String {
        match self {
            NumberProblem::NotDigits => "数字以外の文字が含まれています".into(),
            NumberProblem::WrongLength { expected } => format!("桁数が違います（{expected}桁）"),
            // The expected digit is not shown: the typo may be in any digit, and showing it
            // invites "fixing" the last one.
            NumberProblem::CheckDigit { .. } => {
                "検証番号（最後の桁）が合いません。打ち間違いがないか番号を確認してください".into()
            }
            NumberProblem::Placeholder => {
                "77777777 は不詳用の番号です。保険の種類を「わからない（不詳）」にしてください"
                    .into()
            }
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            NumberProblem::NotDigits => "contains characters other than digits".into(),
            NumberProblem::WrongLength { expected } => format!("wrong length ({expected} digits)"),
            NumberProblem::CheckDigit { .. } => {
                "check digit does not match: check the number for a typo".into()
            }
            NumberProblem::Placeholder => {
                "77777777 is the placeholder for unknown insurance; use kind \"unknown\"".into()
            }
        }
    }
}

fn check(number: &str) -> Result<(), NumberProblem> {
    let expected = check_digit(&number[..number.len() - 1]).ok_or(NumberProblem::NotDigits)?;
    if has_valid_check_digit(number) {
        Ok(())
    } else {
        Err(NumberProblem::CheckDigit { expected })
    }
}

/// Validates a 保険者番号: 8 digits (法別 + 都道府県 + 保険者別 + check), or 6 digits for 国保
/// (都道府県 + 保険者別 + check). The 不詳 placeholder is refused here: it has its own path.
pub fn validate_insurer_number(n: &str) -> Result<(), NumberProblem> {
    if !all_digits(n) {
        return Err(NumberProblem::NotDigits);
    }
    if n.len() != 8 && n.len() != 6 {
        return Err(NumberProblem::WrongLength {
            expected: "8（国保は6）",
        });
    }
    if n == FUSHOU_INSURER {
        return Err(NumberProblem::Placeholder);
    }
    check(n)
}

/// Validates a 公費負担者番号 (8 digits with check).
pub fn validate_public_payer(n: &str) -> Result<(), NumberProblem> {
    if !all_digits(n) {
        return Err(NumberProblem::NotDigits);
    }
    if n.len() != 8 {
        return Err(NumberProblem::WrongLength { expected: "8" });
    }
    check(n)
}

/// Validates the shape of a 公費受給者番号 (7 digits). The check digit is separate
/// ([`recipient_check_ok`]) because some municipal programmes do not follow it.
pub fn validate_public_recipient_shape(n: &str) -> Result<(), NumberProblem> {
    if !all_digits(n) {
        return Err(NumberProblem::NotDigits);
    }
    if n.len() != 7 {
        return Err(NumberProblem::WrongLength { expected: "7" });
    }
    Ok(())
}

pub fn recipient_check_ok(n: &str) -> Result<(), NumberProblem> {
    check(n)
}

/// Checks a 7-digit 医療機関コード against its prefecture and fee table. The check digit is
/// computed over 都道府県2 + 点数表1 + the first six digits of the code. Only one public
/// example confirms this rule, so callers warn rather than refuse on a mismatch.
pub fn institution_code_check(
    prefecture: &str,
    fee_table: &str,
    code: &str,
) -> Result<(), NumberProblem> {
    if !all_digits(prefecture) || !all_digits(fee_table) || !all_digits(code) {
        return Err(NumberProblem::NotDigits);
    }
    if code.len() != 7 || prefecture.len() != 2 || fee_table.len() != 1 {
        return Err(NumberProblem::WrongLength {
            expected: "都道府県2・点数表1・コード7",
        });
    }
    check(&format!("{prefecture}{fee_table}{code}"))
}

/// 法別番号: the first two digits of an 8-digit 保険者番号 or 公費負担者番号.
pub fn houbetsu_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "01" => "協会けんぽ",
        "02" => "船員保険",
        "03" | "04" => "日雇特例被保険者",
        "06" => "組合管掌健康保険",
        "07" => "自衛官等",
        "31" => "国家公務員共済組合",
        "32" => "地方公務員等共済組合",
        "33" => "警察共済組合",
        "34" => "公立学校共済組合・日本私立学校振興・共済事業団",
        "39" => "後期高齢者医療",
        "63" => "特定健康保険組合（退職）",
        "72" | "73" | "74" | "75" => "共済組合（特例退職）",
        "12" => "生活保護（医療扶助）",
        "15" => "障害者総合支援法（更生医療）",
        "21" => "障害者総合支援法（精神通院医療）",
        "54" => "難病法（特定医療費）",
        _ => return None,
    })
}

/// The 法別 of an insurer number, if it has one (8 digits).
pub fn houbetsu(insurer_number: &str) -> Option<&str> {
    (insurer_number.len() == 8).then(|| &insurer_number[..2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_insurer_numbers_pass() {
        // 協会けんぽ 東京支部, 警察共済 (domain brief §5)
        assert_eq!(validate_insurer_number("01130012"), Ok(()));
        assert_eq!(validate_insurer_number("33120015"), Ok(()));
        assert_eq!(check_digit("0113001"), Some(2));
        assert_eq!(check_digit("3312001"), Some(5));
    }

    #[test]
    fn one_wrong_digit_is_caught() {
        assert_eq!(
            validate_insurer_number("01130013"),
            Err(NumberProblem::CheckDigit { expected: 2 })
        );
        // a transposition of neighbours is caught by the 2-1 weights
        assert!(validate_insurer_number("10130012").is_err());
    }

    #[test]
    fn kokuho_six_digits_use_the_same_rule() {
        let body = "13810"; // 都道府県 13 + 保険者別 810
        let n = format!("{body}{}", check_digit(body).unwrap());
        assert_eq!(validate_insurer_number(&n), Ok(()));
        assert_eq!(n, "138107");
    }

    #[test]
    fn shapes_are_checked() {
        assert_eq!(
            validate_insurer_number("0113001"),
            Err(NumberProblem::WrongLength {
                expected: "8（国保は6）"
            })
        );
        assert_eq!(
            validate_insurer_number("0113OO12"),
            Err(NumberProblem::NotDigits)
        );
        assert_eq!(validate_insurer_number(""), Err(NumberProblem::NotDigits));
        assert_eq!(
            validate_insurer_number(FUSHOU_INSURER),
            Err(NumberProblem::Placeholder)
        );
    }

    #[test]
    fn public_payer_and_recipient() {
        assert_eq!(validate_public_payer("54016027"), Ok(())); // 難病, published example
        assert!(validate_public_payer("54016028").is_err());
        assert_eq!(validate_public_recipient_shape("1234566"), Ok(()));
        assert_eq!(recipient_check_ok("1234566"), Ok(()));
        assert_eq!(
            recipient_check_ok("1234567"),
            Err(NumberProblem::CheckDigit { expected: 6 })
        );
        assert!(validate_public_recipient_shape("123456").is_err());
    }

    #[test]
    fn institution_code_published_example() {
        // 01 (北海道) 1 (医科) 01 1371 → check 9
        assert_eq!(institution_code_check("01", "1", "0113719"), Ok(()));
        assert_eq!(
            institution_code_check("01", "1", "0113710"),
            Err(NumberProblem::CheckDigit { expected: 9 })
        );
    }

    #[test]
    fn houbetsu_names() {
        assert_eq!(
            houbetsu("01130012").and_then(houbetsu_name),
            Some("協会けんぽ")
        );
        assert_eq!(
            houbetsu("39131010").and_then(houbetsu_name),
            Some("後期高齢者医療")
        );
        assert_eq!(houbetsu("138107"), None);
        assert_eq!(houbetsu_name("67"), None); // 国保退職, abolished FY2024
    }
}
