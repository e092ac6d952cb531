//! Paper prescriptions: what was issued, to whom, by whom, and the archived PDF.

use serde::Serialize;

use super::{audit, params, Row, Stamp, Tx};
use crate::domain::prescription::PrescriptionInput;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredPrescription {
    pub id: i64,
    pub visit_id: i64,
    pub outage_id: Option<i64>,
    pub issued_on: String,
    pub doctor: String,
    /// The prescription as entered.
    pub content: PrescriptionInput,
    pub pdf_path: String,
    pub pdf_sha256: String,
    pub pages: i64,
    pub symbols: i64,
    pub created_at: String,
    pub created_by: String,
    pub voided_at: Option<String>,
    pub void_reason: Option<String>,
}

pub struct NewPrescription<'a> {
    pub visit_id: i64,
    pub outage_id: Option<i64>,
    pub issued_on: &'a str,
    pub doctor: &'a str,
    pub content: &'a PrescriptionInput,
    pub pdf_path: &'a str,
    pub pdf_sha256: &'a str,
    pub pages: usize,
    pub symbols: usize,
    /// The reissue copy drawn at issue (「再発行」), kept in the audit entry.
    pub reissue: Option<ArchivedPdf>,
}

/// An archived PDF and the SHA-256 it was written with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ArchivedPdf {
    pub path: String,
    pub sha256: String,
}

/// The id the next prescription gets. Drawn inside the write transaction, which holds the write
/// lock, so it is the id [`insert`] then records.
pub fn next_id(tx: &Tx<'_>) -> Result<i64> {
    tx.query_one(
        "SELECT COALESCE(MAX(id), 0) + 1 FROM prescriptions",
        params![],
        |r| r.get(0),
    )
}

pub fn insert(tx: &Tx<'_>, id: i64, p: &NewPrescription<'_>, stamp: &Stamp) -> Result<i64> {
    tx.execute(
        "INSERT INTO prescriptions (id, visit_id, outage_id, issued_on, doctor, content, pdf_path, pdf_sha256,
                                    pages, symbols, created_at, created_by)
         VALUES (?12, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            p.visit_id,
            p.outage_id,
            p.issued_on,
            p.doctor,
            serde_json::to_string(p.content).expect("prescription input serialises"),
            p.pdf_path,
            p.pdf_sha256,
            p.pages as i64,
            p.symbols as i64,
            stamp.at,
            stamp.by,
            id
        ],
    )?;
    audit::record(
        tx,
        stamp,
        "prescription.issue",
        "prescription",
        id,
        match &p.reissue {
            Some(copy) => serde_json::json!({ "reissue_copy": copy }),
            None => serde_json::Value::Null,
        },
    )?;
    Ok(id)
}

/// The reissue copy recorded when the prescription was issued, if any.
pub fn reissue_copy(tx: &Tx<'_>, id: i64) -> Result<Option<ArchivedPdf>> {
    let detail: Option<String> = tx.query_opt(
        "SELECT detail FROM audit_log WHERE action = 'prescription.issue' AND entity_id = ?1
             ORDER BY seq LIMIT 1",
        params![id.to_string()],
        |r| r.get(0),
    )?;
    Ok(detail
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .and_then(|v| serde_json::from_value(v.get("reissue_copy")?.clone()).ok()))
}

/// How many times the prescription was sent to a printer.
pub fn print_count(tx: &Tx<'_>, id: i64) -> Result<i64> {
    tx.query_one(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'prescription.print' AND entity_id = ?1",
        params![id.to_string()],
        |r| r.get(0),
    )
}

const COLUMNS: &str =
    "id, visit_id, outage_id, issued_on, doctor, content, pdf_path, pdf_sha256, pages, symbols,
    created_at, created_by, voided_at, void_reason";

fn from_row(r: &Row<'_>) -> Result<StoredPrescription> {
    let content: String = r.get(5)?;
    Ok(StoredPrescription {
        id: r.get(0)?,
        visit_id: r.get(1)?,
        outage_id: r.get(2)?,
        issued_on: r.get(3)?,
        doctor: r.get(4)?,
        content: serde_json::from_str(&content).map_err(|e| super::patients::conversion(5, e))?,
        pdf_path: r.get(6)?,
        pdf_sha256: r.get(7)?,
        pages: r.get(8)?,
        symbols: r.get(9)?,
        created_at: r.get(10)?,
        created_by: r.get(11)?,
        voided_at: r.get(12)?,
        void_reason: r.get(13)?,
    })
}

pub fn get(tx: &Tx<'_>, id: i64) -> Result<Option<StoredPrescription>> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM prescriptions WHERE id = ?1"),
        params![id],
        from_row,
    )
}

pub fn require(tx: &Tx<'_>, id: i64) -> Result<StoredPrescription> {
    get(tx, id)?.ok_or_else(|| {
        Error::not_found(
            format!("処方箋 RX{id} はありません"),
            format!("no prescription RX{id}"),
        )
    })
}

pub fn for_visit(tx: &Tx<'_>, visit_id: i64) -> Result<Vec<StoredPrescription>> {
    tx.query(
        &format!("SELECT {COLUMNS} FROM prescriptions WHERE visit_id = ?1 ORDER BY id"),
        params![visit_id],
        from_row,
    )
}

/// The latest prescriptions as entered (voided ones left out), newest first, for the doctor's
/// quick entry.
pub fn recent_contents(tx: &Tx<'_>, limit: usize) -> Result<Vec<PrescriptionInput>> {
    let rows: Vec<String> = tx.query(
        "SELECT content FROM prescriptions WHERE voided_at IS NULL ORDER BY id DESC LIMIT ?1",
        params![limit as i64],
        |r| r.get(0),
    )?;
    Ok(rows
        .iter()
        .filter_map(|c| serde_json::from_str(c).ok())
        .collect())
}

/// Audits a print of prescription `id`; the first print is the original, any later one a
/// reprint.
pub fn record_print(tx: &Tx<'_>, id: i64, printer: &str, stamp: &Stamp) -> Result<()> {
    let earlier = print_count(tx, id)?;
    audit::append(
        tx,
        stamp,
        "prescription.print",
        "prescription",
        &id.to_string(),
        &serde_json::json!({"printer": printer, "reprint": earlier > 0}),
    )
}

pub fn void(tx: &Tx<'_>, id: i64, reason: &str, stamp: &Stamp) -> Result<()> {
    let p = require(tx, id)?;
    if p.voided_at.is_some() {
        return Err(Error::refused(
            format!("RX{id} は既に取り消されています"),
            "already voided",
        ));
    }
    tx.execute(
        "UPDATE prescriptions SET voided_at = ?1, voided_by = ?2, void_reason = ?3 WHERE id = ?4",
        params![stamp.at, stamp.by, reason, id],
    )?;
    audit::record(
        tx,
        stamp,
        "prescription.void",
        "prescription",
        id,
        serde_json::json!({"reason": reason}),
    )
}
