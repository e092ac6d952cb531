//! The reconciliation queue: every visit waits here until it reaches a final status.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::{audit, Stamp};
use crate::domain::QueueState;
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueEntry {
    pub visit_id: i64,
    pub state: QueueState,
    pub status: Option<String>,
    pub attempts: i64,
    pub decision: Option<String>,
}

pub fn enqueue(conn: &Connection, visit_id: i64, state: QueueState, stamp: &Stamp) -> Result<()> {
    conn.prepare_cached("INSERT INTO reconcile_queue (visit_id, state, updated_at) VALUES (?1, ?2, ?3)")?
        .execute(params![visit_id, state.as_str(), stamp.at])?;
    audit::record(conn, stamp, "queue.enqueue", "queue", visit_id, serde_json::Value::Null)
}

pub fn get(conn: &Connection, visit_id: i64) -> Result<Option<QueueEntry>> {
    Ok(conn
        .prepare_cached("SELECT visit_id, state, status, attempts, decision FROM reconcile_queue WHERE visit_id = ?1")?
        .query_row([visit_id], |r| {
            let state: String = r.get(1)?;
            Ok(QueueEntry {
                visit_id: r.get(0)?,
                state: QueueState::parse(&state).unwrap_or(QueueState::Due),
                status: r.get(2)?,
                attempts: r.get(3)?,
                decision: r.get(4)?,
            })
        })
        .optional()?)
}

/// Records still waiting for reconciliation (anything not settled).
pub fn count_open(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM reconcile_queue WHERE state <> 'settled'", [], |r| r.get(0))?)
}

/// The line is back: everything recorded while it was down becomes due for checking.
pub fn release_waiting(conn: &Connection, stamp: &Stamp) -> Result<usize> {
    let ids: Vec<i64> = conn
        .prepare_cached("SELECT visit_id FROM reconcile_queue WHERE state = 'waiting' ORDER BY visit_id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        conn.prepare_cached("UPDATE reconcile_queue SET state = 'due', updated_at = ?1 WHERE visit_id = ?2")?
            .execute(params![stamp.at, id])?;
        audit::record(conn, stamp, "queue.due", "queue", *id, serde_json::Value::Null)?;
    }
    Ok(ids.len())
}

/// A voided visit needs no reconciliation: settle it with that reason.
pub fn settle_voided(conn: &Connection, visit_id: i64, stamp: &Stamp) -> Result<()> {
    conn.execute(
        "UPDATE reconcile_queue SET state = 'settled', decision = 'voided', decided_at = ?1, decided_by = ?2,
             updated_at = ?1 WHERE visit_id = ?3",
        params![stamp.at, stamp.by, visit_id],
    )?;
    audit::record(conn, stamp, "queue.settle", "queue", visit_id, serde_json::json!({"decision": "voided"}))
}
