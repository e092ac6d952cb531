//! Staff accounts, their PIN hashes and failed attempts, and break-glass sessions (migration 5).
//! Hashing and the rules are the service's; this module only keeps them.

use serde::Serialize;
use serde_json::json;

use super::{audit, params, Row, Stamp, Tx};
use crate::domain::access::{roles_from_text, roles_to_text, Role};
use crate::error::{Error, Result};

/// A member of staff as the audited row holds them (no PIN here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub roles: Vec<Role>,
    pub disabled_at: Option<String>,
}

impl Account {
    pub fn in_use(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// What signing in checks: the PIN's hash and the run of failures.
#[derive(Debug, Clone)]
pub struct Secret {
    pub pin_hash: String,
    pub failed_attempts: i64,
    pub locked_until: Option<String>,
}

/// One time reception worked under a typed name during an outage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakGlass {
    pub id: i64,
    pub name: String,
    pub reason: String,
    pub outage_id: Option<i64>,
    pub started_at: String,
    pub reviewed_at: Option<String>,
    pub reviewed_by: Option<String>,
    /// Audit entries made under it.
    pub entries: i64,
}

impl BreakGlass {
    /// The name written into every record made under it, so that each is marked.
    pub fn actor(&self) -> String {
        actor_for(&self.name, self.id)
    }
}

/// `山田（緊急利用 #3）`: a break-glass actor, unmistakable in any list or audit entry.
pub fn actor_for(name: &str, id: i64) -> String {
    format!("{name}（緊急利用 #{id}）")
}

const ACCOUNT_COLUMNS: &str = "id, name, roles, disabled_at";

fn account_row(r: &Row<'_>) -> Result<Account> {
    let roles: String = r.get(2)?;
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        roles: roles_from_text(&roles),
        disabled_at: r.get(3)?,
    })
}

/// True once the first admin was created: from then on every action needs a signed-in
/// account. A database before migration 5 (read without migrating) has none.
pub fn identification_on(tx: &Tx<'_>) -> Result<bool> {
    if !tx.has_table("meta")? {
        return Ok(false);
    }
    let on: Option<String> = tx.query_opt(
        "SELECT value FROM meta WHERE key = 'identification'",
        params![],
        |r| r.get(0),
    )?;
    Ok(on.as_deref() == Some("on"))
}

/// Switches identification on for good (`meta` is never changed or removed).
fn switch_on(tx: &Tx<'_>, stamp: &Stamp) -> Result<()> {
    if identification_on(tx)? {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('identification', 'on')",
        params![],
    )?;
    audit::append(
        tx,
        stamp,
        "identification_on",
        "staff",
        "",
        &json!({"note": "staff accounts set up: every action needs a signed-in account"}),
    )
}

pub fn all(tx: &Tx<'_>) -> Result<Vec<Account>> {
    tx.query(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM staff ORDER BY disabled_at IS NOT NULL, name"),
        params![],
        account_row,
    )
}

pub fn by_name(tx: &Tx<'_>, name: &str) -> Result<Option<Account>> {
    tx.query_opt(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM staff WHERE name = ?1"),
        params![name],
        account_row,
    )
}

pub fn get(tx: &Tx<'_>, id: i64) -> Result<Option<Account>> {
    tx.query_opt(
        &format!("SELECT {ACCOUNT_COLUMNS} FROM staff WHERE id = ?1"),
        params![id],
        account_row,
    )
}

/// Adds an account; with the admin role, switches identification on.
pub fn add(
    tx: &Tx<'_>,
    name: &str,
    roles: &[Role],
    pin_hash: &str,
    stamp: &Stamp,
) -> Result<Account> {
    if by_name(tx, name)?.is_some() {
        return Err(Error::field(
            "name",
            "氏名",
            format!("{name} のアカウントはすでにあります"),
            "an account with this name exists",
        ));
    }
    let id: i64 = tx.value(
        "INSERT INTO staff (name, roles, created_at, created_by) VALUES (?1, ?2, ?3, ?4)
         RETURNING id",
        params![name, roles_to_text(roles), stamp.at, stamp.by],
    )?;
    tx.execute(
        "INSERT INTO staff_secrets (staff_id, pin_hash) VALUES (?1, ?2)",
        params![id, pin_hash],
    )?;
    audit::record(tx, stamp, "staff_add", "staff", id, serde_json::Value::Null)?;
    if roles.contains(&Role::Admin) {
        switch_on(tx, stamp)?;
    }
    get(tx, id)?.ok_or_else(|| Error::inconsistent("追加したアカウント", "added account"))
}

pub fn set_roles(tx: &Tx<'_>, id: i64, roles: &[Role], stamp: &Stamp) -> Result<()> {
    tx.execute(
        "UPDATE staff SET roles = ?2 WHERE id = ?1",
        params![id, roles_to_text(roles)],
    )?;
    audit::record(
        tx,
        stamp,
        "staff_roles",
        "staff",
        id,
        serde_json::Value::Null,
    )
}

