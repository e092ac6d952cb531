//! `store copy --merge`: the records a PC made on its own (carrying on from a backup while the
//! clinic's server was out of reach) brought back into the server's records.
//!
//! The two audit chains share their first entries, up to the backup the PC carried on from
//! (the fork). What the PC did after it is named by its own entries: every record they touch
//! is looked up on the other side by its UUID ([`super::identity`]):
//! - not there: inserted, with a new id, its links to other records followed by UUID, and a
//!   visit number already taken that day replaced by the next free one (the PC's number stays
//!   on record in the audit entry and the report);
//! - there, but changed on the PC only: brought up to the PC's version;
//! - there and changed on the server as well since the fork: the server's version is kept and
//!   the record reported for a person to look at (the PC's version stays in the carried-over
//!   entries).
//!
//! The PC's entries are then appended to the chain (who did what, with the PC's time and
//! entry kept under `merged_from`), and a `store.merge` entry snapshots each record written.
//! Everything happens in one transaction of the destination; merging the same PC again
//! brings nothing twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::audit::{self, TRACKED};
use super::copy::{insert_sql, is_link_within, LINKS, TABLES};
use super::engine::{OwnedCell, Param};
use super::{params, visits, Stamp, Store, Tx};
use crate::error::{Error, Result};

/// The tracked records (entity, table, key) in the order they can be inserted, each after
/// those it points to: `store copy`'s table order, keeping the tables the audit tracks.
static ORDER: LazyLock<Vec<(&str, &str, &str)>> = LazyLock::new(|| {
    TABLES
        .iter()
        .filter_map(|(table, _)| TRACKED.iter().find(|(_, t, _)| t == table).copied())
        .collect()
});

/// Columns never compared between the two sides: the local key, the identity itself, and the
/// visit number (fixed when the visit is made; a merged visit may carry a new one).
const NOT_COMPARED: &[&str] = &["id", "uuid", "visit_no"];

/// The action of the entries a merge writes.
pub const ACTION: &str = "store.merge";
/// The detail key of an entry carried over from the PC.
pub const MERGED_FROM: &str = "merged_from";

