//! The append-only, hash-chained audit log.
//!
//! Every change to a record appends an entry holding who, when, what, and a snapshot of the
//! record's row after the change. Each entry's hash covers its content and the previous entry's
//! hash, so editing, removing or reordering an entry breaks the chain; and a record whose row
//! no longer equals its last audited snapshot was changed behind the app's back.

mod verify;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::engine::Cell;
use super::{params, Row, Stamp, Tx};
use crate::error::Result;

pub use verify::{verify, ClockStep, Problem, VerifyReport};

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
    ("staff", "staff", "id"),
    ("break_glass", "break_glass", "id"),
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
    tx.query_opt(
        &format!("SELECT * FROM {table} WHERE {key} = ?1"),
        params![id],
        row_value,
    )
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
    let parts = [prev, at, actor, action, entity, entity_id, detail].map(str::as_bytes);
    hex(&entry_digest(parts))
}

/// The digest an entry's hash is the hex of: its fields (previous hash first) in order, each
/// closed by a unit separator so that no field can run into the next.
fn entry_digest(parts: [&[u8]; 7]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
        h.update([0x1f]);
    }
    h.finalize().into()
}

/// Lower-case hex, without a formatting call per byte (verify hashes every entry).
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
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
    if let Some((table, _)) = table_of(entity) {
        super::identity::assign(tx, table, id)?;
    }
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

/// The key an entry's detail holds when the system clock read earlier than the previous
/// entry's time: the previous entry's time, so the step back is on record (and hashed).
pub const CLOCK_MOVED_BACK: &str = "clock_moved_back";

/// Appends an entry about something that is not a tracked record (a probe run, a reprint).
///
/// The entry's time is the system clock's, never `stamp.at`: the records may run on a fixed
/// clock (a demo database), the log of who did what and when must not. A system clock earlier
/// than the previous entry's time is recorded in the detail ([`CLOCK_MOVED_BACK`]).
pub fn append(
    tx: &Tx<'_>,
    stamp: &Stamp,
    action: &str,
    entity: &str,
    entity_id: &str,
    detail: &Value,
) -> Result<()> {
    let previous: Option<(i64, String, String)> = tx.query_opt(
        "SELECT seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    // Drawn here, under the write lock, never by the engine: PostgreSQL's counters skip the
    // numbers of transactions that did not commit, and the chain has no gaps.
    let seq = previous.as_ref().map_or(1, |(s, _, _)| s + 1);
    let previous = previous.map(|(_, hash, at)| (hash, at));
    let at = super::timestamp(chrono::Local::now().fixed_offset());
    let (prev, moved_back) = match previous {
        Some((hash, prev_at)) => {
            let back = is_before(&at, &prev_at).then_some(prev_at);
            (hash, back)
        }
        None => (GENESIS_HASH.to_string(), None),
    };
    let detail = match moved_back {
        None => detail.to_string(),
        Some(prev_at) => with_clock_moved_back(detail, prev_at).to_string(),
    };
    let hash = entry_hash(&prev, &at, &stamp.by, action, entity, entity_id, &detail);
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![seq, at, stamp.by, action, entity, entity_id, detail, prev, hash],
    )?;
    Ok(())
}

/// True when the instant `a` (RFC 3339) is before `b`, whatever their offsets. An unreadable
/// time (written outside the app) says nothing about the clock.
fn is_before(a: &str, b: &str) -> bool {
    use chrono::DateTime;
    match (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => a < b,
        _ => false,
    }
}

/// `detail` with [`CLOCK_MOVED_BACK`] set to the previous entry's time.
fn with_clock_moved_back(detail: &Value, previous_at: String) -> Value {
    let mut m = match detail {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => Map::from_iter([("info".to_string(), other.clone())]),
    };
    m.insert(CLOCK_MOVED_BACK.into(), Value::String(previous_at));
    Value::Object(m)
}

