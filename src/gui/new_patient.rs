//! The new-patient form: the 被保険者資格申立書 fields in paper-form order. Every change is
//! validated by the library (`domain::intake::validate`) and invalid fields are marked in place
//! with the Japanese reason. Tab moves field to field, Enter saves, Esc cancels.
//!
//! Choices are typed as the paper's numbers (性別 1/2, 保険の種類 1–3 or 9 = わからない, 本人 1 /
//! 家族 2, 負担 1–3割) so the whole form is one Tab chain; the buttons beside them do the same.

use chrono::NaiveDate;
use iced::widget::{button, column, container, operation, row, space, text, text_input, Column};
use iced::{Element, Length, Task};

use super::theme;
use crate::domain::form_codes;
use crate::domain::ids::PatientId;
use crate::domain::intake::{
    validate, validate_insurance, validate_patient, InsuranceInput, IntakeInput, PatientInput,
    PublicFundInput, MAX_PUBLIC_FUNDS,
};
use crate::domain::text::{is_katakana, normalize_number, to_katakana};
use crate::domain::wareki::format_wareki;
use crate::domain::Basis;
use crate::error::{Error, FieldError};
use crate::service::{IntakeReceipt, PatientHit, Records};

/// The form's fields, in the paper form's order (also the Tab order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Kana,
    BirthDate,
    Sex,
    Address,
    Phone,
    Kind,
    InsurerNumber,
    Symbol,
    Number,
    Branch,
    Relationship,
    InsurerName,
    Employer,
    Copay,
    FundPayer(usize),
    FundRecipient(usize),
}

const COUNT: usize = 15 + 2 * MAX_PUBLIC_FUNDS;

impl Field {
    pub const PATIENT: [Field; 6] = [
        Field::Name,
        Field::Kana,
        Field::BirthDate,
        Field::Sex,
        Field::Address,
        Field::Phone,
    ];
    pub const INSURANCE: [Field; 8] = [
        Field::Kind,
        Field::InsurerNumber,
        Field::Symbol,
        Field::Number,
        Field::Branch,
        Field::Relationship,
        Field::InsurerName,
        Field::Employer,
    ];

    fn index(self) -> usize {
        match self {
            Field::Name => 0,
            Field::Kana => 1,
            Field::BirthDate => 2,
            Field::Sex => 3,
            Field::Address => 4,
            Field::Phone => 5,
            Field::Kind => 6,
            Field::InsurerNumber => 7,
            Field::Symbol => 8,
            Field::Number => 9,
            Field::Branch => 10,
            Field::Relationship => 11,
            Field::InsurerName => 12,
            Field::Employer => 13,
            Field::Copay => 14,
            Field::FundPayer(n) => 15 + 2 * n,
            Field::FundRecipient(n) => 16 + 2 * n,
        }
    }

    /// The widget id, so tests and focus can find the field.
    pub fn id(self) -> String {
        format!("np-{}", self.key())
    }

    /// The field's name in the library's errors (`insurance.insurer_number`).
    pub fn key(self) -> String {
        match self {
            Field::Name => "patient.name".into(),
            Field::Kana => "patient.kana".into(),
            Field::BirthDate => "patient.birth_date".into(),
            Field::Sex => "patient.sex".into(),
            Field::Address => "patient.address".into(),
            Field::Phone => "patient.phone".into(),
            Field::Kind => "insurance.kind".into(),
            Field::InsurerNumber => "insurance.insurer_number".into(),
            Field::Symbol => "insurance.symbol".into(),
            Field::Number => "insurance.number".into(),
            Field::Branch => "insurance.branch".into(),
            Field::Relationship => "insurance.relationship".into(),
            Field::InsurerName => "insurance.insurer_name".into(),
            Field::Employer => "insurance.employer".into(),
            Field::Copay => "insurance.copay_percent".into(),
            Field::FundPayer(n) => format!("insurance.public_funds[{n}].payer"),
            Field::FundRecipient(n) => format!("insurance.public_funds[{n}].recipient"),
        }
    }

