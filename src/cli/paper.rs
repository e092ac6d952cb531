//! Paper: `prescribe`, `declaration`, `reprint` and `void prescription`.

use std::path::Path;

use onshi_fallback::domain::ids::{PrescriptionId, VisitId};
use onshi_fallback::domain::prescription::PrescriptionInput;

use super::context::Context;
use super::input::read_json;
use super::output::Output;
use super::CliResult;

/// Issues a paper prescription from JSON, writes its PDF and (with `print`) prints it.
pub fn prescribe(ctx: &Context, json_file: &str, out: Option<&Path>, print: bool) -> CliResult {
    let input: PrescriptionInput = read_json(json_file, "--json")?;
    let receipt = ctx.records()?.prescribe(&input, out, print)?;
    for w in &receipt.warnings {
        eprintln!("注意 (warning): {w}");
    }
    Ok(Output::json(&receipt))
}

/// The 被保険者資格申立書 of a visit, pre-filled, to sign.
pub fn declaration(ctx: &Context, visit_id: &str, out: &Path) -> CliResult {
    let visit = VisitId::parse_field(visit_id, "VISIT_ID", "受診ID")?;
    ctx.records()?.declaration_pdf(visit, out)?;
    Ok(Output::json(
        &serde_json::json!({"visit_id": visit_id, "pdf": out.display().to_string()}),
    ))
}

pub fn reprint(ctx: &Context, id: &str) -> CliResult {
    let rx = PrescriptionId::parse_field(id, "PRESCRIPTION_ID", "処方箋ID")?;
    ctx.records()?.print_prescription(rx)?;
    Ok(Output::new(
        &serde_json::json!({"reprinted": id}),
        [format!("{id} を再印刷しました")],
    ))
}

pub fn void_prescription(ctx: &Context, id: &str, reason: &str) -> CliResult {
    let rx = PrescriptionId::parse_field(id, "PRESCRIPTION_ID", "処方箋ID")?;
    let p = ctx.records()?.void_prescription(rx, reason)?;
    let line = format!("RX{} を取り消しました（記録と控えは残ります）", p.id);
    Ok(Output::new(&p, [line]))
}
