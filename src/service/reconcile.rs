//! The afternoon reconciliation pass, the clerk's decisions, and the billing list.

use crate::domain::access::Right;
use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

use super::Records;
use crate::domain::claim::{claim_numbers, ClaimBasis, ClaimNumbers};
use crate::domain::ids::{PatientId, VisitId};
use crate::domain::intake::{validate_insurance, InsuranceInput};
use crate::domain::{Basis, Insurance, PatientDetails, QueueDecision, QueueState, Service, Source};
use crate::error::{Error, Result};
use crate::qualification::{OqsFolder, QualificationService, VerifyOutcome};
use crate::reconcile::{classify, request_for, Difference, ReconcileStatus};
use crate::store::queue::{self, CheckResult, QueueEntry};
use crate::store::{outages, patients, visits, Store, Tx};

/// How the pass paces itself so the terminal is not flooded.
#[derive(Debug, Clone)]
pub struct PassOptions {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Pause after each request, per worker.
    pub delay: Duration,
    /// Settle `match` records without a person.
    pub auto_settle_match: bool,
}

impl PassOptions {
    /// The pacing the clinic configured (`[reconcile]`): the CLI and the desktop app alike.
    pub fn from_config(c: &crate::config::Reconcile) -> PassOptions {
        PassOptions {
            concurrency: c.concurrency,
            delay: Duration::from_millis(c.delay_ms),
            auto_settle_match: c.auto_settle_match,
        }
    }
}

impl Default for PassOptions {
    fn default() -> Self {
        PassOptions {
            concurrency: 2,
            delay: Duration::from_millis(200),
            auto_settle_match: true,
        }
    }
}

/// Progress of a running pass, for the screen and the terminal.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub visit_no: String,
    pub patient_name: String,
    pub status: ReconcileStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct PassResult {
    pub visit_id: VisitId,
    pub visit_no: String,
    pub status: ReconcileStatus,
    pub differences: Vec<Difference>,
    pub reason: String,
    pub settled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PassReport {
    pub checked: usize,
    pub results: Vec<PassResult>,
}

/// One due record, read before the (slow) check.
struct Job {
    visit_id: i64,
    visit_no: String,
    declaration_id: i64,
    patient: PatientDetails,
    insurance: Insurance,
    /// The question for the terminal; None on the 不詳 path (no numbers to ask with).
    request: Option<crate::qualification::VerifyRequest>,
}

/// A person's decision (`resolve`).
#[derive(Debug, Clone)]
pub enum Decision {
    /// Claim with the verified data; the patient's insurance is updated, the old kept as history.
    AcceptVerified,
    /// Keep the declared data (a reason is required).
    AcceptDeclared,
    /// Not decided yet: call the patient, ask the insurer (a note says what).
    FollowUp,
    /// The result of a manual lookup (緊急時医療情報・資格確認機能), typed in.
    Manual(Box<InsuranceInput>),
}

/// A queue entry with what the clerk needs to see.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    pub visit_id: VisitId,
    pub visit_no: String,
    pub visit_date: chrono::NaiveDate,
    pub patient_id: PatientId,
    pub patient: PatientDetails,
    pub declared: Insurance,
    /// The insurance the claim uses now (the decided one, else the declared).
    pub claimed: Insurance,
    /// 申告の根拠 of the visit.
    pub basis: Basis,
    #[serde(flatten)]
    pub entry: QueueEntry,
    /// What the claim would use now.
    pub claim: ClaimNumbers,
    /// Why, in the clerk's words.
    pub claim_basis_ja: String,
    /// For `needs_manual`: what to look up by hand.
    pub lookup: Option<String>,
    pub voided: bool,
}

