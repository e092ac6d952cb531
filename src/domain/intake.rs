//! The intake form (被保険者資格申立書) as typed, and its validation.
//!
//! Input arrives as strings exactly as staff typed them (full-width digits, hiragana カナ, 和暦
//! dates). [`validate`] normalises, checks every field, and returns either a clean
//! [`ValidIntake`] with warnings, or every field error at once.

use chrono::NaiveDate;
use serde::Deserialize;

use super::copay::{age_band, allowed_copay_percents, default_copay_percent, AgeBand};
use super::numbers::{self, NumberProblem};
use super::text::{is_katakana, normalize_number, tidy_spaces, to_half_width_ascii, to_katakana};
use super::types::*;
use super::wareki::parse_date;
use crate::error::{FieldError, Warning};

/// How long a free-text field may be: what the paper prints. 氏名 and カナ are the JAHIS
/// prescription symbol's fields (患者漢字氏名 20 characters, 患者カナ氏名 40 half-width);
/// the others fit one line of the 申立書's boxes.
pub mod limits {
    pub const NAME: usize = 20;
    pub const KANA: usize = 40;
    pub const ADDRESS: usize = 80;
    pub const PHONE: usize = 20;
    pub const EMPLOYER: usize = 40;
    pub const INSURER_NAME: usize = 40;
}

/// Control characters and the invisible marks that change how text reads: direction marks
/// and overrides (LRM, RLM, RLO…), zero-width spaces and joiners, the BOM.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// Length of カナ written in half-width katakana, as the JAHIS field counts it: a voiced or
/// semi-voiced kana (ダ, パ) takes two.
fn half_width_len(kana: &str) -> usize {
    use unicode_normalization::UnicodeNormalization;
    kana.nfd().count()
}

/// The most 公費 a declaration can carry (the prescription has room for two; claims for three).
pub const MAX_PUBLIC_FUNDS: usize = 3;

/// The JSON accepted by `intake --json` (see the command-line contract). Unknown fields are
/// refused, so a misspelt key never silently drops data.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeInput {
    pub patient: PatientInput,
    pub insurance: InsuranceInput,
    pub basis: String,
    /// Attach to a known patient instead of registering a new one.
    #[serde(default)]
    pub patient_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsuranceInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub insurer_number: String,
    #[serde(default)]
    pub symbol: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub relationship: String,
    #[serde(default)]
    pub insurer_name: String,
    #[serde(default)]
    pub employer: String,
    #[serde(default)]
    pub copay_percent: Option<u8>,
    #[serde(default)]
    pub public_funds: Vec<PublicFundInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicFundInput {
    #[serde(default)]
    pub payer: String,
    #[serde(default)]
    pub recipient: String,
}

/// A validated intake: everything normalised and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidIntake {
    pub patient: PatientDetails,
    pub insurance: Insurance,
    pub basis: Basis,
}

/// Collects errors and warnings while checking a form.
#[derive(Default)]
struct Checker {
    errors: Vec<FieldError>,
    warnings: Vec<Warning>,
}

impl Checker {
    fn error(&mut self, field: &str, label: &str, ja: impl Into<String>, en: impl Into<String>) {
        self.errors.push(FieldError::new(field, label, ja, en));
    }
    fn warn(&mut self, field: &str, label: &str, ja: impl Into<String>, en: impl Into<String>) {
        self.warnings.push(FieldError::new(field, label, ja, en));
    }
    fn number_problem(&mut self, field: &str, label: &str, p: NumberProblem) {
        self.error(field, label, p.message_ja(), p.message_en());
    }
    /// A free-text field as typed: refused when it holds a control character or an invisible
    /// mark (direction overrides, zero-width spaces: they garble paper and can disguise a
    /// name), or is longer than the paper prints. Runs of spaces become one.
    fn free_text(&mut self, field: &str, label: &str, raw: &str, max: usize) -> String {
        if let Some(c) = raw.chars().find(|c| is_unprintable(*c)) {
            self.error(
                field,
                label,
                format!("制御文字や見えない文字（U+{:04X}）は使えません", c as u32),
                format!(
                    "control or invisible character U+{:04X} is not allowed",
                    c as u32
                ),
            );
        }
        let text = tidy_spaces(raw);
        if text.chars().count() > max {
            self.error(
                field,
                label,
                format!("{max}文字以内で入力してください（用紙に印字できる長さ）"),
                format!("at most {max} characters (what the paper prints)"),
            );
        }
        text
    }

