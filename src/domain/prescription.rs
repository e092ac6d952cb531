//! The paper prescription (処方箋) as typed values, and the checks made before it is printed.
//!
//! The input arrives as the `prescribe` JSON of the command-line contract ([`PrescriptionInput`]);
//! [`PrescriptionInput::validate`] turns it into a [`Prescription`] or returns every problem at
//! once, each naming its field (`rps[0].drugs[1].name`) so a form can mark all of them.
//!
//! Limits come from two places: what makes medical sense on an outage day (a day count of 0 or
//! 400 is a typing mistake), and what the JAHIS 2D symbol can carry (RP番号 3 digits, RP内連番
//! 2 digits, 薬品名称 40 characters, 用法名称 50, 単位名 6, 用量 6+5 digits). A field that does not
//! fit the symbol is refused rather than silently cut, because the pharmacy reads the symbol.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::text::to_half_width_ascii;
use super::wareki::parse_date;
use crate::error::{Error, FieldError};

/// 剤形: how an RP is taken. Decides what `days` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DoseForm {
    /// 内服: `days` is the number of days (日分); a drug's amount is the daily amount.
    Internal,
    /// 頓服: `days` is the number of times (回分); a drug's amount is per dose.
    Prn,
    /// 外用: no day count; a drug's amount is the total.
    External,
}

impl DoseForm {
    /// 剤形区分 of JAHIS record 101: 1 内服, 2 頓服, 3 外用.
    pub fn jahis_code(self) -> u8 {
        match self {
            DoseForm::Internal => 1,
            DoseForm::Prn => 2,
            DoseForm::External => 3,
        }
    }
    pub fn ja(self) -> &'static str {
        match self {
            DoseForm::Internal => "内服",
            DoseForm::Prn => "頓服",
            DoseForm::External => "外用",
        }
    }
}

/// One drug line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drug {
    /// As the doctor wrote it (`アムロジピン錠5mg`, `【般】...`). Kept exactly as typed.
    pub name: String,
    /// Half-width decimal, normalised (`1`, `0.5`, `1.5`): daily amount for 内服, per dose for
    /// 頓服, total for 外用.
    pub amount: String,
    pub unit: String,
    /// 変更不可（医療上必要）: the pharmacy may not switch to a generic.
    pub no_substitution: bool,
    /// 患者希望: the patient asked for the brand-name drug (選定療養).
    pub patient_request: bool,
}

/// One RP (剤): drugs taken the same way for the same time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rp {
    pub form: DoseForm,
    /// 用法 (`1日1回朝食後`).
    pub usage: String,
    /// Days for 内服, times for 頓服, None for 外用.
    pub days: Option<u32>,
    pub drugs: Vec<Drug>,
}

/// A validated prescription, ready to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prescription {
    pub issued_on: NaiveDate,
    /// 保険医氏名.
    pub doctor: String,
    pub rps: Vec<Rp>,
    /// リフィル可 and its total number of uses (1..=3, as the form's 「（　回）」 and JAHIS record 64
    /// take it); None: not a refill prescription. Allowed with any dose form, 頓服 included: the
    /// rule that refills exclude 投薬量に限度のある医薬品 and 湿布薬 needs drug data this program
    /// does not have, so it stays the doctor's call and is not checked here.
    pub refill_count: Option<u8>,
    /// 備考 as typed (may hold several lines).
    pub remarks: String,
    /// 使用期間: the last day the pharmacy may accept it, when the doctor sets one other than
    /// the 4 days the form prints (JAHIS record 52).
    #[serde(default)]
    pub valid_until: Option<NaiveDate>,
    /// The 残薬 instruction the doctor ticks (JAHIS record 62).
    #[serde(default)]
    pub leftover: Option<Leftover>,
}

/// 「保険薬局が調剤時に残薬を確認した場合の対応」: what the pharmacy does when it finds the patient
/// has medicine left over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Leftover {
    /// 保険医療機関へ疑義照会した上で調剤 (62,1).
    Inquire,
    /// 保険医療機関へ情報提供 (62,2).
    Inform,
}

impl Leftover {
    pub fn jahis_code(self) -> u8 {
        match self {
            Leftover::Inquire => 1,
            Leftover::Inform => 2,
        }
    }
}

impl Prescription {
    /// True when any drug is marked 変更不可: the form then needs the 保険医署名 in 備考.
    pub fn needs_doctor_signature(&self) -> bool {
        self.rps
            .iter()
            .flat_map(|rp| &rp.drugs)
            .any(|d| d.no_substitution)
    }
}

