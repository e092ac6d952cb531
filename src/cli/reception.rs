//! Reception: `intake`, `patients search|duplicates|merge`, `visits` and `void visit`.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use onshi_fallback::domain::ids::{PatientId, VisitId};
use onshi_fallback::domain::intake::IntakeInput;
use onshi_fallback::domain::wareki::{format_wareki, parse_date};
use onshi_fallback::domain::Basis;
use onshi_fallback::error::{Error, FieldError};
use onshi_fallback::service::IntakeReceipt;
use serde::Serialize;

use super::args::IntakeArgs;
use super::context::Context;
use super::input::{parse_json, read_json, read_lines};
use super::output::Output;
use super::{CliResult, Failure};

/// Records one visit: a self-declaration from JSON, or a returning patient's last insurance
/// (or, with `--jsonl`, many self-declarations).
pub fn intake(ctx: &Context, args: &IntakeArgs) -> CliResult {
    if let Some(file) = &args.jsonl_file {
        return intake_jsonl(ctx, file);
    }
    let receipt =
        match (&args.json_file, &args.returning) {
            (Some(file), None) => {
                let input: IntakeInput = read_json(file, "--json")?;
                ctx.records()?.intake(&input)?
            }
            (None, Some(patient)) => {
                let basis = Basis::parse(args.basis.trim())
                    .filter(|b| *b != Basis::SelfDeclaration)
                    .ok_or_else(|| {
                        Failure::Input(Error::field(
                            "--basis",
                            "申告の根拠",
                            "returning_no_change | portal_screen | certificate のいずれかです",
                            "must be returning_no_change | portal_screen | certificate",
                        ))
                    })?;
                let patient = PatientId::parse_field(patient, "PATIENT_ID", "患者ID")?;
                ctx.records()?
                    .intake_returning(patient, basis, args.declared_anyway.as_deref())?
            }
            _ => return Err(Failure::Input(Error::field(
                "--json",
                "入力",
                "--json FILE、--jsonl FILE か --returning PATIENT_ID のどれかを指定してください",
                "give --json FILE, --jsonl FILE or --returning PATIENT_ID",
            ))),
        };
    for w in &receipt.warnings {
        eprintln!("注意 (warning): {w}");
    }
    Ok(Output::json(&receipt))
}

/// One line of `intake --jsonl` recorded.
#[derive(Serialize)]
struct LineRecorded {
    line: usize,
    #[serde(flatten)]
    receipt: IntakeReceipt,
}

/// Where `intake --jsonl` stopped, and why.
#[derive(Serialize)]
struct LineRefused {
    line: usize,
    message: String,
}

/// What `intake --jsonl` did: every line recorded, and the line it stopped at, if any.
#[derive(Serialize)]
struct JsonlSummary {
    recorded: usize,
    lines: usize,
    visits: Vec<LineRecorded>,
    stopped_at: Option<LineRefused>,
}

/// `intake --jsonl FILE`: one 申立書 per line, each recorded in its own transaction as
/// `intake --json` records one, all in this one process. A bad line stops the run: the lines
/// before it stay recorded (listed in the summary), that line and the ones after are not, and
/// the error names the line and the field.
fn intake_jsonl(ctx: &Context, file: &str) -> CliResult {
    let lines = read_lines(file, "--jsonl")?;
    if lines.is_empty() {
        return Err(Failure::Input(Error::field(
            "--jsonl",
            "入力ファイル",
            format!("{file} に記録する行がありません"),
            format!("{file} holds no line to record"),
        )));
    }
    let mut records = ctx.records()?;
    let mut visits = Vec::new();
    let mut stopped = None;
    for (line, text) in &lines {
        let recorded = parse_json::<IntakeInput>(text)
            .and_then(|input| records.intake(&input).map_err(Failure::from));
        match recorded {
            Ok(receipt) => {
                for w in &receipt.warnings {
                    eprintln!("注意 (warning) {line} 行目 (line {line}): {w}");
                }
                visits.push(LineRecorded {
                    line: *line,
                    receipt,
                });
            }
            Err(failure) => {
                stopped = Some((*line, on_line(*line, failure)));
                break;
            }
        }
    }
    eprintln!(
        "{} 件を記録しました（全 {} 件）(recorded {} of {})",
        visits.len(),
        lines.len(),
        visits.len(),
        lines.len()
    );
    let summary = JsonlSummary {
        recorded: visits.len(),
        lines: lines.len(),
        visits,
        stopped_at: stopped.as_ref().map(|(line, f)| LineRefused {
            line: *line,
            message: f.to_string(),
        }),
    };
    let out = Output::json(&summary);
    Ok(match stopped {
        Some((line, failure)) => {
            eprintln!("{line} 行目で止めました。それより前の行は記録済みです (stopped at line {line}; the lines before it are recorded)");
            out.then_fail(failure)
        }
        None => out,
    })
}

