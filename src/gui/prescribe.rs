//! 処方: the doctor's paper prescription while e-prescription is down.
//!
//! Left, today's visits (↑↓ choose, Enter pick) with the insurance as it will be printed and
//! whether it was verified. Middle, the editor: RP blocks of drug lines (name, amount, unit),
//! then 用法, 剤形 (one key: 1 内服, 2 頓服, 3 外用) and days/times; refill count and 備考.
//! Fields are checked live by the library's own validation and marked in place. Right, the
//! text that will print, and the visit's issued prescriptions with reprint and void.
//!
//! Keys: Enter in a drug name takes the first suggestion (recently prescribed drugs); Enter in
//! other fields moves on; Ctrl+D adds a drug, Ctrl+R an RP, Ctrl+Delete removes the current
//! drug; Ctrl+H toggles 変更不可, Ctrl+K 患者希望 on the current drug; F10 or Ctrl+P issues and
//! prints; F8 reprints the latest, F7 voids it (reason, Enter); Esc backs out.

use iced::widget::{
    button, column, container, operation, row, rule, scrollable, space, text, text_input, Column,
};
use iced::{Element, Length, Task};

use super::app::Shortcut;
use super::reception::{cell, error_ja};
use super::{theme, Action};
use crate::domain::prescription::{DoseForm, DrugInput, PrescriptionInput, RpInput};
use crate::domain::text::to_half_width_ascii;
use crate::domain::types::Source;
use crate::error::FieldError;
use crate::service::{RecentDrug, Records, VisitRow};
use crate::store::patients::Declaration;
use crate::store::prescriptions::StoredPrescription;

/// No widget has this id: focusing it takes the focus off every field so ↑↓ and Enter reach
/// the visit list.
const NOWHERE: &str = "rx-nowhere";
pub const VOID_INPUT: &str = "rx-void-reason";
pub const REFILL_INPUT: &str = "rx-refill";
pub const REMARKS_INPUT: &str = "rx-remarks";
const SUGGESTIONS: usize = 5;

/// One field of a drug line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrugField {
    Name,
    Amount,
    Unit,
}

impl DrugField {
    fn key(self) -> &'static str {
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
    fn key(self) -> &'static str {
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

#[derive(Debug, Clone)]
pub enum Message {
    Move(i32),
    Pick(usize),
    /// Enter with no field focused: pick the chosen visit.
    PickSelected,
    Drug(usize, usize, DrugField, String),
    /// Enter in a field: for a drug name, take the first suggestion; otherwise the next field.
    Submit(usize, usize, DrugField),
    SubmitRp(usize, RpField),
    Rp(usize, RpField, String),
    Accept(RecentDrug),
    ToggleNoSubstitution(Option<(usize, usize)>),
    TogglePatientRequest(Option<(usize, usize)>),
    AddDrug,
    AddRp,
    Remove,
    Refill(String),
    Remarks(String),
    Doctor(usize),
    Issue,
    Reprint(i64),
    VoidAsk(i64),
    VoidReason(String),
    VoidConfirm,
    /// F6: open a prescription's archived PDF in the system viewer (not waiting for it).
    OpenPdf(i64),
    Next,
    /// Esc: closes the void reason, then leaves the fields for the list, then back to 受付.
    Escape,
}

#[derive(Debug, Clone, Default)]
struct DrugDraft {
    name: String,
    amount: String,
    unit: String,
    no_substitution: bool,
    patient_request: bool,
}

#[derive(Debug, Clone)]
struct RpDraft {
    form: DoseForm,
    usage: String,
    days: String,
    drugs: Vec<DrugDraft>,
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

enum Notice {
    Done(String),
    Error(String),
}

pub struct PrescriptionScreen {
    visits: Vec<VisitRow>,
    /// Each visit's insurance as the prescription will print it (after reconciliation, the
    /// clerk's decision; else as received), in the order of `visits`.
    claims: Vec<Option<Declaration>>,
    selected: usize,
    /// The visit being prescribed for (its `V12` id).
    picked: Option<String>,
    /// Fields have focus (Esc goes back to the list first).
    editing: bool,
    rps: Vec<RpDraft>,
    refill: String,
    remarks: String,
    doctor: usize,
    /// The drug line last typed in: where Ctrl+H / Ctrl+K / Ctrl+Delete and suggestions act.
    current: (usize, usize),
    /// Every problem is shown, empty fields too (after an attempt to issue).
    show_all: bool,
    recent: Vec<RecentDrug>,
    issued: Vec<StoredPrescription>,
    /// Unissued drafts of other visits, kept when the doctor switches patient and back.
    drafts: std::collections::HashMap<String, (Vec<RpDraft>, String, String)>,
    /// A void being asked for: the prescription and the reason typed so far.
    voiding: Option<(i64, String)>,
    notice: Option<Notice>,
}

impl Default for PrescriptionScreen {
    fn default() -> Self {
        PrescriptionScreen {
            visits: Vec::new(),
            claims: Vec::new(),
            selected: 0,
            picked: None,
            editing: false,
            rps: vec![RpDraft::default()],
            refill: String::new(),
            remarks: String::new(),
            doctor: 0,
            current: (0, 0),
            show_all: false,
            recent: Vec::new(),
            issued: Vec::new(),
            drafts: std::collections::HashMap::new(),
            voiding: None,
            notice: None,
        }
    }
}

impl PrescriptionScreen {
    /// Re-reads today's visits (voided ones left out), the recent drugs and the issued list.
    pub fn refresh(&mut self, records: &Records) {
        match records.visits(Some(records.today())) {
            Ok(v) => {
                let keep = self.visits.get(self.selected).map(|r| r.visit_id.clone());
                // Newest first: the patient just received is at the top.
                self.visits = v
                    .into_iter()
                    .filter(|r| r.visit.voided_at.is_none())
                    .rev()
                    .collect();
                self.selected = keep
                    .and_then(|id| self.visits.iter().position(|r| r.visit_id == id))
                    .unwrap_or(0);
                self.claims = self
                    .visits
                    .iter()
                    .map(|v| {
                        records
                            .prescription_insurance(&v.visit_id)
                            .ok()
                            .or_else(|| v.insurance.clone())
                    })
                    .collect();
            }
            Err(e) => {
                self.notice = Some(Notice::Error(format!(
                    "本日の受付一覧を読めません: {}",
                    error_ja(&e)
                )))
            }
        }
        self.recent = records.recent_drugs(50).unwrap_or_default();
        self.refresh_issued(records);
    }

