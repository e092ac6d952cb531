//! `export --csv` for the receipt software and `reconcile report --csv` for the billing clerk.
//! Both read the claim from [`Records::for_each_queue_row`], so they can never disagree, and
//! write row by row, so a year of records is never held whole.

use crate::domain::access::Right;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{ListOrder, Records};
use crate::domain::claim::ClaimBasis;
use crate::domain::{QueueDecision, QueueState};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub path: String,
    pub visits: usize,
    pub fushou: usize,
    pub unsettled: usize,
}

const EXPORT_HEADER: &[&str] = &[
    "受付番号",
    "受診日",
    "患者ID",
    "氏名",
    "カナ",
    "生年月日",
    "性別",
    "保険種別",
    "保険者番号",
    "記号",
    "番号",
    "枝番",
    "本人家族",
    "負担割合",
    "第1公費負担者番号",
    "第1公費受給者番号",
    "第2公費負担者番号",
    "第2公費受給者番号",
    "第3公費負担者番号",
    "第3公費受給者番号",
    "申告根拠",
    "請求根拠",
    "照合状態",
    "照合結果",
    "摘要",
];

const REPORT_HEADER: &[&str] = &[
    "判断",
    "照合結果",
    "受付番号",
    "受診日",
    "患者ID",
    "氏名",
    "生年月日",
    "請求根拠",
    "保険者番号",
    "記号",
    "番号",
    "枝番",
    "負担割合",
    "違い",
    "理由",
    "判断内容",
    "判断者",
    "メモ",
    "手作業で照会する項目",
    "摘要",
];

impl Records {
    /// Writes every visit that was not voided, with the numbers to claim with, as UTF-8 CSV
    /// (with a BOM, so spreadsheet software opens it as UTF-8), in visit order, row by row.
    pub fn export_csv(&self, path: &Path) -> Result<ExportSummary> {
        self.require(Right::Reconcile)?;
        let mut summary = ExportSummary::new(path);
        self.write_output_with(path, "--csv", |out| {
            let mut csv = Csv::start(out, EXPORT_HEADER)?;
            self.for_each_queue_row(ListOrder::ByVisit, |r| {
                if r.voided {
                    return Ok(());
                }
                summary.count(&r);
                let ins = &r.claimed;
                let mut row = vec![
                    r.visit_no.clone(),
                    r.visit_date.to_string(),
                    r.patient_id.to_string(),
                    r.patient.name.clone(),
                    r.patient.kana.clone(),
                    r.patient.birth_date.to_string(),
                    r.patient.sex.ja().to_string(),
                    ins.kind.ja().to_string(),
                    r.claim.insurer_number.clone(),
                    r.claim.symbol.clone(),
                    r.claim.number.clone(),
                    r.claim.branch.clone(),
                    ins.relationship.map(|x| x.ja()).unwrap_or("").to_string(),
                    format!("{}割", ins.copay_percent / 10),
                ];
                for i in 0..3 {
                    let f = ins.public_funds.get(i);
                    row.push(f.map(|f| f.payer.clone()).unwrap_or_default());
                    row.push(f.map(|f| f.recipient.clone()).unwrap_or_default());
                }
                row.extend([
                    r.basis_ja(),
                    r.claim_basis_ja.clone(),
                    r.entry.state.ja().to_string(),
                    r.status_ja(),
                    r.claim.tekiyo.clone(),
                ]);
                csv.row(&row)
            })?;
            csv.finish()
        })?;
        Ok(summary)
    }

