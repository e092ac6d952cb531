//! The A4 papers: the 申立書 to sign, the day's degraded-mode list for the paper file, and the
//! billing clerk's reconciliation report. Each is a template under `templates/` filled here.

use crate::domain::access::Right;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::{ExportSummary, Records};
use crate::domain::ids::VisitId;
use crate::domain::wareki::{format_wareki, format_wareki_short};
use crate::domain::{InsuranceKind, Relationship, Sex};
use crate::error::{Error, Result};
use crate::print::sheet::{self, Names, Sheet, SheetData};
use crate::store::{outages, patients, visits};

const DECLARATION_NAMES: Names = Names {
    slots: &[
        "visit_no",
        "declared_on",
        "kana",
        "name",
        "birth_date",
        "address",
        "phone",
        "insurer_name",
        "insurer_number",
        "symbol_number",
        "employer",
        "public_funds",
        "clinic_name",
        "clinic_address",
        "clinic_phone",
        "note",
        "page",
    ],
    marks: &[
        "male",
        "female",
        "insured",
        "family",
        "kind_shaho",
        "kind_kokuho",
        "kind_kouki",
        "kind_unknown",
        "copay_10",
        "copay_20",
        "copay_30",
    ],
    columns: &[],
};

const OUTAGE_DAY_NAMES: Names = Names {
    slots: &[
        "clinic_name",
        "date",
        "outage",
        "printed_at",
        "count",
        "page",
    ],
    marks: &[],
    columns: &[
        "visit_no",
        "time",
        "name",
        "kana",
        "birth_date",
        "insurance",
        "basis",
        "state",
    ],
};

const REPORT_NAMES: Names = Names {
    slots: &["clinic_name", "printed_at", "summary", "page"],
    marks: &[],
    columns: &[
        "state",
        "status",
        "visit_no",
        "visit_date",
        "name",
        "birth_date",
        "claim_basis",
        "insurer_number",
        "symbol_number",
        "detail",
        "decision",
    ],
};

impl Records {
    fn printed_at(&self) -> String {
        let now = self.clock.now();
        format!(
            "印刷 {} {}",
            format_wareki(now.date_naive()),
            now.format("%H:%M")
        )
    }

    /// The 被保険者資格申立書 of a visit, pre-filled, for the patient to check and sign.
    pub fn declaration_pdf(&self, visit: VisitId, out: &Path) -> Result<()> {
        let pdf = self.declaration_document(visit)?;
        self.write_output(out, "--out", &pdf)
    }

