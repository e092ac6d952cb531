//! `outage start|end|status|log|note|runbook|tick|report`: degraded mode, declared and ended by
//! staff, with its runbook and incident report.

use std::path::Path;

use onshi_fallback::domain::{Detection, Service};
use onshi_fallback::error::Error;

use super::context::Context;
use super::output::Output;
use super::{CliResult, Failure};

fn parse_services(given: &[String]) -> Result<Vec<Service>, Failure> {
    given
        .iter()
        .map(|s| {
            Service::parse(s.trim()).ok_or_else(|| {
                Failure::Input(Error::field(
                    "--service",
                    "対象サービス",
                    format!(
                        "{} のいずれかを指定してください（入力: {s}）",
                        Service::choices()
                    ),
                    format!("must be one of {}", Service::choices()),
                ))
            })
        })
        .collect()
}

pub fn start(ctx: &Context, reason: &str, services: &[String]) -> CliResult {
    let services = parse_services(services)?;
    let mut r = ctx.records()?;
    let (o, started) = r.outage_start(reason, &services, Detection::Staff)?;
    let line = if started {
        format!("障害モードを開始しました（{}）: {}", o.started_at, o.reason)
    } else {
        format!("既に障害モードです（{} から）: {}", o.started_at, o.reason)
    };
    Ok(Output::new(
        &serde_json::json!({"started": started, "outage": o}),
        [line],
    ))
}

pub fn end(ctx: &Context, note: &str) -> CliResult {
    let mut r = ctx.records()?;
    let (o, released) = r.outage_end(note, Detection::Staff)?;
    let line = format!(
        "回線の復旧を記録しました（{}）。照合待ち {} 件",
        o.ended_at.as_deref().unwrap_or_default(),
        released
    );
    Ok(Output::new(
        &serde_json::json!({"outage": o, "now_due": released}),
        [line],
    ))
}

pub fn status(ctx: &Context) -> CliResult {
    let s = ctx.records()?.status()?;
    let line = match &s.outage {
        Some(o) => format!(
            "障害モード（オンライン資格確認 停止中）: {} から / 理由: {} / {}",
            o.started_at,
            o.reason,
            s.counts_ja()
        ),
        None => format!("通常モード / {}", s.counts_ja()),
    };
    Ok(Output::new(&s, [line]))
}

pub fn log(ctx: &Context) -> CliResult {
    let log = ctx.records()?.outage_log()?;
    let lines = log.iter().map(|o| {
        format!(
            "#{} {} 〜 {}（{} 分） 理由: {} / 受付 {} 名 / 手順 {} 件",
            o.outage.id,
            o.outage.started_at,
            o.outage.ended_at.as_deref().unwrap_or("継続中"),
            o.duration_minutes.unwrap_or(0),
            o.outage.reason,
            o.patients_seen,
            o.steps.len()
        )
    });
    Ok(Output::new(&log, lines))
}

pub fn note(ctx: &Context, text: &str) -> CliResult {
    ctx.records()?.outage_note(text)?;
    Ok(Output::new(
        &serde_json::json!({"noted": text}),
        ["メモを記録しました"],
    ))
}

pub fn runbook(ctx: &Context) -> CliResult {
    let items = ctx.records()?.runbook()?;
    let mut lines = Vec::new();
    for (n, i) in items.iter().enumerate() {
        let mark = match &i.ticked {
            Some(t) => format!("[済 {}]", t.at),
            None => "[  ]".into(),
        };
        lines.push(format!(
            "{} {}. {} ({})",
            mark,
            n + 1,
            i.step.title,
            i.step.id
        ));
        if !i.step.url.is_empty() {
            lines.push(format!("      {}", i.step.url));
        }
        if !i.step.phone.is_empty() {
            lines.push(format!("      電話 {}", i.step.phone));
        }
    }
    Ok(Output::new(&items, lines))
}

pub fn tick(ctx: &Context, step: &str, result: &str) -> CliResult {
    let t = ctx.records()?.runbook_tick(step, result)?;
    let line = format!("記録しました: {}（{}）", t.title, t.at);
    Ok(Output::new(&t, [line]))
}

/// The incident report (Markdown): written to `out`, or printed as it is.
pub fn report(ctx: &Context, id: Option<i64>, out: Option<&Path>) -> CliResult {
    let records = ctx.records()?;
    let text = records.incident_report(id)?;
    match out {
        Some(path) => {
            records.write_output(path, "--out", text.as_bytes())?;
            Ok(Output::text(format!(
                "障害報告書を書き出しました: {}\n",
                path.display()
            )))
        }
        None => Ok(Output::text(text)),
    }
}