/// The `prescribe` JSON exactly as the command-line contract defines it. Loose types (strings,
/// signed numbers) so that wrong values reach [`validate`](Self::validate) and are reported with
/// the others instead of failing the parse on the first one.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrescriptionInput {
    pub visit_id: String,
    pub doctor: String,
    pub issued_on: String,
    pub rps: Vec<RpInput>,
    #[serde(default)]
    pub refill_count: Option<i64>,
    #[serde(default)]
    pub remarks: Option<String>,
    /// Why 交付年月日 is neither the visit's day nor today (a paper prescription written up
    /// later, say). Required then, and kept with the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on_reason: Option<String>,
    /// 使用期間 (`YYYY-MM-DD` or 和暦): the last day the prescription may be used, when not the
    /// default 4 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// The 残薬 instruction: `inquire` (疑義照会した上で調剤) or `inform` (情報提供).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leftover: Option<String>,
}

/// 交付年月日 is the day of the visit, or today. Any other day needs a reason; a day in the
/// future, or before the patient was born, is never accepted.
pub fn check_issued_on(
    issued: NaiveDate,
    visit_day: NaiveDate,
    today: NaiveDate,
    birth: NaiveDate,
    reason: Option<&str>,
) -> Result<(), FieldError> {
    let err = |ja: String, en: &str| Err(FieldError::new("issued_on", "交付年月日", ja, en));
    if issued > today {
        return err(format!("{issued} は未来の日付です"), "is in the future");
    }
    if issued < birth {
        return err(
            format!("{issued} は患者の生年月日より前です"),
            "is before the patient's birth",
        );
    }
    let has_reason = reason.is_some_and(|r| !r.trim().is_empty());
    if issued != visit_day && issued != today && !has_reason {
        return err(
            format!(
                "交付年月日は受診日（{visit_day}）か本日（{today}）です。別の日にするときは理由（issued_on_reason）を入力してください"
            ),
            "must be the visit day or today; another day needs issued_on_reason",
        );
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RpInput {
    pub form: DoseForm,
    pub usage: String,
    #[serde(default)]
    pub days: Option<i64>,
    pub drugs: Vec<DrugInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DrugInput {
    pub name: String,
    pub amount: String,
    pub unit: String,
    #[serde(default)]
    pub no_substitution: bool,
    #[serde(default)]
    pub patient_request: bool,
}

/// Longest 内服 course accepted. Long-term prescriptions of 90 days exist; beyond a year is a
/// typing mistake.
pub const MAX_INTERNAL_DAYS: i64 = 365;
/// 頓服 times: the JAHIS 調剤数量 has 3 digits, but more than 99 doses is a typing mistake.
pub const MAX_PRN_TIMES: i64 = 99;
/// RP番号 has 3 digits in the JAHIS symbol; no paper form holds more anyway.
pub const MAX_RPS: usize = 99;
/// RP内連番 has 2 digits.
pub const MAX_DRUGS_PER_RP: usize = 99;
/// 薬品名称 N40, 用法名称 N50, 単位名 N6, 医師漢字氏名 N20 (characters) in the JAHIS symbol.
pub const MAX_DRUG_NAME: usize = 40;
pub const MAX_USAGE: usize = 50;
pub const MAX_UNIT: usize = 6;
pub const MAX_DOCTOR: usize = 20;
/// 備考 lines are printed in a box of a few lines; more belongs on a separate note.
pub const MAX_REMARKS: usize = 300;

/// Parses the `prescribe` JSON; an unknown or mistyped key names its path.
pub fn parse_input(json: &str) -> Result<PrescriptionInput, Error> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        Error::field(
            &path,
            "処方箋データ",
            format!("JSONを読めません: {}", e.inner()),
            format!("cannot read the JSON: {}", e.inner()),
        )
    })
}

impl PrescriptionInput {
    /// Checks every field and returns the prescription, or every problem found.
    pub fn validate(&self) -> Result<Prescription, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut err = |field: String, label: &str, ja: String, en: String| {
            errs.push(FieldError::new(field, label, ja, en));
        };

