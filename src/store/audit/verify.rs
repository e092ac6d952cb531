//! `audit verify`: the chain walked from its first entry to its last, and every tracked record
//! held against its last audited snapshot.
//!
//! The work is shared by two threads: this one reads the database (a connection is used by one
//! thread at a time) and digests the tables' rows, while a second checks the chain's links and
//! hashes and digests each entry's snapshot. A year of records then takes about half what one
//! core would, in memory that holds one digest per record.

use std::io::Write as _;
use std::mem::take;
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use super::{entry_digest, hex, GENESIS_HASH, TRACKED};
use crate::error::Result;
use crate::store::engine::Cell;
use crate::store::{params, Row, Tx};

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

/// A record's UUID (migration 8): left out of the comparison as well, since the snapshots
/// written before it lack it. It cannot change once set (a trigger refuses it), and `store
/// copy --merge`, the one reader that relies on it, matches records by it.
const IDENTITY: &str = "uuid";

/// Where `raw` (a snapshot, compact JSON) holds its `"uuid"` member, with the comma beside it.
fn identity_span(raw: &str) -> Option<Range<usize>> {
    let key = "\"uuid\":";
    for (at, _) in raw.match_indices(key) {
        // A key only where a member starts: inside a string value the quotes are escaped.
        let before = raw[..at].chars().next_back();
        if !matches!(before, Some('{' | ',')) {
            continue;
        }
        let value = &raw[at + key.len()..];
        let len = if value.starts_with("null") {
            4
        } else {
            value.strip_prefix('"')?.find('"')? + 2
        };
        let end = at + key.len() + len;
        return Some(if before == Some(',') {
            at - 1..end
        } else if raw[end..].starts_with(',') {
            at..end + 1
        } else {
            at..end
        });
    }
    None
}