    fn refresh_issued(&mut self, records: &Records) {
        self.issued = match &self.picked {
            Some(v) => records.prescriptions_for(v).unwrap_or_default(),
            None => Vec::new(),
        };
    }

    pub fn focus(&self) -> Task<Message> {
        if self.voiding.is_some() {
            operation::focus(VOID_INPUT)
        } else if self.editing {
            let (r, d) = self.current;
            operation::focus(drug_id(r, d, DrugField::Name))
        } else {
            operation::focus(NOWHERE)
        }
    }

    /// Esc: closes the void reason, then leaves the fields for the list; false when there is
    /// nothing left to back out of here.
    fn escape(&mut self) -> bool {
        if self.voiding.take().is_some() {
            true
        } else if self.editing {
            self.editing = false;
            true
        } else {
            false
        }
    }

    fn picked_row(&self) -> Option<(&VisitRow, Option<&Declaration>)> {
        let id = self.picked.as_ref()?;
        let i = self.visits.iter().position(|v| &v.visit_id == id)?;
        Some((&self.visits[i], self.claims.get(i).and_then(Option::as_ref)))
    }

    fn doctor_name<'a>(&self, records: &'a Records) -> &'a str {
        records
            .config
            .clinic
            .doctors
            .get(self.doctor)
            .or(records.config.clinic.doctors.first())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The draft as the library's input (what is validated and issued).
    pub fn input(&self, records: &Records) -> PrescriptionInput {
        PrescriptionInput {
            visit_id: self.picked.clone().unwrap_or_default(),
            doctor: self.doctor_name(records).to_string(),
            issued_on: records.today().to_string(),
            rps: self
                .rps
                .iter()
                .map(|rp| RpInput {
                    form: rp.form,
                    usage: rp.usage.clone(),
                    days: parse_number(&rp.days).ok().flatten(),
                    drugs: rp
                        .drugs
                        .iter()
                        .map(|d| DrugInput {
                            name: d.name.clone(),
                            amount: d.amount.clone(),
                            unit: d.unit.clone(),
                            no_substitution: d.no_substitution,
                            patient_request: d.patient_request,
                        })
                        .collect(),
                })
                .collect(),
            refill_count: parse_number(&self.refill).ok().flatten(),
            remarks: (!self.remarks.trim().is_empty()).then(|| self.remarks.clone()),
        }
    }