/// What a merge did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MergeReport {
    /// The last audit entry both sides share: the PC carried on from there.
    pub fork_seq: i64,
    /// Records new to the destination, per table.
    pub inserted: Vec<TableTally>,
    /// Records the PC changed (and the destination had not): per table.
    pub updated: Vec<TableTally>,
    /// Visits whose number was already taken that day on the destination.
    pub renumbered: Vec<Renumbered>,
    /// Records changed on both sides since the fork: the destination's kept.
    pub conflicts: Vec<Conflict>,
    /// The PC's audit entries appended to the destination's chain.
    pub entries_carried: u64,
    /// Patients new from the PC who may be a patient the destination already had (the same
    /// カナ, birth date and sex: registered on both sides while apart), for a person to
    /// check and merge (`patients merge`).
    pub possible_same_person: Vec<SamePerson>,
    /// Printed prescriptions merged: their PDFs are in the PC's archive.
    pub prescription_pdfs: Vec<String>,
    /// The destination's chain after the merge, verified.
    pub audit_entries: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TableTally {
    pub table: String,
    pub records: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Renumbered {
    pub visit_date: String,
    pub on_pc: String,
    pub now: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SamePerson {
    /// The patient from the PC, as the destination numbers it.
    pub merged: i64,
    pub already_here: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Conflict {
    pub entity: String,
    pub id: i64,
    pub uuid: String,
    pub columns: Vec<String>,
}

/// An audit entry of the PC's, after the fork.
struct Entry {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    entity: String,
    entity_id: String,
    detail: String,
    hash: String,
}

/// A record the PC's entries touch, as the PC holds it.
struct Record {
    order: usize,
    id: i64,
    /// Whether the PC changed it after the fork (rather than only naming it).
    changed: bool,
    /// The record's identity (a queue entry's is its visit's).
    uuid: String,
    columns: Vec<(String, OwnedCell)>,
    /// For each link column set, the UUID of the record it points to.
    links: HashMap<String, String>,
    /// A staff member's PIN hash and lock state, which the audit never holds.
    secrets: Option<Vec<(String, OwnedCell)>>,
}

impl Record {
    fn table(&self) -> &'static str {
        ORDER[self.order].1
    }
    fn entity(&self) -> &'static str {
        ORDER[self.order].0
    }
    fn get(&self, column: &str) -> &OwnedCell {
        static NULL: OwnedCell = OwnedCell::Null;
        self.columns
            .iter()
            .find(|(n, _)| n == column)
            .map_or(&NULL, |(_, v)| v)
    }
}

/// Merges what `from` (a PC's records) holds beyond its fork from `to` into `to`, as `by`.
pub fn merge(from: &Store, to: &mut Store, by: &str) -> Result<MergeReport> {
    super::copy::same_schema(from, to, "統合")?;
    let source = from.read(audit::verify)?;
    if !source.ok {
        return Err(super::copy::chain_broken(
            "統合元",
            "the source",
            source.problem,
        ));
    }
    let fork = fork_point(from, to)?;
    let (entries, records) = from.read(|tx| read_source(tx, fork.0))?;
    let stamp = Stamp {
        at: super::timestamp(chrono::Local::now().fixed_offset()),
        by: by.to_string(),
    };
    let mut report = to.write(|tx| {
        if audit::hash_at(tx, fork.0)?.as_deref() != Some(fork.1.as_str()) {
            return Err(Error::refused(
                "統合先の記録が統合中に変わりました。もう一度実行してください",
                "the destination's chain changed during the merge: run it again",
            ));
        }
        let mut report = apply(tx, fork.0, &entries, &records, &stamp)?;
        // Verified before it commits: a merge that would leave the chain or a record short
        // of its snapshot leaves nothing.
        let after = audit::verify(tx)?;
        if !after.ok {
            return Err(super::copy::chain_broken(
                "統合先",
                "the destination",
                after.problem,
            ));
        }
        report.audit_entries = after.entries;
        Ok(report)
    })?;
    report.fork_seq = fork.0;
    Ok(report)
}

/// The last entry both chains hold alike (sequence number and hash). The chains are linked,
/// so they agree up to some entry and differ from the next on: found by halving.
fn fork_point(from: &Store, to: &Store) -> Result<(i64, String)> {
    let head = |s: &Store| s.read(audit::head).map(|h| h.map_or(0, |(seq, _)| seq));
    let to_head = head(to)?;
    if to_head == 0 {
        return Err(Error::refused(
            "統合先にはまだ記録がありません。--merge を付けずに store copy でそのまま移してください",
            "the destination holds no records yet: copy without --merge",
        ));
    }
    let (mut agree, mut differ) = (0i64, head(from)?.min(to_head) + 1);
    let same = |seq: i64| -> Result<bool> {
        let a = from.read(|tx| audit::hash_at(tx, seq))?;
        Ok(a.is_some() && a == to.read(|tx| audit::hash_at(tx, seq))?)
    };
    while differ - agree > 1 {
        let mid = agree + (differ - agree) / 2;
        if same(mid)? {
            agree = mid;
        } else {
            differ = mid;
        }
    }
    if agree == 0 {
        return Err(Error::refused(
            "統合元は統合先の記録から作られたものではありません（監査ログの始まりが違います）。別の医療機関や別のデータベースの記録は統合できません",
            "the source was not made from the destination's records (their audit chains begin differently)",
        ));
    }
    let hash = to.read(|tx| audit::hash_at(tx, agree))?.unwrap_or_default();
    Ok((agree, hash))
}

/// The PC's entries after the fork and the records they touch, in merge order.
fn read_source(tx: &Tx<'_>, fork: i64) -> Result<(Vec<Entry>, Vec<Record>)> {
    let mut entries = Vec::new();
    tx.for_each(
        "SELECT seq, at, actor, action, entity, entity_id, detail, hash
           FROM audit_log WHERE seq > ?1 ORDER BY seq",
        params![fork],
        |r| {
            entries.push(Entry {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                entity: r.get(4)?,
                entity_id: r.get(5)?,
                detail: r.get(6)?,
                hash: r.get(7)?,
            });
            Ok(true)
        },
    )?;
    // Each record the entries name, and whether any of them changed it (an entry about a
    // change holds the row as it became; a reprint or a view holds none).
    let mut touched: BTreeMap<(usize, i64), bool> = BTreeMap::new();
    for e in &entries {
        let Some(order) = ORDER.iter().position(|(entity, _, _)| *entity == e.entity) else {
            continue;
        };
        let Ok(id) = e.entity_id.parse() else {
            continue;
        };
        let changed = serde_json::from_str::<Value>(&e.detail)
            .is_ok_and(|d| d.get("row").is_some_and(|r| !r.is_null()));
        *touched.entry((order, id)).or_default() |= changed;
    }
    let mut records = Vec::new();
    for ((order, id), changed) in touched {
        let (_, table, key) = ORDER[order];
        let Some(columns) = read_row(tx, table, key, id)? else {
            continue;
        };
        let mut links = HashMap::new();
        for (_, column, target) in LINKS.iter().filter(|(t, _, _)| *t == table) {
            if let Some((_, OwnedCell::Integer(to))) = columns.iter().find(|(n, _)| n == column) {
                links.insert(column.to_string(), uuid_of(tx, target, *to)?);
            }
        }
        let uuid = if table == "reconcile_queue" {
            links.get("visit_id").cloned().unwrap_or_default()
        } else {
            match columns.iter().find(|(n, _)| n == "uuid") {
                Some((_, OwnedCell::Text(u))) => u.clone(),
                _ => uuid_of(tx, table, id)?,
            }
        };
        let secrets = if table == "staff" {
            read_row(tx, "staff_secrets", "staff_id", id)?
        } else {
            None
        };
        records.push(Record {
            order,
            id,
            changed,
            uuid,
            columns,
            links,
            secrets,
        });
    }
    Ok((entries, records))
}

fn read_row(
    tx: &Tx<'_>,
    table: &str,
    key: &str,
    id: i64,
) -> Result<Option<Vec<(String, OwnedCell)>>> {
    tx.query_opt(
        &format!("SELECT * FROM {table} WHERE {key} = ?1"),
        params![id],
        |r| {
            (0..r.len())
                .map(|i| Ok((r.column_name(i).to_string(), r.cell(i)?.into_owned())))
                .collect()
        },
    )
}

fn uuid_of(tx: &Tx<'_>, table: &str, id: i64) -> Result<String> {
    tx.query_opt(
        &format!("SELECT uuid FROM {table} WHERE id = ?1"),
        params![id],
        |r| r.get::<Option<String>>(0),
    )?
    .flatten()
    .ok_or_else(|| {
        Error::failed(
            format!("統合元の {table} {id} 番に UUID がありません"),
            format!("{table} {id} in the source has no uuid"),
        )
    })
}

/// The destination's side of the merge, inside its write transaction.
fn apply(
    tx: &Tx<'_>,
    fork: i64,
    entries: &[Entry],
    records: &[Record],
    stamp: &Stamp,
) -> Result<MergeReport> {
    let mut report = MergeReport::default();
    let (carried, changed_here) = since_fork(tx, fork)?;
    let mut ids: HashMap<(&str, i64), i64> = HashMap::new();
    let mut fate: HashMap<(&str, i64), Fate> = HashMap::new();
    let mut written: Vec<(&Record, Value)> = Vec::new();

    // In order, so that each record finds what it points to: a record the destination lacks
    // goes in, one it holds is brought up to the PC's version (an outage ended on the PC is
    // ended before a later one from the PC opens). Links within a table wait for the second
    // pass, once every record of the table is in.
    for pass in [Links::Outside, Links::Within] {
        for rec in records {
            let key = (rec.table(), rec.id);
            let id = match ids.get(&key) {
                Some(id) => *id,
                None if pass == Links::Within => continue,
                None => match existing(tx, rec)? {
                    Some(id) => {
                        ids.insert(key, id);
                        id
                    }
                    None => {
                        if let Some((id, extra)) = insert(tx, rec, &ids, &mut report)? {
                            ids.insert(key, id);
                            fate.insert(key, Fate::New);
                            written.push((rec, extra));
                        }
                        continue;
                    }
                },
            };
            let now = fate.get(&key).copied();
            let wanted = match now {
                Some(Fate::Conflict) => false,
                Some(Fate::New) => pass == Links::Within,
                _ => rec.changed,
            };
            if !wanted {
                continue;
            }
            let differ = differences(tx, rec, id, &ids, pass)?;
            if differ.is_empty() {
                continue;
            }
            if now.is_none() && changed_here.contains(&(rec.entity(), id.to_string())) {
                fate.insert(key, Fate::Conflict);
                report.conflicts.push(Conflict {
                    entity: rec.entity().to_string(),
                    id,
                    uuid: rec.uuid.clone(),
                    columns: differ.iter().map(|(c, _)| c.to_string()).collect(),
                });
                continue;
            }
            let sets: Vec<String> = differ
                .iter()
                .enumerate()
                .map(|(i, (c, _))| format!("{c} = ?{}", i + 2))
                .collect();
            let mut values: Vec<&dyn Param> = vec![&id];
            values.extend(differ.iter().map(|(_, v)| v as &dyn Param));
            tx.execute(
                &format!(
                    "UPDATE {} SET {} WHERE {} = ?1",
                    rec.table(),
                    sets.join(", "),
                    ORDER[rec.order].2
                ),
                &values,
            )?;
            if now.is_none() {
                fate.insert(key, Fate::Updated);
                written.push((rec, Value::Null));
            }
        }
    }
    for rec in records {
        match fate.get(&(rec.table(), rec.id)) {
            Some(Fate::New) => tally(&mut report.inserted, rec.table()),
            Some(Fate::Updated) => tally(&mut report.updated, rec.table()),
            _ => {}
        }
    }

    // The PC's entries, each once: who did what and when on the PC, under the destination's
    // ids. The snapshot they held is kept as `row_on_pc`: it names the PC's ids.
    for e in entries.iter().filter(|e| !carried.contains(&e.hash)) {
        let entity_id = ORDER
            .iter()
            .find(|(entity, _, _)| *entity == e.entity)
            .and_then(|(_, table, _)| ids.get(&(*table, e.entity_id.parse().ok()?)))
            .map_or_else(|| e.entity_id.clone(), i64::to_string);
        let mut detail = match serde_json::from_str::<Value>(&e.detail) {
            Ok(Value::Object(m)) => m,
            Ok(Value::Null) => Map::new(),
            Ok(other) => Map::from_iter([("info".to_string(), other)]),
            Err(_) => Map::from_iter([("info".to_string(), Value::from(e.detail.clone()))]),
        };
        if let Some(row) = detail.remove("row") {
            detail.insert("row_on_pc".into(), row);
        }
        detail.insert(
            MERGED_FROM.into(),
            json!({"seq": e.seq, "at": e.at, "hash": e.hash, "entity_id": e.entity_id}),
        );
        let as_actor = Stamp {
            at: stamp.at.clone(),
            by: e.actor.clone(),
        };
        audit::append(
            tx,
            &as_actor,
            &e.action,
            &e.entity,
            &entity_id,
            &Value::Object(detail),
        )?;
        report.entries_carried += 1;
    }
    // Then each record written, as it now stands.
    for (rec, extra) in &written {
        let id = ids[&(rec.table(), rec.id)];
        let mut detail = json!({"from_pc": {"id": rec.id, "uuid": rec.uuid}});
        if let (Value::Object(d), Value::Object(x)) = (&mut detail, extra) {
            d.extend(x.clone());
        }
        audit::record(tx, stamp, ACTION, rec.entity(), id, detail)?;
    }
    Ok(report)
}

/// What became of a record of the PC's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    New,
    Updated,
    Conflict,
}

