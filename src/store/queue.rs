//! The reconciliation queue: every visit waits here until it reaches a final status.

use serde::Serialize;

use super::patients::parse_optional;
use super::{audit, params, Row, Stamp, Tx};
use crate::domain::{Insurance, QueueDecision, QueueState};
use crate::error::Result;
use crate::reconcile::{Difference, ReconcileStatus};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueEntry {
    pub visit_id: i64,
    pub state: QueueState,
    pub status: Option<ReconcileStatus>,
    pub differences: Vec<Difference>,
    pub reason: String,
    pub verified: Option<Insurance>,
    pub attempts: i64,
    pub last_checked_at: Option<String>,
    pub decision: Option<QueueDecision>,
    pub decided_at: Option<String>,
    pub decided_by: Option<String>,
    pub note: String,
    pub claim_declaration_id: Option<i64>,
}

const COLUMNS: &str =
    "visit_id, state, status, differences, reason, verified, attempts, last_checked_at, decision,
    decided_at, decided_by, note, claim_declaration_id";

fn from_row(r: &Row<'_>) -> Result<QueueEntry> {
    let state: String = r.get(1)?;
    let diffs: String = r.get(3)?;
    let verified: Option<String> = r.get(5)?;
    Ok(QueueEntry {
        visit_id: r.get(0)?,
        state: QueueState::parse(&state)
            .ok_or_else(|| super::patients::conversion(1, BadState(state)))?,
        status: parse_optional(r, 2, ReconcileStatus::parse)?,
        differences: serde_json::from_str(&diffs).map_err(|e| super::patients::conversion(3, e))?,
        reason: r.get(4)?,
        verified: match verified {
            Some(v) => {
                Some(serde_json::from_str(&v).map_err(|e| super::patients::conversion(5, e))?)
            }
            None => None,
        },
        attempts: r.get(6)?,
        last_checked_at: r.get(7)?,
        decision: parse_optional(r, 8, QueueDecision::parse)?,
        decided_at: r.get(9)?,
        decided_by: r.get(10)?,
        note: r.get(11)?,
        claim_declaration_id: r.get(12)?,
    })
}

#[derive(Debug)]
struct BadState(String);
impl std::fmt::Display for BadState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown queue state {:?}", self.0)
    }
}
impl std::error::Error for BadState {}

pub fn enqueue(tx: &Tx<'_>, visit_id: i64, state: QueueState, stamp: &Stamp) -> Result<()> {
    tx.execute(
        "INSERT INTO reconcile_queue (visit_id, state, updated_at) VALUES (?1, ?2, ?3)",
        params![visit_id, state.as_str(), stamp.at],
    )?;
    audit::record(
        tx,
        stamp,
        "queue.enqueue",
        "queue",
        visit_id,
        serde_json::Value::Null,
    )
}

pub fn get(tx: &Tx<'_>, visit_id: i64) -> Result<Option<QueueEntry>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM reconcile_queue WHERE visit_id = ?1"),
        params![visit_id],
        from_row,
    )
}

/// Every entry, in visit order.
pub fn all(tx: &Tx<'_>) -> Result<Vec<QueueEntry>> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM reconcile_queue ORDER BY visit_id"),
        params![],
        from_row,
    )
}

/// Calls `each` with every entry, in `order` (an `ORDER BY` over the entry `q` and its visit
/// `v`), one row at a time: a year's queue is never held whole.
pub fn for_each(
    tx: &Tx<'_>,
    order: &str,
    mut each: impl FnMut(QueueEntry) -> Result<()>,
) -> Result<()> {
    let columns: Vec<String> = COLUMNS
        .split(',')
        .map(|c| format!("q.{}", c.trim()))
        .collect();
    tx.for_each(
        &format!(
            "SELECT {} FROM reconcile_queue q JOIN visits v ON v.id = q.visit_id ORDER BY {order}",
            columns.join(", ")
        ),
        params![],
        |r| {
            each(from_row(r)?)?;
            Ok(true)
        },
    )
}

/// The visits of the entries not settled yet (要判断, 照合待ち), in `order` (an `ORDER BY` over
/// the entry `q` and its visit `v`): ids only, so that even a queue never reconciled for a year
/// is a list of numbers, not of records.
pub fn open_ids(tx: &Tx<'_>, order: &str) -> Result<Vec<i64>> {
    tx.query(
        &format!(
            "SELECT q.visit_id FROM reconcile_queue q JOIN visits v ON v.id = q.visit_id
             WHERE q.state <> 'settled' ORDER BY {order}"
        ),
        params![],
        |r| r.get(0),
    )
}

