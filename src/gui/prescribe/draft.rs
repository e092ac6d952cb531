//! The 処方 draft: what the doctor has typed, field by field, and the ids of its inputs; the
//! draft as the library's [`PrescriptionInput`], its problems in screen order, and its RPs as
//! they will print.

use crate::domain::prescription::{
    normalize_amount, DoseForm, Drug, DrugInput, PrescriptionInput, Rp, RpInput,
};
use crate::domain::text::to_half_width_ascii;
use crate::error::FieldError;

pub const REFILL_INPUT: &str = "rx-refill";
pub const REMARKS_INPUT: &str = "rx-remarks";

/// One field of a drug line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrugField {
    Name,
    Amount,
    Unit,
}

impl DrugField {
    pub fn key(self) -> &'static str {
        match self {
            DrugField::Name => "name",
            DrugField::Amount => "amount",
            DrugField::Unit => "unit",
        }
    }
}

/// One field of an RP (after its drugs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpField {
    Usage,
    Form,
    Days,
}

impl RpField {
    pub fn key(self) -> &'static str {
        match self {
            RpField::Usage => "usage",
            RpField::Form => "form",
            RpField::Days => "days",
        }
    }
}

/// The id of a drug field's input (`rx-0-1-name`).
pub fn drug_id(rp: usize, drug: usize, f: DrugField) -> String {
    format!("rx-{rp}-{drug}-{}", f.key())
}

/// The id of an RP field's input (`rx-0-days`).
pub fn rp_id(rp: usize, f: RpField) -> String {
    format!("rx-{rp}-{}", f.key())
}

/// A drug as typed: the library's input already holds every field as text, so the draft is
/// that input itself (nothing to copy back and forth).
pub type DrugDraft = DrugInput;

#[derive(Debug, Clone)]
pub struct RpDraft {
    pub form: DoseForm,
    pub usage: String,
    pub days: String,
    pub drugs: Vec<DrugDraft>,
}

impl Default for RpDraft {
    fn default() -> Self {
        RpDraft {
            form: DoseForm::Internal,
            usage: String::new(),
            days: String::new(),
            drugs: vec![DrugDraft::default()],
        }
    }
}

/// What the doctor has typed for one visit, as typed (a half-typed number stays as it is).
#[derive(Debug, Clone)]
pub struct Draft {
    pub rps: Vec<RpDraft>,
    pub refill: String,
    pub remarks: String,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            rps: vec![RpDraft::default()],
            refill: String::new(),
            remarks: String::new(),
        }
    }
}

impl Draft {
    /// A stored prescription as a draft again: re-issuing after a void starts from what was
    /// voided rather than from a blank form.
    pub fn from_input(input: &PrescriptionInput) -> Draft {
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        Draft {
            rps: input
                .rps
                .iter()
                .map(|rp| RpDraft {
                    form: rp.form,
                    usage: rp.usage.clone(),
                    days: number(rp.days),
                    drugs: rp.drugs.clone(),
                })
                .collect(),
            refill: number(input.refill_count),
            remarks: input.remarks.clone().unwrap_or_default(),
        }
    }

    /// The draft as the library's input (what is validated and issued).
    pub fn input(&self, visit_id: String, doctor: String, issued_on: String) -> PrescriptionInput {
        PrescriptionInput {
            visit_id,
            doctor,
            issued_on,
            issued_on_reason: None,
            valid_until: None,
            leftover: None,
            rps: self
                .rps
                .iter()
                .map(|rp| RpInput {
                    form: rp.form,
                    usage: rp.usage.clone(),
                    days: parse_number(&rp.days).ok().flatten(),
                    drugs: rp.drugs.clone(),
                })
                .collect(),
            refill_count: parse_number(&self.refill).ok().flatten(),
            remarks: (!self.remarks.trim().is_empty()).then(|| self.remarks.clone()),
        }
    }

    /// Every problem with `input` (made from this draft), including numbers that are not
    /// numbers, in screen order.
    pub fn problems(&self, input: &PrescriptionInput) -> Vec<FieldError> {
        let mut errs = match input.validate() {
            Ok(_) => Vec::new(),
            Err(e) => e,
        };
        let not_a_number = |field: String, label: &str| {
            FieldError::new(field, label, "数字で入力してください", "not a number")
        };
        for (i, rp) in self.rps.iter().enumerate() {
            if parse_number(&rp.days).is_err() {
                errs.retain(|e| e.field != format!("rps[{i}].days"));
                errs.push(not_a_number(
                    format!("rps[{i}].days"),
                    if rp.form == DoseForm::Prn {
                        "回数"
                    } else {
                        "日数"
                    },
                ));
            }
        }
        if parse_number(&self.refill).is_err() {
            errs.push(not_a_number("refill_count".into(), "リフィル可（回）"));
        }
        // In screen order: an RP's drugs before its usage and days.
        errs.sort_by_key(|e| screen_order(&e.field));
        errs
    }