/// The digest of a row snapshot as recorded in an entry's detail (compact JSON, keys in order,
/// as `serde_json` writes a map), derived columns and the UUID left out: the other columns'
/// texts are joined again as they were written, no value is rebuilt.
fn snapshot_digest(raw: &str) -> Digest32 {
    if !DERIVED.iter().any(|k| raw.contains(k)) {
        // Hashed around the UUID where it stands: no copy of the text.
        let mut h = Sha256::new();
        match identity_span(raw) {
            Some(cut) => {
                h.update(&raw.as_bytes()[..cut.start]);
                h.update(&raw.as_bytes()[cut.end..]);
            }
            None => h.update(raw.as_bytes()),
        }
        return h.finalize().into();
    }
    let Ok(columns) = serde_json::from_str::<BTreeMap<&str, &RawValue>>(raw) else {
        return Sha256::digest(raw.as_bytes()).into();
    };
    let mut h = Sha256::new();
    h.update(b"{");
    let kept = columns
        .iter()
        .filter(|(k, _)| !DERIVED.contains(k) && **k != IDENTITY);
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

/// Entries or rows handed to the checker per batch: enough to keep both threads busy, little
/// enough to hold (a few hundred kilobytes).
const BATCH: usize = 1024;

/// What this thread reads for the checker: texts end to end in one buffer, each item's parts
/// as ranges of it.
struct Batch<T> {
    text: Vec<u8>,
    items: Vec<T>,
}

impl<T> Default for Batch<T> {
    fn default() -> Self {
        Batch {
            text: Vec::new(),
            items: Vec::new(),
        }
    }
}

impl<T> Batch<T> {
    fn add(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        start..self.text.len()
    }
}

/// An audit entry: its sequence number and its fields (at, actor, action, entity, entity_id,
/// detail, prev_hash, hash).
struct RawEntry {
    seq: i64,
    fields: [Range<usize>; 8],
}

/// A tracked table's row (entity index in TRACKED, id), as the JSON text a snapshot holds.
struct RawRow {
    record: (usize, i64),
    text: Range<usize>,
}

enum Work {
    Entries(Batch<RawEntry>),
    Rows(Batch<RawRow>),
}

/// What the checker found.
#[derive(Default)]
struct Checked {
    entries: u64,
    /// Every snapshot's digest with its record, in chain order; once the rows come, only
    /// each record's last, in (entity, id) order.
    snapshots: Vec<Snapshot>,
    /// Every row's digest, in (entity, id) order.
    rows: Vec<Snapshot>,
    clock_moved_back: Vec<ClockStep>,
    problem: Option<Problem>,
}

/// Walks the whole chain, then checks that every tracked record equals its last audited
/// snapshot, that no audited record was deleted, and that the per-day visit counters were not
/// set back.
pub fn verify(tx: &Tx<'_>) -> Result<VerifyReport> {
    let (checked, read_all) = std::thread::scope(|scope| -> Result<_> {
        let (send, receive) = sync_channel(4);
        let checker = scope.spawn(move || check(receive));
        // The rows follow the chain; not when the checker already stopped at a broken link.
        let read = send_entries(tx, &send).and_then(|more| {
            if more {
                send_rows(tx, &send)
            } else {
                Ok(false)
            }
        });
        drop(send);
        let checked = checker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Ok((checked, read?))
    })?;
    let mut report = VerifyReport {
        entries: checked.entries,
        records_checked: 0,
        ok: true,
        problem: checked.problem,
        clock_moved_back: checked.clock_moved_back,
    };
    if report.problem.is_none() && read_all {
        report.records_checked = checked.rows.len() as u64;
        report.problem = compare(checked.snapshots, checked.rows);
    }
    if report.problem.is_none() {
        report.problem = check_visit_counters(tx)?;
    }
    report.ok = report.problem.is_none();
    Ok(report)
}

/// Reads the chain in order to the checker. False when the checker stopped early (it found a
/// problem).
fn send_entries(tx: &Tx<'_>, send: &SyncSender<Work>) -> Result<bool> {
    let mut batch = Batch::default();
    let mut stopped = false;
    tx.for_each(
        "SELECT seq, at, actor, action, entity, entity_id, detail, prev_hash, hash
         FROM audit_log ORDER BY seq",
        params![],
        |r| {
            let mut fields: [Range<usize>; 8] = Default::default();
            for (i, field) in fields.iter_mut().enumerate() {
                *field = match r.cell(i + 1)? {
                    Cell::Text(t) => batch.add(t.as_bytes()),
                    Cell::Blob(b) => batch.add(&b),
                    _ => batch.add(b""),
                };
            }
            batch.items.push(RawEntry {
                seq: r.get(0)?,
                fields,
            });
            if batch.items.len() == BATCH && send.send(Work::Entries(take(&mut batch))).is_err() {
                stopped = true;
            }
            Ok(!stopped)
        },
    )?;
    Ok(!stopped && send.send(Work::Entries(batch)).is_ok())
}

/// Reads every row of every tracked table, in (entity, id) order, as the text its snapshot
/// would be, to the checker.
fn send_rows(tx: &Tx<'_>, send: &SyncSender<Work>) -> Result<bool> {
    let mut batch = Batch::default();
    let mut text = Vec::new();
    for (index, (_, table, key)) in TRACKED.iter().enumerate() {
        // A backup from before a table's migration has none of its records.
        if !tx.has_table(table)? {
            continue;
        }
        // The columns as a snapshot writes them (in key order, derived ones left out), taken
        // from the first row.
        let mut layout: Option<(usize, Vec<(String, usize)>)> = None;
        let mut stopped = false;
        tx.for_each(
            &format!("SELECT * FROM {table} ORDER BY {key}"),
            params![],
            |r| {
                let (key_col, columns) = layout.get_or_insert_with(|| snapshot_columns(r, key));
                row_text(r, columns, &mut text)?;
                let row = RawRow {
                    record: (index, r.get(*key_col)?),
                    text: batch.add(&text),
                };
                batch.items.push(row);
                if batch.items.len() == BATCH && send.send(Work::Rows(take(&mut batch))).is_err() {
                    stopped = true;
                }
                Ok(!stopped)
            },
        )?;
        if stopped {
            return Ok(false);
        }
    }
    Ok(send.send(Work::Rows(batch)).is_ok())
}

/// The key's column, and the columns a snapshot holds: their quoted names in key order, each
/// with its place in the row.
fn snapshot_columns(r: &Row<'_>, key: &str) -> (usize, Vec<(String, usize)>) {
    let names: Vec<&str> = (0..r.len()).map(|i| r.column_name(i)).collect();
    let key_col = names.iter().position(|n| *n == key).unwrap_or(0);
    let mut columns: Vec<(String, usize)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !DERIVED.contains(n) && **n != IDENTITY)
        .map(|(i, n)| (serde_json::to_string(n).expect("a column name"), i))
        .collect();
    columns.sort();
    (key_col, columns)
}