    fn required(&mut self, field: &str, label: &str, value: &str) -> bool {
        if value.trim().is_empty() {
            self.error(field, label, "入力してください", "required");
            false
        } else {
            true
        }
    }
}

/// Checks patient details alone (also used when staff correct a patient).
pub fn validate_patient(
    input: &PatientInput,
    today: NaiveDate,
) -> Result<(PatientDetails, Vec<Warning>), Vec<FieldError>> {
    let mut c = Checker::default();
    let details = check_patient(&mut c, input, today);
    finish(c, details)
}

fn finish<T>(c: Checker, value: Option<T>) -> Result<(T, Vec<Warning>), Vec<FieldError>> {
    match value {
        Some(v) if c.errors.is_empty() => Ok((v, c.warnings)),
        _ => Err(c.errors),
    }
}

fn check_patient(c: &mut Checker, p: &PatientInput, today: NaiveDate) -> Option<PatientDetails> {
    let name = c.free_text("patient.name", "氏名", &p.name, limits::NAME);
    c.required("patient.name", "氏名", &name);

    c.free_text("patient.kana", "カナ", &p.kana, usize::MAX);
    let kana = to_katakana(&p.kana);
    if half_width_len(&kana) > limits::KANA {
        c.error(
            "patient.kana",
            "カナ",
            format!(
                "半角で{}文字以内で入力してください（濁点・半濁点は1文字）",
                limits::KANA
            ),
            format!("at most {} half-width characters", limits::KANA),
        );
    }
    if c.required("patient.kana", "カナ", &kana) && !is_katakana(&kana) {
        c.error(
            "patient.kana",
            "カナ",
            "カタカナ（またはひらがな）で入力してください",
            "must be katakana or hiragana",
        );
    }

    let birth = match parse_date(&p.birth_date) {
        Ok(d) if d > today => {
            c.error(
                "patient.birth_date",
                "生年月日",
                "未来の日付です",
                "is in the future",
            );
            None
        }
        Ok(d) if super::copay::age_on(d, today) > 125 => {
            c.error(
                "patient.birth_date",
                "生年月日",
                "年齢が125歳を超えています。入力を確認してください",
                "age over 125",
            );
            None
        }
        Ok(d) => Some(d),
        Err(e) => {
            c.error(
                "patient.birth_date",
                "生年月日",
                e.message_ja(),
                e.message_en(),
            );
            None
        }
    };

    let sex = match normalize_choice(&p.sex).as_str() {
        "male" | "m" | "男" | "男性" | "1" => Some(Sex::Male),
        "female" | "f" | "女" | "女性" | "2" => Some(Sex::Female),
        "" => {
            c.error(
                "patient.sex",
                "性別",
                "選択してください（男・女）",
                "required: male | female",
            );
            None
        }
        _ => {
            c.error(
                "patient.sex",
                "性別",
                "男・女のどちらかを選んでください",
                "must be male | female",
            );
            None
        }
    };

    let address = c.free_text("patient.address", "住所", &p.address, limits::ADDRESS);
    if address.is_empty() {
        c.warn(
            "patient.address",
            "住所",
            "住所がありません。回線復旧後の照会（緊急時医療情報・資格確認機能）と不詳請求の摘要に必要です",
            "missing: needed for the emergency lookup and for 不詳 claims",
        );
    }

    c.free_text("patient.phone", "電話番号", &p.phone, limits::PHONE);
    let phone = normalize_number(&p.phone);
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | '+'))
    {
        c.error(
            "patient.phone",
            "電話番号",
            "数字とハイフンで入力してください",
            "digits and hyphens only",
        );
    }

    Some(PatientDetails {
        name,
        kana,
        birth_date: birth?,
        sex: sex?,
        address,
        phone,
    })
}

