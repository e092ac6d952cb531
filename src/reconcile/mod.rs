//! Reconciliation: comparing what a patient declared with what the national service says.
//!
//! [`classify`] is pure: given the declaration and the service's answer it returns the status
//! of the contract (`match`, `changed`, `ineligible`, `not_found`, `needs_manual`,
//! `no_answer`) with field-by-field differences. It never settles anything doubtful: a result
//! that contradicts itself, a different birth date or several matches all need a person.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::text::to_half_width_ascii;
use crate::domain::types::string_enum;
use crate::domain::{Insurance, InsuranceKind, PatientDetails};
use crate::qualification::{Validity, VerifiedQualification, VerifyOutcome, VerifyRequest};

string_enum!(
    /// The outcome of re-verifying one record.
    ReconcileStatus {
        Match = "match" / "一致",
        Changed = "changed" / "変更あり",
        Ineligible = "ineligible" / "資格なし（無効）",
        NotFound = "not_found" / "該当なし",
        NeedsManual = "needs_manual" / "手作業で確認",
        NoAnswer = "no_answer" / "応答なし",
    }
);

/// One field that differs between declared and verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub field: String,
    pub label: String,
    pub declared: String,
    pub verified: String,
}

/// What one check came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub status: ReconcileStatus,
    pub differences: Vec<Difference>,
    /// The insurance as verified, when the service gave one.
    pub verified: Option<Insurance>,
    /// Why, in Japanese, for staff (codes and messages verbatim).
    pub reason_ja: String,
}

impl Verdict {
    fn new(status: ReconcileStatus, reason_ja: impl Into<String>) -> Verdict {
        Verdict {
            status,
            differences: Vec::new(),
            verified: None,
            reason_ja: reason_ja.into(),
        }
    }
}

/// The request that re-verifies a declaration, or None on the 不詳 path (no numbers).
pub fn request_for(
    id: &str,
    insurance: &Insurance,
    birth_date: NaiveDate,
) -> Option<VerifyRequest> {
    Some(VerifyRequest {
        id: id.to_string(),
        insurer_number: insurance.insurer_number.clone()?,
        symbol: insurance.symbol.clone(),
        number: insurance.number.clone()?,
        branch: insurance.branch.clone(),
        birth_date,
        consent: false,
    })
}

/// The verified qualification as an insurance the clinic can claim with. What the service does
/// not carry (employer, 公費) is kept from the declaration.
pub fn verified_insurance(q: &VerifiedQualification, declared: &Insurance) -> Insurance {
    let insurer = to_half_width_ascii(&q.insurer_number).replace(' ', "");
    let kind = match (insurer.len(), insurer.get(..2)) {
        (6, _) => InsuranceKind::Kokuho,
        (_, Some("39")) => InsuranceKind::Kouki,
        _ => InsuranceKind::Shaho,
    };
    Insurance {
        kind,
        insurer_number: Some(insurer),
        symbol: q.symbol.trim().to_string(),
        number: Some(q.number.trim().to_string()),
        branch: q.branch.trim().to_string(),
        relationship: q.relationship.or(declared.relationship),
        insurer_name: if q.insurer_name.trim().is_empty() {
            declared.insurer_name.clone()
        } else {
            q.insurer_name.trim().to_string()
        },
        employer: declared.employer.clone(),
        copay_percent: q
            .copay_percent
            .filter(|p| [10, 20, 30].contains(p))
            .unwrap_or(declared.copay_percent),
        public_funds: declared.public_funds.clone(),
    }
}

/// Compares numbers the way staff would: width and padding do not matter.
fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        to_half_width_ascii(s)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
    };
    norm(a) == norm(b)
}

fn differences(declared: &Insurance, verified: &Insurance) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut cmp = |field: &str, label: &str, d: &str, v: &str| {
        if !same(d, v) {
            out.push(Difference {
                field: field.into(),
                label: label.into(),
                declared: d.into(),
                verified: v.into(),
            });
        }
    };
    cmp(
        "insurer_number",
        "保険者番号",
        declared.insurer_number.as_deref().unwrap_or(""),
        verified.insurer_number.as_deref().unwrap_or(""),
    );
    cmp("symbol", "記号", &declared.symbol, &verified.symbol);
    cmp(
        "number",
        "番号",
        declared.number.as_deref().unwrap_or(""),
        verified.number.as_deref().unwrap_or(""),
    );
    // A branch the patient did not know is not a difference.
    if !declared.branch.is_empty() {
        cmp("branch", "枝番", &declared.branch, &verified.branch);
    }
    cmp(
        "copay_percent",
        "負担割合",
        &format!("{}割", declared.copay_percent / 10),
        &format!("{}割", verified.copay_percent / 10),
    );
    if let (Some(d), Some(v)) = (declared.relationship, verified.relationship) {
        cmp("relationship", "本人・家族", d.ja(), v.ja());
    }
    out
}