    pub fn label(self) -> String {
        match self {
            Field::Name => "氏名".into(),
            Field::Kana => "フリガナ".into(),
            Field::BirthDate => "生年月日".into(),
            Field::Sex => "性別".into(),
            Field::Address => "住所".into(),
            Field::Phone => "電話".into(),
            Field::Kind => "保険の種類".into(),
            Field::InsurerNumber => "保険者番号".into(),
            Field::Symbol => "記号".into(),
            Field::Number => "番号".into(),
            Field::Branch => "枝番".into(),
            Field::Relationship => "本人・家族".into(),
            Field::InsurerName => "保険者名".into(),
            Field::Employer => "事業所名".into(),
            Field::Copay => "負担割合".into(),
            Field::FundPayer(n) => format!("第{}公費 負担者", n + 1),
            Field::FundRecipient(n) => format!("第{}公費 受給者", n + 1),
        }
    }

    fn placeholder(self) -> &'static str {
        match self {
            Field::Name => "山田 太郎",
            Field::Kana => "ヤマダ タロウ（ひらがな可）",
            Field::BirthDate => "S45.3.1 / 昭和45年3月1日 / 1970-03-01",
            Field::Sex => "1/2",
            Field::Phone => "03-0000-0000",
            Field::Kind => "1-3/9",
            Field::InsurerNumber => "8桁（国保は6桁）",
            Field::Branch => "2桁",
            Field::Relationship => "1/2",
            Field::Copay => "1-3",
            Field::FundPayer(_) => "8桁",
            Field::FundRecipient(_) => "7桁",
            _ => "",
        }
    }

    /// Choice buttons for the mouse: (label, value typed into the field).
    fn choices(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Field::Sex => &[("1 男", "1"), ("2 女", "2")],
            Field::Kind => &[
                ("1 社保", "1"),
                ("2 国保", "2"),
                ("3 後期高齢", "3"),
                ("4 公費単独（生活保護など）", "4"),
                ("9 わからない（不詳）", "9"),
            ],
            Field::Relationship => &[("1 本人", "1"), ("2 家族", "2")],
            Field::Copay => &[("1割", "1"), ("2割", "2"), ("3割", "3")],
            _ => &[],
        }
    }

    /// Every field in paper order (the Tab order).
    pub fn all() -> Vec<Field> {
        let mut v: Vec<Field> = Field::PATIENT.to_vec();
        v.extend(Field::INSURANCE);
        v.push(Field::Copay);
        for n in 0..MAX_PUBLIC_FUNDS {
            v.push(Field::FundPayer(n));
            v.push(Field::FundRecipient(n));
        }
        v
    }
}

#[derive(Debug, Clone)]
pub enum Message {
    Changed(Field, String),
    /// The reason for a correction (訂正の理由).
    ReasonChanged(String),
    Save,
    Cancel,
}

/// The widget id of the reason for a correction.
pub const REASON_INPUT: &str = "np-reason";
/// The reason's name in the form's errors.
const REASON_FIELD: &str = "reason";

/// What the reception screen does after a form message.
pub enum FormOutcome {
    Stay(Task<Message>),
    Saved {
        receipt: IntakeReceipt,
        name: String,
    },
    /// A known patient's details were corrected (`changed`: anything differed).
    Corrected {
        patient_id: PatientId,
        name: String,
        changed: bool,
    },
    Cancelled,
}

pub struct Form {
    values: Vec<String>,
    touched: Vec<bool>,
    /// Attach the declaration to this known patient (their insurance changed).
    patient_id: Option<String>,
    /// Correcting this known patient's details (氏名・住所・電話…) with a reason, instead of
    /// taking a 申立書: only the patient's fields are shown and nothing is recorded as a visit.
    correcting: Option<PatientId>,
    reason: String,
    reason_touched: bool,
    today: NaiveDate,
    errors: Vec<FieldError>,
    warnings: Vec<FieldError>,
    /// After a save attempt every error shows, including empty required fields.
    show_all: bool,
    save_error: Option<String>,
    /// Esc once on a form with input asks; Esc again discards.
    confirm_cancel: bool,
}