/// Checks each entry's sequence number, link and hash, digests its snapshot, and digests each
/// row.
fn check(work: Receiver<Work>) -> Checked {
    let mut checked = Checked::default();
    let mut prev = GENESIS_HASH.as_bytes().to_vec();
    let mut expected_seq = 1i64;
    let mut chain_done = false;
    for batch in work {
        let batch = match batch {
            Work::Entries(batch) => batch,
            Work::Rows(batch) => {
                if !chain_done {
                    chain_done = true;
                    // The chain is done: its snapshots are sorted here, while the rows are
                    // still being read.
                    checked.snapshots = last_snapshots(take(&mut checked.snapshots));
                }
                let digests = batch.items.iter().map(|row| Snapshot {
                    record: row.record,
                    digest: Sha256::digest(&batch.text[row.text.clone()]).into(),
                });
                checked.rows.extend(digests);
                continue;
            }
        };
        for entry in &batch.items {
            let [at, actor, action, entity, entity_id, detail, prev_hash, hash] =
                entry.fields.clone().map(|f| &batch.text[f]);
            let seq = entry.seq;
            checked.entries += 1;
            let bad = |ja: &str, en: &str| Problem {
                seq: Some(seq),
                entity: Some(String::from_utf8_lossy(entity).into_owned()),
                entity_id: Some(String::from_utf8_lossy(entity_id).into_owned()),
                message_ja: format!("監査ログ {seq} 番: {ja}"),
                message_en: format!("audit entry {seq}: {en}"),
            };
            if seq != expected_seq {
                checked.problem = Some(bad(
                    &format!("{expected_seq} 番が欠けています"),
                    &format!("entry {expected_seq} is missing"),
                ));
                return checked;
            }
            if prev_hash != prev {
                checked.problem = Some(bad(
                    "前の記録とつながっていません（削除または改ざん）",
                    "does not link to the previous entry (removed or altered)",
                ));
                return checked;
            }
            let digest = entry_digest([prev_hash, at, actor, action, entity, entity_id, detail]);
            if hex(&digest).as_bytes() != hash {
                checked.problem = Some(bad("内容が書き換えられています", "content was altered"));
                return checked;
            }
            if let Ok(parsed) = serde_json::from_slice::<DetailRow<'_>>(detail) {
                let tracked = TRACKED.iter().position(|(e, _, _)| e.as_bytes() == entity);
                let id = std::str::from_utf8(entity_id)
                    .ok()
                    .and_then(|s| s.parse().ok());
                if let (Some(index), Some(id), Some(row)) = (tracked, id, parsed.row) {
                    checked.snapshots.push(Snapshot {
                        record: (index, id),
                        digest: snapshot_digest(row.get()),
                    });
                }
                if let Some(previous_at) = parsed.clock_moved_back {
                    checked.clock_moved_back.push(ClockStep {
                        seq,
                        at: String::from_utf8_lossy(at).into_owned(),
                        previous_at,
                    });
                }
            }
            prev.clear();
            prev.extend_from_slice(hash);
            expected_seq += 1;
        }
    }
    checked
}

/// A record's audited state: which record (entity index in TRACKED, id) and the digest of its
/// row.
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

/// Every row must equal its record's last audited snapshot, and have one (a row inserted behind
/// the app's back has none); every audited record must still have its row (one deleted behind
/// the app's back leaves its snapshots behind). Both lists are in (entity, id) order.
fn compare(last: Vec<Snapshot>, rows: Vec<Snapshot>) -> Option<Problem> {
    let problem = |(index, id): (usize, i64), ja: &str, en: &str| {
        let (entity, table, _) = TRACKED[index];
        Problem {
            seq: None,
            entity: Some(entity.to_string()),
            entity_id: Some(id.to_string()),
            message_ja: format!("{table} の {id}: {ja}"),
            message_en: format!("{table} row {id}: {en}"),
        }
    };
    let deleted = |record| {
        problem(
            record,
            "監査ログにある記録が削除されています（アプリを通さずに削除）",
            "was deleted outside the app (its audit entries remain)",
        )
    };
    let unaudited = |record| problem(record, "監査ログに記録のない行です", "has no audit entry");
    let mut last = last.into_iter().peekable();
    for row in rows {
        if let Some(gone) = last.next_if(|s| s.record < row.record) {
            return Some(deleted(gone.record));
        }
        match last.next_if(|s| s.record == row.record) {
            None => return Some(unaudited(row.record)),
            Some(snap) if snap.digest != row.digest => {
                return Some(problem(
                    row.record,
                    "監査ログの記録と内容が違います（アプリを通さずに変更）",
                    "differs from its last audited state (changed outside the app)",
                ))
            }
            Some(_) => {}
        }
    }
    last.next().map(|gone| deleted(gone.record))
}

