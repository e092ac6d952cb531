//! What to put on the claim (レセプト) for a visit: the numbers, and why.
//!
//! Billing rule (請求事務連絡 2023-07-19): use the current numbers, else the previous ones,
//! else 不詳 — 保険者番号 77777777, 記号 empty, 番号 777777777 (77777777 for 後期高齢者), and a
//! 摘要 starting 「不詳」 followed by the 住所, 事業所名 and 連絡先 from the 申立書.

use chrono::NaiveDate;
use serde::Serialize;

use super::copay::{age_band, AgeBand};
use super::types::{fushou_claim_numbers, Insurance, InsuranceKind, PatientDetails, Source};

/// Why the claim uses these numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimBasis {
    /// Confirmed by the national service (or typed in from its emergency lookup).
    Verified,
    /// As the patient declared; not (yet) confirmed.
    Declared,
    /// Numbers unknown: the 7-fill.
    Fushou,
    /// 公費単独: no health insurance; the 公費 (負担者番号・受給者番号) is claimed alone.
    PublicOnly,
}

impl ClaimBasis {
    pub fn ja(self) -> &'static str {
        match self {
            ClaimBasis::Verified => "確認済",
            ClaimBasis::Declared => "申告のまま",
            ClaimBasis::Fushou => "不詳",
            ClaimBasis::PublicOnly => "公費単独",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimNumbers {
    pub basis: ClaimBasis,
    pub insurer_number: String,
    pub symbol: String,
    pub number: String,
    pub branch: String,
    /// 摘要欄: empty unless 不詳.
    pub tekiyo: String,
}

impl ClaimNumbers {
    /// The numbers in the wording of [`Insurance::summary_ja`].
    pub fn summary_ja(&self) -> String {
        if self.basis == ClaimBasis::PublicOnly {
            return "公費単独（保険番号なし）".into();
        }
        super::types::numbers_ja(
            &self.insurer_number,
            &self.symbol,
            &self.number,
            &self.branch,
        )
    }
}

/// The numbers to claim with for `insurance` as it stands.
pub fn claim_numbers(
    insurance: &Insurance,
    source: Source,
    patient: &PatientDetails,
    visit_date: NaiveDate,
) -> ClaimNumbers {
    match (&insurance.insurer_number, &insurance.number) {
        (Some(ins), Some(num)) => ClaimNumbers {
            basis: if source == Source::Declared {
                ClaimBasis::Declared
            } else {
                ClaimBasis::Verified
            },
            insurer_number: ins.clone(),
            symbol: insurance.symbol.clone(),
            number: num.clone(),
            branch: insurance.branch.clone(),
            tekiyo: String::new(),
        },
        _ if insurance.is_public_only() => ClaimNumbers {
            basis: ClaimBasis::PublicOnly,
            insurer_number: String::new(),
            symbol: String::new(),
            number: String::new(),
            branch: String::new(),
            tekiyo: String::new(),
        },
        _ => {
            let late_elderly = insurance.kind == InsuranceKind::Kouki
                || age_band(patient.birth_date, visit_date) == AgeBand::LateElderly;
            let (ins, num) = fushou_claim_numbers(late_elderly);
            ClaimNumbers {
                basis: ClaimBasis::Fushou,
                insurer_number: ins.into(),
                symbol: String::new(),
                number: num.into(),
                branch: String::new(),
                tekiyo: fushou_tekiyo(patient, insurance),
            }
        }
    }
}

/// 「不詳」 + 住所, 事業所名, 連絡先 — what the 摘要欄 must say for a 不詳 claim.
pub fn fushou_tekiyo(patient: &PatientDetails, insurance: &Insurance) -> String {
    let mut parts = vec!["不詳".to_string()];
    if !patient.address.is_empty() {
        parts.push(format!("住所:{}", patient.address));
    }
    if !insurance.employer.is_empty() {
        parts.push(format!("事業所:{}", insurance.employer));
    }
    if !insurance.insurer_name.is_empty() {
        parts.push(format!("保険者:{}", insurance.insurer_name));
    }
    if !patient.phone.is_empty() {
        parts.push(format!("連絡先:{}", patient.phone));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Relationship, Sex};

    fn patient(birth: (i32, u32, u32)) -> PatientDetails {
        PatientDetails {
            name: "山田 花子".into(),
            kana: "ヤマダ ハナコ".into(),
            birth_date: NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
            sex: Sex::Female,
            address: "東京都港区新橋1-1-1".into(),
            phone: "03-0000-0000".into(),
        }
    }

    fn unknown() -> Insurance {
        Insurance {
            kind: InsuranceKind::Unknown,
            insurer_number: None,
            symbol: String::new(),
            number: None,
            branch: String::new(),
            relationship: None,
            insurer_name: String::new(),
            employer: "株式会社テスト".into(),
            copay_percent: 30,
            public_funds: vec![],
        }
    }

    #[test]
    fn fushou_uses_the_seven_fill_and_tekiyo() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let c = claim_numbers(&unknown(), Source::Declared, &patient((1970, 3, 1)), day);
        assert_eq!(c.basis, ClaimBasis::Fushou);
        assert_eq!(
            (c.insurer_number.as_str(), c.number.as_str()),
            ("77777777", "777777777")
        );
        assert_eq!(c.symbol, "");
        assert_eq!(
            c.tekiyo,
            "不詳 住所:東京都港区新橋1-1-1 事業所:株式会社テスト 連絡先:03-0000-0000"
        );
    }

    #[test]
    fn fushou_for_late_elderly_has_eight_sevens() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let c = claim_numbers(&unknown(), Source::Declared, &patient((1940, 1, 1)), day);
        assert_eq!(c.number, "77777777");
    }

    #[test]
    fn known_numbers_are_claimed_as_declared_or_verified() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let mut ins = unknown();
        ins.kind = InsuranceKind::Shaho;
        ins.insurer_number = Some("01130012".into());
        ins.number = Some("5678".into());
        ins.relationship = Some(Relationship::Insured);
        let c = claim_numbers(&ins, Source::Declared, &patient((1970, 3, 1)), day);
        assert_eq!(c.basis, ClaimBasis::Declared);
        assert_eq!(c.tekiyo, "");
        let c = claim_numbers(&ins, Source::Verified, &patient((1970, 3, 1)), day);
        assert_eq!(c.basis, ClaimBasis::Verified);
    }
}
