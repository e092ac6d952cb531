//! Finding patients as reception types, and listing the day's visits.

use crate::domain::access::Right;
use chrono::NaiveDate;
use serde::Serialize;

use super::Records;
use crate::domain::ids::{PatientId, VisitId};
use crate::domain::text::{is_katakana, kana_key, name_key, normalize_number, to_katakana};
use crate::domain::wareki::parse_date;
use crate::domain::QueueState;
use crate::error::Result;
use crate::store::patients::{self, Declaration, Patient, Term};
use crate::store::{queue, visits};

#[derive(Debug, Clone, Serialize)]
pub struct PatientHit {
    pub patient_id: PatientId,
    #[serde(flatten)]
    pub patient: Patient,
    /// The last known insurance, for the returning patient's "no change".
    pub insurance: Option<Declaration>,
    pub insurance_summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VisitRow {
    pub visit_id: VisitId,
    #[serde(flatten)]
    pub visit: visits::Visit,
    pub patient_name: String,
    pub patient_kana: String,
    pub insurance: Option<Declaration>,
    pub insurance_summary: String,
    /// The insurance the visit is claimed with now: the declared one, or what reconciliation
    /// settled on (verified, looked up by hand).
    pub claimed_summary: String,
    pub queue_state: Option<QueueState>,
    pub queue_status: Option<crate::reconcile::ReconcileStatus>,
}

/// Turns what staff typed into search terms: each word is a date, a number, カナ or a name.
/// A word that is both a date and a number (`01130426`, an insurer number that reads as
/// YYYYMMDD) is searched both ways and the hits merged.
pub fn parse_query(text: &str) -> Vec<Term> {
    text.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(|word| {
            let mut readings: Vec<Term> = parse_date(word)
                .ok()
                .map(Term::BirthDate)
                .into_iter()
                .collect();
            let digits = normalize_number(word);
            let digits = digits
                .strip_prefix(['P', 'p'])
                .unwrap_or(&digits)
                .to_string();
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                readings.push(Term::Digits(digits));
            }
            match readings.len() {
                0 => {}
                1 => return readings.remove(0),
                _ => return Term::Any(readings),
            }
            let kana = to_katakana(word);
            if is_katakana(&kana) {
                Term::Kana(kana_key(&kana))
            } else {
                Term::Name(name_key(word))
            }
        })
        .collect()
}

impl Records {
    /// Patients matching every word typed, newest first.
    pub fn search_patients(&self, text: &str, limit: usize) -> Result<Vec<PatientHit>> {
        self.require(Right::ViewRecords)?;
        let terms = parse_query(text);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        self.store.read(|tx| {
            let found = patients::search(tx, &terms, limit)?;
            let ids: Vec<i64> = found.iter().map(|p| p.id).collect();
            let mut current = patients::current_declarations(tx, &ids)?;
            found
                .into_iter()
                .map(|p| {
                    let insurance = current.remove(&p.id);
                    Ok(PatientHit {
                        patient_id: PatientId(p.id),
                        insurance_summary: insurance
                            .as_ref()
                            .map(|d| d.insurance.summary_ja())
                            .unwrap_or_default(),
                        insurance,
                        patient: p,
                    })
                })
                .collect()
        })
    }

    /// Visits on `date` (or all), with their patient, insurance and queue state.
    pub fn visits(&self, date: Option<NaiveDate>) -> Result<Vec<VisitRow>> {
        self.require(Right::ViewRecords)?;
        self.visit_page(date, 0, usize::MAX)
    }

    /// At most `limit` of those visits with an id above `after`: a year of visits is listed a
    /// page at a time, in constant memory (see [`VisitPages`]).
    pub fn visit_page(
        &self,
        date: Option<NaiveDate>,
        after: i64,
        limit: usize,
    ) -> Result<Vec<VisitRow>> {
        self.require(Right::ViewRecords)?;
        self.store.read(|tx| {
            visits::page(tx, date, after, limit)?
                .into_iter()
                .map(|v| {
                    let p = patients::require_patient(tx, v.patient_id)?;
                    let d = patients::get_declaration(tx, v.declaration_id)?;
                    let q = queue::get(tx, v.id)?;
                    let claimed = match q.as_ref().and_then(|q| q.claim_declaration_id) {
                        Some(id) => patients::get_declaration(tx, id)?,
                        None => d.clone(),
                    };
                    Ok(VisitRow {
                        claimed_summary: claimed
                            .map(|c| c.insurance.summary_ja())
                            .unwrap_or_default(),
                        visit_id: VisitId(v.id),
                        patient_name: p.details.name,
                        patient_kana: p.details.kana,
                        insurance_summary: d
                            .as_ref()
                            .map(|d| d.insurance.summary_ja())
                            .unwrap_or_default(),
                        insurance: d,
                        queue_state: q.as_ref().map(|q| q.state),
                        queue_status: q.and_then(|q| q.status),
                        visit: v,
                    })
                })
                .collect()
        })
    }
}

/// Every visit (of a day, or all) a page at a time: what the command line streams out, so that
/// listing a year of visits holds one page in memory, not the year.
pub struct VisitPages<'r> {
    records: &'r Records,
    date: Option<NaiveDate>,
    after: i64,
    done: bool,
}

/// Visits read per page.
pub const PAGE: usize = 500;

impl Records {
    pub fn visit_pages(&self, date: Option<NaiveDate>) -> VisitPages<'_> {
        VisitPages {
            records: self,
            date,
            after: 0,
            done: false,
        }
    }
}

impl Iterator for VisitPages<'_> {
    type Item = Result<Vec<VisitRow>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let page = self.records.visit_page(self.date, self.after, PAGE);
        match &page {
            Ok(rows) if rows.len() < PAGE => self.done = true,
            Ok(rows) => self.after = rows.last().map_or(i64::MAX, |r| r.visit.id),
            Err(_) => self.done = true,
        }
        match page {
            Ok(rows) if rows.is_empty() => None,
            page => Some(page),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_terms() {
        let t = parse_query("やまだ　S45.3.1 01130012 山田");
        assert_eq!(t[0], Term::Kana("ヤマダ".into()));
        assert_eq!(
            t[1],
            Term::BirthDate(NaiveDate::from_ymd_opt(1970, 3, 1).unwrap())
        );
        assert_eq!(t[2], Term::Digits("01130012".into()));
        assert_eq!(t[3], Term::Name("山田".into()));
        assert_eq!(parse_query("ﾔﾏﾀﾞ"), vec![Term::Kana("ヤマダ".into())]);
        assert_eq!(parse_query("P12"), vec![Term::Digits("12".into())]);
        assert!(parse_query("  ").is_empty());
    }
}
