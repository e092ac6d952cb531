//! Outages: when the line went down and came back, why, and what was tried.

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::{audit, Stamp, Tx};
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

fn from_row(r: &Row<'_>) -> rusqlite::Result<Outage> {
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
    Ok(tx
        .conn()
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM outages WHERE ended_at IS NULL"
        ))?
        .query_row([], from_row)
        .optional()?)
}

pub fn get(tx: &Tx<'_>, id: i64) -> Result<Option<Outage>> {
    Ok(tx
        .conn()
        .prepare_cached(&format!("SELECT {COLUMNS} FROM outages WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn all(tx: &Tx<'_>) -> Result<Vec<Outage>> {
    let mut stmt = tx
        .conn()
        .prepare_cached(&format!("SELECT {COLUMNS} FROM outages ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn start(
    tx: &Tx<'_>,
    reason: &str,
    services: &[Service],
    detected_by: Detection,
    stamp: &Stamp,
) -> Result<i64> {
    tx.conn().execute(
        "INSERT INTO outages (started_at, reason, services, detected_by, started_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![stamp.at, reason, serde_json::to_string(services).expect("services serialise"), detected_by.as_str(), stamp.by],
    )?;
    let id = tx.conn().last_insert_rowid();
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
    tx.conn().execute(
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
    tx.conn().execute(
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
    tx.conn().execute(
        "INSERT INTO outage_notes (outage_id, at, by, text) VALUES (?1, ?2, ?3, ?4)",
        params![outage_id, stamp.at, stamp.by, text],
    )?;
    let id = tx.conn().last_insert_rowid();
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
    let mut stmt = tx
        .conn()
        .prepare_cached("SELECT at, by, text FROM outage_notes WHERE outage_id = ?1 ORDER BY id")?;
    let rows = stmt.query_map([outage_id], |r| {
        Ok(Note {
            at: r.get(0)?,
            by: r.get(1)?,
            text: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn tick(
    tx: &Tx<'_>,
    outage_id: i64,
    step: &str,
    title: &str,
    result: &str,
    stamp: &Stamp,
) -> Result<()> {
    tx.conn().execute(
        "INSERT INTO runbook_ticks (outage_id, step, title, at, by, result) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![outage_id, step, title, stamp.at, stamp.by, result],
    )?;
    let id = tx.conn().last_insert_rowid();
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
    let mut stmt = tx.conn().prepare_cached(
        "SELECT step, title, at, by, result FROM runbook_ticks WHERE outage_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([outage_id], |r| {
        Ok(Tick {
            step: r.get(0)?,
            title: r.get(1)?,
            at: r.get(2)?,
            by: r.get(3)?,
            result: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
