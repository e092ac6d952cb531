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
//! prints; F8 twice reprints the latest; from the list Ctrl+Delete voids it (reason, Enter);
//! Esc backs out.

mod draft;
mod view;

use iced::widget::operation;
use iced::Task;

pub use draft::{drug_id, rp_id, DrugField, RpField, REFILL_INPUT, REMARKS_INPUT};

use super::keys::Shortcut;
use super::widget::error_ja;
use super::{platform, Action};
use crate::domain::ids::{PrescriptionId, VisitId};
use crate::domain::prescription::{DoseForm, PrescriptionInput};
use crate::domain::text::to_half_width_ascii;
use crate::error::FieldError;
use crate::service::{RecentDrug, Records, VisitRow};
use crate::store::patients::Declaration;
use crate::store::prescriptions::StoredPrescription;
use draft::{focus_for, form_from_key, Draft, DrugDraft, RpDraft};

/// No widget has this id: focusing it takes the focus off every field so ↑↓ and Enter reach
/// the visit list.
const NOWHERE: &str = "rx-nowhere";
pub const VOID_INPUT: &str = "rx-void-reason";
const SUGGESTIONS: usize = 5;

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

enum Notice {
    Done(String),
    Error(String),
}

#[derive(Default)]
pub struct PrescriptionScreen {
    visits: Vec<VisitRow>,
    /// Each visit's insurance as the prescription will print it (after reconciliation, the
    /// clerk's decision; else as received), in the order of `visits`.
    claims: Vec<Option<Declaration>>,
    selected: usize,
    /// The visit being prescribed for (its `V12` id).
    picked: Option<VisitId>,
    /// Fields have focus (Esc goes back to the list first).
    editing: bool,
    draft: Draft,
    doctor: usize,
    /// The drug line last typed in: where Ctrl+H / Ctrl+K / Ctrl+Delete and suggestions act.
    current: (usize, usize),
    /// Every problem is shown, empty fields too (after an attempt to issue).
    show_all: bool,
    recent: Vec<RecentDrug>,
    issued: Vec<StoredPrescription>,
    /// Unissued drafts of other visits, kept when the doctor switches patient and back.
    drafts: std::collections::HashMap<VisitId, Draft>,
    /// A void being asked for: the prescription and the reason typed so far.
    voiding: Option<(i64, String)>,
    /// F8 was pressed once for this prescription: the second F8 reprints it (a reprint is a
    /// second paper, so it is never one key alone).
    reprint_asked: Option<i64>,
    notice: Option<Notice>,
}