impl Form {
    pub fn new(today: NaiveDate) -> Form {
        let mut f = Form {
            values: vec![String::new(); COUNT],
            touched: vec![false; COUNT],
            patient_id: None,
            correcting: None,
            reason: String::new(),
            reason_touched: false,
            today,
            errors: Vec::new(),
            warnings: Vec::new(),
            show_all: false,
            save_error: None,
            confirm_cancel: false,
        };
        f.revalidate();
        f
    }

    /// A blank form with what was searched for put where it belongs (name or カナ).
    pub fn from_search(query: &str, today: NaiveDate) -> Form {
        let mut f = Form::new(today);
        let q = query.trim();
        if !q.is_empty() && normalize_number(q).chars().all(|c| !c.is_ascii_digit()) {
            let kana = to_katakana(q);
            let field = if is_katakana(&kana) {
                Field::Kana
            } else {
                Field::Name
            };
            f.set(field, q.to_string());
        }
        f
    }

    /// A 申立書 for a known patient whose insurance changed: their details filled in.
    pub fn for_patient(hit: &PatientHit, today: NaiveDate) -> Form {
        let mut f = Form::new(today);
        let p = &hit.patient.details;
        f.patient_id = Some(hit.patient_id.to_string());
        f.set(Field::Name, p.name.clone());
        f.set(Field::Kana, p.kana.clone());
        f.set(Field::BirthDate, format_wareki(p.birth_date));
        f.set(
            Field::Sex,
            if p.sex == crate::domain::Sex::Male {
                "1".into()
            } else {
                "2".into()
            },
        );
        f.set(Field::Address, p.address.clone());
        f.set(Field::Phone, p.phone.clone());
        f
    }

    /// A correction of a known patient's details, their current ones filled in.
    pub fn correcting(hit: &PatientHit, today: NaiveDate) -> Form {
        let mut f = Form::for_patient(hit, today);
        f.correcting = Some(hit.patient_id);
        f.touched.fill(false);
        f.revalidate();
        f
    }

    fn set(&mut self, field: Field, value: String) {
        self.values[field.index()] = value;
        self.touched[field.index()] = true;
        self.revalidate();
    }