impl Records {
    /// Re-verifies every due record through `service`, sorts each into a status and stores it.
    /// Each record is written in its own transaction as soon as its answer is in, so a pass
    /// cut short (crash, power, closed window) loses nothing and repeats no decision: run it
    /// again and it carries on with what is still due. `no_answer` records stay due.
    pub fn reconcile_pass(
        &mut self,
        service: &dyn QualificationService,
        opts: &PassOptions,
        mut progress: impl FnMut(&Progress),
    ) -> Result<PassReport> {
        self.require(Right::Reconcile)?;
        // One pass at a time per database: two would send the same records to the terminal.
        let _one_pass = self.store.lock_pass()?;
        if let Some(o) = self.store.read(outages::current)? {
            if o.services.contains(&Service::Qualification) {
                return Err(Error::refused(
                    "障害モード中です。回線の復旧（障害終了）を記録してから照合してください",
                    "an outage is open: record the line's return before reconciling",
                ));
            }
        }
        let jobs = self.store.read(|tx| {
            let mut jobs = Vec::new();
            for visit_id in queue::due(tx)? {
                let v = visits::require(tx, visit_id)?;
                let p = patients::require_patient(tx, v.patient_id)?;
                let d = patients::get_declaration(tx, v.declaration_id)?.ok_or_else(|| {
                    Error::inconsistent(
                        format!("受診 V{visit_id} の保険情報がありません"),
                        format!("visit {visit_id} has no declaration"),
                    )
                })?;
                // Eligibility on the day of care: the visit's day is the day asked about.
                let request = request_for(
                    &VisitId(visit_id).to_string(),
                    &d.insurance,
                    p.details.birth_date,
                    v.visit_date,
                );
                jobs.push(Job {
                    visit_id,
                    visit_no: v.visit_no,
                    declaration_id: d.id,
                    patient: p.details,
                    insurance: d.insurance,
                    request,
                });
            }
            Ok(jobs)
        })?;
        let total = jobs.len();
        let mut report = PassReport {
            checked: 0,
            results: Vec::new(),
        };

        // 不詳 records cannot be checked online: sort them at once. The rest go to workers.
        let (offline, online): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.request.is_none());
        let queue = Mutex::new(online.into_iter().collect::<VecDeque<Job>>());
        let (tx, rx) = mpsc::channel::<(Job, VerifyOutcome)>();
        let workers = opts.concurrency.clamp(1, 8);
        std::thread::scope(|scope| -> Result<()> {
            for _ in 0..workers {
                let tx = tx.clone();
                let queue = &queue;
                scope.spawn(move || {
                    while let Some(job) = queue.lock().ok().and_then(|mut q| q.pop_front()) {
                        let Some(req) = &job.request else { continue };
                        let outcome = service.verify(req);
                        if tx.send((job, outcome)).is_err() {
                            break; // the pass stopped listening (an error while storing)
                        }
                        std::thread::sleep(opts.delay);
                    }
                });
            }
            drop(tx);
            for job in offline {
                self.store_check(job, None, opts, total, &mut report, &mut progress)?;
            }
            for (job, outcome) in rx {
                self.store_check(job, Some(&outcome), opts, total, &mut report, &mut progress)?;
            }
            Ok(())
        })?;
        Ok(report)
    }

    fn store_check(
        &mut self,
        job: Job,
        outcome: Option<&VerifyOutcome>,
        opts: &PassOptions,
        total: usize,
        report: &mut PassReport,
        progress: &mut impl FnMut(&Progress),
    ) -> Result<()> {
        let exchange = job.request.as_ref().zip(outcome);
        let verdict = classify(&job.insurance, &job.patient, exchange);
        let settle = opts.auto_settle_match && verdict.status == ReconcileStatus::Match;
        let stamp = self.stamp();
        let stored = self.store.write(|tx| {
            let stored = queue::record_check(
                tx,
                job.visit_id,
                &CheckResult {
                    status: verdict.status,
                    differences: &verdict.differences,
                    reason: &verdict.reason_ja,
                    verified: verdict.verified.as_ref(),
                    settle_with: settle.then_some(job.declaration_id),
                },
                &stamp,
            )?;
            if stored && verdict.status == ReconcileStatus::Match {
                patients::mark_verified(tx, job.declaration_id, &stamp)?;
            }
            Ok(stored)
        })?;
        report.checked += 1;
        progress(&Progress {
            done: report.checked,
            total,
            visit_no: job.visit_no.clone(),
            patient_name: job.patient.name.clone(),
            status: verdict.status,
        });
        if stored {
            report.results.push(PassResult {
                visit_id: VisitId(job.visit_id),
                visit_no: job.visit_no,
                status: verdict.status,
                differences: verdict.differences,
                reason: verdict.reason_ja,
                settled: settle,
            });
        }
        Ok(())
    }

    /// The pass as the clinic configured it: the terminal adapter from `[qualification]` (a
    /// missing key is named) and the pacing from `[reconcile]`. The command line and the
    /// window both run this.
    pub fn run_pass(&mut self, progress: impl FnMut(&Progress)) -> Result<PassReport> {
        self.require(Right::Reconcile)?;
        let service = OqsFolder::from_config(&self.config.qualification)?;
        let opts = PassOptions::from_config(&self.config.reconcile);
        self.reconcile_pass(&service, &opts, progress)
    }

    /// Runs [`run_pass`](Self::run_pass) on a worker thread with a connection of its own: the
    /// pass blocks on the terminal for seconds per record while the window must keep drawing,
    /// and each record it writes is its own transaction (WAL lets the window read meanwhile).
    /// What cannot start (a missing setting, an in-memory database) is said at once; `done`
    /// gets the pass's own outcome.
    pub fn start_pass(
        &self,
        progress: impl FnMut(&Progress) + Send + 'static,
        done: impl FnOnce(Result<PassReport>) + Send + 'static,
    ) -> Result<()> {
        self.require(Right::Reconcile)?;
        OqsFolder::from_config(&self.config.qualification)?;
        let path = self.store.path().map(Path::to_path_buf).ok_or_else(|| {
            Error::failed(
                "データベースがファイルではないため、照合を別スレッドで実行できません",
                "an in-memory database cannot be reconciled on a worker thread",
            )
        })?;
        let (config, actor, clock) = (self.config.clone(), self.actor.clone(), self.clock.clone());
        std::thread::spawn(move || {
            let backups = super::backup_dir(&config, &path);
            let result = Store::open_with_backups(&path, &backups)
                .and_then(|store| Records::new(store, config, actor, clock).run_pass(progress));
            done(result)
        });
        Ok(())
    }

    /// Records a person's decision on a record waiting for one.
    pub fn resolve(
        &mut self,
        visit: VisitId,
        decision: Decision,
        note: &str,
    ) -> Result<QueueEntry> {
        self.require(Right::Reconcile)?;
        let visit_id = visit.0;
        let note = note.trim();
        if matches!(decision, Decision::AcceptDeclared | Decision::FollowUp) && note.is_empty() {
            return Err(Error::field(
                "--note",
                "理由・メモ",
                "申告のまま確定する理由、または確認すること（電話など）を入力してください",
                "a note is required",
            ));
        }
        let today = self.today();
        let stamp = self.stamp();
        self.store.write(|tx| {
            let v = visits::require(tx, visit_id)?;
            let entry = queue::get(tx, visit_id)?.ok_or_else(|| Error::inconsistent(format!("受診 V{visit_id} が照合待ちの一覧にありません"), format!("visit {visit_id} has no queue entry")))?;
            if entry.state != QueueState::NeedsDecision {
                return Err(Error::refused(
                    format!("{} は判断待ちではありません（状態: {}）", v.visit_no, entry.state.ja()),
                    format!("{} is not waiting for a decision (state {})", v.visit_no, entry.state.as_str()),
                ));
            }
            let p = patients::require_patient(tx, v.patient_id)?;
            let (name, claim, settle) = match &decision {
                Decision::AcceptVerified => {
                    let verified = entry.verified.as_ref().ok_or_else(|| {
                        Error::refused(
                            format!("{} には確認済みの保険情報がありません。申告のまま・手入力・要確認のいずれかを選んでください", v.visit_no),
                            "no verified data to accept",
                        )
                    })?;
                    let id = patients::insert_declaration(tx, v.patient_id, verified, Source::Verified, "online_verification", Some(&stamp.at), &stamp)?;
                    (QueueDecision::Verified, Some(id), true)
                }
                Decision::AcceptDeclared => (QueueDecision::Declared, Some(v.declaration_id), true),
                Decision::FollowUp => (QueueDecision::FollowUp, None, false),
                Decision::Manual(input) => {
                    let (ins, _warnings) = validate_insurance(input, p.details.birth_date, today).map_err(Error::Input)?;
                    if ins.is_fushou() {
                        return Err(Error::field("insurance", "保険情報", "照会結果の保険者番号と番号を入力してください", "numbers required"));
                    }
                    let id = patients::insert_declaration(tx, v.patient_id, &ins, Source::Manual, "manual_lookup", Some(&stamp.at), &stamp)?;
                    (QueueDecision::Manual, Some(id), true)
                }
            };
            if !queue::decide(tx, visit_id, name, note, claim, settle, &stamp)? {
                return Err(Error::refused("判断待ちではありません", "not waiting for a decision"));
            }
            Ok(queue::get(tx, visit_id)?.expect("exists"))
        })
    }

    /// Every queue entry with its visit, patient and the claim it would make now: decisions
    /// still open first, then by status, then by visit number.
    pub fn reconcile_list(&self) -> Result<Vec<QueueRow>> {
        self.require(Right::Reconcile)?;
        let mut rows = Vec::new();
        self.for_each_queue_row(ListOrder::OpenFirst, |row| {
            rows.push(row);
            Ok(())
        })?;
        Ok(rows)
    }

    /// Calls `each` with every queue entry's row, in `order`, one at a time and all from one
    /// read of the records: a year of them is never held at once.
    pub fn for_each_queue_row(
        &self,
        order: ListOrder,
        mut each: impl FnMut(QueueRow) -> Result<()>,
    ) -> Result<()> {
        self.require(Right::Reconcile)?;
        self.store
            .read(|tx| queue::for_each(tx, &order.sql(), |entry| each(queue_row(tx, entry)?)))
    }

    /// The visits of the records not settled yet (要判断 first, then 照合待ち), in the 照合
    /// list's order: within each, by status (most needing attention first), day and visit
    /// number. Ids only: the rows are built for what is shown ([`reconcile_rows`]).
    ///
    /// [`reconcile_rows`]: Self::reconcile_rows
    pub fn reconcile_open_ids(&self) -> Result<Vec<VisitId>> {
        let order = format!(
            "q.state <> 'needs_decision', {}",
            ListOrder::OpenFirst.sql()
        );
        Ok(self
            .store
            .read(|tx| queue::open_ids(tx, &order))?
            .into_iter()
            .map(VisitId)
            .collect())
    }

    /// The rows of these visits' queue entries, in the order given (one read of the records).
    pub fn reconcile_rows(&self, visits: &[VisitId]) -> Result<Vec<QueueRow>> {
        self.store.read(|tx| {
            visits
                .iter()
                .map(|v| {
                    let entry = queue::get(tx, v.0)?.ok_or_else(|| {
                        Error::inconsistent(
                            format!("受診 {v} が照合の一覧にありません"),
                            format!("visit {v} has no queue entry"),
                        )
                    })?;
                    queue_row(tx, entry)
                })
                .collect()
        })
    }

    /// One page of the settled records, newest visit first: `limit` rows after `offset`.
    pub fn reconcile_settled(&self, offset: usize, limit: usize) -> Result<Vec<QueueRow>> {
        self.store.read(|tx| {
            queue::settled_page(tx, offset, limit)?
                .into_iter()
                .map(|entry| queue_row(tx, entry))
                .collect()
        })
    }

    /// How many records each part of the 照合 list holds.
    pub fn reconcile_counts(&self) -> Result<ReconcileCounts> {
        let (to_decide, waiting, settled) = self.store.read(queue::counts)?;
        let n = |v: i64| usize::try_from(v).unwrap_or(0);
        Ok(ReconcileCounts {
            to_decide: n(to_decide),
            waiting: n(waiting),
            settled: n(settled),
        })
    }

    /// Patients that may be one person registered twice, for the clerk to merge.
    pub fn possible_duplicates(&self) -> Result<Vec<Vec<patients::Patient>>> {
        self.require(Right::MergePatients)?;
        self.store.read(|tx| {
            patients::possible_duplicates(tx)?
                .into_iter()
                .map(|ids| {
                    ids.into_iter()
                        .map(|id| patients::require_patient(tx, id))
                        .collect()
                })
                .collect()
        })
    }

    /// Merges patient `from` into `into`: both histories stay; `from` leaves searches. A
    /// different birth date or sex needs a `reason`.
    pub fn merge_patients(&mut self, from: PatientId, into: PatientId, reason: &str) -> Result<()> {
        self.require(Right::MergePatients)?;
        let stamp = self.stamp();
        self.store
            .write(|tx| patients::merge(tx, from.0, into.0, reason, &stamp))
    }

    /// Undoes a merge made by mistake (a reason is required).
    pub fn unmerge_patient(&mut self, patient: PatientId, reason: &str) -> Result<()> {
        self.require(Right::MergePatients)?;
        let stamp = self.stamp();
        self.store
            .write(|tx| patients::unmerge(tx, patient.0, reason, &stamp))
    }
}