    /// Every problem with the draft, including numbers that are not numbers.
    fn problems(&self, records: &Records) -> Vec<FieldError> {
        let mut errs = match self.input(records).validate() {
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
        if self.picked.is_none() {
            errs.retain(|e| e.field != "visit_id");
            errs.insert(
                0,
                FieldError::new(
                    "visit_id",
                    "受付",
                    "左の一覧から患者を選んでください（↑↓ Enter）",
                    "pick a visit",
                ),
            );
        }
        errs
    }

    /// Whether a field's problem is shown: typed-in fields at once, empty ones after an attempt.
    fn shown(&self, e: &FieldError) -> bool {
        if self.show_all {
            return true;
        }
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

    /// Recently used drugs matching the current drug name (all of them while it is empty).
    fn suggestions(&self) -> Vec<&RecentDrug> {
        let (r, d) = self.current;
        let Some(typed) = self
            .rps
            .get(r)
            .and_then(|rp| rp.drugs.get(d))
            .map(|d| d.name.trim().to_lowercase())
        else {
            return Vec::new();
        };
        let typed_hw = to_half_width_ascii(&typed);
        self.recent
            .iter()
            .filter(|s| {
                let name = s.name.to_lowercase();
                name != typed
                    && (typed.is_empty()
                        || name.contains(&typed)
                        || to_half_width_ascii(&name).contains(&typed_hw))
            })
            .take(SUGGESTIONS)
            .collect()
    }

    fn clear_draft(&mut self) {
        self.rps = vec![RpDraft::default()];
        self.refill.clear();
        self.remarks.clear();
        self.current = (0, 0);
        self.show_all = false;
    }

    /// The frame's keys on this screen (see the module's doc).
    pub fn on_key(&self, key: Shortcut) -> Option<Message> {
        Some(match key {
            Shortcut::Up => Message::Move(-1),
            Shortcut::Down => Message::Move(1),
            Shortcut::Enter => Message::PickSelected,
            Shortcut::Print => Message::Issue,
            Shortcut::Ctrl('d') => Message::AddDrug,
            Shortcut::Ctrl('r') => Message::AddRp,
            Shortcut::Ctrl('\u{7f}') => Message::Remove,
            Shortcut::Ctrl('h') => Message::ToggleNoSubstitution(None),
            Shortcut::Ctrl('k') => Message::TogglePatientRequest(None),
            Shortcut::Primary => Message::OpenPdf(self.latest_valid()?),
            Shortcut::Save => Message::Reprint(self.latest_valid()?),
            Shortcut::NewPatient => Message::VoidAsk(self.latest_valid()?),
            Shortcut::Escape => Message::Escape,
            _ => return None,
        })
    }

    /// Only tasks, or back to 受付: nothing here changes what the banner shows.
    pub fn update(&mut self, records: &mut Records, message: Message) -> Action<Message> {
        match message {
            Message::Escape if self.escape() => Action::Run(self.focus()),
            Message::Escape => Action::Back,
            other => Action::Run(self.apply(records, other)),
        }
    }

    fn apply(&mut self, records: &mut Records, message: Message) -> Task<Message> {
        match message {
            Message::Move(d) => {
                let n = self.visits.len() as i32;
                if n > 0 {
                    self.selected = (self.selected as i32 + d).clamp(0, n - 1) as usize;
                }
                Task::none()
            }
            Message::Pick(i) => {
                self.selected = i.min(self.visits.len().saturating_sub(1));
                self.pick(records)
            }
            Message::PickSelected => self.pick(records),
            Message::Drug(r, d, f, v) => {
                if let Some(drug) = self.rps.get_mut(r).and_then(|rp| rp.drugs.get_mut(d)) {
                    match f {
                        DrugField::Name => drug.name = v,
                        DrugField::Amount => drug.amount = v,
                        DrugField::Unit => drug.unit = v,
                    }
                    self.current = (r, d);
                    self.editing = true;
                }
                Task::none()
            }
            Message::Submit(r, d, DrugField::Name) => {
                self.current = (r, d);
                match self.suggestions().first().map(|s| (*s).clone()) {
                    Some(s) if !self.rps[r].drugs[d].name.trim().is_empty() => self.accept(s),
                    _ => operation::focus(drug_id(r, d, DrugField::Amount)),
                }
            }
            Message::Submit(r, d, _) => {
                self.current = (r, d);
                operation::focus_next()
            }
            Message::SubmitRp(_, _) => operation::focus_next(),
            Message::Rp(r, f, v) => {
                if let Some(rp) = self.rps.get_mut(r) {
                    match f {
                        RpField::Usage => rp.usage = v,
                        RpField::Days => rp.days = v,
                        // One key: the last digit (or 内/頓/外) typed decides the form.
                        RpField::Form => {
                            if let Some(form) = v.chars().rev().find_map(form_from_key) {
                                rp.form = form;
                                if form == DoseForm::External {
                                    rp.days.clear();
                                }
                            }
                        }
                    }
                    self.current = (r, self.current.1.min(rp.drugs.len() - 1));
                    self.editing = true;
                }
                Task::none()
            }
            Message::Accept(s) => self.accept(s),
            Message::ToggleNoSubstitution(at) => {
                let (r, d) = at.unwrap_or(self.current);
                if let Some(drug) = self.rps.get_mut(r).and_then(|rp| rp.drugs.get_mut(d)) {
                    drug.no_substitution = !drug.no_substitution;
                }
                Task::none()
            }
            Message::TogglePatientRequest(at) => {
                let (r, d) = at.unwrap_or(self.current);
                if let Some(drug) = self.rps.get_mut(r).and_then(|rp| rp.drugs.get_mut(d)) {
                    drug.patient_request = !drug.patient_request;
                }
                Task::none()
            }
            Message::AddDrug => {
                let r = self.current.0.min(self.rps.len() - 1);
                self.rps[r].drugs.push(DrugDraft::default());
                self.current = (r, self.rps[r].drugs.len() - 1);
                self.editing = true;
                operation::focus(drug_id(self.current.0, self.current.1, DrugField::Name))
            }
            Message::AddRp => {
                self.rps.push(RpDraft::default());
                self.current = (self.rps.len() - 1, 0);
                self.editing = true;
                operation::focus(drug_id(self.current.0, 0, DrugField::Name))
            }
            Message::Remove => {
                let (r, d) = self.current;
                let Some(rp) = self.rps.get_mut(r) else {
                    return Task::none();
                };
                if rp.drugs.len() > 1 {
                    rp.drugs.remove(d);
                    self.current = (r, d.min(rp.drugs.len() - 1));
                } else if self.rps.len() > 1 {
                    self.rps.remove(r);
                    let r = r.min(self.rps.len() - 1);
                    self.current = (r, 0);
                } else {
                    self.rps[0] = RpDraft::default();
                    self.current = (0, 0);
                }
                operation::focus(drug_id(self.current.0, self.current.1, DrugField::Name))
            }
            Message::Refill(v) => {
                self.refill = v;
                Task::none()
            }
            Message::Remarks(v) => {
                self.remarks = v;
                Task::none()
            }
            Message::Doctor(i) => {
                self.doctor = i;
                Task::none()
            }
            Message::Issue => self.issue(records),
            Message::Reprint(id) => {
                let rx = format!("RX{id}");
                self.notice = Some(match records.print_prescription(&rx) {
                    Ok(()) => {
                        Notice::Done(format!("{rx} を再印刷しました（発行時と同じ控えのPDF）"))
                    }
                    Err(e) => Notice::Error(error_ja(&e)),
                });
                Task::none()
            }
            Message::VoidAsk(id) => {
                self.voiding = Some((id, String::new()));
                operation::focus(VOID_INPUT)
            }
            Message::VoidReason(v) => {
                if let Some((_, reason)) = self.voiding.as_mut() {
                    *reason = v;
                }
                Task::none()
            }
            Message::VoidConfirm => {
                let Some((id, reason)) = self.voiding.clone() else {
                    return Task::none();
                };
                let rx = format!("RX{id}");
                match records.void_prescription(&rx, &reason) {
                    Ok(_) => {
                        self.voiding = None;
                        self.notice = Some(Notice::Done(format!(
                            "{rx} を取り消しました（理由: {}）",
                            reason.trim()
                        )));
                        self.refresh(records);
                        self.focus()
                    }
                    Err(e) => {
                        self.notice = Some(Notice::Error(error_ja(&e)));
                        operation::focus(VOID_INPUT)
                    }
                }
            }
            Message::OpenPdf(id) => {
                if let Some(p) = self.issued.iter().find(|p| p.id == id) {
                    self.notice = Some(match open_file(std::path::Path::new(&p.pdf_path)) {
                        Ok(()) => Notice::Done(format!("RX{id} のPDFを開きました: {}", p.pdf_path)),
                        Err(e) => Notice::Error(format!("PDFを開けません（{}）: {e}", p.pdf_path)),
                    });
                }
                Task::none()
            }
            Message::Next => operation::focus_next(),
            // Handled in `update`: it may leave the screen.
            Message::Escape => Task::none(),
        }
    }

    /// F8: reprint the latest prescription of the visit still in force.
    pub fn latest_valid(&self) -> Option<i64> {
        self.issued
            .iter()
            .rev()
            .find(|p| p.voided_at.is_none())
            .map(|p| p.id)
    }

    fn pick(&mut self, records: &Records) -> Task<Message> {
        let Some(visit_id) = self.visits.get(self.selected).map(|v| v.visit_id.clone()) else {
            return Task::none();
        };
        if self.picked.as_ref() != Some(&visit_id) {
            // Another patient: never carry a draft over, but keep it for when they come back.
            let draft = (
                std::mem::take(&mut self.rps),
                std::mem::take(&mut self.refill),
                std::mem::take(&mut self.remarks),
            );
            if let Some(old) = self.picked.replace(visit_id.clone()) {
                self.drafts.insert(old, draft);
            }
            self.clear_draft();
            if let Some((rps, refill, remarks)) = self.drafts.remove(&visit_id) {
                self.rps = rps;
                self.refill = refill;
                self.remarks = remarks;
            }
            self.voiding = None;
        }
        self.notice = None;
        self.editing = true;
        self.refresh_issued(records);
        operation::focus(drug_id(self.current.0, self.current.1, DrugField::Name))
    }

    fn accept(&mut self, s: RecentDrug) -> Task<Message> {
        let (r, d) = self.current;
        let Some(rp) = self.rps.get_mut(r) else {
            return Task::none();
        };
        let Some(drug) = rp.drugs.get_mut(d) else {
            return Task::none();
        };
        drug.name = s.name;
        drug.amount = s.amount;
        drug.unit = s.unit;
        // The first drug of an RP brings the way it was taken last time.
        if rp.usage.trim().is_empty() {
            rp.usage = s.usage;
            rp.form = s.form;
            rp.days = s.days.map(|d| d.to_string()).unwrap_or_default();
        }
        self.editing = true;
        operation::focus(drug_id(r, d, DrugField::Amount))
    }

    fn issue(&mut self, records: &mut Records) -> Task<Message> {
        let problems = self.problems(records);
        if !problems.is_empty() {
            self.show_all = true;
            let first = &problems[0];
            self.notice = Some(Notice::Error(format!(
                "発行できません。要修正 {} 件: {}: {}",
                problems.len(),
                first.label,
                first.message_ja
            )));
            return focus_for(&first.field)
                .map(operation::focus)
                .unwrap_or_else(Task::none);
        }
        let input = self.input(records);
        match records.prescribe(&input, None, true) {
            Ok(receipt) => {
                let mut msg = format!(
                    "発行しました: {}（{}）— PDF: {}",
                    receipt.prescription_id,
                    if receipt.printed {
                        "印刷しました"
                    } else {
                        "未印刷"
                    },
                    receipt.pdf
                );
                for w in &receipt.warnings {
                    msg.push_str(&format!(" / 注意: {}", w.message_ja));
                }
                self.notice = Some(Notice::Done(msg));
                self.clear_draft();
                self.refresh(records);
                operation::focus(drug_id(0, 0, DrugField::Name))
            }
            Err(e) => {
                // Issued but not printed is still issued: the list shows it for a reprint.
                self.refresh(records);
                self.notice = Some(Notice::Error(error_ja(&e)));
                Task::none()
            }
        }
    }

    pub fn view<'a>(&'a self, records: &'a Records) -> Element<'a, Message> {
        let problems = self.problems(records);
        let shown: Vec<FieldError> = problems.iter().filter(|e| self.shown(e)).cloned().collect();
        let left = self.visits_view().width(Length::FillPortion(5));
        let middle = self
            .editor_view(records, &shown, problems.len())
            .width(Length::FillPortion(10));
        let right = self.right_view(records).width(Length::FillPortion(7));
        row![left, rule::vertical(1), middle, rule::vertical(1), right]
            .spacing(10)
            .height(Length::Fill)
            .into()
    }

    fn visits_view(&self) -> Column<'_, Message> {
        let mut col = column![row![
            text("本日の受付").size(theme::TITLE),
            space::horizontal(),
            text(format!("{} 件", self.visits.len())).size(theme::BODY)
        ]
        .align_y(iced::Center)]
        .spacing(4);
        col = col.push(
            text("↑↓ 選択  Enter 処方を書く")
                .size(theme::BODY)
                .color(theme::MUTED),
        );
        if self.visits.is_empty() {
            col = col.push(
                text("まだ受付はありません")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        }
        let mut list = column![].spacing(4);
        for (i, v) in self.visits.iter().enumerate() {
            let picked = self.picked.as_ref() == Some(&v.visit_id);
            let (flag, color) = verification(self.claims.get(i).and_then(Option::as_ref));
            let line = column![
                cell::<Message>(
                    format!(
                        "{}{}  {}",
                        if picked { "▶ " } else { "" },
                        v.visit.visit_no,
                        v.patient_name
                    ),
                    Length::Fill
                ),
                container(text(flag).size(theme::BODY).color(color)),
            ]
            .spacing(2);
            let b = button(line)
                .padding(4)
                .width(Length::Fill)
                .style(theme::row_button)
                .on_press(Message::Pick(i));
            list = list.push(if i == self.selected {
                container(b).style(theme::selected_row).padding(2)
            } else {
                container(b).padding(2)
            });
        }
        col.push(scrollable(list).height(Length::Fill))
    }

    fn editor_view<'a>(
        &'a self,
        records: &'a Records,
        shown: &[FieldError],
        total: usize,
    ) -> Column<'a, Message> {
        let bad = |field: &str| shown.iter().any(|e| e.field == field);
        let mut head = column![].spacing(4);
        match self.picked_row() {
            Some((v, claim)) => {
                let (flag, color) = verification(claim);
                head = head.push(
                    row![
                        text(format!("処方: {}（{}）", v.patient_name, v.patient_kana)).size(20),
                        space::horizontal(),
                        text(v.visit.visit_no.clone()).size(theme::BODY)
                    ]
                    .align_y(iced::Center),
                );
                head = head
                    .push(text(format!("保険: {}", printed_insurance(claim))).size(theme::BODY));
                head = head.push(text(flag).size(theme::BODY).color(color));
            }
            None => {
                head = head.push(text("処方").size(theme::TITLE));
                head = head.push(
                    text("左の一覧で患者を選んで Enter を押してください")
                        .size(theme::BODY)
                        .color(theme::AMBER),
                );
            }
        }

        let mut rps = column![].spacing(8);
        for (i, rp) in self.rps.iter().enumerate() {
            let mut block = column![row![
                text(format!("RP{}", i + 1)).size(18),
                space::horizontal(),
                text("Ctrl+H 変更不可  Ctrl+K 患者希望")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            ]]
            .spacing(4);
            for (j, d) in rp.drugs.iter().enumerate() {
                let f = |k: &str| format!("rps[{i}].drugs[{j}].{k}");
                // One drug field: its id, input and submit messages, and its error mark.
                let field = |placeholder: &str, value: &str, which: DrugField| {
                    text_input(placeholder, value)
                        .id(drug_id(i, j, which))
                        .on_input(move |v| Message::Drug(i, j, which, v))
                        .on_submit(Message::Submit(i, j, which))
                        .size(theme::BODY)
                        .padding(5)
                        .style(theme::input(bad(&f(which.key()))))
                };
                let name = field("薬品名（例: アムロジピン錠5mg）", &d.name, DrugField::Name)
                    .width(Length::Fill);
                let amount = field("分量", &d.amount, DrugField::Amount).width(64);
                let unit = field("単位", &d.unit, DrugField::Unit).width(60);
                let toggle = |on: bool, label: &'static str, m: Message| {
                    let b = button(
                        text(if on {
                            format!("■{label}")
                        } else {
                            format!("□{label}")
                        })
                        .size(theme::BODY),
                    )
                    .padding([4, 6])
                    .on_press(m);
                    if on {
                        b.style(theme::tab(true))
                    } else {
                        b.style(theme::row_button)
                    }
                };
                let current = self.current == (i, j) && self.editing;
                let line = row![
                    text(if current { "▶" } else { " " })
                        .size(theme::BODY)
                        .width(14),
                    name,
                    amount,
                    unit,
                    toggle(
                        d.no_substitution,
                        "変更不可",
                        Message::ToggleNoSubstitution(Some((i, j)))
                    ),
                    toggle(
                        d.patient_request,
                        "患者希望",
                        Message::TogglePatientRequest(Some((i, j)))
                    ),
                ]
                .spacing(4)
                .align_y(iced::Center);
                block = block.push(line);
            }
            let days_label = match rp.form {
                DoseForm::Internal => "日分",
                DoseForm::Prn => "回分",
                DoseForm::External => "（日数なし）",
            };
            let usage = text_input("用法（例: 1日1回朝食後）", &rp.usage)
                .id(rp_id(i, RpField::Usage))
                .on_input(move |v| Message::Rp(i, RpField::Usage, v))
                .on_submit(Message::SubmitRp(i, RpField::Usage))
                .size(theme::BODY)
                .padding(5)
                .width(Length::Fill)
                .style(theme::input(bad(&format!("rps[{i}].usage"))));
            let form_key = match rp.form {
                DoseForm::Internal => "1",
                DoseForm::Prn => "2",
                DoseForm::External => "3",
            };
            let form = text_input("剤形", form_key)
                .id(rp_id(i, RpField::Form))
                .on_input(move |v| Message::Rp(i, RpField::Form, v))
                .on_submit(Message::SubmitRp(i, RpField::Form))
                .size(theme::BODY)
                .padding(5)
                .width(36)
                .style(theme::input(false));
            let mut days = text_input(
                if rp.form == DoseForm::Prn {
                    "回数"
                } else {
                    "日数"
                },
                &rp.days,
            )
            .id(rp_id(i, RpField::Days))
            .on_submit(Message::SubmitRp(i, RpField::Days))
            .size(theme::BODY)
            .padding(5)
            .width(60)
            .style(theme::input(bad(&format!("rps[{i}].days"))));
            if rp.form != DoseForm::External {
                days = days.on_input(move |v| Message::Rp(i, RpField::Days, v));
            }
            block = block.push(
                row![
                    text("用法").size(theme::BODY).width(36),
                    usage,
                    form,
                    text(format!("{}（1内服 2頓服 3外用）", rp.form.ja())).size(theme::BODY),
                    days,
                    text(days_label).size(theme::BODY),
                ]
                .spacing(4)
                .align_y(iced::Center),
            );
            rps = rps.push(
                container(block)
                    .padding(6)
                    .width(Length::Fill)
                    .style(theme::panel),
            );
        }

