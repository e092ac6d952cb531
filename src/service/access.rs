//! Who is at the desk: signing in, the rights each service call checks, staff accounts, the
//! break-glass path of an outage morning, and the audit of each patient record viewed.
//!
//! A database without accounts runs open, as before accounts existed, and says so. The first
//! admin switches identification on for good; from then on every service call checks the
//! signed-in account (read afresh, so a disabled account or a removed role stops at once).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use chrono::{DateTime, Duration, Local};
use serde_json::json;

use super::Records;
use crate::domain::access::{allows, roles_ja, Right, Role};
use crate::domain::text::to_half_width_ascii as normalize_width;
use crate::error::{Error, FieldError, Result};
use crate::store::staff::{self, Account, BreakGlass};
use crate::store::{self as store_mod, audit, outages, Stamp};

/// Failed PINs in a row before an account locks.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked account waits (an admin can reset the PIN sooner).
pub const LOCK_MINUTES: i64 = 5;

/// Who the records are open for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Session {
    /// No accounts are set up: everything is open, with a warning (as before accounts).
    Open,
    /// Accounts exist and nobody is signed in: only the mode and counts can be read.
    SignedOut,
    SignedIn(Account),
    /// Reception under a typed name during an outage, marked on every record.
    BreakGlass(BreakGlass),
}

/// The warning said in the window and on stderr while no account is set up.
pub const OPEN_WARNING_JA: &str =
    "アカウントが未設定です。だれでもすべての操作ができます。管理者のアカウントを作成してください（設定 F5 / onshi-fallback staff add）";
pub const OPEN_WARNING_EN: &str =
    "staff accounts are not set up: anyone can do anything; create an admin account (staff add NAME --role admin)";

impl Records {
    /// True once the first admin was created.
    pub fn identification_on(&self) -> Result<bool> {
        self.store.read(staff::identification_on)
    }

    /// The session a newly opened set of records starts in.
    pub(super) fn initial_session(&self) -> Session {
        match self.identification_on() {
            Ok(false) => Session::Open,
            _ => Session::SignedOut,
        }
    }

    /// The signed-in account, if any.
    pub fn account(&self) -> Option<&Account> {
        match &self.session {
            Session::SignedIn(a) => Some(a),
            _ => None,
        }
    }

    /// The signed-in doctor's name, which a prescription records and prints.
    pub fn signed_in_doctor(&self) -> Option<&str> {
        self.account()
            .filter(|a| a.roles.contains(&Role::Doctor))
            .map(|a| a.name.as_str())
    }

    /// True when the signed-in session holds `right` (for the window to show only what works).
    pub fn may(&self, right: Right) -> bool {
        self.require(right).is_ok()
    }

    /// Checks that the session holds `right`; every service call starts here. The account is
    /// read afresh each time: one disabled, or whose role was removed, stops at once.
    pub fn require(&self, right: Right) -> Result<()> {
        match &self.session {
            Session::Open => {
                if self.identification_on()? {
                    return Err(Error::denied(
                        "アカウントが設定されました。サインインしてください",
                        "staff accounts were set up meanwhile: sign in",
                    ));
                }
                Ok(())
            }
            Session::SignedOut => Err(Error::denied(
                format!(
                    "サインインしてください（この操作には「{}」の権限が必要です）",
                    right.ja()
                ),
                format!("sign in first (this needs the right `{right}`)"),
            )),
            Session::SignedIn(signed) => {
                let now = self.store.read(|tx| staff::get(tx, signed.id))?;
                let Some(account) = now.filter(Account::in_use) else {
                    return Err(Error::denied(
                        format!("{} のアカウントは無効にされました", signed.name),
                        format!("the account of {} was disabled", signed.name),
                    ));
                };
                if allows(&account.roles, right) {
                    return Ok(());
                }
                Err(Error::denied(
                    format!(
                        "権限がありません: この操作には「{}」の権限（{}）が必要です。{} さんは {} です",
                        right.ja(),
                        roles_ja(right.roles()),
                        account.name,
                        roles_ja(&account.roles),
                    ),
                    format!(
                        "not allowed: this needs the right `{right}` ({}); {} holds {}",
                        role_codes(right.roles()),
                        account.name,
                        role_codes(&account.roles),
                    ),
                ))
            }
            Session::BreakGlass(_) => {
                if !right.open_in_break_glass() {
                    return Err(Error::denied(
                        format!(
                            "緊急利用では「{}」はできません。サインインしてください",
                            right.ja()
                        ),
                        format!("break-glass does not cover `{right}`: sign in"),
                    ));
                }
                if self.store.read(outages::current)?.is_none() {
                    return Err(Error::denied(
                        "障害モードが終わりました。緊急利用は終了です。サインインしてください",
                        "the outage is over and break-glass with it: sign in",
                    ));
                }
                Ok(())
            }
        }
    }

