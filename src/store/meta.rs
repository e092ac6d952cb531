//! What a database is for, kept in the database itself (`meta`, migration 4): a clinic's
//! records, or a database made for demos and tests, which alone may run on a fixed clock
//! (`ONSHI_FALLBACK_NOW`). Set once when the database is created, never changed.

use super::{params, Tx};
use crate::error::Result;

/// Marks a new, empty database as one for demos and tests. The schema refuses it once the
/// database holds a record (a trigger on `meta`), so a clinic's records never get a clock that
/// can be set.
pub fn mark_demo(tx: &Tx<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('purpose', 'demo')",
        params![],
    )?;
    Ok(())
}

/// True for a database made for demos and tests. A database from before migration 4 (read
/// without migrating it) has no `meta` table and is a clinic's.
pub fn is_demo(tx: &Tx<'_>) -> Result<bool> {
    if !tx.has_table("meta")? {
        return Ok(false);
    }
    let purpose: Option<String> = tx.query_opt(
        "SELECT value FROM meta WHERE key = 'purpose'",
        params![],
        |r| r.get(0),
    )?;
    Ok(purpose.as_deref() == Some("demo"))
}