        let refill = text_input("なし", &self.refill)
            .id(REFILL_INPUT)
            .on_input(Message::Refill)
            .on_submit(Message::Next)
            .size(theme::BODY)
            .padding(5)
            .width(60)
            .style(theme::input(bad("refill_count")));
        let remarks = text_input("備考（残薬の扱いなど）", &self.remarks)
            .id(REMARKS_INPUT)
            .on_input(Message::Remarks)
            .on_submit(Message::Issue)
            .size(theme::BODY)
            .padding(5)
            .width(Length::Fill)
            .style(theme::input(bad("remarks")));
        let doctors = records.config.clinic.doctors.iter().enumerate().fold(
            row![text("保険医").size(theme::BODY)]
                .spacing(6)
                .align_y(iced::Center),
            |r, (i, d)| {
                r.push(
                    button(text(d.clone()).size(theme::BODY))
                        .padding([4, 10])
                        .style(theme::tab(i == self.doctor))
                        .on_press(Message::Doctor(i)),
                )
            },
        );
        let doctors = if records.config.clinic.doctors.is_empty() {
            row![text("保険医: 設定 [clinic] doctors が未設定です")
                .size(theme::BODY)
                .color(theme::ERROR_TEXT)]
        } else {
            doctors
        };

        let mut marks = column![].spacing(2);
        if shown.is_empty() {
            if total == 0 {
                marks = marks.push(
                    text("入力に誤りはありません — F10（Ctrl+P）で発行・印刷")
                        .size(theme::BODY)
                        .color(theme::GREEN),
                );
            }
        } else {
            for e in shown.iter().take(3) {
                marks = marks.push(
                    text(format!(
                        "× {}: {}（{}）",
                        e.label,
                        e.message_ja,
                        place(&e.field)
                    ))
                    .size(theme::BODY)
                    .color(theme::ERROR_TEXT),
                );
            }
            if shown.len() > 3 {
                marks = marks.push(
                    text(format!("ほか {} 件", shown.len() - 3))
                        .size(theme::BODY)
                        .color(theme::ERROR_TEXT),
                );
            }
        }

