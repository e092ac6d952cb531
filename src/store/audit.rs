//! The append-only, hash-chained audit log.
//!
//! Every change to a record appends an entry holding who, when, what, and a snapshot of the
//! record's row after the change. Each entry's hash covers its content and the previous entry's
//! hash, so editing, removing or reordering an entry breaks the chain; and a record whose row
//! no longer equals its last audited snapshot was changed behind the app's back.

use rusqlite::types::ValueRef;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write as _;

use serde_json::value::RawValue;
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
    let row = stmt.query_row([id], |r| row_value(r, &names)).optional()?;
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
    hex(&h.finalize())
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
    let previous: Option<(String, String)> = tx
        .conn()
        .query_row(
            "SELECT hash, at FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
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
    tx.conn()
        .prepare_cached(
            "INSERT INTO audit_log (at, actor, action, entity, entity_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            at, stamp.by, action, entity, entity_id, detail, prev, hash
        ])?;
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
    Ok(tx
        .conn()
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The hash the chain holds at `seq`, if it reaches that far.
pub fn hash_at(tx: &Tx<'_>, seq: i64) -> Result<Option<String>> {
    Ok(tx
        .conn()
        .query_row("SELECT hash FROM audit_log WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
        .optional()?)
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
    /// The entries written while the system clock read earlier than the entry before: not a
    /// broken chain, but times around them are not to be trusted.
    pub clock_moved_back: Vec<ClockStep>,
}

/// An audit entry written at a system time earlier than the previous entry's.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ClockStep {
    pub seq: i64,
    pub at: String,
    /// The previous entry's time.
    pub previous_at: String,
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

/// A record's last audited state, kept as a digest (32 bytes) rather than the row itself, so
/// that verifying a year of records holds one digest per record, not every row in memory.
type Digest32 = [u8; 32];

/// Columns derived from audited ones (the search keys, made from the name and カナ): left out
/// of the comparison, so that how names are searched can change (a migration refolds them)
/// while what was recorded cannot.
const DERIVED: &[&str] = &["kana_key", "kana_given", "name_key", "name_given"];

/// The digest of a row snapshot as recorded in an entry's detail (compact JSON, keys in order,
/// as `serde_json` writes a map), derived columns left out: the other columns' texts are
/// joined again as they were written, no value is rebuilt.
fn snapshot_digest(raw: &str) -> Digest32 {
    if !DERIVED.iter().any(|k| raw.contains(k)) {
        return Sha256::digest(raw.as_bytes()).into();
    }
    let Ok(columns) = serde_json::from_str::<BTreeMap<&str, &RawValue>>(raw) else {
        return Sha256::digest(raw.as_bytes()).into();
    };
    let mut h = Sha256::new();
    h.update(b"{");
    let kept = columns.iter().filter(|(k, _)| !DERIVED.contains(k));
    for (n, (name, value)) in kept.enumerate() {
        if n > 0 {
            h.update(b",");
        }
        h.update(b"\"");
        h.update(name.as_bytes());
        h.update(b"\":");
        h.update(value.get().as_bytes());
    }
    h.update(b"}");
    h.finalize().into()
}

/// Just the row snapshot of an entry's detail, borrowed as the text it is: the rest of the
/// detail is skipped without building it.
#[derive(serde::Deserialize)]
struct DetailRow<'a> {
    #[serde(borrow, default)]
    row: Option<&'a RawValue>,
    #[serde(default)]
    clock_moved_back: Option<String>,
}

/// Walks the whole chain (one entry in memory at a time), then checks that every tracked
/// record equals its last audited snapshot, that no audited record was deleted, and that the
/// per-day visit counters were not set back.
pub fn verify(tx: &Tx<'_>) -> Result<VerifyReport> {
    let mut report = VerifyReport {
        entries: 0,
        records_checked: 0,
        ok: true,
        problem: None,
        clock_moved_back: Vec::new(),
    };
    let mut prev = GENESIS_HASH.to_string();
    let mut expected_seq = 1i64;
    // Every snapshot's digest with its record (entity index in TRACKED, id), in chain order.
    let mut snapshots: Vec<Snapshot> = Vec::new();
    {
        let mut stmt = tx.conn().prepare(
            "SELECT seq, at, actor, action, entity, entity_id, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get(0)?;
            let text = |i: usize| -> rusqlite::Result<&str> {
                r.get_ref(i)?.as_str().map_err(rusqlite::Error::from)
            };
            let (at, actor, action, entity, entity_id, detail, prev_hash, hash) = (
                text(1)?,
                text(2)?,
                text(3)?,
                text(4)?,
                text(5)?,
                text(6)?,
                text(7)?,
                text(8)?,
            );
            report.entries += 1;
            let bad = |ja: &str, en: &str| Problem {
                seq: Some(seq),
                entity: Some(entity.to_string()),
                entity_id: Some(entity_id.to_string()),
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
            if entry_hash(prev_hash, at, actor, action, entity, entity_id, detail) != hash {
                report.problem = Some(bad("内容が書き換えられています", "content was altered"));
                break;
            }
            if let Ok(parsed) = serde_json::from_str::<DetailRow<'_>>(detail) {
                let tracked = TRACKED.iter().position(|(e, _, _)| *e == entity);
                if let (Some(index), Ok(id), Some(row)) =
                    (tracked, entity_id.parse::<i64>(), parsed.row)
                {
                    snapshots.push(Snapshot {
                        record: (index, id),
                        digest: snapshot_digest(row.get()),
                    });
                }
                if let Some(previous_at) = parsed.clock_moved_back {
                    report.clock_moved_back.push(ClockStep {
                        seq,
                        at: at.to_string(),
                        previous_at,
                    });
                }
            }
            prev = hash.to_string();
            expected_seq += 1;
        }
    }
    if report.problem.is_none() {
        report.problem = check_records(tx, last_snapshots(snapshots), &mut report.records_checked)?;
    }
    if report.problem.is_none() {
        report.problem = check_visit_counters(tx)?;
    }
    report.ok = report.problem.is_none();
    Ok(report)
}

/// A record's audited state at one entry: which record (entity index in TRACKED, id) and the
/// digest of its row then.
struct Snapshot {
    record: (usize, i64),
    digest: Digest32,
}

/// Each record's last snapshot, in (entity, id) order: the order the tables are read in, so
/// the two can be walked side by side (a sorted list is smaller and faster than a map here).
fn last_snapshots(mut snapshots: Vec<Snapshot>) -> Vec<Snapshot> {
    // Stable: a record's snapshots stay in chain order, the last one last.
    snapshots.sort_by_key(|s| s.record);
    let mut last: Vec<Snapshot> = Vec::with_capacity(snapshots.len());
    for s in snapshots {
        match last.last_mut() {
            Some(prev) if prev.record == s.record => *prev = s,
            _ => last.push(s),
        }
    }
    last
}

/// Every row of every tracked table must equal its last audited snapshot and every row must
/// have one (a row inserted behind the app's back has none); every audited record must still
/// be there (one deleted behind the app's back leaves its snapshot behind). Each table is read
/// once, in key order, beside the snapshots in the same order.
fn check_records(tx: &Tx<'_>, last: Vec<Snapshot>, checked: &mut u64) -> Result<Option<Problem>> {
    let mut last = last.into_iter().peekable();
    for (index, (entity, table, key)) in TRACKED.iter().enumerate() {
        let problem = |id: i64, ja: &str, en: &str| Problem {
            seq: None,
            entity: Some(entity.to_string()),
            entity_id: Some(id.to_string()),
            message_ja: format!("{table} の {id}: {ja}"),
            message_en: format!("{table} row {id}: {en}"),
        };
        let deleted = |id: i64| {
            problem(
                id,
                "監査ログにある記録が削除されています（アプリを通さずに削除）",
                "was deleted outside the app (its audit entries remain)",
            )
        };
        let mut stmt = tx
            .conn()
            .prepare(&format!("SELECT * FROM {table} ORDER BY {key}"))?;
        let names: Vec<String> = stmt.column_names().map(String::from).collect();
        let key_col = names.iter().position(|n| n == key).unwrap_or(0);
        // The columns as a snapshot writes them: in key order, derived ones left out.
        let mut columns: Vec<(String, usize)> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| !DERIVED.contains(&n.as_str()))
            .map(|(i, n)| (serde_json::to_string(n).expect("a column name"), i))
            .collect();
        columns.sort();
        let mut rows = stmt.query([])?;
        let mut text = Vec::new();
        while let Some(r) = rows.next()? {
            *checked += 1;
            let id: i64 = r.get(key_col)?;
            // Snapshots of records before this one that no row answered: deleted.
            if let Some(s) = last.next_if(|s| s.record < (index, id)) {
                return Ok(Some(deleted(s.record.1)));
            }
            let Some(snap) = last.next_if(|s| s.record == (index, id)) else {
                return Ok(Some(problem(
                    id,
                    "監査ログに記録のない行です",
                    "has no audit entry",
                )));
            };
            row_text(r, &columns, &mut text)?;
            if snap.digest != <Digest32>::from(Sha256::digest(&text)) {
                return Ok(Some(problem(
                    id,
                    "監査ログの記録と内容が違います（アプリを通さずに変更）",
                    "differs from its last audited state (changed outside the app)",
                )));
            }
        }
        // What is left of this table's snapshots has no row any more.
        if let Some(s) = last.next_if(|s| s.record.0 == index) {
            return Ok(Some(deleted(s.record.1)));
        }
    }
    Ok(None)
}

