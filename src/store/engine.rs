//! The two database engines behind [`Tx`]: SQLite (the embedded default, one PC) and
//! PostgreSQL (the clinic's server, several PCs). Repositories write their SQL once, with
//! SQLite's numbered parameters (`?1`, `?2`, …), and read rows through [`Row`]; this module
//! turns that into each engine's calls. The SQL they write is the common ground of both
//! dialects (`RETURNING`, `ON CONFLICT`, `COALESCE`, no engine-specific functions), and every
//! integer is a 64-bit one on both sides (PostgreSQL's schema uses BIGINT throughout).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use postgres::types::Type;

use crate::error::{Error, Result};

/// Rows fetched at a time from a PostgreSQL cursor by [`Tx::for_each`].
const PG_BATCH: usize = 1000;

/// A value bound to a statement: anything both engines can bind (i64, f64, String, &str, their
/// `Option`s).
pub trait Param: std::fmt::Debug {
    fn lite(&self) -> &dyn rusqlite::ToSql;
    fn pg(&self) -> &(dyn postgres::types::ToSql + Sync);
}

impl<T: rusqlite::ToSql + postgres::types::ToSql + Sync> Param for T {
    fn lite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn pg(&self) -> &(dyn postgres::types::ToSql + Sync) {
        self
    }
}

/// The parameters of a statement, in order: `params![a, b]` binds `?1 = a`, `?2 = b`.
#[macro_export]
#[doc(hidden)]
macro_rules! store_params {
    () => { &[] as &[&dyn $crate::store::engine::Param] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::store::engine::Param),+] as &[&dyn $crate::store::engine::Param] };
}
pub use crate::store_params as params;

/// A column value both engines can read (i64, f64, String, Vec<u8>, their `Option`s).
pub trait Column: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a> {}
impl<T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>> Column for T {}

/// One value as stored, whatever its column: what audit snapshots are made of.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(Cow<'a, str>),
    Blob(Cow<'a, [u8]>),
}

impl Cell<'_> {
    pub fn into_owned(self) -> OwnedCell {
        match self {
            Cell::Null => OwnedCell::Null,
            Cell::Integer(n) => OwnedCell::Integer(n),
            Cell::Real(f) => OwnedCell::Real(f),
            Cell::Text(t) => OwnedCell::Text(t.into_owned()),
            Cell::Blob(b) => OwnedCell::Blob(b.into_owned()),
        }
    }
}

/// A value read from one database, to be written as it is into another (`store copy`): bound
/// to whatever column it goes into.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedCell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl rusqlite::ToSql for OwnedCell {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            OwnedCell::Null => ValueRef::Null,
            OwnedCell::Integer(n) => ValueRef::Integer(*n),
            OwnedCell::Real(f) => ValueRef::Real(*f),
            OwnedCell::Text(t) => ValueRef::Text(t.as_bytes()),
            OwnedCell::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl postgres::types::ToSql for OwnedCell {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        match self {
            OwnedCell::Null => Ok(postgres::types::IsNull::Yes),
            OwnedCell::Integer(n) => n.to_sql(ty, out),
            OwnedCell::Real(f) => f.to_sql(ty, out),
            OwnedCell::Text(t) => t.to_sql(ty, out),
            OwnedCell::Blob(b) => b.to_sql(ty, out),
        }
    }

    /// Any column: what the value is decides how it is written (and the server refuses a
    /// value its column cannot hold).
    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A row of a result, as either engine hands it out.
pub enum Row<'r> {
    Lite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
}

