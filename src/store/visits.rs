//! Visits: one per patient per time at reception, each with its short visit number.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::patients::parse_text;
use super::{audit, params, Row, Stamp, Tx};
use crate::domain::{Basis, QueueState};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Visit {
    pub id: i64,
    pub visit_no: String,
    pub visit_date: NaiveDate,
    pub patient_id: i64,
    pub declaration_id: i64,
    pub basis: Basis,
    pub outage_id: Option<i64>,
    pub warnings: serde_json::Value,
    pub created_at: String,
    pub created_by: String,
    pub voided_at: Option<String>,
    pub void_reason: Option<String>,
}

pub struct NewVisit<'a> {
    pub visit_date: NaiveDate,
    pub patient_id: i64,
    pub declaration_id: i64,
    pub basis: Basis,
    pub outage_id: Option<i64>,
    pub warnings: &'a serde_json::Value,
}

/// The next visit number for the day: `D-1125-007` during an outage, `S-1125-007` for a
/// self-declared visit outside one. Runs inside the write transaction, which holds the write
/// lock, so two terminals can never draw the same number.
fn next_visit_no(tx: &Tx<'_>, date: NaiveDate, in_outage: bool) -> Result<String> {
    let prefix = format!(
        "{}-{:02}{:02}-",
        if in_outage { 'D' } else { 'S' },
        date.month(),
        date.day()
    );
    draw(tx, &date.to_string(), &prefix)
}

/// The day's next number after `prefix`.
fn draw(tx: &Tx<'_>, date: &str, prefix: &str) -> Result<String> {
    let n: i64 = tx.value(
        "INSERT INTO visit_counters (visit_date, prefix, last) VALUES (?1, ?2, 1)
         ON CONFLICT (visit_date, prefix) DO UPDATE SET last = visit_counters.last + 1
         RETURNING last",
        params![date, prefix],
    )?;
    Ok(format!("{prefix}{n:03}"))
}

/// The number a visit brought in from another copy of the records (`store copy --merge`)
/// takes here: its own when no visit of that day holds it, else the day's next. The day's
/// counter never stays behind a number in use, so later visits never draw it again.
pub fn take_number(tx: &Tx<'_>, date: &str, visit_no: &str) -> Result<String> {
    let Some((prefix, n)) = visit_no
        .rsplit_once('-')
        .and_then(|(p, n)| Some((format!("{p}-"), n.parse::<i64>().ok()?)))
    else {
        return Err(Error::failed(
            format!("受付番号 {visit_no} が読めません"),
            format!("unreadable visit number {visit_no}"),
        ));
    };
    let taken = tx
        .query_opt(
            "SELECT id FROM visits WHERE visit_date = ?1 AND visit_no = ?2",
            params![date, visit_no],
            |r| r.get::<i64>(0),
        )?
        .is_some();
    if taken {
        return draw(tx, date, &prefix);
    }
    tx.execute(
        "INSERT INTO visit_counters (visit_date, prefix, last) VALUES (?1, ?2, ?3)
         ON CONFLICT (visit_date, prefix) DO UPDATE
            SET last = CASE WHEN visit_counters.last < ?3 THEN ?3 ELSE visit_counters.last END",
        params![date, prefix, n],
    )?;
    Ok(visit_no.to_string())
}

/// Records a visit and puts it in the reconciliation queue, in the caller's transaction.
pub fn insert(tx: &Tx<'_>, v: &NewVisit<'_>, stamp: &Stamp) -> Result<(i64, String)> {
    let visit_no = next_visit_no(tx, v.visit_date, v.outage_id.is_some())?;
    let id: i64 = tx.value(
        "INSERT INTO visits (visit_no, visit_date, patient_id, declaration_id, basis, outage_id,
                             warnings, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
        params![
            visit_no,
            v.visit_date.to_string(),
            v.patient_id,
            v.declaration_id,
            v.basis.as_str(),
            v.outage_id,
            v.warnings.to_string(),
            stamp.at,
            stamp.by
        ],
    )?;
    audit::record(
        tx,
        stamp,
        "visit.create",
        "visit",
        id,
        serde_json::Value::Null,
    )?;
    // Recorded while the line is down: wait for its return. Otherwise it can be checked now.
    let state = if v.outage_id.is_some() {
        QueueState::Waiting
    } else {
        QueueState::Due
    };
    super::queue::enqueue(tx, id, state, stamp)?;
    Ok((id, visit_no))
}