    /// The clerk's list: every record with its status, the claim and why; open decisions
    /// first, row by row.
    pub fn reconcile_report_csv(&self, path: &Path) -> Result<ExportSummary> {
        self.require(Right::Reconcile)?;
        let mut summary = ExportSummary::new(path);
        self.write_output_with(path, "--csv", |out| {
            let mut csv = Csv::start(out, REPORT_HEADER)?;
            self.for_each_queue_row(ListOrder::OpenFirst, |r| {
                summary.count(&r);
                csv.row(&[
                    r.entry.state.ja().to_string(),
                    r.status_ja(),
                    r.visit_no.clone(),
                    r.visit_date.to_string(),
                    r.patient_id.to_string(),
                    r.patient.name.clone(),
                    r.patient.birth_date.to_string(),
                    r.claim_basis_ja.clone(),
                    r.claim.insurer_number.clone(),
                    r.claim.symbol.clone(),
                    r.claim.number.clone(),
                    r.claim.branch.clone(),
                    format!("{}割", r.declared.copay_percent / 10),
                    r.differences_ja(),
                    r.entry.reason.clone(),
                    r.entry
                        .decision
                        .map(|d| d.ja().to_string())
                        .unwrap_or_default(),
                    r.entry.decided_by.clone().unwrap_or_default(),
                    r.entry.note.clone(),
                    r.lookup.clone().unwrap_or_default(),
                    r.claim.tekiyo.clone(),
                ])
            })?;
            csv.finish()
        })?;
        Ok(summary)
    }
}

impl ExportSummary {
    fn new(path: &Path) -> ExportSummary {
        ExportSummary {
            path: path.display().to_string(),
            visits: 0,
            fushou: 0,
            unsettled: 0,
        }
    }

    fn count(&mut self, r: &super::QueueRow) {
        self.visits += 1;
        self.fushou += usize::from(r.claim.basis == ClaimBasis::Fushou);
        self.unsettled += usize::from(r.entry.state != QueueState::Settled);
    }
}

impl super::QueueRow {
    pub fn status_ja(&self) -> String {
        if self.voided {
            return QueueDecision::Voided.ja().to_string();
        }
        match self.entry.status {
            Some(s) => s.ja().to_string(),
            None => "未照合".to_string(),
        }
    }

    pub fn basis_ja(&self) -> String {
        self.basis.ja().to_string()
    }

    /// 「番号: 5678 → 9999」 for each difference.
    pub fn differences_ja(&self) -> String {
        self.entry
            .differences
            .iter()
            .map(|d| format!("{}: {} → {}", d.label, d.declared, d.verified))
            .collect::<Vec<_>>()
            .join(" / ")
    }
}

/// A CSV file being written: UTF-8 with a BOM (so spreadsheet software opens it as UTF-8),
/// CRLF line ends, every cell made safe to open in a spreadsheet.
pub(crate) struct Csv<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> Csv<W> {
    pub fn start(mut out: W, header: &[&str]) -> Result<Csv<W>> {
        out.write_all("\u{FEFF}".as_bytes())?;
        let mut csv = Csv {
            w: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
        };
        csv.row(header)?;
        Ok(csv)
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<()> {
        self.w
            .write_record(cells.iter().map(|c| neutralised(c.as_ref()).into_owned()))
            .map_err(|e| csv_failed(&e))
    }

    pub fn finish(mut self) -> Result<()> {
        self.w.flush().map_err(|e| csv_failed(&e))
    }
}

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first: a name or an
/// address typed by a patient could run as one on the clerk's PC) gets a leading `'`, which
/// spreadsheets show as text.
fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn csv_failed(e: &dyn std::fmt::Display) -> Error {
    Error::failed(
        format!("CSVを書き出せません: {e}"),
        format!("cannot write the CSV: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        let mut bytes = Vec::new();
        let mut csv = Csv::start(&mut bytes, &["a", "b"]).unwrap();
        csv.row(&["=HYPERLINK(\"x\")", "山田"]).unwrap();
        csv.row(&["-1", "@SUM(A1)"]).unwrap();
        csv.finish().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{FEFF}'));
        assert!(
            text.contains("\"'=HYPERLINK(\"\"x\"\")\",山田\r\n"),
            "{text}"
        );
        assert!(text.contains("'-1,'@SUM(A1)\r\n"), "{text}");
    }
}
