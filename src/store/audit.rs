//! The append-only, hash-chained audit log.
//!
//! Every change to a record appends an entry holding who, when, what, and a snapshot of the
//! record's row after the change. Each entry's hash covers its content and the previous entry's
//! hash, so editing, removing or reordering an entry breaks the chain; and a record whose row
//! no longer equals its last audited snapshot was changed behind the app's back.

use rusqlite::types::ValueRef;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{Stamp, Tx};
use crate::error::Result;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The records the audit log keeps snapshots of: entity name, table, key column.
pub const TRACKED: &[(&str, &str, &str)] = &[
    ("patient", "patients", "id"),
    ("declaration", "declarations", "id"),
    ("visit", "visits", "id"),
    ("outage", "outages", "id"),
    ("outage_note", "outage_notes", "id"),
    ("runbook_tick", "runbook_ticks", "id"),
    ("queue", "reconcile_queue", "visit_id"),
    ("prescription", "prescriptions", "id"),
];

fn table_of(entity: &str) -> Option<(&'static str, &'static str)> {
    TRACKED
        .iter()
        .find(|(e, _, _)| *e == entity)
        .map(|(_, t, k)| (*t, *k))
}

/// The row of a tracked record as JSON (column → value).
pub fn row_snapshot(tx: &Tx<'_>, entity: &str, id: i64) -> Result<Option<Value>> {
    let Some((table, key)) = table_of(entity) else {
        return Ok(None);
    };
    let mut stmt = tx
        .conn()
        .prepare_cached(&format!("SELECT * FROM {table} WHERE {key} = ?1"))?;
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    let row = stmt
        .query_row([id], |r| {
            let mut m = Map::new();
            for (i, name) in names.iter().enumerate() {
                let v = match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::from(n),
                    ValueRef::Real(f) => Value::from(f),
                    ValueRef::Text(t) => Value::from(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => {
                        Value::from(b.iter().map(|x| format!("{x:02x}")).collect::<String>())
                    }
                };
                m.insert(name.clone(), v);
            }
            Ok(Value::Object(m))
        })
        .optional()?;
    Ok(row)
}

fn entry_hash(
    prev: &str,
    at: &str,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, actor, action, entity, entity_id, detail] {
        h.update(part.as_bytes());
        h.update([0x1f]); // unit separator: no field can run into the next
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends an entry for a change to a tracked record, with a snapshot of its row as it now is.
/// Must run inside the write transaction that made the change.
pub fn record(
    tx: &Tx<'_>,
    stamp: &Stamp,
    action: &str,
    entity: &str,
    id: i64,
    extra: Value,
) -> Result<()> {
    let mut detail = match extra {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            let mut m = Map::new();
            m.insert("info".into(), other);
            m
        }
    };
    if let Some(row) = row_snapshot(tx, entity, id)? {
        detail.insert("row".into(), row);
    }
    append(
        tx,
        stamp,
        action,
        entity,
        &id.to_string(),
        &Value::Object(detail),
    )
}

/// Appends an entry about something that is not a tracked record (a probe run, a reprint).
pub fn append(
    tx: &Tx<'_>,
    stamp: &Stamp,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &Value,
) -> Result<()> {
    let prev: String = tx
        .conn()
        .query_row(
            "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS_HASH.to_string());
    let detail = detail.to_string();
    let hash = entry_hash(
        &prev, &stamp.at, &stamp.by, action, entity, entity_id, &detail,
    );
    tx.conn()
        .prepare_cached(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            stamp.at, stamp.by, action, entity, entity_id, detail, prev, hash
        ])?;
    Ok(())
}

/// When the newest audit entry was written, if any.
pub fn latest_at(tx: &Tx<'_>) -> Result<Option<String>> {
    Ok(tx
        .conn()
        .query_row(
            "SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

/// What `audit verify` found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    pub entries: u64,
    pub records_checked: u64,
    pub ok: bool,
    /// The first problem, if any.
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The audit entry at fault, when the chain itself is broken.
    pub seq: Option<i64>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub message_ja: String,
    pub message_en: String,
}

/// Walks the whole chain, then checks that every tracked record equals its last snapshot.
pub fn verify(tx: &Tx<'_>) -> Result<VerifyReport> {
    let mut report = VerifyReport {
        entries: 0,
        records_checked: 0,
        ok: true,
        problem: None,
    };
    let mut prev = GENESIS_HASH.to_string();
    let mut expected_seq = 1i64;
    // last snapshot per (entity, id)
    let mut last_rows: std::collections::HashMap<(String, String), Value> = Default::default();
    {
        let mut stmt = tx.conn().prepare(
            "SELECT seq, at, actor, action, entity, entity_id, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let (at, actor, action, entity, entity_id, detail, prev_hash, hash): (
                String,
                String,
                String,
                String,
                String,
                String,
                String,
                String,
            ) = (
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            );
            report.entries += 1;
            let bad = |ja: &str, en: &str| Problem {
                seq: Some(seq),
                entity: Some(entity.clone()),
                entity_id: Some(entity_id.clone()),
                message_ja: format!("監査ログ {seq} 番: {ja}"),
                message_en: format!("audit entry {seq}: {en}"),
            };
            if seq != expected_seq {
                report.problem = Some(bad(
                    &format!("{expected_seq} 番が欠けています"),
                    &format!("entry {expected_seq} is missing"),
                ));
                break;
            }
            if prev_hash != prev {
                report.problem = Some(bad(
                    "前の記録とつながっていません（削除または改ざん）",
                    "does not link to the previous entry (removed or altered)",
                ));
                break;
            }
            if entry_hash(
                &prev_hash, &at, &actor, &action, &entity, &entity_id, &detail,
            ) != hash
            {
                report.problem = Some(bad("内容が書き換えられています", "content was altered"));
                break;
            }
            if let Ok(Value::Object(mut d)) = serde_json::from_str::<Value>(&detail) {
                if let Some(row) = d.remove("row") {
                    last_rows.insert((entity.clone(), entity_id.clone()), row);
                }
            }
            prev = hash;
            expected_seq += 1;
        }
    }
    if report.problem.is_none() {
        report.problem = check_records(tx, &last_rows, &mut report.records_checked)?;
    }
    report.ok = report.problem.is_none();
    Ok(report)
}

/// Every row of every tracked table must equal its last audited snapshot, and every row must
/// have one (a row inserted behind the app's back has none).
fn check_records(
    tx: &Tx<'_>,
    last_rows: &std::collections::HashMap<(String, String), Value>,
    checked: &mut u64,
) -> Result<Option<Problem>> {
    for (entity, table, key) in TRACKED {
        let ids: Vec<i64> = tx
            .conn()
            .prepare(&format!("SELECT {key} FROM {table} ORDER BY {key}"))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in ids {
            *checked += 1;
            let current = row_snapshot(tx, entity, id)?;
            let problem = |ja: &str, en: &str| Problem {
                seq: None,
                entity: Some(entity.to_string()),
                entity_id: Some(id.to_string()),
                message_ja: format!("{table} の {id}: {ja}"),
                message_en: format!("{table} row {id}: {en}"),
            };
            match last_rows.get(&(entity.to_string(), id.to_string())) {
                None => {
                    return Ok(Some(problem(
                        "監査ログに記録のない行です",
                        "has no audit entry",
                    )))
                }
                Some(snap) if Some(snap) != current.as_ref() => {
                    return Ok(Some(problem(
                        "監査ログの記録と内容が違います（アプリを通さずに変更）",
                        "differs from its last audited state (changed outside the app)",
                    )))
                }
                Some(_) => {}
            }
        }
    }
    Ok(None)
}