fn normalize_choice(s: &str) -> String {
    to_half_width_ascii(s).to_ascii_lowercase()
}

/// Checks the whole intake form. `visit_date` decides the age rules for the co-payment.
pub fn validate(
    input: &IntakeInput,
    visit_date: NaiveDate,
) -> Result<(ValidIntake, Vec<Warning>), Vec<FieldError>> {
    let mut c = Checker::default();
    let patient = check_patient(&mut c, &input.patient, visit_date);
    let basis = check_basis(&mut c, &input.basis);
    let insurance = check_insurance(
        &mut c,
        &input.insurance,
        patient.as_ref().map(|p| p.birth_date),
        visit_date,
    );
    let valid = match (patient, insurance, basis) {
        (Some(patient), Some(insurance), Some(basis)) => Some(ValidIntake {
            patient,
            insurance,
            basis,
        }),
        _ => None,
    };
    finish(c, valid)
}

fn check_basis(c: &mut Checker, s: &str) -> Option<Basis> {
    let b = Basis::parse(&normalize_choice(s));
    if b.is_none() {
        c.error(
            "basis",
            "申告の根拠",
            format!("次のいずれかを指定してください: {}", Basis::choices_ja()),
            format!("must be one of {}", Basis::choices()),
        );
    }
    b
}

/// Checks the insurance part; `birth` (if known) drives the co-payment checks.
pub fn validate_insurance(
    input: &InsuranceInput,
    birth: NaiveDate,
    on: NaiveDate,
) -> Result<(Insurance, Vec<Warning>), Vec<FieldError>> {
    let mut c = Checker::default();
    let ins = check_insurance(&mut c, input, Some(birth), on);
    finish(c, ins)
}