/// Disables (`true`) or re-enables an account; never deletes it (its name is on records).
pub fn set_disabled(tx: &Tx<'_>, id: i64, disabled: bool, stamp: &Stamp) -> Result<()> {
    let (at, by) = if disabled {
        (Some(stamp.at.as_str()), Some(stamp.by.as_str()))
    } else {
        (None, None)
    };
    tx.execute(
        "UPDATE staff SET disabled_at = ?2, disabled_by = ?3 WHERE id = ?1",
        params![id, at, by],
    )?;
    let action = if disabled {
        "staff_disable"
    } else {
        "staff_enable"
    };
    audit::record(tx, stamp, action, "staff", id, serde_json::Value::Null)
}

/// Sets a new PIN hash and clears the failures and any lock. The audit entry says that the PIN
/// changed, never what to.
pub fn set_pin(tx: &Tx<'_>, id: i64, pin_hash: &str, stamp: &Stamp) -> Result<()> {
    tx.execute(
        "UPDATE staff_secrets SET pin_hash = ?2, failed_attempts = 0, locked_until = NULL
         WHERE staff_id = ?1",
        params![id, pin_hash],
    )?;
    audit::append(tx, stamp, "staff_pin", "staff", &id.to_string(), &json!({}))
}

pub fn secret(tx: &Tx<'_>, id: i64) -> Result<Option<Secret>> {
    tx.query_opt(
        "SELECT pin_hash, failed_attempts, locked_until FROM staff_secrets WHERE staff_id = ?1",
        params![id],
        |r| {
            Ok(Secret {
                pin_hash: r.get(0)?,
                failed_attempts: r.get(1)?,
                locked_until: r.get(2)?,
            })
        },
    )
}

/// Records the run of failures, and the lock when it is reached.
pub fn set_failures(
    tx: &Tx<'_>,
    id: i64,
    failed_attempts: i64,
    locked_until: Option<&str>,
) -> Result<()> {
    tx.execute(
        "UPDATE staff_secrets SET failed_attempts = ?2, locked_until = ?3 WHERE staff_id = ?1",
        params![id, failed_attempts, locked_until],
    )?;
    Ok(())
}

/// Enabled accounts holding `role`.
pub fn count_with_role(tx: &Tx<'_>, role: Role) -> Result<usize> {
    Ok(all(tx)?
        .iter()
        .filter(|a| a.in_use() && a.roles.contains(&role))
        .count())
}

/// Opens a break-glass session (the typed name and the reason) during outage `outage_id`.
pub fn open_break_glass(
    tx: &Tx<'_>,
    name: &str,
    reason: &str,
    outage_id: i64,
    stamp: &Stamp,
) -> Result<BreakGlass> {
    let id: i64 = tx.value(
        "INSERT INTO break_glass (name, reason, outage_id, started_at) VALUES (?1, ?2, ?3, ?4)
         RETURNING id",
        params![name, reason, outage_id, stamp.at],
    )?;
    let marked = Stamp {
        at: stamp.at.clone(),
        by: actor_for(name, id),
    };
    audit::record(tx, &marked, "break_glass", "break_glass", id, json!({}))?;
    break_glass(tx, id)?.ok_or_else(|| Error::inconsistent("緊急利用の記録", "break-glass row"))
}

const BREAK_GLASS_SELECT: &str = "SELECT b.id, b.name, b.reason, b.outage_id, b.started_at,
        b.reviewed_at, b.reviewed_by,
        (SELECT count(*) FROM audit_log a WHERE a.actor = b.name || '（緊急利用 #' || b.id || '）')
     FROM break_glass b";

fn break_glass_row(r: &Row<'_>) -> Result<BreakGlass> {
    Ok(BreakGlass {
        id: r.get(0)?,
        name: r.get(1)?,
        reason: r.get(2)?,
        outage_id: r.get(3)?,
        started_at: r.get(4)?,
        reviewed_at: r.get(5)?,
        reviewed_by: r.get(6)?,
        entries: r.get(7)?,
    })
}

pub fn break_glass(tx: &Tx<'_>, id: i64) -> Result<Option<BreakGlass>> {
    tx.query_opt(
        &format!("{BREAK_GLASS_SELECT} WHERE b.id = ?1"),
        params![id],
        break_glass_row,
    )
}

/// Every break-glass session, newest first.
pub fn break_glass_all(tx: &Tx<'_>) -> Result<Vec<BreakGlass>> {
    tx.query(
        &format!("{BREAK_GLASS_SELECT} ORDER BY b.id DESC"),
        params![],
        break_glass_row,
    )
}

/// The admin has looked at a break-glass session and what was done under it.
pub fn review_break_glass(tx: &Tx<'_>, id: i64, stamp: &Stamp) -> Result<()> {
    let n = tx.execute(
        "UPDATE break_glass SET reviewed_at = ?2, reviewed_by = ?3
         WHERE id = ?1 AND reviewed_at IS NULL",
        params![id, stamp.at, stamp.by],
    )?;
    if n == 0 {
        return Err(Error::not_found(
            format!("未確認の緊急利用 #{id} はありません"),
            format!("no unreviewed break-glass session #{id}"),
        ));
    }
    audit::record(
        tx,
        stamp,
        "break_glass_review",
        "break_glass",
        id,
        json!({}),
    )
}