impl Row<'_> {
    pub fn get<T: Column>(&self, i: usize) -> Result<T> {
        match self {
            Row::Lite(r) => Ok(r.get(i)?),
            Row::Pg(r) => r.try_get(i).map_err(Error::from),
        }
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        match self {
            Row::Lite(r) => r.as_ref().column_count(),
            Row::Pg(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn column_name(&self, i: usize) -> &str {
        match self {
            Row::Lite(r) => r.as_ref().column_name(i).unwrap_or(""),
            Row::Pg(r) => r.columns().get(i).map_or("", |c| c.name()),
        }
    }

    /// Column `i` as stored, with its engine's type: integers, reals, text and bytes read the
    /// same from both (PostgreSQL's BIGINT, DOUBLE PRECISION, TEXT, BYTEA).
    pub fn cell(&self, i: usize) -> Result<Cell<'_>> {
        use rusqlite::types::ValueRef;
        match self {
            Row::Lite(r) => Ok(match r.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(n) => Cell::Integer(n),
                ValueRef::Real(f) => Cell::Real(f),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t)),
                ValueRef::Blob(b) => Cell::Blob(Cow::Borrowed(b)),
            }),
            Row::Pg(r) => {
                let ty = r.columns().get(i).map(|c| c.type_().clone());
                let cell = match ty {
                    Some(Type::INT8) => r.try_get::<_, Option<i64>>(i)?.map(Cell::Integer),
                    Some(Type::INT4) => r
                        .try_get::<_, Option<i32>>(i)?
                        .map(|n| Cell::Integer(n.into())),
                    Some(Type::INT2) => r
                        .try_get::<_, Option<i16>>(i)?
                        .map(|n| Cell::Integer(n.into())),
                    Some(Type::FLOAT8) => r.try_get::<_, Option<f64>>(i)?.map(Cell::Real),
                    Some(Type::BYTEA) => r
                        .try_get::<_, Option<&[u8]>>(i)?
                        .map(|b| Cell::Blob(Cow::Borrowed(b))),
                    _ => r
                        .try_get::<_, Option<&str>>(i)?
                        .map(|t| Cell::Text(Cow::Borrowed(t))),
                };
                Ok(cell.unwrap_or(Cell::Null))
            }
        }
    }
}

/// A PostgreSQL connection with the statements it has prepared (as SQLite's `prepare_cached`
/// keeps them): the SQL as the repositories wrote it → the prepared statement.
pub struct PgConn {
    client: postgres::Client,
    prepared: HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub fn new(client: postgres::Client) -> PgConn {
        PgConn {
            client,
            prepared: HashMap::new(),
        }
    }

    /// The connection behind `m`. A panic while a statement ran leaves the connection as it
    /// was: usable.
    pub fn lock(m: &Mutex<PgConn>) -> std::sync::MutexGuard<'_, PgConn> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(&numbered_to_dollar(sql))?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }

    fn query(&mut self, sql: &str, params: &[&dyn Param]) -> Result<Vec<postgres::Row>> {
        let stmt = self.statement(sql)?;
        let params: Vec<_> = params.iter().map(|p| p.pg()).collect();
        Ok(self.client.query(&stmt, &params)?)
    }

    fn execute(&mut self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        let stmt = self.statement(sql)?;
        let params: Vec<_> = params.iter().map(|p| p.pg()).collect();
        Ok(self.client.execute(&stmt, &params)? as usize)
    }
}

/// One transaction on the records, as [`super::Store::read`] and [`super::Store::write`] hand
/// it out. Services pass it to the repository functions of `store::patients`,
/// `store::visits`, … and never see the engine or its SQL.
pub struct Tx<'c> {
    conn: Conn<'c>,
}