    pub fn value(&self, field: Field) -> &str {
        &self.values[field.index()]
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    /// The first field, or the first one after the known patient's details.
    pub fn focus_first(&self) -> Task<Message> {
        let first = if self.correcting.is_some() {
            Field::Name
        } else if self.patient_id.is_some() {
            Field::Kind
        } else if self.value(Field::Name).is_empty() {
            Field::Name
        } else {
            Field::Kana
        };
        operation::focus(first.id())
    }

    /// The form as the library's intake input (the paper's numbers turned into its words).
    pub fn input(&self) -> IntakeInput {
        let v = |f: Field| self.values[f.index()].clone();
        let mut public_funds = Vec::new();
        for n in 0..MAX_PUBLIC_FUNDS {
            let (payer, recipient) = (v(Field::FundPayer(n)), v(Field::FundRecipient(n)));
            if !payer.trim().is_empty() || !recipient.trim().is_empty() {
                public_funds.push(PublicFundInput { payer, recipient });
            }
        }
        IntakeInput {
            patient: PatientInput {
                name: v(Field::Name),
                kana: v(Field::Kana),
                birth_date: v(Field::BirthDate),
                sex: v(Field::Sex).trim().to_string(),
                address: v(Field::Address),
                phone: v(Field::Phone),
            },
            insurance: InsuranceInput {
                kind: form_codes::kind(&v(Field::Kind)),
                insurer_number: v(Field::InsurerNumber),
                symbol: v(Field::Symbol),
                number: v(Field::Number),
                branch: v(Field::Branch),
                relationship: form_codes::relationship(&v(Field::Relationship)),
                insurer_name: v(Field::InsurerName),
                employer: v(Field::Employer),
                copay_percent: form_codes::copay_percent(&v(Field::Copay)),
                public_funds,
            },
            basis: Basis::SelfDeclaration.as_str().into(),
            patient_id: self.patient_id.clone(),
        }
    }

    fn revalidate(&mut self) {
        if self.correcting.is_some() {
            self.errors.clear();
            self.warnings.clear();
            match validate_patient(&self.input().patient, self.today) {
                Ok((_, warnings)) => self.warnings = warnings,
                Err(errors) => self.errors = errors,
            }
            if self.reason.trim().is_empty() {
                self.errors.push(FieldError {
                    field: REASON_FIELD.into(),
                    label: "訂正の理由".into(),
                    message_ja: "訂正の理由を入力してください（例: 転居のため住所を変更）".into(),
                    message_en: "a reason for the correction is required".into(),
                });
            }
            return;
        }
        match validate(&self.input(), self.today) {
            Ok((_, warnings)) => {
                self.errors.clear();
                self.warnings = warnings;
            }
            Err(errors) => {
                self.errors = errors;
                // The whole form is not valid yet: warnings from the parts that are.
                let input = self.input();
                self.warnings.clear();
                if let Ok((patient, w)) = validate_patient(&input.patient, self.today) {
                    self.warnings.extend(w);
                    if let Ok((_, w)) =
                        validate_insurance(&input.insurance, patient.birth_date, self.today)
                    {
                        self.warnings.extend(w);
                    }
                }
            }
        }
    }

    /// Errors and warnings shown for one field: all after a save attempt, else only once typed in.
    fn shown(&self, field: Field) -> (Vec<&FieldError>, Vec<&FieldError>) {
        let key = field.key();
        let show = self.show_all || self.touched[field.index()];
        let errors = if show {
            self.errors.iter().filter(|e| e.field == key).collect()
        } else {
            Vec::new()
        };
        let warnings = self.warnings.iter().filter(|e| e.field == key).collect();
        (errors, warnings)
    }

    pub fn update(&mut self, records: &mut Records, message: Message) -> FormOutcome {
        match message {
            Message::Changed(field, value) => {
                self.values[field.index()] = value;
                self.touched[field.index()] = true;
                self.save_error = None;
                self.confirm_cancel = false;
                self.revalidate();
                FormOutcome::Stay(Task::none())
            }
            Message::ReasonChanged(value) => {
                self.reason = value;
                self.reason_touched = true;
                self.save_error = None;
                self.confirm_cancel = false;
                self.revalidate();
                FormOutcome::Stay(Task::none())
            }
            Message::Cancel => {
                if self.confirm_cancel || !(self.touched.iter().any(|t| *t) || self.reason_touched)
                {
                    FormOutcome::Cancelled
                } else {
                    self.confirm_cancel = true;
                    FormOutcome::Stay(Task::none())
                }
            }
            Message::Save => {
                self.revalidate();
                if !self.errors.is_empty() {
                    self.show_all = true;
                    return FormOutcome::Stay(self.focus_invalid());
                }
                let name = self.value(Field::Name).trim().to_string();
                let saved = match self.correcting {
                    Some(patient_id) => records
                        .correct_patient(patient_id, &self.input().patient, &self.reason)
                        .map(|changed| FormOutcome::Corrected {
                            patient_id,
                            name,
                            changed,
                        }),
                    None => records
                        .intake(&self.input())
                        .map(|receipt| FormOutcome::Saved { receipt, name }),
                };
                match saved {
                    Ok(outcome) => outcome,
                    Err(Error::Input(errors)) => {
                        self.errors = errors;
                        self.show_all = true;
                        let task = self.focus_invalid();
                        self.save_error =
                            Some("入力に誤りがあります。赤い欄を直してください".into());
                        FormOutcome::Stay(task)
                    }
                    Err(e) => {
                        self.save_error = Some(super::widget::error_ja(&e));
                        FormOutcome::Stay(Task::none())
                    }
                }
            }
        }
    }

    /// The first field (in Tab order) with an error; `None` when only the reason is missing.
    fn first_invalid(&self) -> Option<Field> {
        Field::all()
            .into_iter()
            .find(|f| self.errors.iter().any(|e| e.field == f.key()))
            .or((!self.errors.iter().all(|e| e.field == REASON_FIELD)).then_some(Field::Name))
    }

    /// Where a save that found errors puts the cursor.
    fn focus_invalid(&self) -> Task<Message> {
        match self.first_invalid() {
            Some(f) => operation::focus(f.id()),
            None if !self.errors.is_empty() => operation::focus(REASON_INPUT),
            None => Task::none(),
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let header = row![
            text(if self.correcting.is_some() {
                "患者情報の訂正（氏名・住所・電話など）"
            } else if self.patient_id.is_some() {
                "保険の変更（申立書）"
            } else {
                "新規患者（被保険者資格申立書）"
            })
            .size(theme::TITLE),
            space::horizontal(),
            text("Tab 次の欄 / Shift+Tab 前の欄 / Enter 保存 / Esc 取消")
                .size(theme::BODY)
                .color(theme::MUTED),
        ]
        .align_y(iced::Center);

        let patient = self.section("患者", &Field::PATIENT);
        let insurance = self.section("保険", &Field::INSURANCE);
        // The third column goes on down the paper: 負担割合, then up to three 公費.
        let funds: Vec<Field> = (0..MAX_PUBLIC_FUNDS)
            .flat_map(|n| [Field::FundPayer(n), Field::FundRecipient(n)])
            .collect();
        let mut third = if self.correcting.is_some() {
            self.reason_view()
        } else {
            let mut third = column![
                text("負担・公費（3つまで）").size(18).color(theme::MUTED),
                self.field_view(Field::Copay)
            ];
            for f in funds {
                third = third.push(self.field_view(f));
            }
            third
        }
        .spacing(5)
        .width(Length::FillPortion(1));

        // Problems not tied to a shown field (e.g. a possible duplicate), and the save buttons.
        let mut known: Vec<String> = Field::all().iter().map(|f| f.key()).collect();
        known.push(REASON_FIELD.into());
        for w in self.warnings.iter().filter(|w| !known.contains(&w.field)) {
            third = third.push(
                text(format!("注意: {}: {}", w.label, w.message_ja))
                    .size(theme::BODY)
                    .color(theme::AMBER),
            );
        }
        if self.show_all {
            for e in self.errors.iter().filter(|e| !known.contains(&e.field)) {
                third = third.push(
                    text(format!("エラー: {}: {}", e.label, e.message_ja))
                        .size(theme::BODY)
                        .color(theme::ERROR_TEXT),
                );
            }
        }
        let status = if self.errors.is_empty() {
            text("入力に誤りはありません。Enter で保存します")
                .size(theme::BODY)
                .color(theme::GREEN)
        } else {
            text(format!("要修正 {} 件", self.errors.len()))
                .size(theme::BODY)
                .color(theme::ERROR_TEXT)
        };
        third = third.push(space().height(8)).push(status);
        if let Some(e) = &self.save_error {
            third = third.push(
                text(format!("エラー: {e}"))
                    .size(theme::BODY)
                    .color(theme::ERROR_TEXT),
            );
        }
        if self.confirm_cancel {
            third = third.push(
                text("入力を破棄しますか？ もう一度 Esc で破棄、入力を続けると取り消しません")
                    .size(theme::BODY)
                    .color(theme::AMBER),
            );
        }
        third = third.push(
            row![
                button(text("保存（Enter）").size(18))
                    .padding([8, 18])
                    .on_press(Message::Save),
                button(text("取消（Esc）").size(theme::BODY))
                    .padding([8, 14])
                    .style(theme::tab(false))
                    .on_press(Message::Cancel),
            ]
            .spacing(12),
        );

        let body = if self.correcting.is_some() {
            row![patient, third]
        } else {
            row![patient, insurance, third]
        };
        column![header, body.spacing(16).height(Length::Fill)]
            .spacing(8)
            .into()
    }

    /// The reason for a correction: kept in the audit log with the earlier values.
    fn reason_view(&self) -> Column<'_, Message> {
        let missing = self.show_all || self.reason_touched;
        let errors: Vec<&FieldError> = self
            .errors
            .iter()
            .filter(|e| missing && e.field == REASON_FIELD)
            .collect();
        let mut col = column![
            text("訂正の理由").size(18).color(theme::MUTED),
            super::widget::reason_input(
                "例: 転居のため住所を変更（本人申告）",
                &self.reason,
                REASON_INPUT,
                Message::ReasonChanged,
                Message::Save,
                !errors.is_empty(),
            ),
            text("訂正前の内容は監査ログに残ります。受付は記録されません")
                .size(theme::SMALL)
                .color(theme::MUTED),
        ]
        .spacing(5);
        for e in errors {
            col = col.push(
                text(format!("× {}", e.message_ja))
                    .size(theme::SMALL)
                    .color(theme::ERROR_TEXT),
            );
        }
        col
    }

    fn section(&self, title: &str, fields: &[Field]) -> Column<'_, Message> {
        let mut col = column![text(title.to_string()).size(18).color(theme::MUTED)]
            .spacing(5)
            .width(Length::FillPortion(1));
        for &f in fields {
            col = col.push(self.field_view(f));
        }
        col
    }