    /// Signs `name` in with `pin`. A wrong PIN counts towards the lock; every attempt is in the
    /// audit log (login, failure, lock, switch of user), never the PIN.
    pub fn sign_in(&mut self, name: &str, pin: &str) -> Result<Account> {
        let name = name.trim();
        let pin = normalize_width(pin.trim());
        let now = Local::now().fixed_offset();
        let found = self.store.read(|tx| match staff::by_name(tx, name)? {
            Some(a) => Ok(staff::secret(tx, a.id)?.map(|s| (a, s))),
            None => Ok(None),
        })?;
        let attempt = Stamp {
            at: store_mod::timestamp(self.clock.now()),
            by: name.to_string(),
        };
        let Some((account, secret)) = found else {
            self.login_failed(&attempt, "", json!({"name": name, "why": "unknown_name"}))?;
            return Err(wrong_name_or_pin());
        };
        let id = account.id.to_string();
        if !account.in_use() {
            self.login_failed(&attempt, &id, json!({"why": "disabled"}))?;
            return Err(Error::denied(
                format!("{name} のアカウントは無効にされています。管理者に連絡してください"),
                format!("the account of {name} is disabled: ask the admin"),
            ));
        }
        let locked_until = secret
            .locked_until
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        if let Some(until) = locked_until.filter(|u| *u > now) {
            self.login_failed(&attempt, &id, json!({"why": "locked"}))?;
            return Err(locked_message(name, until));
        }
        if verify_pin(&pin, &secret.pin_hash) {
            let previous = match &self.session {
                Session::SignedIn(prev) => Some(prev.name.clone()),
                _ => self.signed_out.take(),
            };
            let from = previous.filter(|p| *p != account.name);
            self.store.write(|tx| {
                staff::set_failures(tx, account.id, 0, None)?;
                match &from {
                    Some(prev) => audit::append(
                        tx,
                        &attempt,
                        "switch_user",
                        "staff",
                        &id,
                        &json!({"from": prev}),
                    ),
                    None => audit::append(tx, &attempt, "login", "staff", &id, &json!({})),
                }
            })?;
            self.actor = account.name.clone();
            self.session = Session::SignedIn(account.clone());
            return Ok(account);
        }
        // A lock that has run out starts a new run of failures.
        let failures = if locked_until.is_some() {
            1
        } else {
            secret.failed_attempts + 1
        };
        let lock = (failures >= MAX_FAILURES).then(|| now + Duration::minutes(LOCK_MINUTES));
        self.store.write(|tx| {
            let until = lock.map(store_mod::timestamp);
            staff::set_failures(tx, account.id, failures, until.as_deref())?;
            audit::append(
                tx,
                &attempt,
                "login_failed",
                "staff",
                &id,
                &json!({"why": "wrong_pin", "failures": failures}),
            )?;
            if let Some(until) = &until {
                audit::append(
                    tx,
                    &attempt,
                    "staff_locked",
                    "staff",
                    &id,
                    &json!({"until": until}),
                )?;
            }
            Ok(())
        })?;
        match lock {
            Some(until) => Err(locked_message(name, until)),
            None => Err(wrong_name_or_pin()),
        }
    }

    /// A failed sign-in in the audit log: who tried (the name typed) and why it failed.
    fn login_failed(&mut self, attempt: &Stamp, id: &str, why: serde_json::Value) -> Result<()> {
        self.store
            .write(|tx| audit::append(tx, attempt, "login_failed", "staff", id, &why))
    }

    /// Leaves the records signed out (the window's lock and switch start here).
    pub fn sign_out(&mut self) {
        if matches!(self.session, Session::SignedIn(_) | Session::BreakGlass(_)) {
            self.signed_out = Some(self.actor.clone());
            self.session = Session::SignedOut;
        }
    }

    /// Break-glass: during an outage, when nobody can sign in, reception works under a typed
    /// name and a reason. Every record made is marked with it and the admin reviews it later.
    pub fn break_glass(&mut self, name: &str, reason: &str) -> Result<BreakGlass> {
        let name = name.trim();
        let reason = reason.trim();
        let mut errors: Vec<FieldError> = name_error(name).into_iter().collect();
        if reason.is_empty() {
            errors.push(FieldError::new(
                "reason",
                "理由",
                "サインインできない理由を入力してください",
                "required",
            ));
        }
        if !errors.is_empty() {
            return Err(Error::Input(errors));
        }
        if !self.identification_on()? {
            return Err(Error::refused(
                "アカウントが未設定のため、緊急利用は不要です（そのまま操作できます）",
                "no accounts are set up: break-glass is not needed",
            ));
        }
        let Some(outage) = self.store.read(outages::current)? else {
            return Err(Error::denied(
                "緊急利用は障害モードの間だけ使えます。サインインしてください",
                "break-glass is only for an outage: sign in",
            ));
        };
        let stamp = self.stamp();
        let session = self
            .store
            .write(|tx| staff::open_break_glass(tx, name, reason, outage.id, &stamp))?;
        self.actor = session.actor();
        self.session = Session::BreakGlass(session.clone());
        Ok(session)
    }