enum Conn<'c> {
    Lite(&'c rusqlite::Connection),
    /// Locked for one statement at a time: rows are read whole before they are handed out, so
    /// a row's callback may run further statements.
    Pg(&'c Mutex<PgConn>),
}

impl<'c> Tx<'c> {
    pub(in crate::store) fn lite(conn: &'c rusqlite::Connection) -> Tx<'c> {
        Tx {
            conn: Conn::Lite(conn),
        }
    }

    pub(in crate::store) fn pg(conn: &'c Mutex<PgConn>) -> Tx<'c> {
        Tx {
            conn: Conn::Pg(conn),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.conn, Conn::Pg(_))
    }

    /// Runs a statement; the number of rows it changed.
    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        match self.conn {
            Conn::Lite(c) => {
                let params: Vec<_> = params.iter().map(|p| p.lite()).collect();
                Ok(c.prepare_cached(sql)?.execute(params.as_slice())?)
            }
            Conn::Pg(m) => PgConn::lock(m).execute(sql, params),
        }
    }

    /// Runs several statements without parameters.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self.conn {
            Conn::Lite(c) => Ok(c.execute_batch(sql)?),
            Conn::Pg(m) => Ok(PgConn::lock(m).client().batch_execute(sql)?),
        }
    }

    /// Every row of a query, each turned into a `T` by `f`.
    pub fn query<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each_row(sql, params, |r| {
            out.push(f(r)?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// Each row of a query handed to `f` until it answers false: SQLite's as it steps, the
    /// server's read whole first (so that `f` may run statements of its own).
    fn each_row(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        match self.conn {
            Conn::Lite(c) => {
                let params: Vec<_> = params.iter().map(|p| p.lite()).collect();
                let mut stmt = c.prepare_cached(sql)?;
                let mut rows = stmt.query(params.as_slice())?;
                while let Some(r) = rows.next()? {
                    if !f(&Row::Lite(r))? {
                        break;
                    }
                }
            }
            Conn::Pg(m) => {
                let rows = PgConn::lock(m).query(sql, params)?;
                for r in &rows {
                    if !f(&Row::Pg(r))? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Each row of a query handed to `f` as it is read, without collecting them (a year of
    /// records, read once), until `f` answers false. `f` may run statements of its own: on
    /// PostgreSQL the rows come from a cursor a batch at a time, the connection free between
    /// batches (a query with parameters is read whole first).
    pub fn for_each(
        &self,
        sql: &str,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        match self.conn {
            Conn::Lite(_) => self.each_row(sql, params, f),
            Conn::Pg(_) if !params.is_empty() => self.each_row(sql, params, f),
            Conn::Pg(m) => {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let cursor = format!("onshi_rows_{}", NEXT.fetch_add(1, Ordering::Relaxed));
                PgConn::lock(m)
                    .client()
                    .batch_execute(&format!("DECLARE {cursor} NO SCROLL CURSOR FOR {sql}"))?;
                let fetch = format!("FETCH FORWARD {PG_BATCH} FROM {cursor}");
                'batches: loop {
                    let rows = PgConn::lock(m).client().query(&fetch, &[])?;
                    for r in &rows {
                        if !f(&Row::Pg(r))? {
                            break 'batches;
                        }
                    }
                    if rows.len() < PG_BATCH {
                        break;
                    }
                }
                PgConn::lock(m)
                    .client()
                    .batch_execute(&format!("CLOSE {cursor}"))?;
                Ok(())
            }
        }
    }

    /// The first row of a query, if any.
    pub fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let (mut f, mut first) = (Some(f), None);
        self.each_row(sql, params, |r| {
            if let Some(f) = f.take() {
                first = Some(f(r)?);
            }
            Ok(false)
        })?;
        Ok(first)
    }

    /// The first row of a query that always answers one (`COUNT(*)`, `INSERT … RETURNING`).
    pub fn query_one<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, f)?
            .ok_or_else(|| Error::Inconsistent {
                ja: "問い合わせに結果がありません".into(),
                en: format!("no row from: {sql}"),
            })
    }

    /// True when the database has the table `name` (a database read without migrating it
    /// may lack the newer ones).
    pub fn has_table(&self, name: &str) -> Result<bool> {
        if self.is_postgres() {
            self.value(
                "SELECT EXISTS (SELECT 1 FROM pg_tables
                                WHERE schemaname = current_schema() AND tablename = ?1)",
                store_params![name],
            )
        } else {
            self.value(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
                store_params![name],
            )
        }
    }

    /// The single value of a query that always answers one row.
    pub fn value<T: Column>(&self, sql: &str, params: &[&dyn Param]) -> Result<T> {
        self.query_one(sql, params, |r| r.get(0))
    }
}

/// SQLite's numbered parameters (`?1`) as PostgreSQL's (`$1`), outside quoted text.
pub fn numbered_to_dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('$');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_become_dollars_outside_quotes() {
        assert_eq!(
            numbered_to_dollar("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d = $12"
        );
        assert_eq!(
            numbered_to_dollar("SELECT '''?1' || ?2"),
            "SELECT '''?1' || $2"
        );
    }
}