        if self.visit_id.trim().is_empty() {
            err(
                "visit_id".into(),
                "受付ID",
                "入力されていません".into(),
                "missing".into(),
            );
        }
        let doctor = tidy(&self.doctor);
        if doctor.is_empty() {
            err(
                "doctor".into(),
                "保険医氏名",
                "入力されていません".into(),
                "missing".into(),
            );
        } else if doctor.chars().count() > MAX_DOCTOR {
            err(
                "doctor".into(),
                "保険医氏名",
                too_long_ja(MAX_DOCTOR),
                too_long_en(MAX_DOCTOR),
            );
        }
        let issued_on = match parse_date(&self.issued_on) {
            Ok(d) => Some(d),
            Err(e) => {
                err(
                    "issued_on".into(),
                    "交付年月日",
                    e.message_ja(),
                    e.message_en(),
                );
                None
            }
        };
        let valid_until = match self.valid_until.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => match parse_date(text) {
                Ok(d) if issued_on.is_some_and(|i| d < i) => {
                    err(
                        "valid_until".into(),
                        "使用期間",
                        "使用期間は交付年月日より後の日付です".into(),
                        "must not be before issued_on".into(),
                    );
                    None
                }
                Ok(d) => Some(d),
                Err(e) => {
                    err(
                        "valid_until".into(),
                        "使用期間",
                        e.message_ja(),
                        e.message_en(),
                    );
                    None
                }
            },
        };
        let leftover = match self.leftover.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("inquire" | "1") => Some(Leftover::Inquire),
            Some("inform" | "2") => Some(Leftover::Inform),
            Some(other) => {
                err(
                    "leftover".into(),
                    "残薬確認時の対応",
                    format!(
                        "{other} は選べません（inquire: 疑義照会した上で調剤、inform: 情報提供）"
                    ),
                    "must be inquire | inform".into(),
                );
                None
            }
        };
        let refill_count = match self.refill_count {
            None => None,
            Some(n @ 1..=3) => Some(n as u8),
            Some(_) => {
                err(
                    "refill_count".into(),
                    "リフィル可（回）",
                    "リフィルの回数は1〜3回です".into(),
                    "refill uses must be 1 to 3".into(),
                );
                None
            }
        };
        let remarks = self.remarks.clone().unwrap_or_default();
        if remarks.chars().count() > MAX_REMARKS {
            err(
                "remarks".into(),
                "備考",
                too_long_ja(MAX_REMARKS),
                too_long_en(MAX_REMARKS),
            );
        }

        if self.rps.is_empty() {
            err(
                "rps".into(),
                "処方",
                "処方がありません".into(),
                "no RP".into(),
            );
        } else if self.rps.len() > MAX_RPS {
            err(
                "rps".into(),
                "処方",
                format!("RPは{MAX_RPS}件までです"),
                format!("at most {MAX_RPS} RPs"),
            );
        }

        let mut rps = Vec::with_capacity(self.rps.len());
        for (i, rp) in self.rps.iter().enumerate() {
            let at = |f: &str| format!("rps[{i}].{f}");
            let usage = tidy(&rp.usage);
            if usage.is_empty() {
                err(
                    at("usage"),
                    "用法",
                    "入力されていません".into(),
                    "missing".into(),
                );
            } else if usage.chars().count() > MAX_USAGE {
                err(
                    at("usage"),
                    "用法",
                    too_long_ja(MAX_USAGE),
                    too_long_en(MAX_USAGE),
                );
            }
            let days = match (rp.form, rp.days) {
                (DoseForm::External, None) => None,
                (DoseForm::External, Some(_)) => {
                    err(
                        at("days"),
                        "日数",
                        "外用薬には日数を書きません（総量を分量に書きます）".into(),
                        "no day count for external use (give the total as the amount)".into(),
                    );
                    None
                }
                (DoseForm::Internal, None) => {
                    err(
                        at("days"),
                        "日数",
                        "内服薬の日数がありません".into(),
                        "days missing for internal use".into(),
                    );
                    None
                }
                (DoseForm::Prn, None) => {
                    err(
                        at("days"),
                        "回数",
                        "頓服の回数がありません".into(),
                        "times missing for PRN".into(),
                    );
                    None
                }
                (DoseForm::Internal, Some(d)) if !(1..=MAX_INTERNAL_DAYS).contains(&d) => {
                    err(
                        at("days"),
                        "日数",
                        format!("日数は1〜{MAX_INTERNAL_DAYS}日です"),
                        format!("days must be 1 to {MAX_INTERNAL_DAYS}"),
                    );
                    None
                }
                (DoseForm::Prn, Some(d)) if !(1..=MAX_PRN_TIMES).contains(&d) => {
                    err(
                        at("days"),
                        "回数",
                        format!("頓服の回数は1〜{MAX_PRN_TIMES}回です"),
                        format!("PRN times must be 1 to {MAX_PRN_TIMES}"),
                    );
                    None
                }
                (_, Some(d)) => Some(d as u32),
            };
            if rp.drugs.is_empty() {
                err(
                    at("drugs"),
                    "薬品",
                    "薬品がありません".into(),
                    "no drug in this RP".into(),
                );
            } else if rp.drugs.len() > MAX_DRUGS_PER_RP {
                err(
                    at("drugs"),
                    "薬品",
                    format!("1つのRPの薬品は{MAX_DRUGS_PER_RP}件までです"),
                    format!("at most {MAX_DRUGS_PER_RP} drugs per RP"),
                );
            }
            let mut drugs = Vec::with_capacity(rp.drugs.len());
            for (j, d) in rp.drugs.iter().enumerate() {
                let at = |f: &str| format!("rps[{i}].drugs[{j}].{f}");
                let name = tidy(&d.name);
                if name.is_empty() {
                    err(
                        at("name"),
                        "薬品名",
                        "入力されていません".into(),
                        "missing".into(),
                    );
                } else if name.chars().count() > MAX_DRUG_NAME {
                    err(
                        at("name"),
                        "薬品名",
                        too_long_ja(MAX_DRUG_NAME),
                        too_long_en(MAX_DRUG_NAME),
                    );
                }
                let amount = match normalize_amount(&d.amount) {
                    Ok(a) => a,
                    Err((ja, en)) => {
                        err(at("amount"), "分量", ja.into(), en.into());
                        String::new()
                    }
                };
                let unit = tidy(&d.unit);
                if unit.is_empty() {
                    err(
                        at("unit"),
                        "単位",
                        "入力されていません".into(),
                        "missing".into(),
                    );
                } else if unit.chars().count() > MAX_UNIT {
                    err(
                        at("unit"),
                        "単位",
                        too_long_ja(MAX_UNIT),
                        too_long_en(MAX_UNIT),
                    );
                }
                if d.no_substitution && d.patient_request {
                    // 変更不可 is the doctor's medical reason, 患者希望 the patient's choice of the
                    // brand (選定療養): the 記載要領 has one or the other ticked, and a pharmacy
                    // bills them differently.
                    err(
                        at("patient_request"),
                        "患者希望",
                        "「変更不可」と「患者希望」は同じ薬品に両方は付けられません。どちらか一方にしてください".into(),
                        "a drug cannot be both no_substitution and patient_request; choose one".into(),
                    );
                }
                drugs.push(Drug {
                    name,
                    amount,
                    unit,
                    no_substitution: d.no_substitution,
                    patient_request: d.patient_request,
                });
            }
            rps.push(Rp {
                form: rp.form,
                usage,
                days,
                drugs,
            });
        }

        match (errs.is_empty(), issued_on) {
            (true, Some(issued_on)) => Ok(Prescription {
                issued_on,
                doctor,
                rps,
                refill_count,
                remarks,
                valid_until,
                leftover,
            }),
            _ => Err(errs),
        }
    }
}