/// A row as the compact JSON text a snapshot holds (what `Value::to_string` writes for
/// [`row_value`]), written straight into `out`: `columns` are the quoted names, in key order.
/// Text is escaped in place rather than built into values (verify does this for every row).
fn row_text(
    r: &rusqlite::Row<'_>,
    columns: &[(String, usize)],
    out: &mut Vec<u8>,
) -> rusqlite::Result<()> {
    out.clear();
    out.push(b'{');
    for (n, (name, i)) in columns.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let written = match r.get_ref(*i)? {
            ValueRef::Null => out.write_all(b"null"),
            ValueRef::Integer(v) => write!(out, "{v}"),
            ValueRef::Real(f) => {
                serde_json::to_writer(&mut *out, &Value::from(f)).map_err(Into::into)
            }
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => serde_json::to_writer(&mut *out, s).map_err(Into::into),
                Err(_) => serde_json::to_writer(&mut *out, &String::from_utf8_lossy(t))
                    .map_err(Into::into),
            },
            ValueRef::Blob(b) => {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                serde_json::to_writer(&mut *out, &hex).map_err(Into::into)
            }
        };
        written.expect("writing to memory cannot fail");
    }
    out.push(b'}');
    Ok(())
}

/// A row as JSON (column → value), the shape [`row_snapshot`] records.
fn row_value(r: &rusqlite::Row<'_>, names: &[String]) -> rusqlite::Result<Value> {
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
}

