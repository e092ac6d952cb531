//! A clinic's records moved whole from one store to another: SQLite to PostgreSQL when the
//! clinic outgrows one PC, PostgreSQL to a SQLite file for a backup that opens on any PC, and
//! back. Every row goes across as it is (ids, times, the audit chain entry for entry), so the
//! chain verifies on the other side exactly as on this one.

use serde::Serialize;

use super::engine::{Cell, OwnedCell, Param};
use super::{audit, params, Store, Tx};
use crate::error::{Error, Result};

/// The tables in the order their rows can be inserted (each after the tables it refers to),
/// with their key. `meta` comes first: it takes its purpose only while the audit log is empty.
pub const TABLES: &[(&str, &str)] = &[
    ("meta", "key"),
    ("staff", "id"),
    ("staff_secrets", "staff_id"),
    ("outages", "id"),
    ("outage_notes", "id"),
    ("runbook_ticks", "id"),
    ("break_glass", "id"),
    ("patients", "id"),
    ("declarations", "id"),
    ("visits", "id"),
    ("visit_counters", "visit_date, prefix"),
    ("reconcile_queue", "visit_id"),
    ("prescriptions", "id"),
    ("audit_log", "seq"),
];

/// Links between records: table, column, the table it points into. A link within one table
/// may point to a later row: it is written once every row is in (here and in a merge).
pub const LINKS: &[(&str, &str, &str)] = &[
    ("patients", "merged_into", "patients"),
    ("declarations", "patient_id", "patients"),
    ("declarations", "superseded_by", "declarations"),
    ("outage_notes", "outage_id", "outages"),
    ("runbook_ticks", "outage_id", "outages"),
    ("break_glass", "outage_id", "outages"),
    ("visits", "patient_id", "patients"),
    ("visits", "declaration_id", "declarations"),
    ("visits", "outage_id", "outages"),
    ("reconcile_queue", "visit_id", "visits"),
    ("reconcile_queue", "claim_declaration_id", "declarations"),
    ("prescriptions", "visit_id", "visits"),
    ("prescriptions", "outage_id", "outages"),
];

/// True when `column` of `table` links to a row of the same table.
pub fn is_link_within(table: &str, column: &str) -> bool {
    LINKS
        .iter()
        .any(|(t, c, target)| *t == table && *c == column && t == target)
}

/// `INSERT INTO table (names) VALUES (?1, …), (…)` for `rows` rows, numbered in row order.
pub fn insert_sql(table: &str, names: &[&str], rows: usize) -> String {
    let tuples: Vec<String> = (0..rows)
        .map(|r| {
            let numbers: Vec<String> = (1..=names.len())
                .map(|c| format!("?{}", r * names.len() + c))
                .collect();
            format!("({})", numbers.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        names.join(", "),
        tuples.join(", ")
    )
}

static NULL: OwnedCell = OwnedCell::Null;

/// Values bound in one INSERT of many rows: far below SQLite's 32,766 and PostgreSQL's 65,535.
const PARAMETERS_PER_STATEMENT: usize = 2_000;

/// What a copy moved: the rows of each table on both sides.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<TableCount>,
    pub audit_entries: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub source: i64,
    pub destination: i64,
}

/// Copies every record of `from` into `to`, which must hold none yet, in one transaction of
/// `to` (a copy cut short leaves it empty). Both chains are verified and every table's rows
/// counted on both sides; any difference is an error.
pub fn copy(from: &Store, to: &mut Store) -> Result<CopyReport> {
    same_schema(from, to, "コピー")?;
    let before = from.read(audit::verify)?;
    if !before.ok {
        return Err(chain_broken("コピー元", "the source", before.problem));
    }
    let tables: Vec<TableRows> = from.read(|tx| {
        TABLES
            .iter()
            .map(|(table, key)| read_table(tx, table, key))
            .collect()
    })?;
    to.write(|tx| {
        if tx.value::<i64>("SELECT COUNT(*) FROM audit_log", params![])? > 0 {
            return Err(Error::refused(
                "コピー先のデータベースにはすでに記録があります。空のデータベースを指定してください",
                "the destination already holds records: give an empty database",
            ));
        }
        for t in &tables {
            insert_rows(tx, t)?;
        }
        if tx.is_postgres() {
            // The tables keyed by a number of their own (`id`, `seq`): PostgreSQL draws it, and
            // its counter is moved past the copied ones.
            let numbered = TABLES.iter().filter(|(_, key)| matches!(*key, "id" | "seq"));
            for (table, key) in numbered {
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{key}'),
                                       COALESCE((SELECT MAX({key}) FROM {table}), 0) + 1, false)"
                    ),
                    params![],
                )?;
            }
        }
        Ok(())
    })?;
    if to.is_postgres() {
        // The planner's statistics for the tables just filled (the server would gather them
        // in its own time): searches use their indexes from the first one.
        to.execute_outside_app("ANALYZE")?;
    }
    let after = to.read(audit::verify)?;
    if !after.ok {
        return Err(chain_broken("コピー先", "the destination", after.problem));
    }
    let mut tables = Vec::new();
    for (table, _) in TABLES {
        let count = |s: &Store| {
            s.read(|tx| tx.value::<i64>(&format!("SELECT COUNT(*) FROM {table}"), params![]))
        };
        let (source, destination) = (count(from)?, count(to)?);
        if source != destination {
            return Err(Error::failed(
                format!(
                    "{table} の件数が合いません（コピー元 {source} 件、コピー先 {destination} 件）"
                ),
                format!("{table}: {source} rows in the source, {destination} in the destination"),
            ));
        }
        tables.push(TableCount {
            table: table.to_string(),
            source,
            destination,
        });
    }
    Ok(CopyReport {
        tables,
        audit_entries: after.entries,
    })
}