/// Sorts one record by the service's answer.
pub fn classify(
    declared: &Insurance,
    patient: &PatientDetails,
    outcome: Option<&VerifyOutcome>,
) -> Verdict {
    use ReconcileStatus::*;
    let Some(outcome) = outcome else {
        return Verdict::new(
            NeedsManual,
            "番号不明（不詳）のためオンラインで照会できません。氏名・性別・生年月日・住所で緊急時医療情報・資格確認機能により照会してください",
        );
    };
    let result = match outcome {
        // A request the terminal cannot take will never get an answer: a person must look.
        VerifyOutcome::NoAnswer {
            reason: reason @ crate::qualification::NoAnswerReason::InvalidRequest(_),
        } => return Verdict::new(NeedsManual, reason.message_ja()),
        VerifyOutcome::NoAnswer { reason } => return Verdict::new(NoAnswer, reason.message_ja()),
        VerifyOutcome::Answered(r) => r,
    };
    if result.segment_of_result.trim() == "9" {
        // The service itself failed this time: try again on the next pass.
        return Verdict::new(
            NoAnswer,
            format!(
                "資格確認が異常終了しました: {} {}",
                result.error_code.as_deref().unwrap_or(""),
                result.error_message.as_deref().unwrap_or("")
            ),
        );
    }
    if result.processing_result_status.as_deref().map(str::trim) == Some("2") {
        return Verdict::new(
            NeedsManual,
            format!(
                "照会がエラーになりました: {} {}",
                result.processing_result_code.as_deref().unwrap_or(""),
                result.processing_result_message.as_deref().unwrap_or("")
            ),
        );
    }
    let Some(validity) = &result.validity else {
        return Verdict::new(
            NeedsManual,
            "資格の有効性が返されていません（結果が不完全）",
        );
    };
    let first = result.qualifications.first();
    let with_verified = |status, reason: String| {
        let mut v = Verdict::new(status, reason);
        if let Some(q) = first {
            let ins = verified_insurance(q, declared);
            v.differences = differences(declared, &ins);
            v.verified = Some(ins);
        }
        v
    };
    match validity {
        Validity::Valid | Validity::ValidUnregistered => {
            let Some(q) = first else {
                return Verdict::new(
                    NeedsManual,
                    "有効とされましたが資格情報がありません（結果が矛盾しています）",
                );
            };
            if q.birth_date.is_some_and(|b| b != patient.birth_date) {
                let mut v = with_verified(
                    NeedsManual,
                    "生年月日が申告と違います。本人確認のうえ判断してください".into(),
                );
                v.differences.push(Difference {
                    field: "birth_date".into(),
                    label: "生年月日".into(),
                    declared: patient.birth_date.to_string(),
                    verified: q.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                });
                return v;
            }
            let v = with_verified(Match, format!("資格{}", validity.ja()));
            if v.differences.is_empty() {
                v
            } else {
                Verdict {
                    status: Changed,
                    reason_ja: "資格は有効ですが、番号または負担割合が申告と違います".into(),
                    ..v
                }
            }
        }
        Validity::InvalidNewQualification if first.is_some() => {
            with_verified(Changed, "申告の資格は無効で、新しい資格があります".into())
        }
        Validity::Invalid | Validity::InvalidNewQualification => {
            let mut v = Verdict::new(Ineligible, format!("申告の資格は{}です", validity.ja()));
            if let Some(loss) = first.and_then(|q| q.disqualification_date) {
                v.reason_ja.push_str(&format!("（喪失日 {loss}）"));
            }
            v
        }
        Validity::NotFound => Verdict::new(NotFound, "該当する資格がありません（該当資格なし）"),
        Validity::MultipleMatches => Verdict::new(
            NeedsManual,
            "複数の資格が該当しました。手作業で確認してください",
        ),
        Validity::Unknown(code) => Verdict::new(NeedsManual, format!("不明な有効性コード {code}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Relationship, Sex};
    use crate::qualification::{NoAnswerReason, VerifyResult};

    fn patient() -> PatientDetails {
        PatientDetails {
            name: "山田 太郎".into(),
            kana: "ヤマダ タロウ".into(),
            birth_date: NaiveDate::from_ymd_opt(1970, 3, 1).unwrap(),
            sex: Sex::Male,
            address: String::new(),
            phone: String::new(),
        }
    }

    fn declared() -> Insurance {
        Insurance {
            kind: InsuranceKind::Shaho,
            insurer_number: Some("01130012".into()),
            symbol: "12-34".into(),
            number: Some("5678".into()),
            branch: "01".into(),
            relationship: Some(Relationship::Insured),
            insurer_name: String::new(),
            employer: "株式会社テスト".into(),
            copay_percent: 30,
            public_funds: vec![],
        }
    }

    fn answer(validity: &str, q: Option<VerifiedQualification>) -> VerifyOutcome {
        VerifyOutcome::Answered(VerifyResult {
            segment_of_result: "1".into(),
            processing_result_status: Some("1".into()),
            validity: Some(Validity::from_code(validity)),
            qualifications: q.into_iter().collect(),
            ..Default::default()
        })
    }

    fn qual() -> VerifiedQualification {
        VerifiedQualification {
            insurer_number: "01130012".into(),
            symbol: "１２－３４".into(),
            number: "5678".into(),
            branch: "01".into(),
            relationship: Some(Relationship::Insured),
            birth_date: NaiveDate::from_ymd_opt(1970, 3, 1),
            copay_percent: Some(30),
            ..Default::default()
        }
    }

    #[test]
    fn same_numbers_match_whatever_the_width() {
        let v = classify(&declared(), &patient(), Some(&answer("1", Some(qual()))));
        assert_eq!(v.status, ReconcileStatus::Match, "{v:?}");
        assert!(v.differences.is_empty());
        assert_eq!(
            v.verified.unwrap().employer,
            "株式会社テスト",
            "kept from the declaration"
        );
    }

    #[test]
    fn other_numbers_are_changed_with_differences() {
        let mut q = qual();
        q.number = "9999".into();
        let v = classify(&declared(), &patient(), Some(&answer("1", Some(q))));
        assert_eq!(v.status, ReconcileStatus::Changed);
        assert_eq!(v.differences.len(), 1);
        assert_eq!(
            (
                v.differences[0].declared.as_str(),
                v.differences[0].verified.as_str()
            ),
            ("5678", "9999")
        );
    }

    #[test]
    fn a_new_qualification_is_changed_and_plain_invalid_is_ineligible() {
        let mut q = qual();
        q.insurer_number = "06130016".into();
        assert_eq!(
            classify(&declared(), &patient(), Some(&answer("3", Some(q)))).status,
            ReconcileStatus::Changed
        );
        assert_eq!(
            classify(&declared(), &patient(), Some(&answer("2", Some(qual())))).status,
            ReconcileStatus::Ineligible
        );
        assert_eq!(
            classify(&declared(), &patient(), Some(&answer("3", None))).status,
            ReconcileStatus::Ineligible
        );
    }

    #[test]
    fn doubtful_answers_need_a_person() {
        use ReconcileStatus::*;
        assert_eq!(
            classify(&declared(), &patient(), Some(&answer("4", None))).status,
            NotFound
        );
        assert_eq!(
            classify(&declared(), &patient(), Some(&answer("5", None))).status,
            NeedsManual
        );
        assert_eq!(
            classify(&declared(), &patient(), Some(&answer("1", None))).status,
            NeedsManual,
            "valid but empty contradicts itself"
        );
        assert_eq!(
            classify(&declared(), &patient(), Some(&answer("7", None))).status,
            NeedsManual
        );
        let mut q = qual();
        q.birth_date = NaiveDate::from_ymd_opt(1970, 3, 2);
        let v = classify(&declared(), &patient(), Some(&answer("1", Some(q))));
        assert_eq!(v.status, NeedsManual);
        assert!(v.differences.iter().any(|d| d.field == "birth_date"));
        assert_eq!(
            classify(&declared(), &patient(), None).status,
            NeedsManual,
            "不詳"
        );
    }

    #[test]
    fn no_usable_answer_stays_queued() {
        let none = VerifyOutcome::NoAnswer {
            reason: NoAnswerReason::Timeout { waited_ms: 30_000 },
        };
        assert_eq!(
            classify(&declared(), &patient(), Some(&none)).status,
            ReconcileStatus::NoAnswer
        );
        let abnormal = VerifyOutcome::Answered(VerifyResult {
            segment_of_result: "9".into(),
            error_code: Some("E01".into()),
            ..Default::default()
        });
        let v = classify(&declared(), &patient(), Some(&abnormal));
        assert_eq!(v.status, ReconcileStatus::NoAnswer);
        assert!(v.reason_ja.contains("E01"), "codes kept verbatim");
    }

    #[test]
    fn a_different_copay_is_a_change() {
        let mut q = qual();
        q.copay_percent = Some(20);
        let v = classify(&declared(), &patient(), Some(&answer("1", Some(q))));
        assert_eq!(v.status, ReconcileStatus::Changed);
        assert_eq!(v.differences[0].field, "copay_percent");
    }
}