/// The patient's visits on `date` that were not voided (id, visit number), oldest first.
pub fn on_day_for(tx: &Tx<'_>, patient_id: i64, date: NaiveDate) -> Result<Vec<(i64, String)>> {
    tx.query(
        "SELECT id, visit_no FROM visits
         WHERE patient_id = ?1 AND visit_date = ?2 AND voided_at IS NULL ORDER BY id",
        params![patient_id, date.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

const COLUMNS: &str =
    "id, visit_no, visit_date, patient_id, declaration_id, basis, outage_id, warnings,
    created_at, created_by, voided_at, void_reason";

fn from_row(r: &Row<'_>) -> Result<Visit> {
    let date: String = r.get(2)?;
    let warnings: String = r.get(7)?;
    Ok(Visit {
        id: r.get(0)?,
        visit_no: r.get(1)?,
        visit_date: date
            .parse()
            .map_err(|e| super::patients::conversion(2, e))?,
        patient_id: r.get(3)?,
        declaration_id: r.get(4)?,
        basis: parse_text(r, 5, Basis::parse)?,
        outage_id: r.get(6)?,
        warnings: serde_json::from_str(&warnings).unwrap_or(serde_json::Value::Null),
        created_at: r.get(8)?,
        created_by: r.get(9)?,
        voided_at: r.get(10)?,
        void_reason: r.get(11)?,
    })
}

pub fn get(tx: &Tx<'_>, id: i64) -> Result<Option<Visit>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM visits WHERE id = ?1"),
        params![id],
        from_row,
    )
}

pub fn require(tx: &Tx<'_>, id: i64) -> Result<Visit> {
    get(tx, id)?.ok_or_else(|| {
        Error::not_found(
            format!("受診記録 V{id} はありません"),
            format!("no visit V{id}"),
        )
    })
}

/// Visits on a day, or all visits, in the order they were recorded.
pub fn list(tx: &Tx<'_>, date: Option<NaiveDate>) -> Result<Vec<Visit>> {
    page(tx, date, 0, usize::MAX)
}

/// At most `limit` visits (of `date`, or all) with an id above `after`, in the order they were
/// recorded: a year of visits is read a page at a time.
pub fn page(tx: &Tx<'_>, date: Option<NaiveDate>, after: i64, limit: usize) -> Result<Vec<Visit>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    tx.query(
        &format!(
            "SELECT {COLUMNS} FROM visits WHERE (CAST(?1 AS TEXT) IS NULL OR visit_date = ?1) AND id > ?2
             ORDER BY id LIMIT ?3"
        ),
        params![date.map(|d| d.to_string()), after, limit],
        from_row,
    )
}

pub fn count_in_outage(tx: &Tx<'_>, outage_id: i64) -> Result<i64> {
    tx.value(
        "SELECT COUNT(*) FROM visits WHERE outage_id = ?1 AND voided_at IS NULL",
        params![outage_id],
    )
}

/// Voids a visit recorded by mistake. The row stays, marked, and its queue entry is settled.
pub fn void(tx: &Tx<'_>, id: i64, reason: &str, stamp: &Stamp) -> Result<()> {
    let v = require(tx, id)?;
    if v.voided_at.is_some() {
        return Err(Error::refused(
            format!("{} は既に取り消されています", v.visit_no),
            "already voided",
        ));
    }
    tx.execute(
        "UPDATE visits SET voided_at = ?1, voided_by = ?2, void_reason = ?3 WHERE id = ?4",
        params![stamp.at, stamp.by, reason, id],
    )?;
    audit::record(
        tx,
        stamp,
        "visit.void",
        "visit",
        id,
        serde_json::json!({"reason": reason}),
    )?;
    super::queue::settle_voided(tx, id, stamp)?;
    Ok(())
}