fn check_insurance(
    c: &mut Checker,
    i: &InsuranceInput,
    birth: Option<NaiveDate>,
    on: NaiveDate,
) -> Option<Insurance> {
    let kind = match normalize_choice(&i.kind).as_str() {
        "" => {
            c.error(
                "insurance.kind",
                "保険の種類",
                format!("選択してください（{}）", InsuranceKind::choices_ja()),
                format!("required: {}", InsuranceKind::choices()),
            );
            None
        }
        k => {
            let kind = InsuranceKind::parse(k);
            if kind.is_none() {
                c.error(
                    "insurance.kind",
                    "保険の種類",
                    format!(
                        "次のいずれかを指定してください: {}",
                        InsuranceKind::choices_ja()
                    ),
                    format!("must be one of {}", InsuranceKind::choices()),
                );
            }
            kind
        }
    };

    let insurer = normalize_number(&i.insurer_number);
    let number = to_half_width_ascii(&i.number).replace(' ', "");
    let symbol = tidy_spaces(&to_half_width_ascii(&i.symbol));
    let branch_raw = normalize_number(&i.branch);
    let placeholders = insurer == numbers::FUSHOU_INSURER
        || number == numbers::FUSHOU_NUMBER
        || number == numbers::FUSHOU_NUMBER_KOUKI;
    let no_numbers = insurer.is_empty() && number.is_empty();
    let mut kind = kind?;
    let public_only = kind == InsuranceKind::PublicOnly;
    // 公費単独 has no numbers of its own and is not 不詳: it is billed to the 公費.
    let fushou = (no_numbers || placeholders) && !public_only;
    if public_only && !(no_numbers && symbol.is_empty() && branch_raw.is_empty()) {
        c.error(
            "insurance.insurer_number",
            "保険者番号",
            "公費単独（生活保護など）では保険者番号・記号・番号・枝番は入力しません。健康保険があるときは保険の種類を選び直してください",
            "public_only has no insurer, symbol, number or branch: choose the insurance kind if there is one",
        );
    }
    if public_only && i.public_funds.is_empty() {
        c.error(
            "insurance.public_funds",
            "公費",
            "公費単独では公費負担者番号・受給者番号を入力してください",
            "public_only needs at least one public fund (payer and recipient)",
        );
    }
    if placeholders && kind != InsuranceKind::Unknown {
        c.error(
            "insurance.insurer_number",
            "保険者番号",
            "77777777（不詳）は保険の種類が「わからない」のときだけ使えます",
            "the 不詳 placeholders are accepted only with kind \"unknown\"",
        );
    }

    let (insurer_number, insured_number) = if public_only {
        (None, None)
    } else if fushou {
        c.warn(
            "insurance.insurer_number",
            "保険者番号",
            "保険者番号・被保険者番号がわからないため「不詳」で受け付けます。回線復旧後に氏名・性別・生年月日・住所で照会が必要です",
            "numbers unknown: recorded as 不詳, to be looked up by name, sex, birth date and address",
        );
        (None, None)
    } else {
        if insurer.is_empty() {
            c.error(
                "insurance.insurer_number",
                "保険者番号",
                "番号がわかる場合は保険者番号も入力してください（不明なら番号欄を空に）",
                "required when the insured number is given",
            );
        } else if let Err(p) = numbers::validate_insurer_number(&insurer) {
            c.number_problem("insurance.insurer_number", "保険者番号", p);
        } else {
            kind = check_kind_matches_insurer(c, kind, &insurer);
        }
        if number.is_empty() {
            c.error(
                "insurance.number",
                "被保険者番号",
                "保険者番号がある場合は番号も入力してください",
                "required when the insurer number is given",
            );
        } else if number.chars().count() > 20 || number.chars().any(|ch| ch.is_control()) {
            c.error(
                "insurance.number",
                "被保険者番号",
                "20文字以内で入力してください",
                "at most 20 characters",
            );
        }
        (Some(insurer), Some(number))
    };

    if symbol.chars().count() > 38 {
        c.error(
            "insurance.symbol",
            "記号",
            "38文字以内で入力してください",
            "at most 38 characters",
        );
    }
    let branch = match branch_raw.len() {
        0 => String::new(),
        1 | 2 if branch_raw.bytes().all(|b| b.is_ascii_digit()) => format!("{branch_raw:0>2}"),
        _ => {
            c.error(
                "insurance.branch",
                "枝番",
                "2桁の数字で入力してください",
                "must be 2 digits",
            );
            String::new()
        }
    };

    let relationship = match normalize_choice(&i.relationship).as_str() {
        "" => {
            if !fushou && !public_only {
                c.error(
                    "insurance.relationship",
                    "本人・家族",
                    "本人か家族かを選んでください",
                    "required: self | family",
                );
            }
            None
        }
        "self" | "本人" | "被保険者" => Some(Relationship::Insured),
        "family" | "家族" | "被扶養者" => Some(Relationship::Family),
        _ => {
            c.error(
                "insurance.relationship",
                "本人・家族",
                "本人・家族のどちらかを選んでください",
                "must be self | family",
            );
            None
        }
    };
    if kind == InsuranceKind::Kouki && relationship == Some(Relationship::Family) {
        c.error(
            "insurance.relationship",
            "本人・家族",
            "後期高齢者医療に家族（被扶養者）はありません",
            "後期高齢者 has no dependants",
        );
    }

    // 公費単独: the 公費 pays (生活保護 has no co-payment) unless a 負担割合 is declared.
    let copay_percent = match (public_only, i.copay_percent) {
        (true, None | Some(0)) => Some(0),
        _ => check_copay(c, i.copay_percent, birth, on),
    };
    if let (Some(b), InsuranceKind::Kouki) = (birth, kind) {
        if age_band(b, on) != AgeBand::LateElderly && super::copay::age_on(b, on) < 65 {
            c.warn(
                "insurance.kind",
                "保険の種類",
                "後期高齢者医療は原則75歳以上（障害認定は65歳以上）です",
                "後期高齢者 is normally 75+ (65+ with disability)",
            );
        }
    }

    let public_funds = check_public_funds(c, &i.public_funds);
    let insurer_name = c.free_text(
        "insurance.insurer_name",
        "保険者名",
        &i.insurer_name,
        limits::INSURER_NAME,
    );
    let employer = c.free_text(
        "insurance.employer",
        "事業所名",
        &i.employer,
        limits::EMPLOYER,
    );

    Some(Insurance {
        kind,
        insurer_number,
        symbol,
        number: insured_number,
        branch,
        relationship,
        insurer_name,
        employer,
        copay_percent: copay_percent?,
        public_funds,
    })
}