        let mut suggest = row![text("候補").size(theme::BODY).color(theme::MUTED)]
            .spacing(6)
            .align_y(iced::Center);
        let list = if self.editing {
            self.suggestions()
        } else {
            Vec::new()
        };
        let (r, d) = self.current;
        let typed = self
            .rps
            .get(r)
            .and_then(|rp| rp.drugs.get(d))
            .is_some_and(|d| !d.name.trim().is_empty());
        if list.is_empty() {
            suggest = suggest.push(
                text(if self.recent.is_empty() {
                    "（最近の処方はまだありません）"
                } else {
                    "—"
                })
                .size(theme::BODY)
                .color(theme::MUTED),
            );
        }
        for (k, s) in list.into_iter().enumerate() {
            let label = format!(
                "{}{} {}{}",
                if k == 0 && typed { "Enter " } else { "" },
                s.name,
                s.amount,
                s.unit
            );
            suggest = suggest.push(
                button(text(label).size(theme::BODY))
                    .padding([3, 6])
                    .style(theme::row_button)
                    .on_press(Message::Accept(s.clone())),
            );
        }

        column![
            head,
            rule::horizontal(1),
            scrollable(rps.padding(iced::Padding {
                right: 12.0,
                ..iced::Padding::ZERO
            }))
            .height(Length::Fill),
            container(
                scrollable(suggest).direction(scrollable::Direction::Horizontal(
                    scrollable::Scrollbar::new().width(3).scroller_width(3)
                ))
            )
            .width(Length::Fill),
            row![
                button(text("Ctrl+D 薬を追加").size(theme::BODY))
                    .padding([4, 8])
                    .style(theme::tab(false))
                    .on_press(Message::AddDrug),
                button(text("Ctrl+R RPを追加").size(theme::BODY))
                    .padding([4, 8])
                    .style(theme::tab(false))
                    .on_press(Message::AddRp),
                button(text("Ctrl+Del 削除").size(theme::BODY))
                    .padding([4, 8])
                    .style(theme::tab(false))
                    .on_press(Message::Remove),
            ]
            .spacing(6)
            .align_y(iced::Center),
            row![
                text("リフィル可").size(theme::BODY),
                refill,
                text("回（1〜3）").size(theme::BODY),
                space::horizontal(),
                doctors
            ]
            .spacing(6)
            .align_y(iced::Center),
            row![text("備考").size(theme::BODY), remarks]
                .spacing(6)
                .align_y(iced::Center),
            row![
                marks,
                space::horizontal(),
                button(text("F10 発行・印刷").size(18))
                    .padding([6, 16])
                    .on_press(Message::Issue)
            ]
            .align_y(iced::Center),
        ]
        .spacing(6)
    }

