//! Outages: when the line went down and came back, why, and what was tried.

use serde::Serialize;

use super::{audit, params, Row, Stamp, Tx};
use crate::domain::{Detection, Service};
use crate::error::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outage {
    pub id: i64,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub reason: String,
    pub services: Vec<Service>,
    pub detected_by: Detection,
    pub started_by: String,
    pub ended_by: Option<String>,
    pub ended_detected_by: Option<Detection>,
    pub end_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub at: String,
    pub by: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tick {
    pub step: String,
    pub title: String,
    pub at: String,
    pub by: String,
    pub result: String,
}

const COLUMNS: &str =
    "id, started_at, ended_at, reason, services, detected_by, started_by, ended_by, ended_detected_by, end_note";

fn from_row(r: &Row<'_>) -> Result<Outage> {
    let services: String = r.get(4)?;
    let detected: String = r.get(5)?;
    let ended_detected: Option<String> = r.get(8)?;
    Ok(Outage {
        id: r.get(0)?,
        started_at: r.get(1)?,
        ended_at: r.get(2)?,
        reason: r.get(3)?,
        services: serde_json::from_str(&services).map_err(|e| super::patients::conversion(4, e))?,
        detected_by: Detection::parse(&detected).unwrap_or(Detection::Staff),
        started_by: r.get(6)?,
        ended_by: r.get(7)?,
        ended_detected_by: ended_detected.as_deref().and_then(Detection::parse),
        end_note: r.get(9)?,
    })
}

/// The outage in progress, if any.
pub fn current(tx: &Tx<'_>) -> Result<Option<Outage>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM outages WHERE ended_at IS NULL"),
        params![],
        from_row,
    )
}

pub fn get(tx: &Tx<'_>, id: i64) -> Result<Option<Outage>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM outages WHERE id = ?1"),
        params![id],
        from_row,
    )
}

pub fn all(tx: &Tx<'_>) -> Result<Vec<Outage>> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM outages ORDER BY id"),
        params![],
        from_row,
    )
}

pub fn start(
    tx: &Tx<'_>,
    reason: &str,
    services: &[Service],
    detected_by: Detection,
    stamp: &Stamp,
) -> Result<i64> {
    let id: i64 = tx.value(
        "INSERT INTO outages (started_at, reason, services, detected_by, started_by) VALUES (?1, ?2, ?3, ?4, ?5)
         RETURNING id",
        params![stamp.at, reason, serde_json::to_string(services).expect("services serialise"), detected_by.as_str(), stamp.by],
    )?;
    audit::record(
        tx,
        stamp,
        "outage.start",
        "outage",
        id,
        serde_json::Value::Null,
    )?;
    Ok(id)
}

/// Adds services to an open outage (staff declare e-prescription down after qualification).
pub fn add_services(tx: &Tx<'_>, outage: &Outage, more: &[Service], stamp: &Stamp) -> Result<()> {
    let mut services = outage.services.clone();
    for s in more {
        if !services.contains(s) {
            services.push(*s);
        }
    }
    if services == outage.services {
        return Ok(());
    }
    tx.execute(
        "UPDATE outages SET services = ?1 WHERE id = ?2",
        params![
            serde_json::to_string(&services).expect("services serialise"),
            outage.id
        ],
    )?;
    audit::record(
        tx,
        stamp,
        "outage.services",
        "outage",
        outage.id,
        serde_json::Value::Null,
    )
}

pub fn end(tx: &Tx<'_>, id: i64, note: &str, detected_by: Detection, stamp: &Stamp) -> Result<()> {
    tx.execute(
        "UPDATE outages SET ended_at = ?1, ended_by = ?2, end_note = ?3, ended_detected_by = ?4 WHERE id = ?5",
        params![stamp.at, stamp.by, note, detected_by.as_str(), id],
    )?;
    audit::record(
        tx,
        stamp,
        "outage.end",
        "outage",
        id,
        serde_json::Value::Null,
    )
}

pub fn add_note(tx: &Tx<'_>, outage_id: i64, text: &str, stamp: &Stamp) -> Result<()> {
    let id: i64 = tx.value(
        "INSERT INTO outage_notes (outage_id, at, by, text) VALUES (?1, ?2, ?3, ?4) RETURNING id",
        params![outage_id, stamp.at, stamp.by, text],
    )?;
    audit::record(
        tx,
        stamp,
        "outage.note",
        "outage_note",
        id,
        serde_json::Value::Null,
    )
}

pub fn notes(tx: &Tx<'_>, outage_id: i64) -> Result<Vec<Note>> {
    tx.query(
        "SELECT at, by, text FROM outage_notes WHERE outage_id = ?1 ORDER BY id",
        params![outage_id],
        |r| {
            Ok(Note {
                at: r.get(0)?,
                by: r.get(1)?,
                text: r.get(2)?,
            })
        },
    )
}

pub fn tick(
    tx: &Tx<'_>,
    outage_id: i64,
    step: &str,
    title: &str,
    result: &str,
    stamp: &Stamp,
) -> Result<()> {
    let id: i64 = tx.value(
        "INSERT INTO runbook_ticks (outage_id, step, title, at, by, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         RETURNING id",
        params![outage_id, step, title, stamp.at, stamp.by, result],
    )?;
    audit::record(
        tx,
        stamp,
        "runbook.tick",
        "runbook_tick",
        id,
        serde_json::Value::Null,
    )
}

pub fn ticks(tx: &Tx<'_>, outage_id: i64) -> Result<Vec<Tick>> {
    tx.query(
        "SELECT step, title, at, by, result FROM runbook_ticks WHERE outage_id = ?1 ORDER BY id",
        params![outage_id],
        |r| {
            Ok(Tick {
                step: r.get(0)?,
                title: r.get(1)?,
                at: r.get(2)?,
                by: r.get(3)?,
                result: r.get(4)?,
            })
        },
    )
}
