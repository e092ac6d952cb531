//! Record identity that survives merging: each record's UUID (v7), beside the short id and
//! display number that only mean something inside one database.
//!
//! A record gets its UUID with its first audit entry ([`assign`]), so no insert anywhere has
//! to remember it. Rows stored before migration 8 get theirs from [`fill`], derived from the
//! audit entry that created them: two copies of one database (the server and a PC's backup)
//! migrated apart give the same record the same UUID, and records made apart after they split
//! never share one.

use sha2::{Digest, Sha256};
use uuid::{Builder, Uuid};

use super::audit::TRACKED;
use super::{params, Tx};
use crate::error::Result;

/// The migration that added the `uuid` columns.
pub const MIGRATION: i64 = 8;

/// The tables whose records carry a UUID: the tracked ones with an id of their own (a queue
/// entry is its visit's, a staff member's secrets are theirs).
pub fn tables() -> impl Iterator<Item = (&'static str, &'static str)> {
    TRACKED
        .iter()
        .filter(|(_, _, key)| *key == "id")
        .map(|(entity, table, _)| (*entity, *table))
}

/// Gives the record `id` of `table` a new UUID unless it has one. Runs with each audit entry
/// about a record, before its snapshot is taken, so the snapshot holds the UUID.
pub fn assign(tx: &Tx<'_>, table: &str, id: i64) -> Result<()> {
    if tables().any(|(_, t)| t == table) {
        tx.execute(
            &format!("UPDATE {table} SET uuid = ?1 WHERE id = ?2 AND uuid IS NULL"),
            params![Uuid::now_v7().to_string(), id],
        )?;
    }
    Ok(())
}

/// Gives every record without a UUID one: derived from the audit entry that created it (its
/// time, and bits of a hash of that entry's hash), or new where no entry names the record.
pub fn fill(tx: &Tx<'_>) -> Result<()> {
    for (entity, table) in tables() {
        let mut missing = Vec::new();
        tx.for_each(
            &format!("SELECT id FROM {table} WHERE uuid IS NULL ORDER BY id"),
            params![],
            |r| {
                missing.push(r.get::<i64>(0)?);
                Ok(true)
            },
        )?;
        if missing.is_empty() {
            continue;
        }
        let mut created = std::collections::HashMap::new();
        tx.for_each(
            "SELECT a.entity_id, a.at, a.hash FROM audit_log a
               JOIN (SELECT entity_id, MIN(seq) AS seq FROM audit_log
                      WHERE entity = ?1 GROUP BY entity_id) first ON a.seq = first.seq",
            params![entity],
            |r| {
                let (id, at, hash): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                if let Ok(id) = id.parse::<i64>() {
                    created.insert(id, derived(table, &at, &hash));
                }
                Ok(true)
            },
        )?;
        for id in missing {
            let uuid = created.remove(&id).unwrap_or_else(Uuid::now_v7);
            tx.execute(
                &format!("UPDATE {table} SET uuid = ?1 WHERE id = ?2"),
                params![uuid.to_string(), id],
            )?;
        }
    }
    Ok(())
}

/// A v7 UUID for the record of `table` whose creating audit entry was written `at` with
/// `hash`: the entry's time in milliseconds, then 74 bits of a digest of the table and hash.
fn derived(table: &str, at: &str, hash: &str) -> Uuid {
    let millis = chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.timestamp_millis().max(0) as u64)
        .unwrap_or(0);
    let digest = Sha256::digest(format!("onshi-fallback record\u{1f}{table}\u{1f}{hash}"));
    let mut bits = [0u8; 10];
    bits.copy_from_slice(&digest[..10]);
    Builder::from_unix_timestamp_millis(millis, &bits).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_derived_uuid_is_v7_timed_by_its_entry_and_fixed_by_its_hash() {
        let at = "2026-11-25T09:00:00+09:00";
        let a = derived("patients", at, "ab");
        assert_eq!(a.get_version_num(), 7);
        assert_eq!(
            a,
            derived("patients", at, "ab"),
            "the same entry, the same UUID"
        );
        assert_ne!(
            a,
            derived("patients", at, "ac"),
            "another entry, another UUID"
        );
        assert_ne!(a, derived("visits", at, "ab"));
        let (secs, _) = a.get_timestamp().expect("a v7 timestamp").to_unix();
        assert_eq!(
            secs as i64,
            chrono::DateTime::parse_from_rfc3339(at)
                .unwrap()
                .timestamp()
        );
    }
}
