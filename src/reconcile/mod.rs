//! Reconciliation: comparing what a patient declared with what the national service says.
//!
//! [`classify`] is pure: given the declaration and the service's answer it returns the status
//! of the contract (`match`, `changed`, `ineligible`, `not_found`, `needs_manual`,
//! `no_answer`) with field-by-field differences. It never settles anything doubtful: a result
//! that contradicts itself, a different birth date or several matches all need a person.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::text::{kana_key, name_key, normalize_number, to_half_width_ascii};
use crate::domain::types::string_enum;
use crate::domain::{Insurance, InsuranceKind, PatientDetails};
use crate::qualification::{
    Validity, VerifiedQualification, VerifyOutcome, VerifyRequest, VerifyResult,
};

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

/// The request that re-verifies a declaration for the visit on `visit_date`, or None on the
/// 不詳 path (no numbers).
pub fn request_for(
    id: &str,
    insurance: &Insurance,
    birth_date: NaiveDate,
    visit_date: NaiveDate,
) -> Option<VerifyRequest> {
    Some(VerifyRequest {
        id: id.to_string(),
        insurer_number: insurance.insurer_number.clone()?,
        symbol: insurance.symbol.clone(),
        number: insurance.number.clone()?,
        branch: insurance.branch.clone(),
        birth_date,
        confirmation_date: visit_date,
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

/// Everything in an answer that says it may not be about this request or this patient. Empty
/// means the answer proves, as far as it can, that it answers what was asked.
pub fn doubts(req: &VerifyRequest, patient: &PatientDetails, result: &VerifyResult) -> Vec<String> {
    let mut out = result.doubts.clone();
    if let Some(code) = result
        .error_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        out.push(format!("正常終了なのにエラーコード {code} があります"));
    }
    let ymd = |d: NaiveDate| d.format("%Y%m%d").to_string();
    if let Some(day) = &result.confirmation_date {
        if day.trim() != ymd(req.confirmation_date) {
            out.push(format!(
                "確認日が照会した受診日と違います: {} ≠ {}",
                day.trim(),
                ymd(req.confirmation_date)
            ));
        }
    }
    // The echo of what was asked must name what was asked.
    let sent = [
        ("InsurerNumber", "保険者番号", req.insurer_number.clone()),
        ("InsuredCardSymbol", "記号", req.symbol.clone()),
        ("InsuredIdentificationNumber", "番号", req.number.clone()),
        ("InsuredBranchNumber", "枝番", req.branch.clone()),
        ("Birthdate", "生年月日", ymd(req.birth_date)),
    ];
    for (key, label, value) in sent {
        if let Some(echo) = result.echo.get(key) {
            let (e, v) = (normalize_number(echo), normalize_number(&value));
            let same = e == v
                || (key == "InsuredBranchNumber"
                    && e.trim_start_matches('0') == v.trim_start_matches('0'));
            if !same {
                out.push(format!(
                    "照会内容の控えの{label}が送った内容と違います: {echo} ≠ {value}"
                ));
            }
        }
    }
    // Every person in the answer must be this patient.
    let valid = result.validity.as_ref().is_some_and(Validity::is_valid);
    for (n, q) in result.qualifications.iter().enumerate() {
        let which = if result.qualifications.len() > 1 {
            format!("{}件目の", n + 1)
        } else {
            String::new()
        };
        match q.birth_date {
            None if valid || n > 0 => out.push(format!("結果{which}に生年月日がないか読めません")),
            Some(b) if n > 0 && b != patient.birth_date => {
                out.push(format!("結果{which}の生年月日 {b} が別の人です"))
            }
            _ => {}
        }
        if !q.name.trim().is_empty() && name_key(&q.name) != name_key(&patient.name) {
            out.push(format!(
                "結果{which}の氏名「{}」が患者「{}」と違います",
                q.name.trim(),
                patient.name
            ));
        }
        if !q.kana.trim().is_empty() && kana_key(&q.kana) != kana_key(&patient.kana) {
            out.push(format!(
                "結果{which}のカナ「{}」が患者「{}」と違います",
                q.kana.trim(),
                patient.kana
            ));
        }
        if let Some(sex) = q.sex.filter(|s| *s != patient.sex) {
            out.push(format!("結果{which}の性別（{}）が患者と違います", sex.ja()));
        }
    }
    if valid {
        if let Some(loss) = result
            .qualifications
            .first()
            .and_then(|q| q.disqualification_date)
        {
            if loss < req.confirmation_date {
                out.push(format!(
                    "有効とされましたが、喪失日 {loss} が受診日より前です（結果が矛盾しています）"
                ));
            }
        }
    }
    out
}

/// Sorts one record by the service's answer.
pub fn classify(
    declared: &Insurance,
    patient: &PatientDetails,
    exchange: Option<(&VerifyRequest, &VerifyOutcome)>,
) -> Verdict {
    use ReconcileStatus::*;
    let Some((request, outcome)) = exchange else {
        if declared.is_public_only() {
            return Verdict::new(
                NeedsManual,
                "公費単独（生活保護など）は健康保険の資格確認では照会できません。受給者証または福祉事務所で公費の資格を確認してください",
            );
        }
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
    // An answer that is not clearly about this patient and this request settles nothing, and
    // its numbers are not offered as verified.
    let doubts = doubts(request, patient, result);
    if !doubts.is_empty() {
        return Verdict::new(
            NeedsManual,
            format!("資格確認の結果を信頼できません: {}", doubts.join(" ／ ")),
        );
    }
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
    use crate::qualification::NoAnswerReason;

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

    fn request() -> VerifyRequest {
        request_for(
            "V1",
            &declared(),
            patient().birth_date,
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap()
    }

    /// The verdict on `outcome` as the answer to [`request`].
    fn ask(outcome: &VerifyOutcome) -> Verdict {
        classify(&declared(), &patient(), Some((&request(), outcome)))
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
        let v = ask(&answer("1", Some(qual())));
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
        let v = ask(&answer("1", Some(q)));
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
        assert_eq!(ask(&answer("3", Some(q))).status, ReconcileStatus::Changed);
        assert_eq!(
            ask(&answer("2", Some(qual()))).status,
            ReconcileStatus::Ineligible
        );
        assert_eq!(ask(&answer("3", None)).status, ReconcileStatus::Ineligible);
    }

    #[test]
    fn doubtful_answers_need_a_person() {
        use ReconcileStatus::*;
        assert_eq!(ask(&answer("4", None)).status, NotFound);
        assert_eq!(ask(&answer("5", None)).status, NeedsManual);
        assert_eq!(
            ask(&answer("1", None)).status,
            NeedsManual,
            "valid but empty contradicts itself"
        );
        assert_eq!(ask(&answer("7", None)).status, NeedsManual);
        let mut q = qual();
        q.birth_date = NaiveDate::from_ymd_opt(1970, 3, 2);
        let v = ask(&answer("1", Some(q)));
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
        assert_eq!(ask(&none).status, ReconcileStatus::NoAnswer);
        let abnormal = VerifyOutcome::Answered(VerifyResult {
            segment_of_result: "9".into(),
            error_code: Some("E01".into()),
            ..Default::default()
        });
        let v = ask(&abnormal);
        assert_eq!(v.status, ReconcileStatus::NoAnswer);
        assert!(v.reason_ja.contains("E01"), "codes kept verbatim");
    }

    #[test]
    fn a_different_copay_is_a_change() {
        let mut q = qual();
        q.copay_percent = Some(20);
        let v = ask(&answer("1", Some(q)));
        assert_eq!(v.status, ReconcileStatus::Changed);
        assert_eq!(v.differences[0].field, "copay_percent");
    }

    /// An answer to [`request`] that would settle as `match`, with `change` applied: the
    /// hostile tester's variants below each turn one thing.
    fn hostile(change: impl FnOnce(&mut VerifyResult)) -> Verdict {
        let VerifyOutcome::Answered(mut r) = answer("1", Some(qual())) else {
            unreachable!()
        };
        r.echo = [
            ("InsurerNumber", "01130012"),
            ("InsuredCardSymbol", "12-34"),
            ("InsuredIdentificationNumber", "5678"),
            ("InsuredBranchNumber", "01"),
            ("Birthdate", "19700301"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        r.confirmation_date = Some("20261125".into());
        r.qualifications[0].name = "山田 太郎".into();
        r.qualifications[0].kana = "ﾔﾏﾀﾞ ﾀﾛｳ".into();
        r.qualifications[0].sex = Some(Sex::Male);
        change(&mut r);
        ask(&VerifyOutcome::Answered(r))
    }

    #[test]
    fn an_answer_that_proves_it_is_about_this_patient_still_matches() {
        assert_eq!(hostile(|_| {}).status, ReconcileStatus::Match);
        // Widths, padding and a one-digit branch are not differences.
        let v = hostile(|r| {
            r.echo
                .insert("InsurerNumber".into(), "０１１３００１２".into());
            r.echo.insert("InsuredBranchNumber".into(), "1".into());
            r.qualifications[0].name = "山田　太郎".into();
        });
        assert_eq!(v.status, ReconcileStatus::Match, "{v:?}");
    }

    #[test]
    fn answers_not_clearly_about_this_request_never_settle() {
        use ReconcileStatus::*;
        type Change = Box<dyn FnOnce(&mut VerifyResult)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "doubt from the reader",
                Box::new(|r| r.doubts.push("要素が2回".into())),
            ),
            (
                "echo of other numbers",
                Box::new(|r| {
                    r.echo
                        .insert("InsuredIdentificationNumber".into(), "9999".into());
                }),
            ),
            (
                "echo of another insurer",
                Box::new(|r| {
                    r.echo.insert("InsurerNumber".into(), "06130016".into());
                }),
            ),
            (
                "echo of another birth date",
                Box::new(|r| {
                    r.echo.insert("Birthdate".into(), "19700302".into());
                }),
            ),
            (
                "another confirmation day",
                Box::new(|r| r.confirmation_date = Some("20261201".into())),
            ),
            (
                "birth date missing",
                Box::new(|r| r.qualifications[0].birth_date = None),
            ),
            (
                "another name",
                Box::new(|r| r.qualifications[0].name = "山田 花子".into()),
            ),
            (
                "another kana",
                Box::new(|r| r.qualifications[0].kana = "ﾔﾏﾀﾞ ﾊﾅｺ".into()),
            ),
            (
                "another sex",
                Box::new(|r| r.qualifications[0].sex = Some(Sex::Female)),
            ),
            (
                "a second record of another person",
                Box::new(|r| {
                    let mut other = r.qualifications[0].clone();
                    other.name = "鈴木 一郎".into();
                    other.birth_date = NaiveDate::from_ymd_opt(1980, 1, 1);
                    r.qualifications.push(other);
                }),
            ),
            (
                "lost before the visit yet valid",
                Box::new(|r| {
                    r.qualifications[0].disqualification_date =
                        NaiveDate::from_ymd_opt(2026, 10, 31);
                }),
            ),
            (
                "an error code on a normal end",
                Box::new(|r| r.error_code = Some("E1234".into())),
            ),
        ];
        for (what, change) in cases {
            let v = hostile(change);
            assert_eq!(v.status, NeedsManual, "{what}: {v:?}");
            assert!(
                v.reason_ja.contains("信頼できません"),
                "{what}: the clerk is told why"
            );
            assert!(v.verified.is_none(), "{what}: nothing offered as verified");
        }
    }

    #[test]
    fn duplicated_key_elements_are_doubts_when_read() {
        use crate::qualification::xml::parse_result;
        let ok = r#"<?xml version="1.0" encoding="UTF-8"?>
<XmlMsg><MessageHeader><SegmentOfResult>1</SegmentOfResult>SEG</MessageHeader>
<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>
<QualificationValidity>2</QualificationValidity>VAL
<ResultList><ResultOfQualificationConfirmation><Birthdate>19700301</Birthdate>
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"#;
        let plain = parse_result(ok.replace("SEG", "").replace("VAL", "").as_bytes()).unwrap();
        assert!(plain.doubts.is_empty(), "{:?}", plain.doubts);
        for (seg, val) in [
            ("<SegmentOfResult>1</SegmentOfResult>", ""),
            ("", "<QualificationValidity>1</QualificationValidity>"),
        ] {
            let r = parse_result(ok.replace("SEG", seg).replace("VAL", val).as_bytes()).unwrap();
            assert!(!r.doubts.is_empty(), "{seg}{val}: first wins silently");
            let v = ask(&VerifyOutcome::Answered(r));
            assert_eq!(v.status, ReconcileStatus::NeedsManual, "{v:?}");
        }
    }

    #[test]
    fn a_public_only_record_is_looked_up_by_hand_not_as_fushou() {
        let mut ins = declared();
        ins.kind = InsuranceKind::PublicOnly;
        ins.insurer_number = None;
        ins.number = None;
        let v = classify(&ins, &patient(), None);
        assert_eq!(v.status, ReconcileStatus::NeedsManual);
        assert!(
            v.reason_ja.contains("公費単独") && !v.reason_ja.contains("不詳"),
            "{v:?}"
        );
    }

    #[test]
    fn the_request_asks_about_the_visit_day() {
        let r = request();
        assert_eq!(
            r.confirmation_date,
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
        );
    }
}