/// How many records each part of the 照合 list holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileCounts {
    /// 要判断: answered, a person decides.
    pub to_decide: usize,
    /// 照合待ち: not asked yet (waiting for the line, or due).
    pub waiting: usize,
    /// 確定.
    pub settled: usize,
}

impl ReconcileCounts {
    /// The records not settled yet.
    pub fn open(&self) -> usize {
        self.to_decide + self.waiting
    }
}

/// The order a list of queue rows comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// By visit, as recorded (the receipt software's export).
    ByVisit,
    /// Decisions still open first, then by status (most needing attention first), then by day
    /// and visit number (the clerk's list).
    OpenFirst,
}

impl ListOrder {
    fn sql(self) -> String {
        match self {
            ListOrder::ByVisit => "q.visit_id".into(),
            ListOrder::OpenFirst => {
                let ranks: String = ReconcileStatus::ALL
                    .iter()
                    .map(|s| format!(" WHEN '{}' THEN {}", s.as_str(), status_rank(Some(*s))))
                    .collect();
                format!(
                    "q.state = 'settled', CASE q.status{ranks} ELSE 0 END, v.visit_date, v.visit_no"
                )
            }
        }
    }
}

/// A queue entry with its visit, patient and the claim it would make now.
fn queue_row(tx: &Tx<'_>, entry: QueueEntry) -> Result<QueueRow> {
    let v = visits::require(tx, entry.visit_id)?;
    let p = patients::require_patient(tx, v.patient_id)?;
    let declared = patients::get_declaration(tx, v.declaration_id)?.ok_or_else(|| {
        Error::inconsistent(
            format!("受診 V{} の保険情報がありません", v.id),
            format!("visit {} has no declaration", v.id),
        )
    })?;
    let claim_decl = patients::claim_declaration(tx, v.declaration_id, entry.claim_declaration_id)?;
    let claim = claim_numbers(
        &claim_decl.insurance,
        claim_decl.source,
        &p.details,
        v.visit_date,
    );
    let status = entry.status;
    let claim_basis_ja = claim_basis_ja(&entry, status, &claim);
    let lookup = (status == Some(ReconcileStatus::NeedsManual)
        && entry.state != QueueState::Settled)
        .then(|| {
            let d = &p.details;
            format!(
                "氏名 {} / カナ {} / 性別 {} / 生年月日 {} / 住所 {}",
                d.name,
                d.kana,
                d.sex.ja(),
                crate::domain::wareki::format_wareki(d.birth_date),
                if d.address.is_empty() {
                    "（未記入）"
                } else {
                    &d.address
                }
            )
        });
    Ok(QueueRow {
        visit_id: VisitId(v.id),
        visit_no: v.visit_no,
        visit_date: v.visit_date,
        patient_id: PatientId(p.id),
        patient: p.details,
        declared: declared.insurance,
        claimed: claim_decl.insurance,
        basis: v.basis,
        claim,
        claim_basis_ja,
        lookup,
        voided: v.voided_at.is_some(),
        entry,
    })
}

