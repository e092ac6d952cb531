//! Paper prescriptions: issue (render, archive, record), print, reprint, void.
//!
//! The PDF is archived before the record is committed, under a name made from its own hash,
//! so a record always points at a file that exists, and a reprint sends that very file.

use crate::domain::access::Right;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Records;
use crate::domain::ids::{PrescriptionId, VisitId};
use crate::domain::prescription::PrescriptionInput;
use crate::error::{Error, FieldError, Result};
use crate::print::template::Template;
use crate::print::{Renderer, RxDocument, SheetMarks};
use crate::store::prescriptions::{self, ArchivedPdf, NewPrescription, StoredPrescription};
use crate::store::{outages, patients, queue, visits};

/// What the doctor gets back.
#[derive(Debug, Clone, Serialize)]
pub struct PrescriptionReceipt {
    pub prescription_id: PrescriptionId,
    /// The copy written where asked (`--out`), or the archived file.
    pub pdf: String,
    pub archived: String,
    pub pages: usize,
    pub symbols: usize,
    pub printed: bool,
    pub warnings: Vec<FieldError>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Records {
    /// Where printed PDFs are kept: `[printer] archive_dir`, or `archive/` beside the database.
    pub fn archive_dir(&self) -> Result<PathBuf> {
        let configured = self.config.printer.archive_dir.trim();
        if !configured.is_empty() {
            return Ok(PathBuf::from(configured));
        }
        let db = self.store.path().ok_or_else(|| {
            Error::field(
                "printer.archive_dir",
                "印刷控えの保存先",
                "設定 [printer] archive_dir を指定してください",
                "set [printer] archive_dir",
            )
        })?;
        Ok(db
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("archive"))
    }

    pub(crate) fn renderer(&self) -> Result<Renderer> {
        let path = self.config.printer.prescription_template.trim();
        let template = Template::load((!path.is_empty()).then(|| Path::new(path)))?;
        let mut renderer = Renderer::new(template)?;
        renderer.signature = self.config.printer.signature;
        Ok(renderer)
    }

    /// Issues a paper prescription for a visit: checks it, renders it, archives the PDF,
    /// records it (with the outage it was issued in), writes a copy to `out`, and with `print`
    /// sends it to the printer.
    pub fn prescribe(
        &mut self,
        input: &PrescriptionInput,
        out: Option<&Path>,
        print: bool,
    ) -> Result<PrescriptionReceipt> {
        self.require(Right::Prescribe)?;
        // With a doctor signed in the name may be left out: theirs is the one printed.
        let with_doctor;
        let input = match self.signed_in_doctor() {
            Some(doctor) if input.doctor.trim().is_empty() => {
                with_doctor = PrescriptionInput {
                    doctor: doctor.to_string(),
                    ..input.clone()
                };
                &with_doctor
            }
            _ => input,
        };
        let mut rx = input.validate().map_err(Error::Input)?;
        let doctors = &self.config.clinic.doctors;
        if let Some(signed_in) = self.signed_in_doctor() {
            // A prescription records and prints the doctor who is signed in, never a name typed.
            if !rx.doctor.trim().is_empty() && rx.doctor.trim() != signed_in {
                return Err(Error::field(
                    "doctor",
                    "保険医氏名",
                    format!("サインイン中の医師（{signed_in}）と違います。処方箋はサインインした医師の名前で発行されます"),
                    "differs from the signed-in doctor, whose name a prescription carries",
                ));
            }
            rx.doctor = signed_in.to_string();
        } else if !doctors.is_empty() && !doctors.iter().any(|d| d == rx.doctor.trim()) {
            return Err(Error::field(
                "doctor",
                "保険医氏名",
                format!(
                    "{} は設定 [clinic] doctors にありません（{}）",
                    rx.doctor,
                    doctors.join("、")
                ),
                "not one of [clinic] doctors",
            ));
        }
        let visit_id = VisitId::parse_field(&input.visit_id, "visit_id", "受診ID")?.0;
        let (visit, patient) = self.store.read(|tx| {
            let v = visits::require(tx, visit_id)?;
            if v.voided_at.is_some() {
                return Err(Error::refused(
                    format!("{} は取り消された受付です", v.visit_no),
                    "the visit was voided",
                ));
            }
            let p = patients::require_patient(tx, v.patient_id)?;
            Ok((v, p))
        })?;
        crate::domain::prescription::check_issued_on(
            rx.issued_on,
            visit.visit_date,
            self.today(),
            patient.details.birth_date,
            input.issued_on_reason.as_deref(),
        )
        .map_err(|e| Error::Input(vec![e]))?;
        // The insurance the visit will be claimed with: a decision made since, or as declared.
        let insurance = self.prescription_insurance(VisitId(visit.id))?;
        let doc = RxDocument {
            clinic: self.config.clinic.clone(),
            patient: patient.details.clone(),
            insurance: insurance.insurance.clone(),
            prescription: rx.clone(),
            sheet: Default::default(),
        };
        let renderer = self.renderer()?;
        // Checked before the write lock, so bad input is said before anything is issued; the
        // sheets themselves are drawn under the lock, with the id they carry.
        let prepared = renderer.prepare(&doc)?;
        let gaiji = prepared.gaiji.clone();
        let warnings: Vec<FieldError> = if gaiji.is_empty() {
            Vec::new()
        } else {
            let list: String = gaiji.iter().collect();
            vec![FieldError::new(
                "patient.name",
                "２次元シンボル",
                format!("「{list}」はJIS第1・第2水準にないため、２次元シンボルでは■になります（紙面には印字されます）"),
                "characters outside JIS X 0208 are ■ in the 2D symbol",
            )]
        };

        let dir = self
            .archive_dir()?
            .join(rx.issued_on.format("%Y").to_string());
        crate::private_files::create_dir_all(&dir).map_err(|e| {
            Error::failed(
                format!("控えの保存先を作れません {}: {e}", dir.display()),
                format!("cannot create the archive folder {}: {e}", dir.display()),
            )
        })?;
        if let Some(path) = out {
            // A wrong --out is bad input, said before anything is issued.
            self.check_output(path, "--out")?;
        }

        let stamp = self.stamp();
        let issued_on = rx.issued_on.to_string();
        let mut archived = PathBuf::new();
        let mut reissue_copy = PathBuf::new();
        let mut rendered = None;
        let issued = self.store.write(|tx| {
            // The archived copies are their own files, named by the prescription's id (drawn
            // under the write lock) and hash, created new and synced before the record commits:
            // a record always points at files that exist, and no file is ever rewritten. The
            // reissue copy (「再発行」 with the original's date) is drawn now, from the same data,
            // so that a reprint is this prescription and says so.
            // Both copies are drawn from the one check and encoding made above.
            let id = prescriptions::next_id(tx)?;
            let mut marks = SheetMarks {
                id: Some(PrescriptionId(id).to_string()),
                ..SheetMarks::default()
            };
            let original = renderer.render_prepared(&prepared, &marks)?;
            marks.reissue_of = Some(rx.issued_on);
            let reissue = renderer.render_prepared(&prepared, &marks)?;
            let hash = sha256_hex(&original.pdf);
            let reissue_hash = sha256_hex(&reissue.pdf);
            let name = |hash: &str, tail: &str| {
                dir.join(format!(
                    "rx-{}-RX{id}-{}{tail}.pdf",
                    rx.issued_on.format("%Y%m%d"),
                    &hash[..16]
                ))
            };
            archived = name(&hash, "");
            reissue_copy = name(&reissue_hash, "-reissue");
            archive_pdf(&archived, &original.pdf)?;
            archive_pdf(&reissue_copy, &reissue.pdf)?;
            let outage_id = outages::current(tx)?.map(|o| o.id);
            let id = prescriptions::insert(
                tx,
                id,
                &NewPrescription {
                    visit_id: visit.id,
                    outage_id,
                    issued_on: &issued_on,
                    doctor: rx.doctor.trim(),
                    content: input,
                    pdf_path: &archived.display().to_string(),
                    pdf_sha256: &hash,
                    pages: original.pages,
                    symbols: original.symbols.len(),
                    reissue: Some(ArchivedPdf {
                        path: reissue_copy.display().to_string(),
                        sha256: reissue_hash,
                    }),
                },
                &stamp,
            )?;
            rendered = Some(original);
            Ok(id)
        });
        let id = match issued {
            Ok(id) => id,
            Err(e) => {
                for file in [&archived, &reissue_copy] {
                    if file.is_file() {
                        let _ = std::fs::remove_file(file);
                    }
                }
                return Err(e);
            }
        };
        let rendered = rendered.expect("set when the record was written");
        // Issued and recorded: from here on a failure is never "bad input" (which would say
        // nothing was written). It names the prescription, its archived copy and the reprint.
        let after_issue = |e: Error| {
            Error::failed(
                format!(
                    "{} は発行・記録済みです（控え: {}）。ただし次の処理に失敗しました: {} — `onshi-fallback reprint {}` で印刷できます",
                    PrescriptionId(id),
                    archived.display(),
                    e.ja(),
                    PrescriptionId(id)
                ),
                format!(
                    "{} was issued and recorded (archived copy: {}), but then: {} — print it with `onshi-fallback reprint {}`",
                    PrescriptionId(id),
                    archived.display(),
                    e.en(),
                    PrescriptionId(id)
                ),
            )
        };
        let pdf = match out {
            Some(path) => {
                self.write_output(path, "--out", &rendered.pdf)
                    .map_err(after_issue)?;
                path.display().to_string()
            }
            None => archived.display().to_string(),
        };
        let mut receipt = PrescriptionReceipt {
            prescription_id: PrescriptionId(id),
            pdf,
            archived: archived.display().to_string(),
            pages: rendered.pages,
            symbols: rendered.symbols.len(),
            printed: false,
            warnings,
        };
        if print {
            self.print_prescription(receipt.prescription_id)
                .map_err(after_issue)?;
            receipt.printed = true;
        }
        Ok(receipt)
    }

    pub fn prescription(&self, id: PrescriptionId) -> Result<StoredPrescription> {
        self.require(Right::ViewRecords)?;
        self.store.read(|tx| prescriptions::require(tx, id.0))
    }

    /// Sends the archived PDF to the printer, checked against its recorded hash first: the
    /// original the first time, and from then on the reissue copy drawn at issue (「再発行」 with
    /// the original's date), so that two originals never circulate. A prescription issued
    /// before reissue copies existed prints its original again. Every print is audited.
    pub fn print_prescription(&mut self, id: PrescriptionId) -> Result<()> {
        self.require(Right::Prescribe)?;
        let p = self.prescription(id)?;
        if p.voided_at.is_some() {
            return Err(Error::refused(
                format!(
                    "{} は取り消されています。印刷できません",
                    PrescriptionId(p.id)
                ),
                "voided: not printed",
            ));
        }
        let (printed, reissue) = self.store.read(|tx| {
            Ok((
                prescriptions::print_count(tx, p.id)?,
                prescriptions::reissue_copy(tx, p.id)?,
            ))
        })?;
        let file = match reissue {
            Some(copy) if printed > 0 => copy,
            _ => ArchivedPdf {
                path: p.pdf_path.clone(),
                sha256: p.pdf_sha256.clone(),
            },
        };
        let bytes = std::fs::read(&file.path).map_err(|e| {
            Error::failed(
                format!("控えのPDFを読めません {}: {e}", file.path),
                format!("cannot read the archived PDF {}: {e}", file.path),
            )
        })?;
        if sha256_hex(&bytes) != file.sha256 {
            return Err(Error::failed(
                format!(
                    "控えのPDFが発行時と違います（改ざんまたは破損）: {}",
                    file.path
                ),
                format!(
                    "the archived PDF differs from the one issued: {}",
                    file.path
                ),
            ));
        }
        send_to_printer(&self.config.printer.command, Path::new(&file.path), "A5")?;
        let stamp = self.stamp();
        let printer = self.config.printer.command.clone();
        self.store
            .write(|tx| prescriptions::record_print(tx, p.id, &printer, &stamp))
    }

    pub fn void_prescription(
        &mut self,
        id: PrescriptionId,
        reason: &str,
    ) -> Result<StoredPrescription> {
        self.require(Right::Prescribe)?;
        if reason.trim().is_empty() {
            return Err(Error::field(
                "--reason",
                "理由",
                "取り消しの理由を入力してください",
                "a reason is required",
            ));
        }
        let p = self.prescription(id)?;
        let stamp = self.stamp();
        self.store.write(|tx| {
            prescriptions::void(tx, p.id, reason.trim(), &stamp)?;
            prescriptions::require(tx, p.id)
        })
    }

    /// The insurance a visit's prescription is printed with: the clerk's reconciliation
    /// decision when one was made (verified or looked up by hand), else the declaration the
    /// visit was received with. The same one [`prescribe`](Self::prescribe) prints.
    pub fn prescription_insurance(&self, visit: VisitId) -> Result<patients::Declaration> {
        self.require(Right::ViewRecords)?;
        let id = visit.0;
        self.store.read(|tx| {
            let v = visits::require(tx, id)?;
            let decided = queue::get(tx, v.id)?.and_then(|q| q.claim_declaration_id);
            patients::claim_declaration(tx, v.declaration_id, decided)
        })
    }

    /// The prescriptions of a visit, for the doctor's screen.
    pub fn prescriptions_for(&self, visit: VisitId) -> Result<Vec<StoredPrescription>> {
        self.require(Right::ViewRecords)?;
        let id = visit.0;
        self.store.read(|tx| prescriptions::for_visit(tx, id))
    }
}

/// Writes an archived prescription: a new file (never over an existing one), synced.
fn archive_pdf(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let written = crate::private_files::create_new(path).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    written.map_err(|e| {
        Error::failed(
            format!("処方箋の控えを保存できません {}: {e}", path.display()),
            format!("cannot archive the prescription {}: {e}", path.display()),
        )
    })
}

/// The command line that prints `pdf`: `[printer] command` with the path appended (CUPS `lp` on
/// Linux and macOS). CUPS `lp` is told the page size and 100 % scale (`-o media=A5 -o
/// scaling=100`, unless the command already names a media), so that no driver shrinks the
/// sheet to fit and the symbols keep their cell pitch.
///
/// On Windows the default `lp` means: SumatraPDF when it is installed, told the same
/// (`-print-settings "noscale,paper=A5"`), else the system's print verb, which takes no options
/// (the viewer's own "actual size" setting then decides).
pub fn print_command(command: &str, pdf: &Path, media: &str) -> Vec<String> {
    let sumatra = if cfg!(windows) { sumatra_pdf() } else { None };
    command_line(cfg!(windows), sumatra.as_deref(), command, pdf, media)
}

fn command_line(
    windows: bool,
    sumatra: Option<&Path>,
    command: &str,
    pdf: &Path,
    media: &str,
) -> Vec<String> {
    let mut parts: Vec<String> = command.split_whitespace().map(String::from).collect();
    if windows && (parts.is_empty() || parts == ["lp"]) {
        return match sumatra {
            Some(exe) => vec![
                exe.display().to_string(),
                "-print-to-default".into(),
                "-print-settings".into(),
                format!("noscale,paper={media}"),
                "-silent".into(),
                pdf.display().to_string(),
            ],
            None => vec![
                "powershell".into(),
                "-NoProfile".into(),
                "-Command".into(),
                format!("Start-Process -FilePath '{}' -Verb Print", pdf.display()),
            ],
        };
    }
    if parts.is_empty() {
        parts.push("lp".into());
    }
    let is_lp = Path::new(&parts[0]).file_name().is_some_and(|n| n == "lp");
    if is_lp && !parts.iter().any(|p| p.starts_with("media=")) {
        parts.extend(["-o".into(), format!("media={media}")]);
        parts.extend(["-o".into(), "scaling=100".into()]);
    }
    parts.push(pdf.display().to_string());
    parts
}

/// SumatraPDF where its installers put it (per user, then for all users).
fn sumatra_pdf() -> Option<PathBuf> {
    ["LOCALAPPDATA", "ProgramFiles", "ProgramFiles(x86)"]
        .iter()
        .filter_map(std::env::var_os)
        .map(|dir| Path::new(&dir).join("SumatraPDF").join("SumatraPDF.exe"))
        .find(|exe| exe.is_file())
}

/// Sends a PDF to the printer (see [`print_command`]) and waits for the command, not the job.
pub fn send_to_printer(command: &str, pdf: &Path, media: &str) -> Result<()> {
    let parts = print_command(command.trim(), pdf, media);
    let mut cmd = std::process::Command::new(&parts[0]);
    cmd.args(&parts[1..]);
    super::no_console_window(&mut cmd);
    let output = cmd.output().map_err(|e| {
        Error::failed(
            format!(
                "プリンターのコマンド {} を実行できません: {e}（設定 [printer] command を確認してください）",
                parts[0]
            ),
            format!("cannot run the printer command {}: {e} (check [printer] command)", parts[0]),
        )
    })?;
    if !output.status.success() {
        let detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
        return Err(Error::failed(
            format!(
                "印刷に失敗しました（{}）: {detail} — 控えは保存済みです。再印刷できます",
                parts[0]
            ),
            format!(
                "printing failed ({}): {detail} — the archived copy is kept; reprint it",
                parts[0]
            ),
        ));
    }
    Ok(())
}

/// A drug line the clinic prescribed recently, with the way its RP was taken: offered on the
/// doctor's screen as the drug name is typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentDrug {
    pub name: String,
    pub amount: String,
    pub unit: String,
    pub form: crate::domain::prescription::DoseForm,
    pub usage: String,
    pub days: Option<i64>,
}

