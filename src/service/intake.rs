//! Reception: recording a visit from a 申立書, or a returning patient's "no change".

use crate::domain::access::Right;
use serde::Serialize;

use super::Records;
use crate::domain::ids::{PatientId, VisitId};
use crate::domain::intake::{copay_warnings, validate, IntakeInput};
use crate::domain::text::name_key;
use crate::domain::{Basis, QueueDecision, QueueState, Source};
use crate::error::{Error, FieldError, Result, Warning};
use crate::reconcile::ReconcileStatus;
use crate::store::{outages, patients, queue, visits, Tx};
use chrono::NaiveDate;

/// What reception gets back: the ids, the visit number for paper, and any warnings.
#[derive(Debug, Clone, Serialize)]
pub struct IntakeReceipt {
    pub visit_id: VisitId,
    pub visit_no: String,
    pub patient_id: PatientId,
    pub warnings: Vec<FieldError>,
}

impl Records {
    /// Records one self-declared visit. All or nothing: a bad field writes nothing.
    pub fn intake(&mut self, input: &IntakeInput) -> Result<IntakeReceipt> {
        self.require(Right::Intake)?;
        let today = self.today();
        let (valid, mut warnings) = validate(input, today).map_err(Error::Input)?;
        let given_patient = match &input.patient_id {
            Some(p) if !p.trim().is_empty() => {
                Some(PatientId::parse_field(p, "patient_id", "患者ID")?.0)
            }
            _ => None,
        };
        let stamp = self.stamp();
        let (visit_id, visit_no, patient_id) = self.store.write(|tx| {
            let (known_id, similar) = match given_patient {
                Some(id) => {
                    let known = patients::require_patient(tx, id)?;
                    if known.details.birth_date != valid.patient.birth_date || name_key(&known.details.name) != name_key(&valid.patient.name) {
                        return Err(Error::field("patient_id", "患者ID", format!("{} の氏名・生年月日が入力と違います", PatientId(id)), "name or birth date differs from the stored patient"));
                    }
                    (Some(id), Vec::new())
                }
                // Same 氏名, カナ, 生年月日 and 性別: the same patient, not a second record.
                None => patients::find_same_person(tx, &valid.patient)?,
            };
            let patient_id = match known_id {
                Some(id) => {
                    // A returning patient's new address or phone, declared on this 申立書, is
                    // kept (and printed from now on), never silently dropped.
                    let mut details = patients::require_patient(tx, id)?.details;
                    if !valid.patient.address.is_empty() {
                        details.address = valid.patient.address.clone();
                    }
                    if !valid.patient.phone.is_empty() {
                        details.phone = valid.patient.phone.clone();
                    }
                    patients::update_details(tx, id, &details, "申立書で申告", &stamp)?;
                    warnings.extend(same_day(tx, id, today)?);
                    id
                }
                None => {
                    if let Some(other) = similar.first() {
                        warnings.push(FieldError::new(
                            "patient",
                            "患者",
                            format!("カナ・生年月日・性別が同じ患者 {} がいます。同一人物なら照合時に統合してください", PatientId(*other)),
                            format!("possible duplicate of {}", PatientId(*other)),
                        ));
                    }
                    patients::insert_patient(tx, &valid.patient, &stamp)?
                }
            };
            let declaration_id = patients::insert_declaration(tx, patient_id, &valid.insurance, Source::Declared, valid.basis.as_str(), None, &stamp)?;
            let outage_id = outages::current(tx)?.map(|o| o.id);
            let warnings_json = serde_json::to_value(&warnings).expect("warnings serialise");
            let (visit_id, visit_no) = visits::insert(
                tx,
                &visits::NewVisit { visit_date: today, patient_id, declaration_id, basis: valid.basis, outage_id, warnings: &warnings_json },
                &stamp,
            )?;
            Ok((visit_id, visit_no, patient_id))
        })?;
        Ok(IntakeReceipt {
            visit_id: VisitId(visit_id),
            visit_no,
            patient_id: PatientId(patient_id),
            warnings,
        })
    }

    /// Records a visit for a returning patient whose insurance has not changed: reuses their last
    /// known declaration (the oral "no change" counts as the 申立書). Refused when reconciliation
    /// found that insurance wanting (see [`Records::doubt_about_last_insurance`]) unless
    /// `declared_anyway` gives the reason to take it as declared all the same (kept with the
    /// visit). A second visit on the same day is recorded with a warning naming the first.
    pub fn intake_returning(
        &mut self,
        patient: PatientId,
        basis: Basis,
        declared_anyway: Option<&str>,
    ) -> Result<IntakeReceipt> {
        self.require(Right::Intake)?;
        let patient_id = patient.0;
        let anyway = declared_anyway.map(str::trim).filter(|r| !r.is_empty());
        let today = self.today();
        let stamp = self.stamp();
        let (visit_id, visit_no, warnings) = self.store.write(|tx| {
            let p = patients::require_patient(tx, patient_id)?;
            if let Some(into) = p.merged_into {
                return Err(Error::refused(
                    format!(
                        "{} は {} に統合されています。{} で受け付けてください",
                        PatientId(patient_id),
                        PatientId(into),
                        PatientId(into)
                    ),
                    format!("merged into {}", PatientId(into)),
                ));
            }
            let decl = patients::current_declaration(tx, patient_id)?.ok_or_else(|| {
                Error::refused(
                    format!(
                        "{} には前回の保険情報がありません。申立書で受け付けてください",
                        PatientId(patient_id)
                    ),
                    "no previous insurance on record",
                )
            })?;
            let mut warnings = copay_warnings(&decl.insurance, p.details.birth_date, today);
            match (doubt(tx, decl.id)?, anyway) {
                (Some(doubt), None) => {
                    return Err(Error::refused(
                        format!("{doubt}。新しい保険証の申立書（F7）で受け付けるか、理由を付けて申告のまま受け付けてください"),
                        "reconciliation found this insurance wanting: take a new 申立書, or give the reason to take it as declared",
                    ))
                }
                (Some(doubt), Some(reason)) => warnings.push(Warning::new(
                    "insurance",
                    "保険",
                    format!("{doubt}。申告のまま受付（理由: {reason}）"),
                    format!("taken as declared despite reconciliation (reason: {reason})"),
                )),
                (None, _) => {}
            }
            warnings.extend(same_day(tx, patient_id, today)?);
            let outage_id = outages::current(tx)?.map(|o| o.id);
            let warnings_json = serde_json::to_value(&warnings).expect("warnings serialise");
            let (visit_id, visit_no) = visits::insert(
                tx,
                &visits::NewVisit {
                    visit_date: today,
                    patient_id,
                    declaration_id: decl.id,
                    basis,
                    outage_id,
                    warnings: &warnings_json,
                },
                &stamp,
            )?;
            Ok((visit_id, visit_no, warnings))
        })?;
        Ok(IntakeReceipt {
            visit_id: VisitId(visit_id),
            visit_no,
            patient_id: PatientId(patient_id),
            warnings,
        })
    }
}

