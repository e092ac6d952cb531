//! Reconciliation: `reconcile` (the pass), `reconcile report` and `resolve`.

use std::path::Path;

use onshi_fallback::domain::ids::VisitId;
use onshi_fallback::error::Error;
use onshi_fallback::service::Decision;

use super::context::Context;
use super::input::read_json;
use super::output::Output;
use super::{CliResult, Failure};

/// Re-verifies every due record, saying each one on standard error as it goes — by its visit
/// number only: standard error ends up in terminals, logs and scheduled-task mail, where a
/// patient's name has no place.
pub fn pass(ctx: &Context) -> CliResult {
    let report = ctx.records()?.run_pass(|p| {
        eprintln!(
            "照合中 {}/{} {} → {}",
            p.done,
            p.total,
            p.visit_no,
            p.status.ja()
        );
    })?;
    let mut lines = vec![format!("{} 件を照合しました", report.checked)];
    for res in &report.results {
        lines.push(format!(
            "{} {} {}",
            res.visit_no,
            res.status.ja(),
            res.reason
        ));
    }
    Ok(Output::new(&report, lines))
}

/// The list for the billing clerk, as CSV and/or an A4 PDF.
pub fn report(ctx: &Context, out: Option<&Path>, csv: Option<&Path>) -> CliResult {
    // Bad input is refused before the records are opened (which could create a database).
    if out.is_none() && csv.is_none() {
        return Err(Failure::Input(Error::field(
            "--out",
            "出力先",
            "--out PATH.pdf か --csv PATH を指定してください",
            "give --out PATH.pdf or --csv PATH",
        )));
    }
    let r = ctx.records()?;
    let mut written = Vec::new();
    if let Some(path) = csv {
        written.push(r.reconcile_report_csv(path)?);
    }
    if let Some(path) = out {
        written.push(r.reconcile_report_pdf(path)?);
    }
    let lines = written.iter().map(|s| {
        format!(
            "書き出しました: {} （{} 件, 未確定 {} 件）",
            s.path, s.visits, s.unsettled
        )
    });
    // Each summary as a JSON value: the document's keys stay as they always were (sorted).
    let docs: Vec<serde_json::Value> = written
        .iter()
        .map(|s| serde_json::to_value(s).expect("serialisable"))
        .collect();
    Ok(Output::new(&docs, lines))
}

/// The decision `resolve` was given: exactly one of `--accept verified|declared`, `--follow-up`
/// or `--manual FILE` (read here, before the database is opened).
pub fn decision(
    accept: Option<&str>,
    follow_up: bool,
    manual: Option<&str>,
) -> Result<Decision, Failure> {
    Ok(match (accept.map(str::trim), follow_up, manual) {
        (Some("verified"), false, None) => Decision::AcceptVerified,
        (Some("declared"), false, None) => Decision::AcceptDeclared,
        (None, true, None) => Decision::FollowUp,
        (None, false, Some(file)) => Decision::Manual(Box::new(read_json(file, "--manual")?)),
        _ => {
            return Err(Failure::Input(Error::field(
                "--accept",
                "判断",
                "--accept verified か --accept declared、--follow-up、--manual FILE のいずれか一つを指定してください",
                "give one of --accept verified|declared, --follow-up, --manual FILE",
            )))
        }
    })
}

/// A person's decision on a record waiting for one.
pub fn resolve(ctx: &Context, visit_id: &str, decision: Decision, note: &str) -> CliResult {
    let visit = VisitId::parse_field(visit_id, "VISIT_ID", "受診ID")?;
    let entry = ctx.records()?.resolve(visit, decision, note)?;
    let line = format!(
        "{visit_id}: {}（{}）",
        entry.state.ja(),
        entry.decision.map(|d| d.as_str()).unwrap_or_default()
    );
    Ok(Output::new(&entry, [line]))
}