impl Records {
    /// Drugs of the latest prescriptions (voided ones left out), newest first, one line per
    /// drug name, at most `limit`.
    pub fn recent_drugs(&self, limit: usize) -> Result<Vec<RecentDrug>> {
        self.require(Right::Prescribe)?;
        let contents = self
            .store
            .read(|tx| prescriptions::recent_contents(tx, 200))?;
        let mut out: Vec<RecentDrug> = Vec::new();
        for input in contents {
            for rp in &input.rps {
                for d in &rp.drugs {
                    let name = d.name.trim();
                    if name.is_empty() || out.iter().any(|r| r.name == name) {
                        continue;
                    }
                    out.push(RecentDrug {
                        name: name.to_string(),
                        amount: d.amount.trim().to_string(),
                        unit: d.unit.trim().to_string(),
                        form: rp.form,
                        usage: rp.usage.trim().to_string(),
                        days: rp.days,
                    });
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn lp_is_told_the_page_size_and_full_scale() {
        let pdf = Path::new("/a/rx.pdf");
        assert_eq!(
            print_command("lp", pdf, "A5"),
            ["lp", "-o", "media=A5", "-o", "scaling=100", "/a/rx.pdf"]
        );
        assert_eq!(
            print_command("/usr/bin/lp -d clinic", pdf, "A5"),
            [
                "/usr/bin/lp",
                "-d",
                "clinic",
                "-o",
                "media=A5",
                "-o",
                "scaling=100",
                "/a/rx.pdf"
            ]
        );
        // A clinic that names its own media keeps it; other commands get the path only.
        assert_eq!(
            print_command("lp -o media=A5.Tray2", pdf, "A5"),
            ["lp", "-o", "media=A5.Tray2", "/a/rx.pdf"]
        );
        assert_eq!(
            print_command("my-print.sh", pdf, "A5"),
            ["my-print.sh", "/a/rx.pdf"]
        );
        assert_eq!(print_command("", pdf, "A5")[..3], ["lp", "-o", "media=A5"]);
    }

    #[test]
    fn windows_prints_at_actual_size_with_sumatra_else_the_print_verb() {
        let pdf = Path::new("C:/rx/rx.pdf");
        let exe = Path::new("C:/Program Files/SumatraPDF/SumatraPDF.exe");
        let with = command_line(true, Some(exe), "lp", pdf, "A5");
        assert_eq!(with[0], exe.display().to_string());
        assert!(with.contains(&"noscale,paper=A5".to_string()));
        assert_eq!(with.last().unwrap(), "C:/rx/rx.pdf");
        let without = command_line(true, None, "lp", pdf, "A5");
        assert_eq!(without[0], "powershell");
        // A command the clinic set is used as it is.
        assert_eq!(
            command_line(true, Some(exe), "print.exe /d:A5", pdf, "A5"),
            ["print.exe", "/d:A5", "C:/rx/rx.pdf"]
        );
    }
}