    /// Whether the field of a problem has been typed in (or must stay empty, as an 外用's days).
    pub fn typed_in(&self, e: &FieldError) -> bool {
        let f = e.field.as_str();
        for (i, rp) in self.rps.iter().enumerate() {
            if f == format!("rps[{i}].days") {
                return !rp.days.trim().is_empty() || rp.form == DoseForm::External;
            }
            if f == format!("rps[{i}].usage") {
                return !rp.usage.trim().is_empty();
            }
            for (j, d) in rp.drugs.iter().enumerate() {
                let value = match f.strip_prefix(&format!("rps[{i}].drugs[{j}].")) {
                    Some("name") => &d.name,
                    Some("amount") => &d.amount,
                    Some("unit") => &d.unit,
                    _ => continue,
                };
                return !value.trim().is_empty();
            }
        }
        match f {
            "refill_count" => !self.refill.trim().is_empty(),
            "remarks" => true,
            _ => false,
        }
    }

    /// The RPs as they will print, also while the draft is unfinished: each value cleaned as the
    /// library's validation cleans it (spaces collapsed, the amount normalised when it is a
    /// number), the day count when it is one.
    pub fn printed_rps(&self) -> Vec<Rp> {
        let tidy = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        self.rps
            .iter()
            .map(|rp| Rp {
                form: rp.form,
                usage: tidy(&rp.usage),
                days: match rp.form {
                    DoseForm::External => None,
                    _ => parse_number(&rp.days)
                        .ok()
                        .flatten()
                        .and_then(|d| u32::try_from(d).ok()),
                },
                drugs: rp
                    .drugs
                    .iter()
                    .map(|d| Drug {
                        name: tidy(&d.name),
                        amount: normalize_amount(&d.amount)
                            .unwrap_or_else(|_| to_half_width_ascii(d.amount.trim())),
                        unit: tidy(&d.unit),
                        no_substitution: d.no_substitution,
                        patient_request: d.patient_request,
                    })
                    .collect(),
            })
            .collect()
    }
}

/// The 剤形 one key stands for: 1 内服, 2 頓服, 3 外用 (full-width digits and the kanji too).
pub fn form_from_key(c: char) -> Option<DoseForm> {
    match c {
        '1' | '１' | '内' => Some(DoseForm::Internal),
        '2' | '２' | '頓' => Some(DoseForm::Prn),
        '3' | '３' | '外' => Some(DoseForm::External),
        _ => None,
    }
}

/// Empty → None; full-width digits accepted; anything else is an error.
pub fn parse_number(s: &str) -> Result<Option<i64>, ()> {
    let s = to_half_width_ascii(s.trim());
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>().map(Some).map_err(|_| ())
}

/// The input id to focus for a problem's field.
pub fn focus_for(field: &str) -> Option<String> {
    if field == "refill_count" {
        return Some(REFILL_INPUT.into());
    }
    if field == "remarks" {
        return Some(REMARKS_INPUT.into());
    }
    let rest = field.strip_prefix("rps[")?;
    let (i, rest) = rest.split_once(']')?;
    let i: usize = i.parse().ok()?;
    if let Some(rest) = rest.strip_prefix(".drugs[") {
        let (j, f) = rest.split_once("].")?;
        let j: usize = j.parse().ok()?;
        let f = match f {
            "name" => DrugField::Name,
            "amount" => DrugField::Amount,
            _ => DrugField::Unit,
        };
        return Some(drug_id(i, j, f));
    }
    match rest {
        ".usage" => Some(rp_id(i, RpField::Usage)),
        ".days" => Some(rp_id(i, RpField::Days)),
        _ => Some(drug_id(i, 0, DrugField::Name)),
    }
}

/// Where a field sits on the screen, top to bottom, for ordering its problem.
fn screen_order(field: &str) -> (usize, usize, usize, usize) {
    let Some(rest) = field.strip_prefix("rps[") else {
        return match field {
            "visit_id" => (0, 0, 0, 0),
            "rps" => (1, 0, 0, 0),
            "refill_count" => (usize::MAX - 2, 0, 0, 0),
            "remarks" => (usize::MAX - 1, 0, 0, 0),
            _ => (usize::MAX, 0, 0, 0),
        };
    };
    let Some((i, rest)) = rest.split_once(']') else {
        return (usize::MAX, 0, 0, 0);
    };
    let i = i.parse::<usize>().unwrap_or(0) + 2;
    if let Some((j, f)) = rest.strip_prefix(".drugs[").and_then(|r| r.split_once(']')) {
        let k = match f {
            ".name" => 0,
            ".amount" => 1,
            _ => 2,
        };
        return (i, 0, j.parse().unwrap_or(0), k);
    }
    match rest {
        ".drugs" => (i, 0, 0, 0),
        ".usage" => (i, 1, 0, 0),
        _ => (i, 1, 0, 1),
    }
}

/// `rps[0].drugs[1].name` → `RP1 薬2`.
pub fn place(field: &str) -> String {
    let mut out = String::new();
    if let Some(rest) = field.strip_prefix("rps[") {
        if let Some((i, rest)) = rest.split_once(']') {
            out.push_str(&format!(
                "RP{}",
                i.parse::<usize>().map(|n| n + 1).unwrap_or(0)
            ));
            if let Some((j, _)) = rest.strip_prefix(".drugs[").and_then(|r| r.split_once(']')) {
                out.push_str(&format!(
                    " 薬{}",
                    j.parse::<usize>().map(|n| n + 1).unwrap_or(0)
                ));
            }
        }
        return out;
    }
    match field {
        "refill_count" => "リフィル".into(),
        "remarks" => "備考".into(),
        "doctor" => "保険医".into(),
        _ => "—".into(),
    }
}