/// Which columns a pass compares: all but the links within the record's own table, or just
/// those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Links {
    Outside,
    Within,
}

/// The columns (of the pass) where the destination's record `id` differs from the PC's
/// version, with the PC's values as the destination is to hold them.
fn differences<'r>(
    tx: &Tx<'_>,
    rec: &'r Record,
    id: i64,
    ids: &HashMap<(&str, i64), i64>,
    pass: Links,
) -> Result<Vec<(&'r str, OwnedCell)>> {
    let key = ORDER[rec.order].2;
    let here = read_row(tx, rec.table(), key, id)?.unwrap_or_default();
    let mut differ = Vec::new();
    for (column, value) in &rec.columns {
        if NOT_COMPARED.contains(&column.as_str())
            || column == key
            || is_link_within(rec.table(), column) != (pass == Links::Within)
        {
            continue;
        }
        let value = mapped(tx, rec, column, value, ids)?;
        if here.iter().find(|(n, _)| n == column).map(|(_, v)| v) != Some(&value) {
            differ.push((column.as_str(), value));
        }
    }
    Ok(differ)
}

/// A tracked record as audit entries name it: entity and id.
type RecordName = (&'static str, String);

/// From the destination's entries after the fork: the hashes of the PC entries already
/// carried over (an earlier merge), and the records changed here by anything but a merge.
fn since_fork(tx: &Tx<'_>, fork: i64) -> Result<(HashSet<String>, HashSet<RecordName>)> {
    let mut carried = HashSet::new();
    let mut changed = HashSet::new();
    tx.for_each(
        "SELECT action, entity, entity_id, detail FROM audit_log WHERE seq > ?1 ORDER BY seq",
        params![fork],
        |r| {
            let (action, entity, entity_id, detail): (String, String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let from = serde_json::from_str::<Value>(&detail).ok().and_then(|d| {
                d.get(MERGED_FROM)?
                    .get("hash")?
                    .as_str()
                    .map(str::to_string)
            });
            match from {
                Some(hash) => {
                    carried.insert(hash);
                }
                None if action != ACTION && detail.contains("\"row\":{") => {
                    if let Some((e, _, _)) = TRACKED.iter().find(|(e, _, _)| *e == entity) {
                        changed.insert((*e, entity_id));
                    }
                }
                None => {}
            }
            Ok(true)
        },
    )?;
    Ok((carried, changed))
}

/// The destination's id of the record, when it already holds it.
fn existing(tx: &Tx<'_>, rec: &Record) -> Result<Option<i64>> {
    if rec.table() == "reconcile_queue" {
        return tx.query_opt(
            "SELECT q.visit_id FROM reconcile_queue q JOIN visits v ON v.id = q.visit_id
              WHERE v.uuid = ?1",
            params![rec.uuid],
            |r| r.get(0),
        );
    }
    id_by_uuid(tx, rec.table(), &rec.uuid)
}

/// The destination's id of the record of `table` with `uuid`.
fn id_by_uuid(tx: &Tx<'_>, table: &str, uuid: &str) -> Result<Option<i64>> {
    tx.query_opt(
        &format!("SELECT id FROM {table} WHERE uuid = ?1"),
        params![uuid],
        |r| r.get(0),
    )
}

/// A value of `rec` as the destination is to hold it: a link followed to the destination's
/// record by its UUID.
fn mapped(
    tx: &Tx<'_>,
    rec: &Record,
    column: &str,
    value: &OwnedCell,
    ids: &HashMap<(&str, i64), i64>,
) -> Result<OwnedCell> {
    let Some((_, _, target)) = LINKS
        .iter()
        .find(|(t, c, _)| *t == rec.table() && *c == column)
    else {
        return Ok(value.clone());
    };
    let OwnedCell::Integer(id) = value else {
        return Ok(value.clone());
    };
    if let Some(here) = ids.get(&(*target, *id)) {
        return Ok(OwnedCell::Integer(*here));
    }
    let uuid = rec
        .links
        .get(column)
        .map(String::as_str)
        .unwrap_or_default();
    id_by_uuid(tx, target, uuid)?
        .map(OwnedCell::Integer)
        .ok_or_else(|| {
            Error::failed(
                format!(
                    "統合元の {} {} 番が指す {target} の記録（{uuid}）が統合先にありません",
                    rec.table(),
                    rec.id
                ),
                format!(
                "{} {} in the source points to a {target} record ({uuid}) the destination lacks",
                rec.table(),
                rec.id
            ),
            )
        })
}

/// Inserts a record new to the destination (a link within its own table left for later):
/// its new id and what its merge entry notes, or None when it cannot go in as it is (a staff
/// name already taken here: reported as a conflict).
fn insert(
    tx: &Tx<'_>,
    rec: &Record,
    ids: &HashMap<(&str, i64), i64>,
    report: &mut MergeReport,
) -> Result<Option<(i64, Value)>> {
    let table = rec.table();
    let mut extra = Value::Null;
    let mut names = Vec::new();
    let mut values = Vec::new();
    for (column, value) in &rec.columns {
        if column == "id" {
            continue;
        }
        let value = if is_link_within(table, column) {
            OwnedCell::Null
        } else {
            mapped(tx, rec, column, value, ids)?
        };
        names.push(column.as_str());
        values.push(value);
    }
    match table {
        "staff" => {
            let taken: Option<i64> = tx.query_opt(
                "SELECT id FROM staff WHERE name = ?1",
                &[rec.get("name") as &dyn Param],
                |r| r.get(0),
            )?;
            if let Some(id) = taken {
                report.conflicts.push(Conflict {
                    entity: "staff".into(),
                    id,
                    uuid: rec.uuid.clone(),
                    columns: vec!["name".into()],
                });
                return Ok(None);
            }
        }
        "outages" if rec.get("ended_at") == &OwnedCell::Null => {
            let open: i64 = tx.value(
                "SELECT COUNT(*) FROM outages WHERE ended_at IS NULL",
                params![],
            )?;
            if open > 0 {
                return Err(Error::refused(
                    "このPCと統合先の両方で障害中のままです。どちらかで障害の終了を記録してから、もう一度統合してください",
                    "an outage is open on both the PC and the destination: end one, then merge again",
                ));
            }
        }
        "visits" => {
            let (OwnedCell::Text(date), OwnedCell::Text(on_pc)) =
                (rec.get("visit_date"), rec.get("visit_no"))
            else {
                return Err(Error::failed(
                    "受付番号が読めません",
                    "unreadable visit number",
                ));
            };
            let now = visits::take_number(tx, date, on_pc)?;
            if &now != on_pc {
                extra = json!({"visit_no_on_pc": on_pc});
                report.renumbered.push(Renumbered {
                    visit_date: date.clone(),
                    on_pc: on_pc.clone(),
                    now: now.clone(),
                });
                let at = names.iter().position(|n| *n == "visit_no").unwrap_or(0);
                values[at] = OwnedCell::Text(now);
            }
        }
        "prescriptions" => {
            if let OwnedCell::Text(path) = rec.get("pdf_path") {
                report.prescription_pdfs.push(path.clone());
            }
        }
        _ => {}
    }
    let sql = format!(
        "{} RETURNING {}",
        insert_sql(table, &names, 1),
        ORDER[rec.order].2
    );
    let values: Vec<&dyn Param> = values.iter().map(|v| v as &dyn Param).collect();
    let id: i64 = tx.value(&sql, &values)?;
    if table == "patients" {
        let already_here: Vec<i64> = tx.query(
            "SELECT id FROM patients
              WHERE kana_key = ?1 AND birth_date = ?2 AND sex = ?3 AND merged_into IS NULL
                AND id <> ?4 ORDER BY id",
            &[
                rec.get("kana_key") as &dyn Param,
                rec.get("birth_date"),
                rec.get("sex"),
                &id,
            ],
            |r| r.get(0),
        )?;
        if !already_here.is_empty() {
            report.possible_same_person.push(SamePerson {
                merged: id,
                already_here,
            });
        }
    }
    if let Some(secrets) = &rec.secrets {
        let names: Vec<&str> = secrets.iter().map(|(n, _)| n.as_str()).collect();
        let values: Vec<&dyn Param> = secrets
            .iter()
            .map(|(n, v)| {
                if n == "staff_id" {
                    &id as &dyn Param
                } else {
                    v as &dyn Param
                }
            })
            .collect();
        tx.execute(&insert_sql("staff_secrets", &names, 1), &values)?;
    }
    Ok(Some((id, extra)))
}

fn tally(list: &mut Vec<TableTally>, table: &str) {
    match list.iter_mut().find(|t| t.table == table) {
        Some(t) => t.records += 1,
        None => list.push(TableTally {
            table: table.to_string(),
            records: 1,
        }),
    }
}
