//! Patients and their insurance declarations.

use chrono::NaiveDate;
use serde::Serialize;

use super::engine::Param;
use super::{audit, params, Row, Stamp, Tx};
use crate::domain::text::{kana_key, name_key};
use crate::domain::{
    Insurance, InsuranceKind, PatientDetails, PublicFund, Relationship, Sex, Source,
};
use crate::error::{Error, Result};

/// A stored patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patient {
    pub id: i64,
    #[serde(flatten)]
    pub details: PatientDetails,
    pub created_at: String,
    pub merged_into: Option<i64>,
}

/// A stored insurance declaration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub id: i64,
    pub patient_id: i64,
    #[serde(flatten)]
    pub insurance: Insurance,
    pub source: Source,
    pub basis: String,
    pub verified_at: Option<String>,
    pub created_at: String,
    pub superseded_by: Option<i64>,
}

fn given_part(s: &str) -> &str {
    s.split_once(' ').map(|(_, g)| g).unwrap_or("")
}

/// The columns a patient's details are stored in, search keys included, in the order of
/// [`detail_values`]: one place for what a patient row holds, for the insert and for a
/// correction alike.
const DETAIL_COLUMNS: [&str; 10] = [
    "name",
    "kana",
    "birth_date",
    "sex",
    "address",
    "phone",
    "kana_key",
    "kana_given",
    "name_key",
    "name_given",
];

fn detail_values(p: &PatientDetails) -> [String; 10] {
    [
        p.name.clone(),
        p.kana.clone(),
        p.birth_date.to_string(),
        p.sex.as_str().to_string(),
        p.address.clone(),
        p.phone.clone(),
        kana_key(&p.kana),
        kana_key(given_part(&p.kana)),
        name_key(&p.name),
        name_key(given_part(&p.name)),
    ]
}

pub fn insert_patient(tx: &Tx<'_>, p: &PatientDetails, stamp: &Stamp) -> Result<i64> {
    let values = detail_values(p);
    let mut args: Vec<&dyn Param> = values.iter().map(|v| v as &dyn Param).collect();
    args.extend([&stamp.at as &dyn Param, &stamp.by]);
    let numbers: Vec<String> = (1..=args.len()).map(|i| format!("?{i}")).collect();
    let id: i64 = tx.value(
        &format!(
            "INSERT INTO patients ({}, created_at, created_by) VALUES ({}) RETURNING id",
            DETAIL_COLUMNS.join(", "),
            numbers.join(", ")
        ),
        &args,
    )?;
    audit::record(
        tx,
        stamp,
        "patient.create",
        "patient",
        id,
        serde_json::Value::Null,
    )?;
    Ok(id)
}

/// Corrects a patient's details (a typo in the name, a new address), keys included. Audited
/// with the reason and the row as it now is; the history of earlier rows is in the audit log.
/// Nothing is written when nothing changed.
pub fn update_details(
    tx: &Tx<'_>,
    id: i64,
    p: &PatientDetails,
    reason: &str,
    stamp: &Stamp,
) -> Result<bool> {
    let before = require_patient(tx, id)?;
    if before.details == *p {
        return Ok(false);
    }
    let values = detail_values(p);
    let mut args: Vec<&dyn Param> = values.iter().map(|v| v as &dyn Param).collect();
    args.push(&id);
    let sets: Vec<String> = DETAIL_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    tx.execute(
        &format!(
            "UPDATE patients SET {} WHERE id = ?{}",
            sets.join(", "),
            args.len()
        ),
        &args,
    )?;
    audit::record(
        tx,
        stamp,
        "patient.update",
        "patient",
        id,
        serde_json::json!({"reason": reason}),
    )?;
    Ok(true)
}

const PATIENT_COLUMNS: &str =
    "id, name, kana, birth_date, sex, address, phone, created_at, merged_into";

fn patient_from_row(r: &Row<'_>) -> Result<Patient> {
    let birth: String = r.get(3)?;
    let sex: String = r.get(4)?;
    Ok(Patient {
        id: r.get(0)?,
        details: PatientDetails {
            name: r.get(1)?,
            kana: r.get(2)?,
            birth_date: birth.parse::<NaiveDate>().map_err(|e| conversion(3, e))?,
            sex: Sex::parse(&sex).ok_or_else(|| conversion(4, BadValue(sex)))?,
            address: r.get(5)?,
            phone: r.get(6)?,
        },
        created_at: r.get(7)?,
        merged_into: r.get(8)?,
    })
}