/// The head of the chain: the newest entry's sequence number and hash.
pub fn head(tx: &Tx<'_>) -> Result<Option<(i64, String)>> {
    tx.query_opt(
        "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// The hash the chain holds at `seq`, if it reaches that far.
pub fn hash_at(tx: &Tx<'_>, seq: i64) -> Result<Option<String>> {
    tx.query_opt(
        "SELECT hash FROM audit_log WHERE seq = ?1",
        params![seq],
        |r| r.get(0),
    )
}

/// Checks the chain against a head recorded outside the database (`where_ja` says where):
/// the chain must still hold that entry, with that hash. A chain cut short, or rewritten from
/// there on, fails here even when what is left links up.
pub fn check_anchor(
    tx: &Tx<'_>,
    seq: i64,
    hash: &str,
    where_ja: &str,
    where_en: &str,
) -> Result<Option<Problem>> {
    let problem = |ja: String, en: String| Problem {
        seq: Some(seq),
        entity: None,
        entity_id: None,
        message_ja: ja,
        message_en: en,
    };
    Ok(match hash_at(tx, seq)? {
        None => Some(problem(
            format!("監査ログの末尾が切り取られています（{where_ja}では {seq} 番まであります）"),
            format!("the audit chain was cut short: {where_en} records entry {seq}"),
        )),
        Some(h) if h != hash => Some(problem(
            format!("監査ログ {seq} 番が{where_ja}の記録と違います（書き換え）"),
            format!("audit entry {seq} differs from {where_en} (rewritten)"),
        )),
        Some(_) => None,
    })
}

/// When the newest audit entry was written, if any.
pub fn latest_at(tx: &Tx<'_>) -> Result<Option<String>> {
    tx.query_opt(
        "SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1",
        params![],
        |r| r.get(0),
    )
}

/// A row as JSON (column → value), the shape [`row_snapshot`] records.
fn row_value(r: &Row<'_>) -> Result<Value> {
    let mut m = Map::new();
    for i in 0..r.len() {
        let v = match r.cell(i)? {
            Cell::Null => Value::Null,
            Cell::Integer(n) => Value::from(n),
            Cell::Real(f) => Value::from(f),
            Cell::Text(t) => Value::from(t.into_owned()),
            Cell::Blob(b) => Value::from(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        };
        m.insert(r.column_name(i).to_string(), v);
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::verify::*;
    use super::*;
    use crate::store::Store;

    fn stamp() -> Stamp {
        Stamp {
            at: "2026-11-25T09:00:00+09:00".into(),
            by: "受付".into(),
        }
    }

    /// An entry as a PC whose clock ran ahead would have written it: linked, hashed, far ahead.
    fn entry_from_the_future(tx: &Tx<'_>) {
        let at = "2099-01-01T00:00:00+09:00";
        let hash = entry_hash(GENESIS_HASH, at, "受付", "probe", "probe", "1", "{}");
        tx.execute(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, prev_hash, hash)
                 VALUES (?1, '受付', 'probe', 'probe', '1', '{}', ?2, ?3)",
            params![at, GENESIS_HASH, hash],
        )
        .unwrap();
    }

    #[test]
    fn entries_take_the_system_clock_and_record_when_it_went_back() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .write(|tx| {
                entry_from_the_future(tx);
                append(tx, &stamp(), "probe", "probe", "2", &Value::Null)?;
                append(tx, &stamp(), "probe", "probe", "3", &Value::Null)
            })
            .unwrap();
        let (at, detail): (String, String) = store
            .raw()
            .query_row("SELECT at, detail FROM audit_log WHERE seq = 2", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_ne!(at, stamp().at, "the system clock, not the stamp's");
        assert!(
            detail.contains(r#""clock_moved_back":"2099-01-01T00:00:00+09:00""#),
            "{detail}"
        );
        let report = store.read(verify).unwrap();
        assert!(report.ok, "{:?}", report.problem);
        // Only the step back is flagged: the entry after it follows on normally.
        assert_eq!(
            report.clock_moved_back,
            vec![ClockStep {
                seq: 2,
                at,
                previous_at: "2099-01-01T00:00:00+09:00".into()
            }]
        );
    }
}