    fn field_view(&self, field: Field) -> Element<'_, Message> {
        let (errors, warnings) = self.shown(field);
        let invalid = !errors.is_empty();
        let code_field = !field.choices().is_empty();
        let input = text_input(field.placeholder(), self.value(field))
            .id(field.id())
            .on_input(move |s| Message::Changed(field, s))
            .on_submit(Message::Save)
            .size(theme::BODY)
            .padding(5)
            .width(if code_field {
                Length::Fixed(64.0)
            } else {
                Length::Fill
            })
            .style(theme::input(invalid));
        let mut line = row![text(field.label()).size(theme::BODY).width(118), input]
            .spacing(6)
            .align_y(iced::Center);
        let mut choices = row![].spacing(6);
        if code_field {
            let current = normalize_number(self.value(field).trim());
            for (label, code) in field.choices() {
                let active = match field {
                    Field::Kind => {
                        !current.is_empty() && form_codes::kind(&current) == form_codes::kind(code)
                    }
                    _ => current == *code,
                };
                let b = button(
                    text(*label)
                        .size(theme::BODY)
                        .wrapping(text::Wrapping::None),
                )
                .padding([3, 7])
                .style(theme::tab(active))
                .on_press(Message::Changed(field, code.to_string()));
                // 保険の種類 has long choices: they go on their own line.
                if field == Field::Kind {
                    choices = choices.push(b);
                } else {
                    line = line.push(b);
                }
            }
        }
        let mut col = column![line].spacing(1);
        if field == Field::Kind {
            col = col.push(choices);
        }
        for e in errors {
            col = col.push(
                text(format!("× {}", e.message_ja))
                    .size(theme::SMALL)
                    .color(theme::ERROR_TEXT),
            );
        }
        for w in warnings {
            col = col.push(
                text(format!("△ {}", w.message_ja))
                    .size(theme::SMALL)
                    .color(theme::AMBER),
            );
        }
        container(col).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_distinct_slot() {
        let mut seen: Vec<usize> = Field::all().iter().map(|f| f.index()).collect();
        seen.sort();
        assert_eq!(seen, (0..COUNT).collect::<Vec<_>>());
    }
}