    /// Adds an account. On a database without accounts the first must be an admin, and needs
    /// no sign-in; it switches identification on and signs its maker in.
    pub fn add_staff(&mut self, name: &str, roles: &[Role], pin: &str) -> Result<Account> {
        let first = !self.identification_on()?;
        if !first {
            self.require(Right::Accounts)?;
        }
        let name = name.trim();
        let mut errors: Vec<FieldError> = name_error(name).into_iter().collect();
        if roles.is_empty() {
            errors.push(no_role());
        } else if first && !roles.contains(&Role::Admin) {
            errors.push(FieldError::new(
                "role",
                "役割",
                "最初のアカウントは管理者にしてください（--role admin）",
                "the first account must be an admin",
            ));
        }
        if let Err(e) = check_pin(pin) {
            errors.push(e);
        }
        if !errors.is_empty() {
            return Err(Error::Input(errors));
        }
        let hash = hash_pin(&normalize_width(pin.trim()))?;
        let stamp = self.stamp();
        let account = self
            .store
            .write(|tx| staff::add(tx, name, roles, &hash, &stamp))?;
        if first {
            self.actor = account.name.clone();
            self.session = Session::SignedIn(account.clone());
        }
        Ok(account)
    }

    /// The names of the accounts in use, for the sign-in screen to choose from (names only).
    pub fn sign_in_names(&self) -> Result<Vec<String>> {
        Ok(self
            .store
            .read(staff::all)?
            .into_iter()
            .filter(Account::in_use)
            .map(|a| a.name)
            .collect())
    }

    pub fn staff_list(&self) -> Result<Vec<Account>> {
        self.require(Right::Accounts)?;
        self.store.read(staff::all)
    }

    /// Disables (or, `false`, re-enables) an account. The last admin in use cannot be
    /// disabled: identification cannot be switched off that way.
    pub fn disable_staff(&mut self, name: &str, disabled: bool) -> Result<Account> {
        self.require(Right::Accounts)?;
        let account = self.staff_named(name)?;
        let stamp = self.stamp();
        self.store.write(|tx| {
            if disabled
                && account.roles.contains(&Role::Admin)
                && staff::count_with_role(tx, Role::Admin)? <= 1
            {
                return Err(last_admin());
            }
            staff::set_disabled(tx, account.id, disabled, &stamp)
        })?;
        self.staff_named(name)
    }

    /// Sets an account's roles. The last admin in use keeps the admin role.
    pub fn set_staff_roles(&mut self, name: &str, roles: &[Role]) -> Result<Account> {
        self.require(Right::Accounts)?;
        if roles.is_empty() {
            return Err(Error::Input(vec![no_role()]));
        }
        let account = self.staff_named(name)?;
        let stamp = self.stamp();
        self.store.write(|tx| {
            if account.roles.contains(&Role::Admin)
                && !roles.contains(&Role::Admin)
                && account.in_use()
                && staff::count_with_role(tx, Role::Admin)? <= 1
            {
                return Err(last_admin());
            }
            staff::set_roles(tx, account.id, roles, &stamp)
        })?;
        self.staff_named(name)
    }

    /// Sets a new PIN (an admin resetting it, which also lifts a lock).
    pub fn reset_staff_pin(&mut self, name: &str, pin: &str) -> Result<()> {
        self.require(Right::Accounts)?;
        check_pin(pin).map_err(|e| Error::Input(vec![e]))?;
        let account = self.staff_named(name)?;
        let hash = hash_pin(&normalize_width(pin.trim()))?;
        let stamp = self.stamp();
        self.store
            .write(|tx| staff::set_pin(tx, account.id, &hash, &stamp))
    }

    fn staff_named(&self, name: &str) -> Result<Account> {
        self.store
            .read(|tx| staff::by_name(tx, name.trim()))?
            .ok_or_else(|| {
                Error::not_found(
                    format!("{} のアカウントはありません", name.trim()),
                    format!("no account named {}", name.trim()),
                )
            })
    }