/// One page of the settled entries, newest visit first: `limit` of them after skipping
/// `offset`. The state index holds them in visit order, so a page costs the rows it skips and
/// returns, never a sort of the whole history.
pub fn settled_page(tx: &Tx<'_>, offset: usize, limit: usize) -> Result<Vec<QueueEntry>> {
    // SQLite is told to use the state index (its planner would sort the whole table by key
    // instead); PostgreSQL's planner weighs both by itself.
    let indexed = if tx.is_postgres() {
        ""
    } else {
        "INDEXED BY reconcile_queue_state"
    };
    tx.query(
        &format!(
            "SELECT {COLUMNS} FROM reconcile_queue {indexed}
             WHERE state = 'settled' ORDER BY visit_id DESC LIMIT ?1 OFFSET ?2"
        ),
        params![
            i64::try_from(limit).unwrap_or(i64::MAX),
            i64::try_from(offset).unwrap_or(i64::MAX)
        ],
        from_row,
    )
}

/// How many entries are in each state: (要判断, 照合待ち (waiting and due), settled).
pub fn counts(tx: &Tx<'_>) -> Result<(i64, i64, i64)> {
    let rows: Vec<(String, i64)> = tx.query(
        "SELECT state, COUNT(*) FROM reconcile_queue GROUP BY state",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (mut decide, mut waiting, mut settled) = (0, 0, 0);
    for (state, n) in rows {
        match QueueState::parse(&state) {
            Some(QueueState::NeedsDecision) => decide += n,
            Some(QueueState::Settled) => settled += n,
            _ => waiting += n,
        }
    }
    Ok((decide, waiting, settled))
}

/// What reconciliation last made of a declaration, through one visit that used it.
pub struct Finding {
    pub visit_no: String,
    pub status: ReconcileStatus,
    pub decision: Option<QueueDecision>,
    pub state: QueueState,
}

/// What reconciliation made of a declaration through the newest visit (not voided) that used it
/// and got an answer.
pub fn latest_finding(tx: &Tx<'_>, declaration_id: i64) -> Result<Option<Finding>> {
    let found: Option<(String, String, Option<String>, String)> = tx.query_opt(
        "SELECT v.visit_no, q.status, q.decision, q.state
             FROM reconcile_queue q JOIN visits v ON v.id = q.visit_id
             WHERE v.declaration_id = ?1 AND q.status IS NOT NULL AND v.voided_at IS NULL
             ORDER BY v.id DESC LIMIT 1",
        params![declaration_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    Ok(found.and_then(|(visit_no, status, decision, state)| {
        Some(Finding {
            visit_no,
            status: ReconcileStatus::parse(&status)?,
            decision: decision.as_deref().and_then(QueueDecision::parse),
            state: QueueState::parse(&state)?,
        })
    }))
}

/// Visits due for checking, oldest first.
pub fn due(tx: &Tx<'_>) -> Result<Vec<i64>> {
    tx.query(
        "SELECT visit_id FROM reconcile_queue WHERE state = 'due' ORDER BY visit_id",
        params![],
        |r| r.get(0),
    )
}

/// Records still waiting for reconciliation (anything not settled).
pub fn count_open(tx: &Tx<'_>) -> Result<i64> {
    tx.query_one(
        "SELECT COUNT(*) FROM reconcile_queue WHERE state <> 'settled'",
        params![],
        |r| r.get(0),
    )
}

/// Records answered and waiting for a person's decision (要判断).
pub fn count_to_decide(tx: &Tx<'_>) -> Result<i64> {
    tx.query_one(
        "SELECT COUNT(*) FROM reconcile_queue WHERE state = 'needs_decision'",
        params![],
        |r| r.get(0),
    )
}

/// The line is back: everything recorded while it was down becomes due for checking.
pub fn release_waiting(tx: &Tx<'_>, stamp: &Stamp) -> Result<usize> {
    let ids: Vec<i64> = tx.query(
        "SELECT visit_id FROM reconcile_queue WHERE state = 'waiting' ORDER BY visit_id",
        params![],
        |r| r.get(0),
    )?;
    for id in &ids {
        tx.execute(
            "UPDATE reconcile_queue SET state = 'due', updated_at = ?1 WHERE visit_id = ?2",
            params![stamp.at, id],
        )?;
        audit::record(
            tx,
            stamp,
            "queue.due",
            "queue",
            *id,
            serde_json::Value::Null,
        )?;
    }
    Ok(ids.len())
}

/// What a check found, to store with the entry.
pub struct CheckResult<'a> {
    pub status: ReconcileStatus,
    pub differences: &'a [Difference],
    pub reason: &'a str,
    pub verified: Option<&'a Insurance>,
    /// Settle at once (an automatic `match`): the declaration to claim with.
    pub settle_with: Option<i64>,
}

/// Stores a check's result, if the entry is still due (a second pass running at the same time,
/// or one resumed after a crash, never overwrites a result already stored). `no_answer` stays
/// due for the next pass. Returns whether it was stored.
pub fn record_check(
    tx: &Tx<'_>,
    visit_id: i64,
    r: &CheckResult<'_>,
    stamp: &Stamp,
) -> Result<bool> {
    let state = match (r.status, r.settle_with) {
        (ReconcileStatus::NoAnswer, _) => QueueState::Due,
        (_, Some(_)) => QueueState::Settled,
        _ => QueueState::NeedsDecision,
    };
    let changed = tx.execute(
            "UPDATE reconcile_queue SET state = ?1, status = ?2, differences = ?3, reason = ?4, verified = ?5,
                 attempts = attempts + 1, last_checked_at = ?6, updated_at = ?6,
                 decision = CASE WHEN CAST(?7 AS BIGINT) IS NULL THEN decision ELSE 'auto' END,
                 decided_at = CASE WHEN CAST(?7 AS BIGINT) IS NULL THEN decided_at ELSE ?6 END,
                 decided_by = CASE WHEN CAST(?7 AS BIGINT) IS NULL THEN decided_by ELSE ?8 END,
                 claim_declaration_id = COALESCE(?7, claim_declaration_id)
             WHERE visit_id = ?9 AND state = 'due'",
        params![
            state.as_str(),
            r.status.as_str(),
            serde_json::to_string(r.differences).expect("differences serialise"),
            r.reason,
            r.verified.map(|v| serde_json::to_string(v).expect("insurance serialises")),
            stamp.at,
            r.settle_with,
            stamp.by,
            visit_id
        ],
    )?;
    if changed == 1 {
        audit::record(
            tx,
            stamp,
            "queue.check",
            "queue",
            visit_id,
            serde_json::json!({"status": r.status.as_str()}),
        )?;
    }
    Ok(changed == 1)
}

/// A person's decision on an entry that waits for one. `settle` ends it; otherwise it stays
/// waiting (a follow-up). Returns false if the entry was not waiting for a decision.
pub fn decide(
    tx: &Tx<'_>,
    visit_id: i64,
    decision: QueueDecision,
    note: &str,
    claim_declaration_id: Option<i64>,
    settle: bool,
    stamp: &Stamp,
) -> Result<bool> {
    let state = if settle {
        QueueState::Settled
    } else {
        QueueState::NeedsDecision
    };
    let changed = tx.execute(
        "UPDATE reconcile_queue SET state = ?1, decision = ?2, note = ?3, claim_declaration_id = ?4,
             decided_at = ?5, decided_by = ?6, updated_at = ?5
         WHERE visit_id = ?7 AND state = 'needs_decision'",
        params![state.as_str(), decision.as_str(), note, claim_declaration_id, stamp.at, stamp.by, visit_id],
    )?;
    if changed == 1 {
        audit::record(
            tx,
            stamp,
            "queue.decide",
            "queue",
            visit_id,
            serde_json::json!({"decision": decision.as_str()}),
        )?;
    }
    Ok(changed == 1)
}

/// A voided visit needs no reconciliation: settle it with that reason.
pub fn settle_voided(tx: &Tx<'_>, visit_id: i64, stamp: &Stamp) -> Result<()> {
    tx.execute(
        "UPDATE reconcile_queue SET state = 'settled', decision = 'voided', decided_at = ?1, decided_by = ?2,
             updated_at = ?1 WHERE visit_id = ?3",
        params![stamp.at, stamp.by, visit_id],
    )?;
    audit::record(
        tx,
        stamp,
        "queue.settle",
        "queue",
        visit_id,
        serde_json::json!({"decision": "voided"}),
    )
}