/// The kind follows from the insurer number: 6 digits are 国保, 法別 39 is 後期高齢, the rest
/// 社保. A stated kind that contradicts the number is an error; "unknown" is filled in.
fn check_kind_matches_insurer(
    c: &mut Checker,
    kind: InsuranceKind,
    insurer: &str,
) -> InsuranceKind {
    let implied = match (insurer.len(), numbers::houbetsu(insurer)) {
        (6, _) => InsuranceKind::Kokuho,
        (_, Some("39")) => InsuranceKind::Kouki,
        _ => InsuranceKind::Shaho,
    };
    if kind == InsuranceKind::Unknown {
        c.warn(
            "insurance.kind",
            "保険の種類",
            format!("保険者番号から「{}」と判断しました", implied.ja()),
            format!("taken as {} from the insurer number", implied.as_str()),
        );
        return implied;
    }
    if kind != implied {
        c.error(
            "insurance.kind",
            "保険の種類",
            format!(
                "保険者番号 {insurer} は「{}」の番号です（選択:「{}」）",
                implied.ja(),
                kind.ja()
            ),
            format!(
                "insurer number {insurer} belongs to {}, not {}",
                implied.as_str(),
                kind.as_str()
            ),
        );
    }
    kind
}

fn check_copay(
    c: &mut Checker,
    declared: Option<u8>,
    birth: Option<NaiveDate>,
    on: NaiveDate,
) -> Option<u8> {
    match (declared, birth) {
        (Some(p), _) if ![10, 20, 30].contains(&p) => {
            c.error(
                "insurance.copay_percent",
                "負担割合",
                "1割・2割・3割（10・20・30）のいずれかです",
                "must be 10, 20 or 30",
            );
            None
        }
        (Some(p), Some(b)) => {
            let allowed = allowed_copay_percents(b, on);
            if !allowed.contains(&p) {
                let band = age_band(b, on);
                let list = allowed
                    .iter()
                    .map(|a| format!("{}割", a / 10))
                    .collect::<Vec<_>>()
                    .join("・");
                c.warn(
                    "insurance.copay_percent",
                    "負担割合",
                    format!(
                        "{}割は{}（{}）にはありえない負担割合です。申告を確認してください",
                        p / 10,
                        band.label(),
                        list
                    ),
                    format!("{p}% is not possible at this age (allowed: {allowed:?})"),
                );
            }
            Some(p)
        }
        (Some(p), None) => Some(p),
        (None, Some(b)) => {
            let p = default_copay_percent(b, on);
            if allowed_copay_percents(b, on).len() > 1 {
                c.warn(
                    "insurance.copay_percent",
                    "負担割合",
                    format!(
                        "負担割合が未入力のため{}割としました。確認してください",
                        p / 10
                    ),
                    format!("not given: assumed {p}%"),
                );
            }
            Some(p)
        }
        (None, None) => None,
    }
}

fn check_public_funds(c: &mut Checker, funds: &[PublicFundInput]) -> Vec<PublicFund> {
    if funds.len() > MAX_PUBLIC_FUNDS {
        c.error(
            "insurance.public_funds",
            "公費",
            format!("公費は{MAX_PUBLIC_FUNDS}つまでです"),
            format!("at most {MAX_PUBLIC_FUNDS}"),
        );
    }
    let mut out = Vec::new();
    for (n, f) in funds.iter().enumerate().take(MAX_PUBLIC_FUNDS) {
        let payer = normalize_number(&f.payer);
        let recipient = normalize_number(&f.recipient);
        let pf = format!("insurance.public_funds[{n}].payer");
        let rf = format!("insurance.public_funds[{n}].recipient");
        let label_p = format!("第{}公費 負担者番号", n + 1);
        let label_r = format!("第{}公費 受給者番号", n + 1);
        if payer.is_empty() {
            c.error(&pf, &label_p, "入力してください", "required");
        } else if let Err(p) = numbers::validate_public_payer(&payer) {
            c.number_problem(&pf, &label_p, p);
        }
        if !recipient.is_empty() {
            if let Err(p) = numbers::validate_public_recipient_shape(&recipient) {
                c.number_problem(&rf, &label_r, p);
            } else if let Err(p) = numbers::recipient_check_ok(&recipient) {
                // Some municipal programmes do not use the check digit: warn only.
                c.warn(
                    &rf,
                    &label_r,
                    format!("{}（自治体独自の番号なら問題ありません）", p.message_ja()),
                    p.message_en(),
                );
            }
        }
        out.push(PublicFund { payer, recipient });
    }
    out
}