fn status_rank(status: Option<ReconcileStatus>) -> usize {
    match status {
        Some(s) => ReconcileStatus::ALL
            .iter()
            .position(|x| *x == s)
            .map(|p| ReconcileStatus::ALL.len() - p)
            .unwrap_or(0),
        None => 0,
    }
}

/// Why the claim uses these numbers, in the clerk's words.
fn claim_basis_ja(
    entry: &QueueEntry,
    status: Option<ReconcileStatus>,
    claim: &ClaimNumbers,
) -> String {
    use QueueDecision::*;
    if entry.decision == Some(Voided) {
        return "取消（請求しない）".into();
    }
    match (claim.basis, entry.decision, status) {
        (ClaimBasis::Fushou, _, _) => "不詳（7埋め）".into(),
        (ClaimBasis::PublicOnly, _, _) => "公費単独（公費のみ請求）".into(),
        (_, Some(Auto), _) => "オンライン確認で一致".into(),
        (_, Some(Verified), _) => "確認済みの資格".into(),
        (_, Some(Manual), _) => "手作業の照会結果".into(),
        (_, Some(Declared), Some(ReconcileStatus::Ineligible)) => "旧資格（申告のまま）".into(),
        (_, Some(Declared), _) => "申告のまま（判断済み）".into(),
        _ => "申告のまま（未確定）".into(),
    }
}