/// `failure` on line `line`: each field named with the line (`42 行目 保険者番号`), other
/// messages prefixed with it. Bad input stays bad input (exit 2).
fn on_line(line: usize, failure: Failure) -> Failure {
    match failure {
        Failure::Input(Error::Input(fields)) => Failure::Input(Error::Input(
            fields
                .into_iter()
                .map(|f| FieldError {
                    label: format!("{line} 行目 {}", f.label),
                    field: format!("line {line} {}", f.field),
                    ..f
                })
                .collect(),
        )),
        Failure::Input(e) => Failure::Input(Error::refused(
            format!("{line} 行目: {}", e.ja()),
            format!("line {line}: {}", e.en()),
        )),
        Failure::Denied(e) => Failure::Denied(e),
        Failure::Corrupt(m) => Failure::Corrupt(format!("{line} 行目 (line {line}): {m}")),
        Failure::Other(m) => Failure::Other(format!("{line} 行目 (line {line}): {m}")),
    }
}

pub fn search(ctx: &Context, text: &str, limit: usize) -> CliResult {
    let mut records = ctx.records()?;
    let hits = records.search_patients(text, limit)?;
    if !hits.is_empty() {
        let ids: Vec<i64> = hits.iter().map(|h| h.patient_id.0).collect();
        log_view(&mut records, "search", &ids);
    }
    let mut lines: Vec<String> = hits
        .iter()
        .map(|h| {
            let p = &h.patient.details;
            format!(
                "{}  {}（{}） {} {}  {}",
                h.patient_id,
                p.name,
                p.kana,
                format_wareki(p.birth_date),
                p.sex.ja(),
                h.insurance_summary
            )
        })
        .collect();
    if lines.is_empty() {
        lines.push("該当する患者はいません".into());
    }
    Ok(Output::new(&hits, lines))
}

pub fn duplicates(ctx: &Context) -> CliResult {
    let groups = ctx.records()?.possible_duplicates()?;
    let mut lines: Vec<String> = groups
        .iter()
        .map(|g| {
            let names: Vec<String> = g
                .iter()
                .map(|p| format!("P{} {}", p.id, p.details.name))
                .collect();
            names.join(" / ")
        })
        .collect();
    if lines.is_empty() {
        lines.push("重複の可能性がある患者はいません".into());
    }
    Ok(Output::new(&groups, lines))
}

pub fn merge(ctx: &Context, from: &str, into: &str, reason: &str) -> CliResult {
    let from_id = PatientId::parse_field(from, "PATIENT_ID", "患者ID")?;
    let into_id = PatientId::parse_field(into, "--into", "統合先の患者ID")?;
    ctx.records()?.merge_patients(from_id, into_id, reason)?;
    Ok(Output::new(
        &serde_json::json!({"merged": from, "into": into}),
        [format!(
            "{from} を {into} に統合しました（両方の記録は残ります）"
        )],
    ))
}

pub fn correct(ctx: &Context, patient: &str, file: &str, reason: &str) -> CliResult {
    let id = PatientId::parse_field(patient, "PATIENT_ID", "患者ID")?;
    let input: onshi_fallback::domain::intake::PatientInput = read_json(file, "--json")?;
    let changed = ctx.records()?.correct_patient(id, &input, reason)?;
    Ok(Output::new(
        &serde_json::json!({"patient_id": id, "changed": changed}),
        [if changed {
            format!("{id} の情報を訂正しました（訂正前の内容は監査ログに残ります）")
        } else {
            format!("{id} の情報に変更はありません")
        }],
    ))
}