/// Each day's visit counter must be at least the highest number drawn that day: a counter set
/// back would hand out a visit number twice.
fn check_visit_counters(tx: &Tx<'_>) -> Result<Option<Problem>> {
    let found: Option<(String, String, i64, Option<i64>)> = tx
        .conn()
        .query_row(
            "SELECT v.visit_date, substr(v.visit_no, 1, 7) AS prefix,
                    MAX(CAST(substr(v.visit_no, 8) AS INTEGER)) AS used, c.last
             FROM visits v
             LEFT JOIN visit_counters c
               ON c.visit_date = v.visit_date AND c.prefix = substr(v.visit_no, 1, 7)
             GROUP BY v.visit_date, prefix
             HAVING c.last IS NULL OR c.last < used
             LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    Ok(found.map(|(day, prefix, used, last)| Problem {
        seq: None,
        entity: Some("visit_counter".into()),
        entity_id: Some(format!("{day} {prefix}")),
        message_ja: format!(
            "{day} の受付番号 {prefix}… の連番が {} に戻されています（{used} 番まで使用済み）",
            last.map(|l| l.to_string()).unwrap_or_else(|| "なし".into())
        ),
        message_en: format!(
            "the visit counter of {day} {prefix} was set back to {last:?} (numbers up to {used} were drawn)"
        ),
    }))
}

#[cfg(test)]
mod tests {
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
        tx.conn()
            .execute(
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