    fn right_view<'a>(&'a self, records: &'a Records) -> Column<'a, Message> {
        let mut col = column![].spacing(6);
        if let Some(n) = &self.notice {
            col = col.push(match n {
                Notice::Done(m) => container(text(m.clone()).size(theme::BODY))
                    .padding(6)
                    .width(Length::Fill)
                    .style(theme::notice_box),
                Notice::Error(e) => container(text(format!("エラー: {e}")).size(theme::BODY))
                    .padding(6)
                    .width(Length::Fill)
                    .style(theme::error_box),
            });
        }
        col = col.push(text("印刷される内容").size(18));
        let preview = self.preview(records).into_iter().fold(
            column![].spacing(1).padding(iced::Padding {
                right: 12.0,
                ..iced::Padding::ZERO
            }),
            |c, l| c.push(text(l).size(theme::BODY)),
        );
        col = col.push(
            container(scrollable(preview).height(Length::Fill))
                .padding(6)
                .width(Length::Fill)
                .height(Length::FillPortion(3))
                .style(theme::panel),
        );

        let mut issued = column![text("この受付の処方箋").size(18)].spacing(4);
        if self.picked.is_none() {
        } else if self.issued.is_empty() {
            issued = issued.push(
                text("まだ発行していません")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        } else if self.latest_valid().is_some() {
            issued = issued.push(
                text("F6 PDFを開く  F8 再印刷  F7 取消（理由）")
                    .size(theme::BODY)
                    .color(theme::MUTED),
            );
        }
        for p in self.issued.iter().rev() {
            let drugs = drug_names(&p.content);
            let status = match (&p.voided_at, &p.void_reason) {
                (Some(_), reason) => format!("取消（{}）", reason.clone().unwrap_or_default()),
                _ => format!("{} {}", p.issued_on, p.doctor),
            };
            let mut line = row![column![
                text(format!("RX{}  {}", p.id, status)).size(theme::BODY),
                cell::<Message>(drugs, Length::Fill)
            ]
            .width(Length::Fill)]
            .spacing(4)
            .align_y(iced::Center);
            if p.voided_at.is_none() {
                line = line
                    .push(
                        button(text("PDF").size(theme::BODY))
                            .padding([3, 6])
                            .style(theme::tab(false))
                            .on_press(Message::OpenPdf(p.id)),
                    )
                    .push(
                        button(text("再印刷").size(theme::BODY))
                            .padding([3, 6])
                            .style(theme::tab(false))
                            .on_press(Message::Reprint(p.id)),
                    )
                    .push(
                        button(text("取消").size(theme::BODY))
                            .padding([3, 6])
                            .style(theme::tab(false))
                            .on_press(Message::VoidAsk(p.id)),
                    );
            }
            issued = issued.push(line);
            if let Some((id, reason)) = &self.voiding {
                if *id == p.id {
                    issued = issued.push(
                        text_input("取消の理由（必須）を入力して Enter、Esc でやめる", reason)
                            .id(VOID_INPUT)
                            .on_input(Message::VoidReason)
                            .on_submit(Message::VoidConfirm)
                            .size(theme::BODY)
                            .padding(5)
                            .style(theme::input(false)),
                    );
                }
            }
        }
        col.push(container(scrollable(issued)).height(Length::FillPortion(2)))
    }

    /// The text the paper will carry, in its order.
    fn preview(&self, records: &Records) -> Vec<String> {
        let Some((v, claim)) = self.picked_row() else {
            return vec!["（患者を選ぶと表示します）".into()];
        };
        let mut lines = vec![
            format!("氏名 {}", v.patient_name),
            format!("保険 {}", printed_insurance(claim)),
            format!(
                "交付 {}",
                crate::domain::wareki::format_wareki(records.today())
            ),
        ];
        lines.push("処方".into());
        for (i, rp) in self.rps.iter().enumerate() {
            lines.push(format!("RP{}) {}", i + 1, rp.form.ja()));
            for d in &rp.drugs {
                let mut marks = String::new();
                if d.no_substitution {
                    marks.push_str(" ［変更不可］");
                }
                if d.patient_request {
                    marks.push_str(" ［患者希望］");
                }
                lines.push(format!(
                    "　{} {}{}{}",
                    d.name.trim(),
                    to_half_width_ascii(d.amount.trim()),
                    d.unit.trim(),
                    marks
                ));
            }
            let days = match (rp.form, rp.days.trim()) {
                (DoseForm::External, _) | (_, "") => String::new(),
                (DoseForm::Internal, d) => format!(" {}日分", to_half_width_ascii(d)),
                (DoseForm::Prn, d) => format!(" {}回分", to_half_width_ascii(d)),
            };
            lines.push(format!("　　{}{}", rp.usage.trim(), days));
        }
        lines.push("以下余白".into());
        if let Ok(Some(n)) = parse_number(&self.refill) {
            lines.push(format!("リフィル可 {n}回"));
        }
        if !self.remarks.trim().is_empty() {
            lines.push(format!("備考 {}", self.remarks.trim()));
        }
        if self
            .rps
            .iter()
            .flat_map(|r| &r.drugs)
            .any(|d| d.no_substitution)
        {
            lines.push(format!(
                "保険医署名 {}（変更不可あり）",
                self.doctor_name(records)
            ));
        }
        lines.push(format!("保険医 {}", self.doctor_name(records)));
        lines
    }
}

/// Opens a file with the system's viewer without waiting for it to close.
fn open_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut cmd = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else {
        std::process::Command::new("xdg-open")
    };
    cmd.arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn()?;
    // Reap it in the background so no zombie is left.
    std::thread::spawn(move || child.wait());
    Ok(())
}