#[derive(Debug)]
struct BadValue(String);
impl std::fmt::Display for BadValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unexpected value {:?}", self.0)
    }
}
impl std::error::Error for BadValue {}

/// A text column read as one of the app's enums; an unknown value is a conversion error.
pub(crate) fn parse_text<T>(
    r: &Row<'_>,
    col: usize,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    let text: String = r.get(col)?;
    parse(&text).ok_or_else(|| conversion(col, BadValue(text)))
}

/// As [`parse_text`], for a column that may be NULL.
pub(crate) fn parse_optional<T>(
    r: &Row<'_>,
    col: usize,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>> {
    let text: Option<String> = r.get(col)?;
    text.map(|t| parse(&t).ok_or_else(|| conversion(col, BadValue(t))))
        .transpose()
}

/// A stored value the app cannot read back (written outside it): inconsistent records.
pub(crate) fn conversion(col: usize, e: impl std::fmt::Display) -> Error {
    Error::inconsistent(
        format!("{}列目の値が読めません: {e}", col + 1),
        format!("column {col} holds an unreadable value: {e}"),
    )
}

pub fn get_patient(tx: &Tx<'_>, id: i64) -> Result<Option<Patient>> {
    tx.query_opt(
        &format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id = ?1"),
        params![id],
        patient_from_row,
    )
}

pub fn require_patient(tx: &Tx<'_>, id: i64) -> Result<Patient> {
    get_patient(tx, id)?.ok_or_else(|| {
        Error::not_found(
            format!("患者 P{id} は登録されていません"),
            format!("no patient P{id}"),
        )
    })
}

pub fn insert_declaration(
    tx: &Tx<'_>,
    patient_id: i64,
    ins: &Insurance,
    source: Source,
    basis: &str,
    verified_at: Option<&str>,
    stamp: &Stamp,
) -> Result<i64> {
    let funds = serde_json::to_string(&ins.public_funds).expect("public funds serialise");
    let id: i64 = tx.value(
        "INSERT INTO declarations (patient_id, kind, insurer_number, symbol, number, branch,
             relationship, insurer_name, employer, copay_percent, public_funds, source, basis,
             verified_at, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         RETURNING id",
        params![
            patient_id,
            ins.kind.as_str(),
            ins.insurer_number,
            ins.symbol,
            ins.number,
            ins.branch,
            ins.relationship.map(|r| r.as_str()),
            ins.insurer_name,
            ins.employer,
            i64::from(ins.copay_percent),
            funds,
            source.as_str(),
            basis,
            verified_at,
            stamp.at,
            stamp.by,
        ],
    )?;
    audit::record(
        tx,
        stamp,
        "declaration.create",
        "declaration",
        id,
        serde_json::Value::Null,
    )?;
    // The new declaration supersedes the patient's earlier current one; the old row stays.
    let older: Vec<i64> = tx.query(
        "SELECT id FROM declarations WHERE patient_id = ?1 AND id <> ?2 AND superseded_by IS NULL",
        params![patient_id, id],
        |r| r.get(0),
    )?;
    for old in older {
        tx.execute(
            "UPDATE declarations SET superseded_by = ?1 WHERE id = ?2",
            params![id, old],
        )?;
        audit::record(
            tx,
            stamp,
            "declaration.supersede",
            "declaration",
            old,
            serde_json::json!({"superseded_by": id}),
        )?;
    }
    Ok(id)
}

const DECLARATION_COLUMNS: &str = "id, patient_id, kind, insurer_number, symbol, number, branch, relationship,
    insurer_name, employer, copay_percent, public_funds, source, basis, verified_at, created_at, superseded_by";

fn declaration_from_row(r: &Row<'_>) -> Result<Declaration> {
    let kind: String = r.get(2)?;
    let rel: Option<String> = r.get(7)?;
    let funds: String = r.get(11)?;
    let source: String = r.get(12)?;
    Ok(Declaration {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        insurance: Insurance {
            kind: InsuranceKind::parse(&kind).ok_or_else(|| conversion(2, BadValue(kind)))?,
            insurer_number: r.get(3)?,
            symbol: r.get(4)?,
            number: r.get(5)?,
            branch: r.get(6)?,
            relationship: match rel {
                Some(s) => Some(Relationship::parse(&s).ok_or_else(|| conversion(7, BadValue(s)))?),
                None => None,
            },
            insurer_name: r.get(8)?,
            employer: r.get(9)?,
            copay_percent: u8::try_from(r.get::<i64>(10)?).map_err(|e| conversion(10, e))?,
            public_funds: serde_json::from_str::<Vec<PublicFund>>(&funds)
                .map_err(|e| conversion(11, e))?,
        },
        source: Source::parse(&source).ok_or_else(|| conversion(12, BadValue(source)))?,
        basis: r.get(13)?,
        verified_at: r.get(14)?,
        created_at: r.get(15)?,
        superseded_by: r.get(16)?,
    })
}

pub fn get_declaration(tx: &Tx<'_>, id: i64) -> Result<Option<Declaration>> {
    tx.query_opt(
        &format!("SELECT {DECLARATION_COLUMNS} FROM declarations WHERE id = ?1"),
        params![id],
        declaration_from_row,
    )
}

/// The patient's last known insurance: the declaration nothing has superseded.
pub fn current_declaration(tx: &Tx<'_>, patient_id: i64) -> Result<Option<Declaration>> {
    Ok(current_declarations(tx, &[patient_id])?.remove(&patient_id))
}

/// The last known insurance of each of `patient_ids` (a page of search results) in one
/// statement: a round trip per patient cost the server more than the search itself.
pub fn current_declarations(
    tx: &Tx<'_>,
    patient_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Declaration>> {
    let mut current = std::collections::HashMap::new();
    if patient_ids.is_empty() {
        return Ok(current);
    }
    let numbers: Vec<String> = (1..=patient_ids.len()).map(|i| format!("?{i}")).collect();
    let ids: Vec<&dyn Param> = patient_ids.iter().map(|id| id as &dyn Param).collect();
    let rows = tx.query(
        &format!(
            "SELECT {DECLARATION_COLUMNS} FROM declarations
             WHERE superseded_by IS NULL AND patient_id IN ({}) ORDER BY id DESC",
            numbers.join(", ")
        ),
        &ids,
        declaration_from_row,
    )?;
    for d in rows {
        current.entry(d.patient_id).or_insert(d);
    }
    Ok(current)
}

/// Patients already registered with the same カナ, birth date and sex: the one whose name
/// also matches (the same person), and the others (possible duplicates for the clerk).
pub fn find_same_person(tx: &Tx<'_>, p: &PatientDetails) -> Result<(Option<i64>, Vec<i64>)> {
    let rows: Vec<(i64, bool)> = tx.query(
        "SELECT id, name_key = ?4 FROM patients
         WHERE kana_key = ?1 AND birth_date = ?2 AND sex = ?3 AND merged_into IS NULL
         ORDER BY name_key = ?4 DESC, id LIMIT 10",
        params![
            kana_key(&p.kana),
            p.birth_date.to_string(),
            p.sex.as_str(),
            name_key(&p.name)
        ],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let exact = rows.iter().find(|(_, same)| *same).map(|(id, _)| *id);
    Ok((
        exact,
        rows.into_iter()
            .filter(|(_, same)| !same)
            .map(|(id, _)| id)
            .collect(),
    ))
}

/// One search condition on patients, built by the service from what staff typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// カナ prefix of the whole kana or of the given name (katakana, no spaces).
    Kana(String),
    /// Name prefix of the whole name or of the given name (NFKC, no spaces).
    Name(String),
    BirthDate(NaiveDate),
    /// Digits: 保険者番号, 被保険者番号 (exact), phone (prefix), or the patient id.
    Digits(String),
    /// A word that reads several ways (`01130426` is an insurer number and, as YYYYMMDD, a
    /// date): a patient matching any reading. Readings are birth dates and digits only, so the
    /// word narrows the search as each of them does.
    Any(Vec<Term>),
}

impl Term {
    /// An equality that narrows the search to a few rows (a birth date, a number).
    fn is_selective(&self) -> bool {
        match self {
            Term::BirthDate(_) | Term::Digits(_) => true,
            Term::Kana(_) | Term::Name(_) => false,
            Term::Any(readings) => readings.iter().all(Term::is_selective),
        }
    }
}

/// The smallest string greater than every string with this prefix, for index range scans.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// SQL for one term; `branch` picks the family-name (0) or given-name (1) side of a カナ or
/// name prefix, or both (None).
fn term_sql(t: &Term, branch: Option<u8>, args: &mut Vec<Box<dyn Param>>) -> String {
    let mut arg = |v: String| {
        args.push(Box::new(v));
        format!("?{}", args.len())
    };
    let prefix = |cols: [&str; 2], p: &str, arg: &mut dyn FnMut(String) -> String| {
        let (a, b) = (arg(p.to_string()), arg(prefix_end(p)));
        let side = |c: &str| format!("({c} >= {a} AND {c} < {b})");
        match branch {
            Some(0) => side(cols[0]),
            Some(_) => format!("({} AND NOT {})", side(cols[1]), side(cols[0])),
            None => format!("({} OR {})", side(cols[0]), side(cols[1])),
        }
    };
    match t {
        Term::Kana(k) => prefix(["kana_key", "kana_given"], k, &mut arg),
        Term::Name(n) => prefix(["name_key", "name_given"], n, &mut arg),
        Term::BirthDate(d) => format!("birth_date = {}", arg(d.to_string())),
        Term::Digits(d) => {
            let exact = arg(d.clone());
            let (a, b) = (arg(d.clone()), arg(prefix_end(d)));
            // The patient id as a number, bound as one (NULL, matching nothing, when the
            // digits are too long for an id).
            args.push(Box::new(d.parse::<i64>().ok()));
            let id = format!("?{}", args.len());
            // One list of candidate ids, each branch on its own index: PostgreSQL scanned the
            // whole table for the same condition written as an OR.
            format!(
                "id IN (SELECT patient_id FROM declarations WHERE insurer_number = {exact}
                        UNION ALL SELECT patient_id FROM declarations WHERE number = {exact}
                        UNION ALL SELECT id FROM patients WHERE phone >= {a} AND phone < {b}
                        UNION ALL SELECT CAST({id} AS BIGINT))"
            )
        }
        // Readings that each find a few rows by an index (a number that may also be a
        // date): one list of candidate ids, as for the digits. PostgreSQL scanned the whole
        // table for the OR of an equality and a subquery (42 ms at 100,000 patients).
        Term::Any(readings) if t.is_selective() => {
            let each: Vec<String> = readings
                .iter()
                .map(|r| {
                    format!(
                        "SELECT id FROM patients WHERE {}",
                        term_sql(r, branch, args)
                    )
                })
                .collect();
            format!("id IN ({})", each.join(" UNION ALL "))
        }
        Term::Any(readings) => {
            let each: Vec<String> = readings.iter().map(|r| term_sql(r, branch, args)).collect();
            format!("({})", each.join(" OR "))
        }
    }
}

fn query_patients(tx: &Tx<'_>, sql: &str, args: Vec<Box<dyn Param>>) -> Result<Vec<Patient>> {
    let args: Vec<&dyn Param> = args.iter().map(|a| a.as_ref()).collect();
    tx.query(sql, &args, patient_from_row)
}

/// Patients matching every term (AND), at most `limit`.
///
/// With a birth date or a number among the terms, that equality narrows the search to a few
/// rows, newest first. With only カナ or name prefixes (a common surname matches thousands in a
/// large clinic) the search walks the prefix index in order and stops at `limit`: first those
/// whose family name matches, then those whose given name does, each in カナ order.
pub fn search(tx: &Tx<'_>, terms: &[Term], limit: usize) -> Result<Vec<Patient>> {
    let Some((first, rest)) = terms.split_first() else {
        return Ok(Vec::new());
    };
    let base = format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE merged_into IS NULL");
    let selective = terms.iter().any(Term::is_selective);
    if selective {
        let mut args = Vec::new();
        let mut sql = base;
        for t in terms {
            sql.push_str(" AND ");
            sql.push_str(&term_sql(t, None, &mut args));
        }
        // `id + 0`: the few rows the equality found are sorted, never the whole table walked
        // newest first looking for them (PostgreSQL's plan for `ORDER BY id DESC LIMIT`).
        sql.push_str(&format!(" ORDER BY id + 0 DESC LIMIT {limit}"));
        return query_patients(tx, &sql, args);
    }
    let order_col = |branch: u8| match (first, branch) {
        (Term::Kana(_), 0) => "kana_key",
        (Term::Kana(_), _) => "kana_given",
        (_, 0) => "name_key",
        _ => "name_given",
    };
    let mut found = Vec::new();
    for branch in [0u8, 1] {
        let mut args = Vec::new();
        let mut sql = base.clone();
        sql.push_str(" AND ");
        sql.push_str(&term_sql(first, Some(branch), &mut args));
        for t in rest {
            sql.push_str(" AND ");
            sql.push_str(&term_sql(t, None, &mut args));
        }
        sql.push_str(&format!(
            " ORDER BY {}, id LIMIT {}",
            order_col(branch),
            limit - found.len()
        ));
        found.extend(query_patients(tx, &sql, args)?);
        if found.len() >= limit {
            break;
        }
    }
    Ok(found)
}

/// Marks `from` as the same person as `into`. Both histories stay; `from` no longer appears in
/// searches.
///
/// Two records whose birth date or sex differ are not the same person by the records' own
/// account: merging them needs a `reason`. Merging into a patient that is itself merged, or
/// into one merged into `from`, is refused (no chains, no cycles).
pub fn merge(tx: &Tx<'_>, from: i64, into: i64, reason: &str, stamp: &Stamp) -> Result<()> {
    if from == into {
        return Err(Error::refused(
            "同じ患者どうしは統合できません",
            "cannot merge a patient into itself",
        ));
    }
    let target = require_patient(tx, into)?;
    let p = require_patient(tx, from)?;
    if p.merged_into.is_some() {
        return Err(Error::refused(
            format!("P{from} は既に統合済みです"),
            format!("P{from} is already merged"),
        ));
    }
    if let Some(further) = target.merged_into {
        return Err(Error::refused(
            format!(
                "統合先 P{into} は P{further} に統合されています。P{further} を指定してください"
            ),
            format!("P{into} is itself merged into P{further}: merge into P{further}"),
        ));
    }
    let differs =
        p.details.birth_date != target.details.birth_date || p.details.sex != target.details.sex;
    if differs && reason.trim().is_empty() {
        return Err(Error::field(
            "--reason",
            "理由",
            format!(
                "P{from} と P{into} は生年月日か性別が違います。同一人物と確認した理由を入力してください"
            ),
            "birth date or sex differ: a reason is required",
        ));
    }
    tx.execute(
        "UPDATE patients SET merged_into = ?1 WHERE id = ?2",
        params![into, from],
    )?;
    audit::record(
        tx,
        stamp,
        "patient.merge",
        "patient",
        from,
        serde_json::json!({"into": into, "reason": reason.trim()}),
    )?;
    Ok(())
}

/// Undoes a merge: `from` is a patient of its own again (and shows in searches). Audited with
/// the reason.
pub fn unmerge(tx: &Tx<'_>, from: i64, reason: &str, stamp: &Stamp) -> Result<()> {
    let p = require_patient(tx, from)?;
    let Some(into) = p.merged_into else {
        return Err(Error::refused(
            format!("P{from} は統合されていません"),
            format!("P{from} is not merged"),
        ));
    };
    if reason.trim().is_empty() {
        return Err(Error::field(
            "--reason",
            "理由",
            "統合を取り消す理由を入力してください",
            "a reason is required",
        ));
    }
    tx.execute(
        "UPDATE patients SET merged_into = NULL WHERE id = ?1",
        params![from],
    )?;
    audit::record(
        tx,
        stamp,
        "patient.unmerge",
        "patient",
        from,
        serde_json::json!({"was_merged_into": into, "reason": reason.trim()}),
    )
}

/// Stamps a declaration as confirmed by the national service now.
pub fn mark_verified(tx: &Tx<'_>, declaration_id: i64, stamp: &Stamp) -> Result<()> {
    tx.execute(
        "UPDATE declarations SET verified_at = ?1 WHERE id = ?2",
        params![stamp.at, declaration_id],
    )?;
    audit::record(
        tx,
        stamp,
        "declaration.verified",
        "declaration",
        declaration_id,
        serde_json::Value::Null,
    )
}

/// Groups of patients that may be one person registered twice (same カナ, birth date and sex).
pub fn possible_duplicates(tx: &Tx<'_>) -> Result<Vec<Vec<i64>>> {
    let rows: Vec<((String, String, String), i64)> = tx.query(
        "SELECT kana_key, birth_date, sex, id FROM patients
         WHERE merged_into IS NULL AND (kana_key, birth_date, sex) IN
             (SELECT kana_key, birth_date, sex FROM patients WHERE merged_into IS NULL
              GROUP BY kana_key, birth_date, sex HAVING COUNT(*) > 1)
         ORDER BY kana_key, birth_date, sex, id",
        params![],
        |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)),
    )?;
    let mut out: Vec<Vec<i64>> = Vec::new();
    let mut last = None;
    for (key, id) in rows {
        if last.as_ref() == Some(&key) {
            out.last_mut().expect("a group began").push(id);
        } else {
            out.push(vec![id]);
            last = Some(key);
        }
    }
    // Each group in order of its first registration.
    out.sort_by_key(|ids| ids[0]);
    Ok(out)
}