pub fn unmerge(ctx: &Context, patient: &str, reason: &str) -> CliResult {
    let id = PatientId::parse_field(patient, "PATIENT_ID", "患者ID")?;
    ctx.records()?.unmerge_patient(id, reason)?;
    Ok(Output::new(
        &serde_json::json!({"unmerged": id}),
        [format!("{id} の統合を取り消しました")],
    ))
}

/// The visits (of one day), or with `pdf` that day's degraded-mode list for the paper file.
/// Lists the visits a page at a time (a year of them would not fit in memory as one list):
/// the JSON document or the lines are written as the pages are read.
pub fn visits(ctx: &Context, date: Option<&str>, pdf: Option<&Path>, json: bool) -> CliResult {
    if let Some(pdf) = pdf {
        // clap requires --date with --pdf.
        let day = parse_day(date.unwrap_or_default())?;
        let s = ctx.records()?.outage_day_pdf(day, pdf)?;
        let line = format!(
            "障害時受付一覧を書き出しました: {}（{} 件）",
            s.path, s.visits
        );
        return Ok(Output::new(&s, [line]));
    }
    let date = date.map(parse_day).transpose()?;
    let mut records = ctx.records()?;
    records.require(onshi_fallback::domain::access::Right::ViewRecords)?;
    let day = date.map_or_else(|| "all".to_string(), |d| d.to_string());
    log_view(&mut records, &format!("visits {day}"), &[]);
    let pages = records.visit_pages(date);
    let failed = |e: &dyn std::fmt::Display| Failure::Other(e.to_string());
    if json {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        serde_json::to_writer_pretty(&mut out, &Streamed(std::cell::RefCell::new(Some(pages))))
            .map_err(|e| failed(&e))?;
        writeln!(out).map_err(|e| failed(&e))?;
        return Ok(Output::nothing());
    }
    for page in pages {
        for v in page? {
            let state = v.queue_state.map(|s| s.ja()).unwrap_or("");
            let void = if v.visit.voided_at.is_some() {
                "［取消］"
            } else {
                ""
            };
            println!(
                "{}{}  {}  {}  {}  [{}]",
                void, v.visit.visit_no, v.visit_id, v.patient_name, v.insurance_summary, state
            );
        }
    }
    Ok(Output::nothing())
}

/// Records the view in the audit log. A database that cannot be written (read-only media,
/// a full disk) must still be readable in an emergency: then the failure is said, not fatal.
fn log_view(records: &mut onshi_fallback::service::Records, what: &str, ids: &[i64]) {
    if let Err(e) = records.viewed(what, ids) {
        eprintln!(
            "注意 (warning): 閲覧の記録を監査ログに書けませんでした (could not log the view): {e}"
        );
    }
}

/// The visits as one JSON array, serialised page by page as they are read.
struct Streamed<'r>(std::cell::RefCell<Option<onshi_fallback::service::VisitPages<'r>>>);

impl Serialize for Streamed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let mut seq = s.serialize_seq(None)?;
        for page in self.0.borrow_mut().take().into_iter().flatten() {
            for row in page.map_err(|e| S::Error::custom(e.to_string()))? {
                seq.serialize_element(&row)?;
            }
        }
        seq.end()
    }
}

fn parse_day(text: &str) -> Result<NaiveDate, Failure> {
    parse_date(text).map_err(|e| {
        Failure::Input(Error::field(
            "--date",
            "日付",
            e.message_ja(),
            e.message_en(),
        ))
    })
}

pub fn void_visit(ctx: &Context, id: &str, reason: &str) -> CliResult {
    let visit = VisitId::parse_field(id, "VISIT_ID", "受診ID")?;
    let visit_no = ctx.records()?.void_visit(visit, reason)?;
    Ok(Output::new(
        &serde_json::json!({"voided": id, "visit_no": visit_no}),
        [format!("{visit_no} を取り消しました（記録は残ります）")],
    ))
}
