//! `staff`: accounts (add, list, disable, enable, PIN, roles) and the review of break-glass
//! sessions. A new PIN is read from standard input (one line), never from an argument; the
//! admin's own PIN comes as for every command (`ONSHI_FALLBACK_PIN` or the terminal).

use std::io::{BufRead, IsTerminal};

use onshi_fallback::domain::access::{roles_ja, Role};
use onshi_fallback::error::{Error, FieldError};
use onshi_fallback::service::access::check_pin;
use onshi_fallback::store::staff::Account;

use super::context::Context;
use super::output::Output;
use super::{CliResult, Failure};

pub fn add(ctx: &Context, name: &str, roles: &[String]) -> CliResult {
    let roles = parse_roles(roles)?;
    let pin = read_new_pin(name)?;
    let mut records = ctx.records()?;
    let account = records.add_staff(name, &roles, &pin)?;
    Ok(account_output(
        &account,
        format!(
            "アカウントを作成しました: {}（{}）",
            account.name,
            roles_ja(&account.roles)
        ),
    ))
}

pub fn list(ctx: &Context) -> CliResult {
    let accounts = ctx.records()?.staff_list()?;
    let mut lines: Vec<String> = accounts
        .iter()
        .map(|a| {
            let state = match &a.disabled_at {
                None => "使用中".to_string(),
                Some(at) => format!("無効（{at}）"),
            };
            format!("{}  {}  {}", a.name, roles_ja(&a.roles), state)
        })
        .collect();
    if lines.is_empty() {
        lines.push("アカウントはまだありません（staff add NAME --role admin で作成）".into());
    }
    Ok(Output::new(&accounts, lines))
}

pub fn disable(ctx: &Context, name: &str, disabled: bool) -> CliResult {
    let account = ctx.records()?.disable_staff(name, disabled)?;
    let what = if disabled {
        "無効にしました"
    } else {
        "使用中に戻しました"
    };
    Ok(account_output(
        &account,
        format!("{} を{what}", account.name),
    ))
}

pub fn pin(ctx: &Context, name: &str) -> CliResult {
    let pin = read_new_pin(name)?;
    let mut records = ctx.records()?;
    records.reset_staff_pin(name, &pin)?;
    Ok(Output::new(
        &serde_json::json!({"name": name.trim(), "pin_changed": true}),
        [format!("{} のPINを変更しました", name.trim())],
    ))
}

pub fn roles(ctx: &Context, name: &str, roles: &[String]) -> CliResult {
    let roles = parse_roles(roles)?;
    let account = ctx.records()?.set_staff_roles(name, &roles)?;
    Ok(account_output(
        &account,
        format!("{} の役割: {}", account.name, roles_ja(&account.roles)),
    ))
}

pub fn break_glass(ctx: &Context) -> CliResult {
    let list = ctx.records()?.break_glass_list()?;
    let mut lines: Vec<String> = list
        .iter()
        .map(|b| {
            let review = match (&b.reviewed_at, &b.reviewed_by) {
                (Some(at), Some(by)) => format!("確認済 {at} {by}"),
                _ => "未確認".into(),
            };
            format!(
                "#{}  {}  {}  理由: {}  記録 {} 件  {}",
                b.id, b.started_at, b.name, b.reason, b.entries, review
            )
        })
        .collect();
    if lines.is_empty() {
        lines.push("緊急利用の記録はありません".into());
    }
    Ok(Output::new(&list, lines))
}

pub fn review(ctx: &Context, id: i64) -> CliResult {
    ctx.records()?.review_break_glass(id)?;
    Ok(Output::new(
        &serde_json::json!({"reviewed": id}),
        [format!("緊急利用 #{id} を確認済みにしました")],
    ))
}

fn account_output(account: &Account, line: String) -> Output {
    Output::new(account, [line])
}

/// `--role` values, each one of the four; bad input names the flag.
fn parse_roles(given: &[String]) -> Result<Vec<Role>, Failure> {
    let mut roles = Vec::new();
    for g in given {
        for part in g.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let role = Role::parse(part)
                .or_else(|| Role::ALL.iter().copied().find(|r| r.ja() == part))
                .ok_or_else(|| {
                    Failure::Input(Error::field(
                        "--role",
                        "役割",
                        format!("{part} は役割ではありません（{}）", Role::choices_ja()),
                        format!("{part} is not a role ({})", Role::choices()),
                    ))
                })?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
    }
    Ok(roles)
}

/// The new PIN: one line of standard input (asked without echo on a terminal), checked before
/// the database is opened so bad input writes nothing.
fn read_new_pin(name: &str) -> Result<String, Failure> {
    let stdin = std::io::stdin();
    let pin = if stdin.is_terminal() {
        rpassword::prompt_password(format!(
            "{} さんの新しいPIN (new PIN for {}): ",
            name.trim(),
            name.trim()
        ))
        .map_err(|e| unreadable(&e))?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| unreadable(&e))?;
        line.trim_end_matches(['\r', '\n']).to_string()
    };
    check_pin(&pin).map_err(|e| Failure::Input(Error::Input(vec![e])))?;
    Ok(pin)
}

fn unreadable(e: &std::io::Error) -> Failure {
    Failure::Input(Error::Input(vec![FieldError::new(
        "pin",
        "PIN",
        format!("標準入力からPINを読めません: {e}"),
        format!("cannot read the PIN from standard input: {e}"),
    )]))
}