impl Records {
    /// Why the patient's last insurance must not be reused as "no change": reconciliation found
    /// it 資格なし or 該当なし, or a 要確認 decision on it is still open. `None` when it may.
    pub fn doubt_about_last_insurance(&self, patient: PatientId) -> Result<Option<String>> {
        self.require(Right::ViewRecords)?;
        self.store
            .read(|tx| match patients::current_declaration(tx, patient.0)? {
                Some(decl) => doubt(tx, decl.id),
                None => Ok(None),
            })
    }

    /// The patient's visits already recorded today and not voided (id, visit number), for the
    /// desk to see before recording another, or to cancel one recorded by mistake.
    pub fn visits_today(&self, patient: PatientId) -> Result<Vec<(VisitId, String)>> {
        self.require(Right::ViewRecords)?;
        let today = self.today();
        let found = self
            .store
            .read(|tx| visits::on_day_for(tx, patient.0, today))?;
        Ok(found
            .into_iter()
            .map(|(id, no)| (VisitId(id), no))
            .collect())
    }

    /// Corrects a patient's details (氏名, カナ, 生年月日, 性別, 住所, 電話) with the reason:
    /// checked like a 申立書's, audited, the earlier values kept in the audit log. Returns
    /// whether anything changed.
    pub fn correct_patient(
        &mut self,
        patient: PatientId,
        input: &crate::domain::intake::PatientInput,
        reason: &str,
    ) -> Result<bool> {
        self.require(Right::Intake)?;
        if reason.trim().is_empty() {
            return Err(Error::field(
                "--reason",
                "理由",
                "訂正の理由を入力してください",
                "a reason is required",
            ));
        }
        let (details, _) =
            crate::domain::intake::validate_patient(input, self.today()).map_err(Error::Input)?;
        let stamp = self.stamp();
        self.store
            .write(|tx| patients::update_details(tx, patient.0, &details, reason.trim(), &stamp))
    }

    /// Voids a visit recorded by mistake: it stays, marked, and leaves the queue settled.
    pub fn void_visit(&mut self, visit: VisitId, reason: &str) -> Result<String> {
        self.require(Right::Intake)?;
        let id = visit.0;
        if reason.trim().is_empty() {
            return Err(Error::field(
                "--reason",
                "理由",
                "取り消しの理由を入力してください",
                "a reason is required",
            ));
        }
        let stamp = self.stamp();
        self.store.write(|tx| {
            let v = visits::require(tx, id)?;
            visits::void(tx, id, reason.trim(), &stamp)?;
            Ok(v.visit_no)
        })
    }
}

/// What reconciliation found against a declaration, in the desk's words (see
/// [`Records::doubt_about_last_insurance`]).
fn doubt(tx: &Tx<'_>, declaration_id: i64) -> Result<Option<String>> {
    let Some(queue::Finding {
        visit_no,
        status,
        decision,
        state,
    }) = queue::latest_finding(tx, declaration_id)?
    else {
        return Ok(None);
    };
    Ok(match (status, decision, state) {
        (ReconcileStatus::Ineligible, _, _) => Some(format!(
            "前回の保険は照合で資格なし（無効）と分かっています（受付 {visit_no}）"
        )),
        (ReconcileStatus::NotFound, _, _) => Some(format!(
            "前回の保険は照合で該当なし（資格が見つからない）と分かっています（受付 {visit_no}）"
        )),
        (_, Some(QueueDecision::FollowUp), s) if s != QueueState::Settled => Some(format!(
            "前回の保険は照合で要確認のままです（受付 {visit_no}）"
        )),
        _ => None,
    })
}

/// A warning for a patient already received today (not voided).
fn same_day(tx: &Tx<'_>, patient_id: i64, today: NaiveDate) -> Result<Option<Warning>> {
    let earlier = visits::on_day_for(tx, patient_id, today)?;
    Ok((!earlier.is_empty()).then(|| {
        let nos: Vec<String> = earlier.into_iter().map(|(_, no)| no).collect();
        let nos = nos.join("、");
        Warning::new(
            "patient",
            "患者",
            format!("本日受付済み {nos}（二重受付でないか確認してください）"),
            format!("already received today: {nos}"),
        )
    }))
}