/// The declaration a visit is claimed (and printed) with: the one a person's decision chose in
/// reconciliation, or else the one declared at the visit.
pub fn claim_declaration(
    tx: &Tx<'_>,
    visit_declaration_id: i64,
    claim_declaration_id: Option<i64>,
) -> Result<Declaration> {
    let id = claim_declaration_id.unwrap_or(visit_declaration_id);
    get_declaration(tx, id)?.ok_or_else(|| {
        Error::inconsistent(
            format!("保険情報 {id} がありません"),
            format!("declaration {id} is missing"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn person(name: &str, birth: (i32, u32, u32), sex: Sex) -> PatientDetails {
        PatientDetails {
            name: name.into(),
            kana: "ヤマダ タロウ".into(),
            birth_date: NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
            sex,
            address: String::new(),
            phone: String::new(),
        }
    }

    #[test]
    fn merges_need_a_reason_when_the_records_disagree_refuse_chains_and_can_be_undone() {
        let mut s = Store::open_in_memory().unwrap();
        let stamp = Stamp {
            at: "2026-11-25T09:00:00+09:00".into(),
            by: "t".into(),
        };
        let (a, b, c, d) = s
            .write(|tx| {
                Ok((
                    insert_patient(tx, &person("山田 太郎", (1970, 3, 1), Sex::Male), &stamp)?,
                    insert_patient(tx, &person("山田 太朗", (1970, 3, 1), Sex::Male), &stamp)?,
                    insert_patient(tx, &person("山田 太郎", (1970, 3, 2), Sex::Male), &stamp)?,
                    insert_patient(tx, &person("山田 太郎", (1970, 3, 1), Sex::Female), &stamp)?,
                ))
            })
            .unwrap();
        // Another birth date or sex: refused without a reason, accepted with one.
        for other in [c, d] {
            let err = s.write(|tx| merge(tx, other, a, "", &stamp)).unwrap_err();
            assert!(err.is_bad_input(), "{err}");
        }
        s.write(|tx| merge(tx, c, a, "保険証で同一人物と確認", &stamp))
            .unwrap();
        // Same birth date and sex: no reason needed.
        s.write(|tx| merge(tx, b, a, "", &stamp)).unwrap();
        // Into a merged patient, or back the other way: refused (no chains, no cycles).
        assert!(s.write(|tx| merge(tx, d, b, "x", &stamp)).is_err());
        assert!(s.write(|tx| merge(tx, a, b, "x", &stamp)).is_err());
        // Undone: b is its own patient again, audited; the chain still verifies.
        assert!(
            s.write(|tx| unmerge(tx, b, "", &stamp)).is_err(),
            "a reason is required"
        );
        s.write(|tx| unmerge(tx, b, "別人でした", &stamp)).unwrap();
        assert_eq!(
            s.read(|tx| require_patient(tx, b)).unwrap().merged_into,
            None
        );
        assert!(
            s.write(|tx| unmerge(tx, b, "x", &stamp)).is_err(),
            "not merged now"
        );
        assert!(s.read(audit::verify).unwrap().ok);
    }
}
