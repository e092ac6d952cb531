//! `export --csv`: visits with the insurance to claim with, for the receipt software.

use std::path::Path;

use serde::Serialize;

use super::Records;
use crate::domain::claim::claim_numbers;
use crate::error::{Error, Result};
use crate::store::{patients, queue, visits};

#[derive(Debug, Clone, Serialize)]
pub struct ExportSummary {
    pub path: String,
    pub visits: usize,
    pub fushou: usize,
    pub unsettled: usize,
}

const HEADER: &[&str] = &[
    "受付番号", "受診日", "患者ID", "氏名", "カナ", "生年月日", "性別", "保険種別", "保険者番号", "記号", "番号", "枝番",
    "本人家族", "負担割合", "第1公費負担者番号", "第1公費受給者番号", "第2公費負担者番号", "第2公費受給者番号",
    "第3公費負担者番号", "第3公費受給者番号", "申告根拠", "請求根拠", "照合状態", "照合結果", "摘要",
];

impl Records {
    /// Writes every visit that was not voided, with the numbers to claim with, as UTF-8 CSV
    /// (with a BOM, so spreadsheet software opens it as UTF-8). Written to a temporary file
    /// and renamed, so a reader never sees half a file.
    pub fn export_csv(&self, path: &Path) -> Result<ExportSummary> {
        let mut summary = ExportSummary { path: path.display().to_string(), visits: 0, fushou: 0, unsettled: 0 };
        let rows = self.store.read(|conn| {
            let mut rows: Vec<Vec<String>> = Vec::new();
            for v in visits::list(conn, None)? {
                if v.voided_at.is_some() {
                    continue;
                }
                let p = patients::require_patient(conn, v.patient_id)?;
                let q = queue::get(conn, v.id)?;
                let claim_decl_id: Option<i64> = conn.query_row(
                    "SELECT claim_declaration_id FROM reconcile_queue WHERE visit_id = ?1",
                    [v.id],
                    |r| r.get(0),
                ).unwrap_or(None);
                let d = patients::get_declaration(conn, claim_decl_id.unwrap_or(v.declaration_id))?
                    .ok_or_else(|| Error::Other(format!("visit {} has no declaration", v.id)))?;
                let claim = claim_numbers(&d.insurance, d.source, &p.details, v.visit_date);
                summary.visits += 1;
                if claim.basis == crate::domain::claim::ClaimBasis::Fushou {
                    summary.fushou += 1;
                }
                if q.as_ref().is_some_and(|q| q.state != crate::domain::QueueState::Settled) {
                    summary.unsettled += 1;
                }
                let mut funds: Vec<String> = Vec::new();
                for i in 0..3 {
                    let f = d.insurance.public_funds.get(i);
                    funds.push(f.map(|f| f.payer.clone()).unwrap_or_default());
                    funds.push(f.map(|f| f.recipient.clone()).unwrap_or_default());
                }
                let mut row = vec![
                    v.visit_no.clone(),
                    v.visit_date.to_string(),
                    super::patient_ref(p.id),
                    p.details.name.clone(),
                    p.details.kana.clone(),
                    p.details.birth_date.to_string(),
                    p.details.sex.ja().to_string(),
                    d.insurance.kind.ja().to_string(),
                    claim.insurer_number,
                    claim.symbol,
                    claim.number,
                    claim.branch,
                    d.insurance.relationship.map(|r| r.ja()).unwrap_or("").to_string(),
                    format!("{}割", d.insurance.copay_percent / 10),
                ];
                row.extend(funds);
                row.extend([
                    crate::domain::Basis::parse(&v.basis).map(|b| b.ja()).unwrap_or(&v.basis).to_string(),
                    claim.basis.ja().to_string(),
                    q.as_ref().map(|q| q.state.ja()).unwrap_or("").to_string(),
                    q.and_then(|q| q.status).unwrap_or_default(),
                    claim.tekiyo,
                ]);
                rows.push(row);
            }
            Ok(rows)
        })?;
        write_csv_atomically(path, HEADER, &rows)?;
        Ok(summary)
    }
}

/// Writes CSV to `path.tmp`, syncs it, then renames it over `path`.
pub(crate) fn write_csv_atomically(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let tmp = path.with_extension("csv.tmp");
    {
        let file = std::fs::File::create(&tmp).map_err(|e| {
            Error::field("PATH", "出力先", format!("{} に書き込めません: {e}", path.display()), format!("cannot write {}: {e}", path.display()))
        })?;
        let mut buf = std::io::BufWriter::new(file);
        std::io::Write::write_all(&mut buf, "\u{FEFF}".as_bytes())?;
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(buf);
        let io = |e: csv::Error| Error::Other(format!("CSV: {e}"));
        w.write_record(header).map_err(io)?;
        for r in rows {
            w.write_record(r).map_err(io)?;
        }
        let buf = w.into_inner().map_err(|e| Error::Other(format!("CSV: {e}")))?;
        let file = buf.into_inner().map_err(|e| Error::Other(format!("CSV: {e}")))?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}