    /// Every break-glass session, newest first, with how many entries were made under it.
    pub fn break_glass_list(&self) -> Result<Vec<BreakGlass>> {
        self.require(Right::Accounts)?;
        self.store.read(staff::break_glass_all)
    }

    /// Break-glass sessions the admin has not reviewed yet (for the window's reminder).
    pub fn break_glass_unreviewed(&self) -> Result<usize> {
        Ok(self
            .store
            .read(staff::break_glass_all)?
            .iter()
            .filter(|b| b.reviewed_at.is_none())
            .count())
    }

    pub fn review_break_glass(&mut self, id: i64) -> Result<()> {
        self.require(Right::Accounts)?;
        let stamp = self.stamp();
        self.store
            .write(|tx| staff::review_break_glass(tx, id, &stamp))
    }

    /// Records that the patients `ids` were shown to the person at the desk (`what`: a search,
    /// a day's list, a patient's record; a list too long to name each names its day). Access logs are asked for by the guideline; the
    /// search text itself is not kept.
    pub fn viewed(&mut self, what: &str, ids: &[i64]) -> Result<()> {
        let stamp = self.stamp();
        let first = ids.first().map(i64::to_string).unwrap_or_default();
        self.store.write(|tx| {
            audit::append(
                tx,
                &stamp,
                "view",
                "patient_view",
                &first,
                &json!({"what": what, "patients": ids}),
            )
        })
    }
}

/// Checks, reading only, that `name` with `pin` is an admin in use of the records in `store`:
/// for `restore` when the live database cannot be opened, where the backup's own admins decide.
/// Nothing is written (the backup stays as it was), so failures are not counted here.
pub fn check_admin(store: &store_mod::Store, name: &str, pin: &str) -> Result<()> {
    let found = store.read(|tx| match staff::by_name(tx, name.trim())? {
        Some(a) => Ok(staff::secret(tx, a.id)?.map(|s| (a, s))),
        None => Ok(None),
    })?;
    match found {
        Some((a, s)) if a.in_use() && verify_pin(&normalize_width(pin.trim()), &s.pin_hash) => {
            if a.roles.contains(&Role::Admin) {
                Ok(())
            } else {
                Err(Error::denied(
                    format!(
                        "権限がありません: 復元には「{}」の権限（管理者）が必要です",
                        Right::Administer.ja()
                    ),
                    "not allowed: restoring needs the right `administer` (admin)",
                ))
            }
        }
        _ => Err(wrong_name_or_pin()),
    }
}

/// A staff name: 1 to 40 characters (a typed break-glass name too).
fn name_error(name: &str) -> Option<FieldError> {
    (name.is_empty() || name.chars().count() > 40).then(|| {
        FieldError::new(
            "name",
            "氏名",
            "氏名を1〜40文字で入力してください",
            "1 to 40 characters",
        )
    })
}

fn no_role() -> FieldError {
    FieldError::new(
        "role",
        "役割",
        format!("役割を1つ以上選んでください（{}）", Role::choices_ja()),
        format!("at least one of {}", Role::choices()),
    )
}

fn role_codes(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join("|")
}

fn wrong_name_or_pin() -> Error {
    Error::denied("氏名またはPINが違います", "unknown name or wrong PIN")
}

fn locked_message(name: &str, until: DateTime<chrono::FixedOffset>) -> Error {
    let at = until.format("%H:%M");
    Error::denied(
        format!("{name} のアカウントはPINの誤りが{MAX_FAILURES}回続いたためロックされています。{at} 以降にやり直すか、管理者にPINの再設定を依頼してください"),
        format!("{name} is locked after {MAX_FAILURES} wrong PINs until {at}; or ask the admin to reset the PIN"),
    )
}

fn last_admin() -> Error {
    Error::refused(
        "最後の管理者は無効にできません（アカウント管理ができなくなります）。先に別の管理者を作成してください",
        "the last admin cannot be disabled or lose the role: add another admin first",
    )
}

/// A PIN or password: 4 to 64 characters, full-width digits accepted.
pub fn check_pin(pin: &str) -> std::result::Result<(), FieldError> {
    let n = normalize_width(pin.trim()).chars().count();
    if (4..=64).contains(&n) {
        Ok(())
    } else {
        Err(FieldError::new(
            "pin",
            "PIN",
            "PINは4〜64文字で入力してください",
            "the PIN must be 4 to 64 characters",
        ))
    }
}

/// argon2id with a random salt, as a PHC string.
fn hash_pin(pin: &str) -> Result<String> {
    Argon2::default()
        .hash_password(pin.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| {
            Error::failed(
                format!("PINを保存できませんでした: {e}"),
                format!("could not hash the PIN: {e}"),
            )
        })
}

fn verify_pin(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok()
    })
}