    fn declaration_document(&self, visit: VisitId) -> Result<Vec<u8>> {
        self.require(Right::Forms)?;
        let visit_id = visit.0;
        let (v, p, d) = self.store.read(|tx| {
            let v = visits::require(tx, visit_id)?;
            let p = patients::require_patient(tx, v.patient_id)?;
            let d = patients::get_declaration(tx, v.declaration_id)?.ok_or_else(|| {
                Error::inconsistent(
                    format!("受診 V{visit_id} の保険情報がありません"),
                    format!("visit {visit_id} has no declaration"),
                )
            })?;
            Ok((v, p, d))
        })?;
        let c = &self.config.clinic;
        let i = &d.insurance;
        let template = Sheet::parse(sheet::DECLARATION, &DECLARATION_NAMES)?;
        // The patient's name and address always reach paper: a character the font lacks is
        // printed in its standard form (or 〓), said in the note.
        let mut name = p.details.name.clone();
        let mut address = p.details.address.clone();
        let fallback_note =
            sheet::printable_fields(&template, [("氏名", &mut name), ("住所", &mut address)])?
                .join(" ");
        let slot = |name_: &str| -> String {
            match name_ {
                "visit_no" => v.visit_no.clone(),
                "declared_on" => format_wareki(v.visit_date),
                "kana" => p.details.kana.clone(),
                "name" => name.clone(),
                "birth_date" => format!(
                    "{}（{}）",
                    format_wareki(p.details.birth_date),
                    p.details.birth_date
                ),
                "address" => address.clone(),
                "phone" => p.details.phone.clone(),
                "insurer_name" => i.insurer_name.clone(),
                "insurer_number" => i.insurer_number.clone().unwrap_or_default(),
                "symbol_number" => {
                    let mut parts = Vec::new();
                    if !i.symbol.is_empty() {
                        parts.push(format!("記号 {}", i.symbol));
                    }
                    if let Some(n) = &i.number {
                        parts.push(format!("番号 {n}"));
                    }
                    if !i.branch.is_empty() {
                        parts.push(format!("枝番 {}", i.branch));
                    }
                    parts.join("　")
                }
                "employer" => i.employer.clone(),
                "public_funds" => i
                    .public_funds
                    .iter()
                    .enumerate()
                    .map(|(n, f)| {
                        format!(
                            "第{}公費 負担者番号 {} 受給者番号 {}",
                            n + 1,
                            f.payer,
                            f.recipient
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                "clinic_name" => c.name.clone().unwrap_or_default(),
                "clinic_address" => c.address.clone().unwrap_or_default(),
                "clinic_phone" => c
                    .phone
                    .as_deref()
                    .map(|p| format!("電話 {p}"))
                    .unwrap_or_default(),
                "note" => {
                    let basis = v.basis.ja();
                    let note = if i.is_fushou() {
                        format!("（医療機関記入欄）申告の根拠: {basis}／保険者番号・被保険者番号不明のため「不詳」で受け付け。回線復旧後に氏名・性別・生年月日・住所で照会する。")
                    } else {
                        format!("（医療機関記入欄）申告の根拠: {basis}")
                    };
                    if fallback_note.is_empty() {
                        note
                    } else {
                        format!("{note}／{fallback_note}")
                    }
                }
                _ => String::new(),
            }
        };
        let mark = |when: &str| match when {
            "male" => p.details.sex == Sex::Male,
            "female" => p.details.sex == Sex::Female,
            "insured" => i.relationship == Some(Relationship::Insured),
            "family" => i.relationship == Some(Relationship::Family),
            "kind_shaho" => i.kind == InsuranceKind::Shaho,
            "kind_kokuho" => i.kind == InsuranceKind::Kokuho,
            "kind_kouki" => i.kind == InsuranceKind::Kouki,
            "kind_unknown" => i.kind == InsuranceKind::Unknown,
            // A 不詳 patient's 負担割合 is the age's default, not what they said: left for them
            // to circle (わからない included).
            "copay_10" => !i.is_fushou() && i.copay_percent == 10,
            "copay_20" => !i.is_fushou() && i.copay_percent == 20,
            "copay_30" => !i.is_fushou() && i.copay_percent == 30,
            _ => false,
        };
        let pdf = sheet::render(
            &template,
            &SheetData {
                title: "被保険者資格申立書",
                slot: &slot,
                mark: &mark,
                rows: &[],
                strict: true,
            },
        )?;
        Ok(pdf)
    }

    /// The day's degraded-mode visits (those recorded during an outage), for the paper file.
    pub fn outage_day_pdf(&self, date: NaiveDate, out: &Path) -> Result<ExportSummary> {
        let (pdf, visits) = self.outage_day_document(date)?;
        self.write_output(out, "--out", &pdf)?;
        Ok(ExportSummary {
            path: out.display().to_string(),
            visits,
            fushou: 0,
            unsettled: 0,
        })
    }

    /// The day's list and how many visits it holds.
    fn outage_day_document(&self, date: NaiveDate) -> Result<(Vec<u8>, usize)> {
        self.require(Right::Forms)?;
        let rows = self.visits(Some(date))?;
        // The audit chain's end as printed: paper in the file holds it, so a tail cut off the
        // records later is seen against it.
        let printed_at = match self.store.read(crate::store::audit::head)? {
            Some((seq, hash)) => format!(
                "{} ／ 監査ログ {seq} 番 {}",
                self.printed_at(),
                &hash[..hash.len().min(12)]
            ),
            None => self.printed_at(),
        };
        let outage_ids: Vec<i64> = rows.iter().filter_map(|r| r.visit.outage_id).collect();
        let outages_text = self.store.read(|tx| {
            let mut seen = Vec::new();
            for id in outage_ids {
                if seen.iter().any(|(i, _)| *i == id) {
                    continue;
                }
                if let Some(o) = outages::get(tx, id)? {
                    let t = |s: &str| {
                        chrono::DateTime::parse_from_rfc3339(s)
                            .map(|d| d.format("%H:%M").to_string())
                            .unwrap_or_default()
                    };
                    let end = o
                        .ended_at
                        .as_deref()
                        .map(t)
                        .unwrap_or_else(|| "継続中".into());
                    seen.push((
                        id,
                        format!(
                            "障害 #{id}: {}〜{} 理由: {}",
                            t(&o.started_at),
                            end,
                            o.reason
                        ),
                    ));
                }
            }
            Ok(seen
                .into_iter()
                .map(|(_, s)| s)
                .collect::<Vec<_>>()
                .join(" ／ "))
        })?;
        let table: Vec<HashMap<&'static str, String>> = self.store.read(|tx| {
            let mut out = Vec::new();
            for r in rows.iter().filter(|r| r.visit.outage_id.is_some()) {
                let birth = patients::require_patient(tx, r.visit.patient_id)?
                    .details
                    .birth_date;
                let time = chrono::DateTime::parse_from_rfc3339(&r.visit.created_at)
                    .map(|d| d.format("%H:%M").to_string())
                    .unwrap_or_default();
                let void = if r.visit.voided_at.is_some() {
                    "［取消］"
                } else {
                    ""
                };
                out.push(HashMap::from([
                    ("visit_no", format!("{void}{}", r.visit.visit_no)),
                    ("time", time),
                    ("name", r.patient_name.clone()),
                    ("kana", r.patient_kana.clone()),
                    ("birth_date", format_wareki_short(birth)),
                    ("insurance", with_public_funds(r)),
                    ("basis", r.visit.basis.ja().to_string()),
                    (
                        "state",
                        r.queue_state
                            .map(|s| s.ja().to_string())
                            .unwrap_or_default(),
                    ),
                ]));
            }
            Ok(out)
        })?;
        let count = format!("障害時の受付 {} 件", table.len());
        let slot = |name: &str| -> String {
            match name {
                "clinic_name" => self.config.clinic.name.clone().unwrap_or_default(),
                "date" => format!("受診日 {}", format_wareki(date)),
                "outage" => outages_text.clone(),
                "printed_at" => printed_at.clone(),
                "count" => count.clone(),
                _ => String::new(),
            }
        };
        let template = Sheet::parse(sheet::OUTAGE_DAY, &OUTAGE_DAY_NAMES)?;
        let pdf = sheet::render(
            &template,
            &SheetData {
                title: "障害時受付一覧",
                slot: &slot,
                mark: &|_| false,
                rows: &table,
                strict: false,
            },
        )?;
        Ok((pdf, table.len()))
    }

    /// The clerk's list as an A4 PDF: open decisions first, then by status.
    pub fn reconcile_report_pdf(&self, out: &Path) -> Result<ExportSummary> {
        let (pdf, summary) = self.reconcile_report_document(out)?;
        self.write_output(out, "--out", &pdf)?;
        Ok(summary)
    }

    /// The clerk's list, with its counts (`out` named in them).
    fn reconcile_report_document(&self, out: &Path) -> Result<(Vec<u8>, ExportSummary)> {
        self.require(Right::Reconcile)?;
        let list = self.reconcile_list()?;
        let mut summary = ExportSummary {
            path: out.display().to_string(),
            visits: list.len(),
            fushou: 0,
            unsettled: 0,
        };
        let rows: Vec<HashMap<&'static str, String>> = list
            .iter()
            .map(|r| {
                summary.fushou +=
                    usize::from(r.claim.basis == crate::domain::claim::ClaimBasis::Fushou);
                summary.unsettled +=
                    usize::from(r.entry.state != crate::domain::QueueState::Settled);
                let mut detail = r.differences_ja();
                for extra in [r.entry.reason.as_str(), r.lookup.as_deref().unwrap_or("")] {
                    if !extra.is_empty() && !detail.contains(extra) {
                        if !detail.is_empty() {
                            detail.push_str(" ／ ");
                        }
                        detail.push_str(extra);
                    }
                }
                let decision = [
                    r.entry.decided_by.clone().unwrap_or_default(),
                    r.entry.note.clone(),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
                HashMap::from([
                    ("state", r.entry.state.ja().to_string()),
                    ("status", r.status_ja()),
                    ("visit_no", r.visit_no.clone()),
                    ("visit_date", format_wareki_short(r.visit_date)),
                    ("name", r.patient.name.clone()),
                    ("birth_date", format_wareki_short(r.patient.birth_date)),
                    ("claim_basis", r.claim_basis_ja.clone()),
                    ("insurer_number", r.claim.insurer_number.clone()),
                    (
                        "symbol_number",
                        [r.claim.symbol.as_str(), r.claim.number.as_str()]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join("・"),
                    ),
                    ("detail", detail),
                    ("decision", decision),
                ])
            })
            .collect();
        let text = format!(
            "全 {} 件 ／ 判断待ち・未確定 {} 件 ／ 不詳 {} 件",
            summary.visits, summary.unsettled, summary.fushou
        );
        let slot = |name: &str| -> String {
            match name {
                "clinic_name" => self.config.clinic.name.clone().unwrap_or_default(),
                "printed_at" => self.printed_at(),
                "summary" => text.clone(),
                _ => String::new(),
            }
        };
        let template = Sheet::parse(sheet::RECONCILE_REPORT, &REPORT_NAMES)?;
        let pdf = sheet::render(
            &template,
            &SheetData {
                title: "照合結果一覧",
                slot: &slot,
                mark: &|_| false,
                rows: &rows,
                strict: false,
            },
        )?;
        Ok((pdf, summary))
    }

    /// Prints an A4 form from the window: written into the archive beside the prescriptions
    /// (`<archive>/<year>/forms/`, owner-only, synced, as every output) and sent to the printer
    /// at A4 and 100 %. Audited. Answers the archived file.
    pub fn print_form(&mut self, form: Form) -> Result<PathBuf> {
        let now = self.clock.now();
        let (pdf, name) = match form {
            Form::Declaration(visit) => (
                self.declaration_document(visit)?,
                format!("declaration-{visit}"),
            ),
            Form::DayList(date) => (
                self.outage_day_document(date)?.0,
                format!("day-list-{date}"),
            ),
            Form::ReconcileReport => (
                self.reconcile_report_document(Path::new("照合結果一覧"))?.0,
                "reconcile-report".to_string(),
            ),
        };
        let dir = self
            .archive_dir()?
            .join(now.format("%Y").to_string())
            .join("forms");
        crate::private_files::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}-{}.pdf", now.format("%Y%m%d-%H%M%S")));
        super::output::write_atomically(&path, "archive", |w| {
            std::io::Write::write_all(w, &pdf).map_err(Error::from)
        })?;
        super::prescribe::send_to_printer(&self.config.printer.command, &path, "A4")?;
        let stamp = self.stamp();
        let file = path.display().to_string();
        self.store.write(|tx| {
            crate::store::audit::append(
                tx,
                &stamp,
                "print_form",
                "form",
                &name,
                &serde_json::json!({"file": file}),
            )
        })?;
        Ok(path)
    }
}

/// An A4 form the window prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The 被保険者資格申立書 of a visit, pre-filled.
    Declaration(VisitId),
    /// The day's degraded-mode list.
    DayList(NaiveDate),
    /// The clerk's 照合 report.
    ReconcileReport,
}

/// The insurance of a row of the day's list with its 公費 (負担者番号-受給者番号), which the
/// billing clerk claims too.
fn with_public_funds(r: &super::search::VisitRow) -> String {
    // A 公費単独 summary names its 公費 already.
    let funds: Vec<String> = r
        .insurance
        .iter()
        .filter(|d| !d.insurance.is_public_only())
        .flat_map(|d| &d.insurance.public_funds)
        .map(|f| format!("公費 {}", f.numbers()))
        .collect();
    std::iter::once(r.insurance_summary.clone())
        .chain(funds)
        .collect::<Vec<_>>()
        .join(" ")
}