/// Refuses two stores at different schema versions (`what_ja`: コピー or 統合, naming the two
/// sides). Opening each with this version of the app brings it up to date.
pub(super) fn same_schema(from: &Store, to: &Store, what_ja: &str) -> Result<()> {
    if from.schema_version()? == to.schema_version()? {
        return Ok(());
    }
    Err(Error::refused(
        format!("{what_ja}元と{what_ja}先のデータベースの版が違います。両方をこの版のアプリで一度開いてください"),
        "the two databases are at different schema versions: open both with this version first",
    ))
}

pub(super) fn chain_broken(ja: &str, en: &str, problem: Option<audit::Problem>) -> Error {
    let (pja, pen) = problem
        .map(|p| (p.message_ja, p.message_en))
        .unwrap_or_default();
    Error::failed(
        format!("{ja}の監査ログが検証できません: {pja}"),
        format!("{en}'s audit chain does not verify: {pen}"),
    )
}

/// A table's rows as read, with its column names.
struct TableRows {
    table: &'static str,
    names: Vec<String>,
    rows: Vec<Vec<OwnedCell>>,
}

/// Every row of `table` in key order.
fn read_table(tx: &Tx<'_>, table: &'static str, key: &str) -> Result<TableRows> {
    let mut names = Vec::new();
    let mut rows = Vec::new();
    tx.for_each(
        &format!("SELECT * FROM {table} ORDER BY {key}"),
        params![],
        |r| {
            if names.is_empty() {
                names = (0..r.len()).map(|i| r.column_name(i).to_string()).collect();
            }
            let row = (0..r.len())
                .map(|i| r.cell(i).map(Cell::into_owned))
                .collect::<Result<Vec<_>>>()?;
            rows.push(row);
            Ok(true)
        },
    )?;
    Ok(TableRows { table, names, rows })
}

/// Inserts `rows` into `table` as they are; a link to a later row of the same table is set
/// once all are in.
fn insert_rows(tx: &Tx<'_>, t: &TableRows) -> Result<()> {
    let (table, names, rows) = (t.table, &t.names, &t.rows);
    if rows.is_empty() {
        return Ok(());
    }
    let link = names
        .iter()
        .position(|n| is_link_within(table, n))
        .map(|i| (names[i].as_str(), i));
    let id_col = names.iter().position(|n| n == "id");
    let columns: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut later = Vec::new();
    // Many rows to a statement, one round trip each to a server (a statement per row took 20 s
    // for 10,000 visits), well within both engines' limits on parameters.
    let per_statement = (PARAMETERS_PER_STATEMENT / names.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut values: Vec<&dyn Param> = Vec::with_capacity(chunk.len() * names.len());
        for row in chunk {
            let start = values.len();
            values.extend(row.iter().map(|c| c as &dyn Param));
            if let (Some((_, i)), Some(id)) = (link, id_col) {
                if row[i] != OwnedCell::Null {
                    later.push((&row[id], &row[i]));
                    values[start + i] = &NULL;
                }
            }
        }
        tx.execute(&insert_sql(table, &columns, chunk.len()), &values)?;
    }
    if let Some((col, _)) = link {
        let update = format!("UPDATE {table} SET {col} = ?1 WHERE id = ?2");
        for (id, target) in later {
            tx.execute(&update, &[target as &dyn Param, id])?;
        }
    }
    Ok(())
}