fn form_from_key(c: char) -> Option<DoseForm> {
    match c {
        '1' | '１' | '内' => Some(DoseForm::Internal),
        '2' | '２' | '頓' => Some(DoseForm::Prn),
        '3' | '３' | '外' => Some(DoseForm::External),
        _ => None,
    }
}

/// Empty → None; full-width digits accepted; anything else is an error.
fn parse_number(s: &str) -> Result<Option<i64>, ()> {
    let s = to_half_width_ascii(s.trim());
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<i64>().map(Some).map_err(|_| ())
}

/// The input id to focus for a problem's field.
fn focus_for(field: &str) -> Option<String> {
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
fn place(field: &str) -> String {
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

/// The insurance as the form will carry it: numbers in the boxes, or 不詳.
fn printed_insurance(claim: Option<&Declaration>) -> String {
    match claim {
        None => "保険情報なし".into(),
        Some(d) => {
            let i = &d.insurance;
            match (&i.insurer_number, &i.number) {
                (Some(ins), Some(num)) => {
                    let mut s = format!("保険者番号 {ins}  記号・番号 ");
                    if !i.symbol.is_empty() {
                        s.push_str(&format!("{}・", i.symbol));
                    }
                    s.push_str(num);
                    if !i.branch.is_empty() {
                        s.push_str(&format!("（枝番 {}）", i.branch));
                    }
                    s
                }
                _ => "不詳（番号なし）".into(),
            }
        }
    }
}

/// Whether the insurance was confirmed online (or by a manual lookup) or is as declared.
fn verification(claim: Option<&Declaration>) -> (String, iced::Color) {
    match claim {
        None => ("保険情報なし".into(), theme::ERROR_TEXT),
        Some(d) if d.insurance.is_fushou() => {
            ("不詳・未確認（番号なし）".into(), theme::ERROR_TEXT)
        }
        Some(d) => match (d.source, &d.verified_at) {
            (Source::Verified, _) | (_, Some(_)) => {
                (format!("確認済（{}）", d.source.ja()), theme::GREEN)
            }
            (Source::Manual, None) => ("確認済（手入力）".into(), theme::GREEN),
            (Source::Declared, None) => ("申告のまま・未確認".into(), theme::AMBER),
        },
    }
}

/// The drug names of a stored prescription, for its line in the list.
fn drug_names(content: &serde_json::Value) -> String {
    let names: Vec<&str> = content["rps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rp| rp["drugs"].as_array().into_iter().flatten())
        .filter_map(|d| d["name"].as_str())
        .collect();
    names.join("、")
}