impl PrescriptionScreen {
    /// Re-reads today's visits (voided ones left out), the recent drugs and the issued list.
    pub fn refresh(&mut self, records: &Records) {
        match records.visits(Some(records.today())) {
            Ok(v) => {
                let keep = self.visits.get(self.selected).map(|r| r.visit_id);
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
                            .prescription_insurance(v.visit_id)
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
            Some(v) => records.prescriptions_for(*v).unwrap_or_default(),
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
        if self.reprint_asked.take().is_some() {
            self.notice = None;
            true
        } else if self.voiding.take().is_some() {
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
        let i = self.visits.iter().position(|v| v.visit_id == *id)?;
        Some((&self.visits[i], self.claims.get(i).and_then(Option::as_ref)))
    }

    /// The signed-in doctor, whose name a prescription carries; before accounts, the one
    /// chosen among `[clinic] doctors`.
    fn doctor_name<'a>(&self, records: &'a Records) -> &'a str {
        if let Some(doctor) = records.signed_in_doctor() {
            return doctor;
        }
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
        self.draft.input(
            self.picked.map(|v| v.to_string()).unwrap_or_default(),
            self.doctor_name(records).to_string(),
            records.today().to_string(),
        )
    }

    /// Every problem with the draft, a missing patient first.
    fn problems(&self, records: &Records) -> Vec<FieldError> {
        let mut errs = self.draft.problems(&self.input(records));
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
        self.show_all || self.draft.typed_in(e)
    }

    /// Recently used drugs matching the current drug name (all of them while it is empty).
    fn suggestions(&self) -> Vec<&RecentDrug> {
        let (r, d) = self.current;
        let Some(typed) = self
            .draft
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

    /// Nothing typed yet (a copy must not overwrite the doctor's work).
    fn draft_is_blank(&self) -> bool {
        let d = &self.draft;
        d.refill.trim().is_empty()
            && d.remarks.trim().is_empty()
            && d.rps.iter().all(|rp| {
                rp.usage.trim().is_empty()
                    && rp.days.trim().is_empty()
                    && rp.drugs.iter().all(|x| x.name.trim().is_empty())
            })
    }

    fn clear_draft(&mut self) {
        self.draft = Draft::default();
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
            // Ctrl+Delete deletes what is in hand: a drug line while writing, else (the list)
            // the latest prescription, voided with a reason as 受付 voids a visit.
            Shortcut::Ctrl('\u{7f}') if self.editing => Message::Remove,
            Shortcut::Ctrl('\u{7f}') => Message::VoidAsk(self.latest_valid()?),
            Shortcut::Ctrl('h') => Message::ToggleNoSubstitution(None),
            Shortcut::Ctrl('k') => Message::TogglePatientRequest(None),
            Shortcut::Primary => Message::OpenPdf(self.latest_valid()?),
            Shortcut::Save => Message::Reprint(self.latest_valid()?),
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
                if let Some(drug) = self.draft.rps.get_mut(r).and_then(|rp| rp.drugs.get_mut(d)) {
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
                    Some(s) if !self.draft.rps[r].drugs[d].name.trim().is_empty() => self.accept(s),
                    _ => operation::focus(drug_id(r, d, DrugField::Amount)),
                }
            }
            Message::Submit(r, d, _) => {
                self.current = (r, d);
                operation::focus_next()
            }
            Message::SubmitRp(_, _) => operation::focus_next(),
            Message::Rp(r, f, v) => {
                if let Some(rp) = self.draft.rps.get_mut(r) {
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
                if let Some(drug) = self.draft.rps.get_mut(r).and_then(|rp| rp.drugs.get_mut(d)) {
                    drug.no_substitution = !drug.no_substitution;
                }
                Task::none()
            }
            Message::TogglePatientRequest(at) => {
                let (r, d) = at.unwrap_or(self.current);
                if let Some(drug) = self.draft.rps.get_mut(r).and_then(|rp| rp.drugs.get_mut(d)) {
                    drug.patient_request = !drug.patient_request;
                }
                Task::none()
            }
            Message::AddDrug => {
                let r = self.current.0.min(self.draft.rps.len() - 1);
                self.draft.rps[r].drugs.push(DrugDraft::default());
                self.current = (r, self.draft.rps[r].drugs.len() - 1);
                self.editing = true;
                operation::focus(drug_id(self.current.0, self.current.1, DrugField::Name))
            }
            Message::AddRp => {
                self.draft.rps.push(RpDraft::default());
                self.current = (self.draft.rps.len() - 1, 0);
                self.editing = true;
                operation::focus(drug_id(self.current.0, 0, DrugField::Name))
            }
            Message::Remove => {
                let (r, d) = self.current;
                let Some(rp) = self.draft.rps.get_mut(r) else {
                    return Task::none();
                };
                if rp.drugs.len() > 1 {
                    rp.drugs.remove(d);
                    self.current = (r, d.min(rp.drugs.len() - 1));
                } else if self.draft.rps.len() > 1 {
                    self.draft.rps.remove(r);
                    let r = r.min(self.draft.rps.len() - 1);
                    self.current = (r, 0);
                } else {
                    self.draft.rps[0] = RpDraft::default();
                    self.current = (0, 0);
                }
                operation::focus(drug_id(self.current.0, self.current.1, DrugField::Name))
            }
            Message::Refill(v) => {
                self.draft.refill = v;
                Task::none()
            }
            Message::Remarks(v) => {
                self.draft.remarks = v;
                Task::none()
            }
            Message::Doctor(i) => {
                self.doctor = i;
                Task::none()
            }
            Message::Issue => self.issue(records),
            Message::Reprint(id) if self.reprint_asked != Some(id) => {
                self.reprint_asked = Some(id);
                self.notice = Some(Notice::Done(format!(
                    "{} を再印刷しますか？ もう一度 F8 で印刷します（「再発行」と原本の交付日を印字。Esc でやめる）",
                    PrescriptionId(id)
                )));
                Task::none()
            }
            Message::Reprint(id) => {
                self.reprint_asked = None;
                let rx = PrescriptionId(id);
                self.notice = Some(match records.print_prescription(rx) {
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
                let rx = PrescriptionId(id);
                let voided = self
                    .issued
                    .iter()
                    .find(|p| p.id == id)
                    .map(|p| p.content.clone());
                match records.void_prescription(rx, &reason) {
                    Ok(_) => {
                        self.voiding = None;
                        self.refresh(records);
                        // The usual next step is the corrected prescription: start from a copy.
                        let copied = match voided {
                            Some(content) if self.draft_is_blank() => {
                                self.draft = Draft::from_input(&content);
                                self.current = (0, 0);
                                "。取り消した処方を下書きに写しました（直して F10 で発行）"
                            }
                            _ => "",
                        };
                        self.notice = Some(Notice::Done(format!(
                            "{rx} を取り消しました（理由: {}）{copied}",
                            reason.trim()
                        )));
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
                    self.notice = Some(match platform::open(&p.pdf_path) {
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

    fn pick(&mut self, records: &mut Records) -> Task<Message> {
        let Some((visit_id, patient)) = self
            .visits
            .get(self.selected)
            .map(|v| (v.visit_id, v.visit.patient_id))
        else {
            return Task::none();
        };
        // Opening a patient to prescribe is a view of their record, in the audit log like
        // reception's (a write failure is said at the next save, not here).
        let _ = records.viewed("prescription", &[patient]);
        if self.picked.as_ref() != Some(&visit_id) {
            // Another patient: never carry a draft over, but keep it for when they come back.
            let draft = std::mem::take(&mut self.draft);
            if let Some(old) = self.picked.replace(visit_id) {
                self.drafts.insert(old, draft);
            }
            self.clear_draft();
            if let Some(draft) = self.drafts.remove(&visit_id) {
                self.draft = draft;
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
        let Some(rp) = self.draft.rps.get_mut(r) else {
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
}