/// Trims ASCII and ideographic spaces and collapses inner runs to one half-width space (the
/// JAHIS rule for names: one space between family and given name, no other spaces).
fn tidy(s: &str) -> String {
    s.split(|c: char| c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `１．５` → `1.5`; `0.50` → `0.5`; refuses zero, negatives, fractions and more than 6+5 digits
/// (the JAHIS 用量 field).
pub fn normalize_amount(input: &str) -> Result<String, (&'static str, &'static str)> {
    let s: String = to_half_width_ascii(input)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if s.is_empty() {
        return Err(("入力されていません", "missing"));
    }
    let bad = (
        "数字で入力してください（例: 1、0.5）",
        "must be a number (e.g. 1, 0.5)",
    );
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s.as_str(), ""),
    };
    // `.5` is accepted as 0.5; a lone `.` is not a number.
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad);
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    if int.len() > 6 || frac.len() > 5 {
        return Err((
            "桁数が多すぎます（整数6桁・小数5桁まで）",
            "too many digits (6 integer, 5 decimal)",
        ));
    }
    if int.is_empty() && frac.is_empty() {
        return Err(("0より大きい数を入力してください", "must be more than 0"));
    }
    let int = if int.is_empty() { "0" } else { int };
    Ok(if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    })
}

fn too_long_ja(max: usize) -> String {
    format!("{max}文字までです")
}
fn too_long_en(max: usize) -> String {
    format!("at most {max} characters")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_on_is_the_visit_day_or_today_else_a_reason() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let birth = d(1, 1);
        let (visit, today) = (d(11, 25), d(11, 27));
        assert!(check_issued_on(visit, visit, today, birth, None).is_ok());
        assert!(check_issued_on(today, visit, today, birth, None).is_ok());
        let e = check_issued_on(d(11, 26), visit, today, birth, None).unwrap_err();
        assert_eq!(e.field, "issued_on");
        assert!(check_issued_on(d(11, 26), visit, today, birth, Some("後日記載")).is_ok());
        assert!(
            check_issued_on(d(11, 28), visit, today, birth, Some("x")).is_err(),
            "future"
        );
        assert!(
            check_issued_on(d(11, 26), visit, today, d(11, 27), Some("x")).is_err(),
            "before birth"
        );
    }

    #[test]
    fn no_substitution_and_patient_request_on_one_drug_are_refused() {
        let mut input = sample();
        input.rps[0].drugs[0].no_substitution = true;
        input.rps[0].drugs[0].patient_request = true;
        let errs = input.validate().unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.field == "rps[0].drugs[0].patient_request"
                    && e.message_ja.contains("両方は付けられません")),
            "{errs:?}"
        );
        input.rps[0].drugs[0].patient_request = false;
        assert!(input.validate().is_ok());
    }

    fn sample() -> PrescriptionInput {
        parse_input(
            r#"{"visit_id": "v1", "doctor": "工業会　次郎", "issued_on": "2026-11-25",
                "rps": [{"form": "internal", "usage": "1日1回朝食後", "days": 28,
                  "drugs": [{"name": "アムロジピン錠5mg", "amount": "１", "unit": "錠",
                             "no_substitution": false, "patient_request": false}]}],
                "refill_count": null, "remarks": ""}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_contract_example_validates() {
        let p = sample().validate().unwrap();
        assert_eq!(p.doctor, "工業会 次郎");
        assert_eq!(p.rps[0].days, Some(28));
        assert_eq!(p.rps[0].drugs[0].amount, "1");
        assert!(!p.needs_doctor_signature());
    }

    #[test]
    fn unknown_keys_are_refused_with_their_path() {
        let e = parse_input(r#"{"visit_id":"v","doctor":"d","issued_on":"2026-11-25","rps":[{"form":"internal","usage":"u","days":1,"drugs":[{"name":"n","amount":"1","unit":"錠","dose":1}]}]}"#)
            .unwrap_err();
        assert!(e.to_string().contains("rps[0].drugs[0]"), "{e}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mut input = sample();
        input.doctor = " ".into();
        input.refill_count = Some(4);
        input.rps[0].days = Some(0);
        input.rps[0].drugs[0].name = "".into();
        input.rps[0].drugs[0].amount = "0".into();
        input.rps.push(RpInput {
            form: DoseForm::External,
            usage: "1日2回".into(),
            days: Some(5),
            drugs: vec![],
        });
        input.rps.push(RpInput {
            form: DoseForm::Prn,
            usage: "疼痛時".into(),
            days: Some(100),
            drugs: vec![],
        });
        let errs = input.validate().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "doctor",
                "refill_count",
                "rps[0].days",
                "rps[0].drugs[0].name",
                "rps[0].drugs[0].amount",
                "rps[1].days",
                "rps[1].drugs",
                "rps[2].days",
                "rps[2].drugs",
            ]
        );
    }

    #[test]
    fn day_counts_follow_the_dose_form() {
        let mut input = sample();
        input.rps[0].days = None;
        assert_eq!(input.validate().unwrap_err()[0].field, "rps[0].days");
        input.rps[0].days = Some(366);
        assert_eq!(input.validate().unwrap_err()[0].field, "rps[0].days");
        input.rps[0].days = Some(365);
        assert!(input.validate().is_ok());
        input.rps[0].form = DoseForm::Prn;
        assert!(input.validate().is_err());
        input.rps[0].days = Some(10);
        assert!(input.validate().is_ok());
        input.rps[0].form = DoseForm::External;
        assert!(input.validate().is_err());
        input.rps[0].days = None;
        assert!(input.validate().is_ok());
    }

    #[test]
    fn amounts_are_normalised() {
        assert_eq!(normalize_amount("１．５０"), Ok("1.5".into()));
        assert_eq!(normalize_amount("007"), Ok("7".into()));
        assert_eq!(normalize_amount(".25"), Ok("0.25".into()));
        assert!(normalize_amount(".").is_err());
        assert_eq!(normalize_amount("0.25"), Ok("0.25".into()));
        assert!(normalize_amount("1/2").is_err());
        assert!(normalize_amount("-1").is_err());
        assert!(normalize_amount("1234567").is_err());
        assert!(normalize_amount("0.000001").is_err());
        assert!(normalize_amount("0.0").is_err());
    }
}