/// Re-checks a stored insurance for a new visit date (a returning patient may have crossed an
/// age boundary since): only warnings, never errors.
pub fn copay_warnings(insurance: &Insurance, birth: NaiveDate, on: NaiveDate) -> Vec<Warning> {
    let mut c = Checker::default();
    check_copay(&mut c, Some(insurance.copay_percent), Some(birth), on);
    c.warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    pub(crate) fn sample() -> IntakeInput {
        serde_json::from_str(
            r#"{
              "patient": {"name": "山田 太郎", "kana": "やまだ たろう", "birth_date": "S45.3.1",
                          "sex": "male", "address": "東京都港区新橋1-1-1", "phone": "０３－００００－００００"},
              "insurance": {"kind": "shaho", "insurer_number": "０１１３００１２", "symbol": "12-34",
                            "number": "5678", "branch": "1", "relationship": "self",
                            "insurer_name": "協会けんぽ東京支部", "employer": "株式会社テスト",
                            "copay_percent": 30,
                            "public_funds": [{"payer": "54016027", "recipient": "1234566"}]},
              "basis": "self_declaration"
            }"#,
        )
        .unwrap()
    }

    #[test]
    fn a_full_width_form_is_normalised() {
        let (v, warnings) = validate(&sample(), today()).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(v.patient.kana, "ヤマダ タロウ");
        assert_eq!(v.patient.phone, "03-0000-0000");
        assert_eq!(
            v.patient.birth_date,
            NaiveDate::from_ymd_opt(1970, 3, 1).unwrap()
        );
        assert_eq!(v.insurance.insurer_number.as_deref(), Some("01130012"));
        assert_eq!(v.insurance.branch, "01");
        assert_eq!(v.basis, Basis::SelfDeclaration);
    }

    #[test]
    fn choice_errors_speak_japanese_and_keep_the_codes_for_english() {
        for (kind, basis) in [("5", "self_declaration"), ("", "x")] {
            let mut input = sample();
            input.insurance.kind = kind.into();
            input.basis = basis.into();
            let errors = validate(&input, today()).unwrap_err();
            for e in errors
                .iter()
                .filter(|e| e.field == "insurance.kind" || e.field == "basis")
            {
                assert!(
                    !e.message_ja.chars().any(|c| c.is_ascii_lowercase()),
                    "a code in the Japanese message: {}",
                    e.message_ja
                );
                assert!(e.message_en.contains(" | "), "{}", e.message_en);
            }
            assert!(!errors.is_empty());
        }
    }

    #[test]
    fn a_wrong_check_digit_names_the_field() {
        let mut i = sample();
        i.insurance.insurer_number = "01130013".into();
        let errs = validate(&i, today()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "insurance.insurer_number");
        assert_eq!(errs[0].label, "保険者番号");
        assert!(errs[0].message_ja.contains("検証番号"));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut i = sample();
        i.patient.name = " ".into();
        i.patient.kana = "yamada".into();
        i.patient.birth_date = "S45.2.30".into();
        i.patient.sex = "x".into();
        i.basis = "rumour".into();
        let fields: Vec<String> = validate(&i, today())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        for f in [
            "patient.name",
            "patient.kana",
            "patient.birth_date",
            "patient.sex",
            "basis",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn fushou_with_no_numbers_is_accepted_and_flagged() {
        let mut i = sample();
        i.insurance = InsuranceInput {
            kind: "unknown".into(),
            ..Default::default()
        };
        let (v, warnings) = validate(&i, today()).unwrap();
        assert!(v.insurance.is_fushou());
        assert!(warnings.iter().any(|w| w.message_ja.contains("不詳")));
    }

    #[test]
    fn placeholders_only_with_kind_unknown() {
        let mut i = sample();
        i.insurance.insurer_number = "77777777".into();
        i.insurance.number = "777777777".into();
        let errs = validate(&i, today()).unwrap_err();
        assert_eq!(errs[0].field, "insurance.insurer_number");
        i.insurance.kind = "unknown".into();
        let (v, _) = validate(&i, today()).unwrap();
        assert!(v.insurance.is_fushou());
    }

    #[test]
    fn kind_must_match_the_insurer_number() {
        let mut i = sample();
        i.insurance.kind = "kokuho".into();
        let errs = validate(&i, today()).unwrap_err();
        assert_eq!(errs[0].field, "insurance.kind");
        i.insurance.kind = "unknown".into();
        let (v, w) = validate(&i, today()).unwrap();
        assert_eq!(v.insurance.kind, InsuranceKind::Shaho);
        assert!(w.iter().any(|w| w.field == "insurance.kind"));
    }

    #[test]
    fn impossible_copay_for_the_age_warns() {
        let mut i = sample();
        i.insurance.copay_percent = Some(10);
        let (_, w) = validate(&i, today()).unwrap();
        assert!(
            w.iter().any(|w| w.field == "insurance.copay_percent"),
            "{w:?}"
        );
        i.insurance.copay_percent = Some(25);
        let errs = validate(&i, today()).unwrap_err();
        assert_eq!(errs[0].field, "insurance.copay_percent");
    }

    #[test]
    fn bad_public_fund_payer_is_an_error_recipient_only_warns() {
        let mut i = sample();
        i.insurance.public_funds[0].recipient = "1234567".into();
        let (_, w) = validate(&i, today()).unwrap();
        assert!(w
            .iter()
            .any(|w| w.field == "insurance.public_funds[0].recipient"));
        i.insurance.public_funds[0].payer = "54016028".into();
        let errs = validate(&i, today()).unwrap_err();
        assert_eq!(errs[0].field, "insurance.public_funds[0].payer");
        assert_eq!(errs[0].label, "第1公費 負担者番号");
    }

    #[test]
    fn invisible_and_control_characters_are_refused_naming_the_field() {
        for (field, bad) in [
            ("patient.name", "山田\u{202E}太郎"),
            ("patient.name", "山田\u{200B}太郎"),
            ("patient.name", "山田\n太郎"),
            ("patient.address", "東京都\u{200F}港区"),
            ("insurance.employer", "株式会社\u{7}"),
        ] {
            let mut i = sample();
            match field {
                "patient.name" => i.patient.name = bad.into(),
                "patient.address" => i.patient.address = bad.into(),
                _ => i.insurance.employer = bad.into(),
            }
            let errs = validate(&i, today()).unwrap_err();
            assert!(errs.iter().any(|e| e.field == field), "{bad:?}: {errs:?}");
        }
    }

    #[test]
    fn text_longer_than_the_paper_prints_is_refused_with_the_limit() {
        let mut i = sample();
        i.patient.name = "山".repeat(21);
        let errs = validate(&i, today()).unwrap_err();
        assert!(errs[0].message_ja.contains("20文字以内"), "{errs:?}");
        let mut i = sample();
        i.patient.name = "山".repeat(20);
        assert!(validate(&i, today()).is_ok(), "20 fits");
        let mut i = sample();
        i.patient.kana = "ダ".repeat(21); // 42 half-width characters
        assert!(validate(&i, today()).is_err());
        let mut i = sample();
        i.insurance.insurer_name = "保".repeat(41);
        let errs = validate(&i, today()).unwrap_err();
        assert_eq!(errs[0].field, "insurance.insurer_name");
    }
}