/// A row as the compact JSON text a snapshot holds (what `Value::to_string` writes for
/// [`row_value`]), written straight into `out`: `columns` are the quoted names, in key order.
/// Text is escaped in place rather than built into values (verify does this for every row).
fn row_text(r: &Row<'_>, columns: &[(String, usize)], out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    out.push(b'{');
    for (n, (name, i)) in columns.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let written = match r.cell(*i)? {
            Cell::Null => out.write_all(b"null"),
            Cell::Integer(v) => write!(out, "{v}"),
            Cell::Real(f) => serde_json::to_writer(&mut *out, &Value::from(f)).map_err(Into::into),
            Cell::Text(t) => serde_json::to_writer(&mut *out, t.as_ref()).map_err(Into::into),
            Cell::Blob(b) => {
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                serde_json::to_writer(&mut *out, &hex).map_err(Into::into)
            }
        };
        written.expect("writing to memory cannot fail");
    }
    out.push(b'}');
    Ok(())
}

/// Each day's visit counter must be at least the highest number drawn that day: a counter set
/// back would hand out a visit number twice.
fn check_visit_counters(tx: &Tx<'_>) -> Result<Option<Problem>> {
    let found: Option<(String, String, i64, Option<i64>)> = tx.query_opt(
        "SELECT u.visit_date, u.prefix, u.used, c.last
         FROM (SELECT visit_date, substr(visit_no, 1, 7) AS prefix,
                      MAX(CAST(substr(visit_no, 8) AS BIGINT)) AS used
               FROM visits GROUP BY visit_date, substr(visit_no, 1, 7)) u
         LEFT JOIN visit_counters c ON c.visit_date = u.visit_date AND c.prefix = u.prefix
         WHERE c.last IS NULL OR c.last < u.used
         ORDER BY u.visit_date, u.prefix
         LIMIT 1",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
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
    use super::{identity_span, snapshot_digest};
    use sha2::{Digest, Sha256};

    fn without_identity(raw: &str) -> String {
        match identity_span(raw) {
            Some(cut) => format!("{}{}", &raw[..cut.start], &raw[cut.end..]),
            None => raw.to_string(),
        }
    }

    #[test]
    fn a_snapshot_is_compared_without_its_uuid_wherever_it_stands() {
        let u = r#""uuid":"0192f3a4-5b6c-7d8e-9f00-112233445566""#;
        assert_eq!(
            without_identity(&format!(r#"{{"a":1,{u},"z":2}}"#)),
            r#"{"a":1,"z":2}"#
        );
        assert_eq!(without_identity(&format!(r#"{{"a":1,{u}}}"#)), r#"{"a":1}"#);
        assert_eq!(without_identity(&format!(r#"{{{u},"z":2}}"#)), r#"{"z":2}"#);
        assert_eq!(without_identity(r#"{"a":1,"uuid":null}"#), r#"{"a":1}"#);
        // Text that merely reads like the member is left alone.
        let note = r#"{"note":"\"uuid\":\"x\"","z":2}"#;
        assert_eq!(without_identity(note), note);
        assert_eq!(without_identity(r#"{"a":1}"#), r#"{"a":1}"#);
    }

    #[test]
    fn a_snapshot_digests_the_same_with_or_without_its_uuid_on_either_path() {
        let plain = r#"{"a":1,"z":2}"#;
        let with = r#"{"a":1,"uuid":"0192f3a4-5b6c-7d8e-9f00-112233445566","z":2}"#;
        assert_eq!(snapshot_digest(with), snapshot_digest(plain));
        let expected: [u8; 32] = Sha256::digest(plain.as_bytes()).into();
        assert_eq!(snapshot_digest(with), expected);
        // A patient's snapshot (derived keys: the parsing path).
        let patient =
            r#"{"kana_key":"ヤマダ","name":"山田","uuid":"0192f3a4-5b6c-7d8e-9f00-112233445566"}"#;
        assert_eq!(
            snapshot_digest(patient),
            snapshot_digest(r#"{"name":"山田"}"#)
        );
    }
}
