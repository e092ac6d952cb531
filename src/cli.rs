//! The command line of `../shared/reference/cli-contract.md`. Every command calls the library;
//! nothing here knows SQL or the rules. Exit codes: 0 ok, 2 bad input (nothing written), 1 other.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use onshi_fallback::config::Config;
use onshi_fallback::domain::ids::{PatientId, PrescriptionId, VisitId};
use onshi_fallback::domain::intake::IntakeInput;
use onshi_fallback::domain::wareki::{format_wareki, parse_date};
use onshi_fallback::domain::{Basis, Detection, Service};
use onshi_fallback::error::{Error, FieldError};
use onshi_fallback::service::{Clock, Records};
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "onshi-fallback",
    version,
    about = "オンライン資格確認 障害時の受付・処方・照合 (keeps the clinic working when オン資 is down)"
)]
struct Cli {
    /// Database file (default: the per-user data folder).
    #[arg(long, global = true, env = "ONSHI_FALLBACK_DB")]
    db: Option<PathBuf>,
    /// Settings file (default: onshi-fallback.toml in the per-user config folder).
    #[arg(long, global = true, env = "ONSHI_FALLBACK_CONFIG")]
    config: Option<PathBuf>,
    /// Who is at the desk, written into every record (default: the OS user name).
    #[arg(long, global = true, env = "ONSHI_FALLBACK_STAFF")]
    staff: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// 障害モード: start, end, status, log.
    #[command(subcommand)]
    Outage(OutageCmd),
    /// Records one self-declared visit (申立書), or a returning patient's "no change".
    Intake(IntakeArgs),
    /// Patients.
    #[command(subcommand)]
    Patients(PatientsCmd),
    /// Visits with their insurance and queue state.
    Visits {
        /// Only this day (YYYY-MM-DD or 和暦).
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        json: bool,
        /// Write the day's degraded-mode list (A4 PDF) for the paper file (needs --date).
        #[arg(long, requires = "date")]
        pdf: Option<PathBuf>,
    },
    /// Voids a record by mistake (it stays, marked, with the reason).
    #[command(subcommand)]
    Void(VoidCmd),
    /// The tamper-evident audit chain.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// A consistent copy of the live database.
    Backup {
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Lists the backups, newest first.
    Backups {
        #[arg(long)]
        json: bool,
    },
    /// Puts a backup in place of the database (the current file is set aside, not deleted).
    Restore {
        backup: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Visits with final insurance data for the receipt software.
    Export {
        #[arg(long)]
        csv: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Issues a paper prescription (A5, 様式第二号, JAHIS 2D symbol) for a visit.
    Prescribe {
        /// The prescription as JSON (`-` = standard input).
        #[arg(long = "json", value_name = "FILE")]
        json_file: String,
        /// Where to write the PDF (a copy of the archived one).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also send it to the configured printer.
        #[arg(long)]
        print: bool,
    },
    /// The 被保険者資格申立書 of a visit, pre-filled, to sign (A4 PDF).
    Declaration {
        visit_id: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Sends an issued prescription to the printer again (the same archived document).
    Reprint {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Re-verifies every due record against the configured qualification service.
    Reconcile(ReconcileArgs),
    /// A person's decision on a record waiting for one.
    Resolve {
        visit_id: String,
        /// verified | declared
        #[arg(long, conflicts_with_all = ["follow_up", "manual"])]
        accept: Option<String>,
        /// Not decided yet: say in --note what must be checked (call the patient, …).
        #[arg(long)]
        follow_up: bool,
        /// The result of a manual lookup (insurance JSON as in intake), `-` = stdin.
        #[arg(long, value_name = "FILE")]
        manual: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// Runs the configured health probes once and reports each.
    Probe {
        #[arg(long)]
        json: bool,
    },
    /// Runs the probes on an interval and switches mode automatically.
    Watch {
        /// Seconds between rounds (default: [probes] interval_s).
        #[arg(long)]
        interval: Option<u64>,
        /// Stop after this many rounds (default: run until stopped).
        #[arg(long)]
        rounds: Option<u64>,
    },
    /// 資格確認端末シミュレーター: answers DIR/req from a roster until stopped (tests, demos).
    SimulateTerminal {
        /// Folder holding req/ and res/ (and the control file simulator-mode).
        #[arg(long)]
        root: PathBuf,
        /// Roster of insured people (TOML).
        #[arg(long)]
        roster: PathBuf,
    },
}

#[derive(Subcommand)]
enum OutageCmd {
    /// Declares degraded mode now.
    Start {
        #[arg(long)]
        reason: String,
        /// qualification | eprescription (repeatable; default both).
        #[arg(long = "service")]
        services: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Records the line's return; queued records become due.
    End {
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        json: bool,
    },
    Status {
        #[arg(long)]
        json: bool,
    },
    Log {
        #[arg(long)]
        json: bool,
    },
    /// Adds a note to the open outage.
    Note {
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// The runbook steps, with those ticked in the open outage.
    Runbook {
        #[arg(long)]
        json: bool,
    },
    /// Ticks a runbook step (e.g. line_reauth) in the open outage.
    Tick {
        step: String,
        /// What happened (e.g. 「希望する」で復旧).
        #[arg(long, default_value = "")]
        result: String,
        #[arg(long)]
        json: bool,
    },
    /// The incident report (Markdown) of the latest outage, or of --id.
    Report {
        #[arg(long)]
        id: Option<i64>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Args)]
struct IntakeArgs {
    /// The visit as JSON (`-` = standard input).
    #[arg(long = "json", value_name = "FILE", conflicts_with = "returning")]
    json_file: Option<String>,
    /// A returning patient's id: reuse their last known insurance.
    #[arg(long, value_name = "PATIENT_ID")]
    returning: Option<String>,
    /// With --returning: returning_no_change | portal_screen | certificate.
    #[arg(long, default_value = "returning_no_change")]
    basis: String,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
struct ReconcileArgs {
    #[command(subcommand)]
    sub: Option<ReconcileCmd>,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum ReconcileCmd {
    /// The list for the billing clerk: open decisions first, then by status.
    Report {
        /// A4 PDF report.
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        csv: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PatientsCmd {
    /// By name, カナ (either width, hiragana or katakana), birth date, or insurer/number.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Patients who may be one person registered twice.
    Duplicates {
        #[arg(long)]
        json: bool,
    },
    /// Merges a patient registered twice into the other (both histories stay).
    Merge {
        from: String,
        #[arg(long)]
        into: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum VoidCmd {
    /// Voids (never deletes) a prescription.
    Prescription {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    Visit {
        id: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    Verify {
        #[arg(long)]
        json: bool,
    },
}

/// What a failed command reports: bad input (exit 2) or anything else (exit 1).
enum Failure {
    Input(Error),
    /// The database file is damaged: said with the way out (the latest backup).
    Corrupt(String),
    Other(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if e.is_bad_input() {
            Failure::Input(e)
        } else if e.is_corrupt() {
            Failure::Corrupt(e.to_string())
        } else {
            Failure::Other(e.to_string())
        }
    }
}

type CliResult = Result<(), Failure>;

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let Some(command) = cli.command else {
        return desktop(&cli.db, &cli.config, cli.staff.as_deref());
    };
    let (db, config) = (cli.db.clone(), cli.config.clone());
    match execute(&cli.db, &cli.config, cli.staff.as_deref(), command) {
        Ok(()) => 0,
        Err(Failure::Input(e)) => {
            eprintln!("入力エラー (bad input):\n{e}");
            2
        }
        Err(Failure::Corrupt(msg)) => {
            eprintln!("エラー (error): {msg}{}", backup_hint(&db, &config));
            1
        }
        Err(Failure::Other(msg)) => {
            eprintln!("エラー (error): {msg}");
            1
        }
    }
}

fn default_db_path() -> Result<PathBuf, Failure> {
    let dirs = directories::ProjectDirs::from("jp", "onshi-fallback", "onshi-fallback")
        .ok_or_else(|| Failure::Other("ホームフォルダが見つかりません。--db で指定してください (no home folder: use --db)".into()))?;
    Ok(dirs.data_dir().join("onshi-fallback.sqlite3"))
}

fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("jp", "onshi-fallback", "onshi-fallback")
        .map(|d| d.config_dir().join("onshi-fallback.toml"))
}

fn staff_name(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "不明".into())
}

fn db_path(db: &Option<PathBuf>) -> Result<PathBuf, Failure> {
    match db {
        Some(p) => Ok(p.clone()),
        None => default_db_path(),
    }
}

fn load_config(config: &Option<PathBuf>) -> Result<Config, Failure> {
    Ok(match config.clone().or_else(default_config_path) {
        Some(p) => Config::load(&p)?,
        None => Config::default(),
    })
}

/// The newest backup and the command that restores it, for a damaged database.
fn backup_hint(db: &Option<PathBuf>, config: &Option<PathBuf>) -> String {
    let (Ok(cfg), Ok(path)) = (load_config(config), db_path(db)) else {
        return String::new();
    };
    match onshi_fallback::service::latest_backup(&cfg, &path) {
        Some(latest) => format!(
            "\n最新のバックアップ (latest backup): {} ({})\n復元するには (to restore): onshi-fallback restore \"{}\"\n（壊れたファイルは消さずに別名で残します / the damaged file is kept aside）",
            latest.path, latest.modified, latest.path
        ),
        None => "\nバックアップが見つかりません。システム担当者に連絡してください (no backup found)".into(),
    }
}

fn open(
    db: &Option<PathBuf>,
    config: &Option<PathBuf>,
    staff: Option<&str>,
) -> Result<Records, Failure> {
    let config = load_config(config)?;
    let path = db_path(db)?;
    let (records, backup_failed) =
        Records::open(&path, config, staff_name(staff), Clock::from_env()?)?;
    // The daily backup: a failure here must not stop reception, only be reported.
    if let Some(e) = backup_failed {
        eprintln!("注意: 自動バックアップに失敗しました (daily backup failed): {e}");
    }
    Ok(records)
}

/// No subcommand, in a build without the desktop app: say so, and show the commands.
#[cfg(not(feature = "gui"))]
fn desktop(_db: &Option<PathBuf>, _config: &Option<PathBuf>, _staff: Option<&str>) -> i32 {
    use clap::CommandFactory;
    eprintln!("この版には画面がありません（gui 機能なしでビルド）。コマンドを使ってください (built without the desktop app)");
    let _ = Cli::command().print_help();
    2
}

/// No subcommand: the desktop app, on the same database and settings as the command line.
#[cfg(feature = "gui")]
fn desktop(db: &Option<PathBuf>, config: &Option<PathBuf>, staff: Option<&str>) -> i32 {
    let launch = (|| {
        Ok::<_, Failure>(onshi_fallback::gui::Launch {
            db_path: db_path(db)?,
            config_path: config.clone().or_else(default_config_path),
            staff: staff.map(str::to_string).filter(|s| !s.trim().is_empty()),
            clock: Clock::from_env()?,
        })
    })();
    let launch = match launch {
        Ok(l) => l,
        Err(Failure::Input(e)) => {
            eprintln!("入力エラー (bad input):\n{e}");
            return 2;
        }
        Err(Failure::Corrupt(msg)) | Err(Failure::Other(msg)) => {
            eprintln!("エラー (error): {msg}");
            return 1;
        }
    };
    // Opening the database, the daily backup and any failure are shown in the window.
    match onshi_fallback::gui::run(launch) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("画面を開けません (cannot open the window): {e}");
            1
        }
    }
}

fn print_json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable")
    );
}

fn execute(
    db: &Option<PathBuf>,
    config: &Option<PathBuf>,
    staff: Option<&str>,
    command: Command,
) -> CliResult {
    // Parse everything the user typed before opening the database, so bad input writes nothing.
    match command {
        Command::Outage(cmd) => outage(db, config, staff, cmd),
        Command::SimulateTerminal { root, roster } => simulate_terminal(&root, &roster),
        Command::Probe { json } => {
            let r = open(db, config, staff)?;
            let report = onshi_fallback::outage::probe::Probes::from_config(&r.config)?.run();
            if json {
                print_json(&report);
            } else {
                if report.checks.is_empty() {
                    println!("プローブが設定されていません（[qualification] root または [probes] tcp を設定してください）");
                }
                for c in &report.checks {
                    println!("{} {}", if c.ok { "正常" } else { "異常" }, c.detail_ja);
                }
            }
            Ok(())
        }
        Command::Watch { interval, rounds } => watch(db, config, staff, interval, rounds),
        Command::Intake(args) => intake(db, config, staff, args),
        Command::Patients(PatientsCmd::Search { text, limit, json }) => {
            let r = open(db, config, staff)?;
            let hits = r.search_patients(&text, limit)?;
            if json {
                print_json(&hits);
            } else if hits.is_empty() {
                println!("該当する患者はいません");
            } else {
                for h in hits {
                    let p = &h.patient.details;
                    println!(
                        "{}  {}（{}） {} {}  {}",
                        h.patient_id,
                        p.name,
                        p.kana,
                        format_wareki(p.birth_date),
                        p.sex.ja(),
                        h.insurance_summary
                    );
                }
            }
            Ok(())
        }
        Command::Patients(PatientsCmd::Duplicates { json }) => {
            let r = open(db, config, staff)?;
            let groups = r.possible_duplicates()?;
            if json {
                print_json(&groups);
            } else if groups.is_empty() {
                println!("重複の可能性がある患者はいません");
            } else {
                for g in groups {
                    let names: Vec<String> = g
                        .iter()
                        .map(|p| format!("P{} {}", p.id, p.details.name))
                        .collect();
                    println!("{}", names.join(" / "));
                }
            }
            Ok(())
        }
        Command::Patients(PatientsCmd::Merge { from, into, json }) => {
            let mut r = open(db, config, staff)?;
            r.merge_patients(
                PatientId::parse_field(&from, "PATIENT_ID", "患者ID")?,
                PatientId::parse_field(&into, "--into", "統合先の患者ID")?,
            )?;
            if json {
                print_json(&serde_json::json!({"merged": from, "into": into}));
            } else {
                println!("{from} を {into} に統合しました（両方の記録は残ります）");
            }
            Ok(())
        }
        Command::Reconcile(args) => reconcile(db, config, staff, args),
        Command::Resolve {
            visit_id,
            accept,
            follow_up,
            manual,
            note,
            json,
        } => {
            use onshi_fallback::service::Decision;
            let decision = match (accept.as_deref().map(str::trim), follow_up, manual) {
                (Some("verified"), false, None) => Decision::AcceptVerified,
                (Some("declared"), false, None) => Decision::AcceptDeclared,
                (None, true, None) => Decision::FollowUp,
                (None, false, Some(file)) => {
                    let text = read_input(&file)?;
                    let de = &mut serde_json::Deserializer::from_str(&text);
                    Decision::Manual(Box::new(serde_path_to_error::deserialize(de).map_err(|e| {
                        let path = e.path().to_string();
                        Failure::Input(Error::field(&path, "照会結果JSON", format!("{path} が正しくありません: {}", e.inner()), e.inner().to_string()))
                    })?))
                }
                _ => {
                    return Err(Failure::Input(Error::field(
                        "--accept",
                        "判断",
                        "--accept verified か --accept declared、--follow-up、--manual FILE のいずれか一つを指定してください",
                        "give one of --accept verified|declared, --follow-up, --manual FILE",
                    )))
                }
            };
            let mut r = open(db, config, staff)?;
            let entry = r.resolve(
                VisitId::parse_field(&visit_id, "VISIT_ID", "受診ID")?,
                decision,
                &note,
            )?;
            if json {
                print_json(&entry);
            } else {
                println!(
                    "{visit_id}: {}（{}）",
                    entry.state.ja(),
                    entry.decision.map(|d| d.as_str()).unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Visits {
            date,
            json,
            pdf: Some(pdf),
        } => {
            let day = parse_date(date.as_deref().unwrap_or_default()).map_err(|e| {
                Failure::Input(Error::field(
                    "--date",
                    "日付",
                    e.message_ja(),
                    e.message_en(),
                ))
            })?;
            let r = open(db, config, staff)?;
            let s = r.outage_day_pdf(day, &pdf)?;
            if json {
                print_json(&s);
            } else {
                println!(
                    "障害時受付一覧を書き出しました: {}（{} 件）",
                    s.path, s.visits
                );
            }
            Ok(())
        }
        Command::Visits {
            date,
            json,
            pdf: None,
        } => {
            let date = match date {
                Some(d) => Some(parse_date(&d).map_err(|e| {
                    Failure::Input(Error::field(
                        "--date",
                        "日付",
                        e.message_ja(),
                        e.message_en(),
                    ))
                })?),
                None => None,
            };
            let r = open(db, config, staff)?;
            let rows = r.visits(date)?;
            if json {
                print_json(&rows);
            } else {
                for v in rows {
                    let state = v.queue_state.map(|s| s.ja()).unwrap_or("");
                    let void = if v.visit.voided_at.is_some() {
                        "［取消］"
                    } else {
                        ""
                    };
                    println!(
                        "{}{}  {}  {}  {}  [{}]",
                        void,
                        v.visit.visit_no,
                        v.visit_id,
                        v.patient_name,
                        v.insurance_summary,
                        state
                    );
                }
            }
            Ok(())
        }
        Command::Prescribe {
            json_file,
            out,
            print,
        } => {
            let text = read_input(&json_file)?;
            let input = onshi_fallback::domain::prescription::parse_input(&text)?;
            let mut r = open(db, config, staff)?;
            let receipt = r.prescribe(&input, out.as_deref(), print)?;
            for w in &receipt.warnings {
                eprintln!("注意 (warning): {w}");
            }
            print_json(&receipt);
            Ok(())
        }
        Command::Declaration { visit_id, out } => {
            let r = open(db, config, staff)?;
            r.declaration_pdf(VisitId::parse_field(&visit_id, "VISIT_ID", "受診ID")?, &out)?;
            print_json(
                &serde_json::json!({"visit_id": visit_id, "pdf": out.display().to_string()}),
            );
            Ok(())
        }
        Command::Reprint { id, json } => {
            let mut r = open(db, config, staff)?;
            r.print_prescription(PrescriptionId::parse_field(
                &id,
                "PRESCRIPTION_ID",
                "処方箋ID",
            )?)?;
            if json {
                print_json(&serde_json::json!({"reprinted": id}));
            } else {
                println!("{id} を再印刷しました");
            }
            Ok(())
        }
        Command::Void(VoidCmd::Prescription { id, reason, json }) => {
            let mut r = open(db, config, staff)?;
            let p = r.void_prescription(
                PrescriptionId::parse_field(&id, "PRESCRIPTION_ID", "処方箋ID")?,
                &reason,
            )?;
            if json {
                print_json(&p);
            } else {
                println!("RX{} を取り消しました（記録と控えは残ります）", p.id);
            }
            Ok(())
        }
        Command::Void(VoidCmd::Visit { id, reason, json }) => {
            let mut r = open(db, config, staff)?;
            let visit_no =
                r.void_visit(VisitId::parse_field(&id, "VISIT_ID", "受診ID")?, &reason)?;
            if json {
                print_json(&serde_json::json!({"voided": id, "visit_no": visit_no}));
            } else {
                println!("{visit_no} を取り消しました（記録は残ります）");
            }
            Ok(())
        }
        Command::Audit(AuditCmd::Verify { json }) => {
            let r = open(db, config, staff)?;
            let report = r.audit_verify()?;
            if json {
                print_json(&report);
            }
            match &report.problem {
                None => {
                    if !json {
                        println!(
                            "監査ログは正常です: {} 件, 記録 {} 件を照合 (audit chain ok)",
                            report.entries, report.records_checked
                        );
                    }
                    Ok(())
                }
                Some(p) => Err(Failure::Other(format!(
                    "監査ログの異常 (audit chain broken): {} ({})",
                    p.message_ja, p.message_en
                ))),
            }
        }
        Command::Backup { path, json } => {
            let r = open(db, config, staff)?;
            r.backup(&path)?;
            if json {
                print_json(&serde_json::json!({"backup": path.display().to_string()}));
            } else {
                println!("バックアップを作成しました: {}", path.display());
            }
            Ok(())
        }
        Command::Backups { json } => {
            let cfg = load_config(config)?;
            let list = onshi_fallback::store::backup::list(&onshi_fallback::service::backup_dir(
                &cfg,
                &db_path(db)?,
            ));
            if json {
                print_json(&list);
            } else if list.is_empty() {
                println!("バックアップはまだありません");
            } else {
                for b in list {
                    println!("{}  {}  {} KB", b.modified, b.path, b.bytes / 1024);
                }
            }
            Ok(())
        }
        Command::Restore { backup, json } => {
            let path = db_path(db)?;
            let stamp = chrono::Local::now().format("%Y%m%d%H%M%S").to_string();
            let aside = onshi_fallback::store::backup::restore(&backup, &path, &stamp)?;
            if json {
                print_json(
                    &serde_json::json!({"restored": backup.display().to_string(), "database": path.display().to_string(), "previous_file": aside.as_ref().map(|p| p.display().to_string())}),
                );
            } else {
                println!("{} を復元しました: {}", backup.display(), path.display());
                if let Some(a) = aside {
                    println!("元のファイルは {} に残してあります", a.display());
                }
            }
            Ok(())
        }
        Command::Export { csv, json } => {
            let r = open(db, config, staff)?;
            let s = r.export_csv(&csv)?;
            if json {
                print_json(&s);
            } else {
                println!(
                    "{} 件を書き出しました: {}（不詳 {} 件, 照合未了 {} 件）",
                    s.visits, s.path, s.fushou, s.unsettled
                );
            }
            Ok(())
        }
    }
}

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

fn outage(
    db: &Option<PathBuf>,
    config: &Option<PathBuf>,
    staff: Option<&str>,
    cmd: OutageCmd,
) -> CliResult {
    match cmd {
        OutageCmd::Start {
            reason,
            services,
            json,
        } => {
            let services = parse_services(&services)?;
            let mut r = open(db, config, staff)?;
            let (o, started) = r.outage_start(&reason, &services, Detection::Staff)?;
            if json {
                print_json(&serde_json::json!({"started": started, "outage": o}));
            } else if started {
                println!("障害モードを開始しました（{}）: {}", o.started_at, o.reason);
            } else {
                println!("既に障害モードです（{} から）: {}", o.started_at, o.reason);
            }
        }
        OutageCmd::End { note, json } => {
            let mut r = open(db, config, staff)?;
            let (o, released) = r.outage_end(&note, Detection::Staff)?;
            if json {
                print_json(&serde_json::json!({"outage": o, "now_due": released}));
            } else {
                println!(
                    "回線の復旧を記録しました（{}）。照合待ち {} 件",
                    o.ended_at.unwrap_or_default(),
                    released
                );
            }
        }
        OutageCmd::Status { json } => {
            let r = open(db, config, staff)?;
            let s = r.status()?;
            if json {
                print_json(&s);
            } else {
                match &s.outage {
                    Some(o) => println!("障害モード（オンライン資格確認 停止中）: {} から / 理由: {} / 照合待ち {} 件", o.started_at, o.reason, s.queued),
                    None => println!("通常モード / 照合待ち {} 件", s.queued),
                }
            }
        }
        OutageCmd::Log { json } => {
            let r = open(db, config, staff)?;
            let log = r.outage_log()?;
            if json {
                print_json(&log);
            } else {
                for o in log {
                    println!(
                        "#{} {} 〜 {}（{} 分） 理由: {} / 受付 {} 名 / 手順 {} 件",
                        o.outage.id,
                        o.outage.started_at,
                        o.outage.ended_at.as_deref().unwrap_or("継続中"),
                        o.duration_minutes.unwrap_or(0),
                        o.outage.reason,
                        o.patients_seen,
                        o.steps.len()
                    );
                }
            }
        }
        OutageCmd::Runbook { json } => {
            let r = open(db, config, staff)?;
            let items = r.runbook()?;
            if json {
                print_json(&items);
            } else {
                for (n, i) in items.iter().enumerate() {
                    let mark = match &i.ticked {
                        Some(t) => format!("[済 {}]", t.at),
                        None => "[  ]".into(),
                    };
                    println!("{} {}. {} ({})", mark, n + 1, i.step.title, i.step.id);
                    if !i.step.url.is_empty() {
                        println!("      {}", i.step.url);
                    }
                    if !i.step.phone.is_empty() {
                        println!("      電話 {}", i.step.phone);
                    }
                }
            }
        }
        OutageCmd::Tick { step, result, json } => {
            let mut r = open(db, config, staff)?;
            let t = r.runbook_tick(&step, &result)?;
            if json {
                print_json(&t);
            } else {
                println!("記録しました: {}（{}）", t.title, t.at);
            }
        }
        OutageCmd::Report { id, out } => {
            let r = open(db, config, staff)?;
            let text = r.incident_report(id)?;
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
                    println!("障害報告書を書き出しました: {}", path.display());
                }
                None => print!("{text}"),
            }
        }
        OutageCmd::Note { text, json } => {
            let mut r = open(db, config, staff)?;
            r.outage_note(&text)?;
            if json {
                print_json(&serde_json::json!({"noted": text}));
            } else {
                println!("メモを記録しました");
            }
        }
    }
    Ok(())
}

fn read_input(file: &str) -> Result<String, Failure> {
    let mut text = String::new();
    let result = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(Path::new(file)).map(|t| text = t)
    };
    result.map_err(|e| {
        Failure::Input(Error::field(
            "--json",
            "入力ファイル",
            format!("{file} を読めません: {e}"),
            format!("cannot read {file}: {e}"),
        ))
    })?;
    Ok(text)
}

/// Parses intake JSON, naming the exact field (`insurance.copay_percent`) of any error.
fn parse_intake(text: &str) -> Result<IntakeInput, Failure> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." {
            "json".to_string()
        } else {
            path
        };
        Failure::Input(Error::Input(vec![FieldError::new(
            field.clone(),
            "入力JSON",
            format!("{field} が正しくありません: {inner}"),
            inner.to_string(),
        )]))
    })
}

fn intake(
    db: &Option<PathBuf>,
    config: &Option<PathBuf>,
    staff: Option<&str>,
    args: IntakeArgs,
) -> CliResult {
    let receipt = match (&args.json_file, &args.returning) {
        (Some(file), None) => {
            let input = parse_intake(&read_input(file)?)?;
            open(db, config, staff)?.intake(&input)?
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
            open(db, config, staff)?.intake_returning(
                PatientId::parse_field(patient, "PATIENT_ID", "患者ID")?,
                basis,
            )?
        }
        _ => {
            return Err(Failure::Input(Error::field(
                "--json",
                "入力",
                "--json FILE か --returning PATIENT_ID のどちらかを指定してください",
                "give --json FILE or --returning PATIENT_ID",
            )))
        }
    };
    for w in &receipt.warnings {
        eprintln!("注意 (warning): {w}");
    }
    print_json(&receipt);
    Ok(())
}

/// Runs the terminal simulator in the foreground until the process is stopped.
fn simulate_terminal(root: &Path, roster: &Path) -> CliResult {
    use onshi_fallback::qualification::simulator::{self, Roster};
    static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let roster = Roster::load(roster)?;
    eprintln!(
        "資格確認端末シミュレーター起動: {} ({}名). 動作は {} で切替 (up|down|error|truncated|slow|garbage). Ctrl+C で終了\n\
         terminal simulator running on {} ({} people); switch behaviour in {}; Ctrl+C to stop",
        root.display(),
        roster.people.len(),
        root.join(simulator::MODE_FILE).display(),
        root.display(),
        roster.people.len(),
        root.join(simulator::MODE_FILE).display(),
    );
    simulator::run(root, &roster, &STOP)?;
    Ok(())
}

/// Watches the probes and switches mode until stopped (or for `rounds` rounds).
fn watch(
    db: &Option<PathBuf>,
    config: &Option<PathBuf>,
    staff: Option<&str>,
    interval: Option<u64>,
    rounds: Option<u64>,
) -> CliResult {
    use onshi_fallback::outage::probe::Probes;
    use onshi_fallback::outage::watch::{Decision, Watch};
    use onshi_fallback::service::watch;
    let mut r = open(db, config, staff.or(Some("自動監視")))?;
    let probes = Probes::from_config(&r.config)?;
    if probes.is_empty() {
        return Err(Failure::Input(Error::field(
            "probes",
            "プローブ",
            "監視するものがありません。設定 [qualification] root または [probes] tcp を指定してください",
            "nothing to watch: set [qualification] root or [probes] tcp",
        )));
    }
    let p = &r.config.probes;
    let mut w = Watch::new(
        p.failures_to_degrade,
        p.passes_to_recover.unwrap_or(p.failures_to_degrade),
    );
    let interval = std::time::Duration::from_secs(interval.unwrap_or(p.interval_s));
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut done = 0u64;
    watch::run(
        &mut r,
        &probes,
        &mut w,
        interval,
        &stop,
        |report, decision| {
            let now = chrono::Local::now().format("%H:%M:%S");
            let verdict = if report.ok { "正常" } else { "異常" };
            match decision {
                Decision::Degrade { reason } => {
                    println!("{now} {verdict} → 障害モードに切り替えました: {reason}")
                }
                Decision::Recover => println!("{now} {verdict} → 回線の復旧を記録しました"),
                Decision::NoteRecovered => println!(
                    "{now} {verdict} → 応答が戻りました（職員が宣言した障害のため、終了は手動で）"
                ),
                Decision::Nothing => println!("{now} {verdict} {}", report.summary_ja()),
            }
            done += 1;
            if rounds.is_some_and(|n| done >= n) {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        },
    )?;
    Ok(())
}

fn reconcile(
    db: &Option<PathBuf>,
    config: &Option<PathBuf>,
    staff: Option<&str>,
    args: ReconcileArgs,
) -> CliResult {
    match args.sub {
        None => {
            let mut r = open(db, config, staff)?;
            let report = r.run_pass(|p| {
                eprintln!(
                    "照合中 {}/{} {} {} → {}",
                    p.done,
                    p.total,
                    p.visit_no,
                    p.patient_name,
                    p.status.ja()
                );
            })?;
            if args.json {
                print_json(&report);
            } else {
                println!("{} 件を照合しました", report.checked);
                for res in &report.results {
                    println!("{} {} {}", res.visit_no, res.status.ja(), res.reason);
                }
            }
            Ok(())
        }
        Some(ReconcileCmd::Report { out, csv, json }) => {
            let r = open(db, config, staff)?;
            if out.is_none() && csv.is_none() {
                return Err(Failure::Input(Error::field(
                    "--out",
                    "出力先",
                    "--out PATH.pdf か --csv PATH を指定してください",
                    "give --out PATH.pdf or --csv PATH",
                )));
            }
            let mut written = Vec::new();
            if let Some(path) = csv {
                let s = r.reconcile_report_csv(&path)?;
                written.push(serde_json::to_value(&s).expect("serialisable"));
            }
            if let Some(path) = out {
                let s = r.reconcile_report_pdf(&path)?;
                written.push(serde_json::to_value(&s).expect("serialisable"));
            }
            if json {
                print_json(&written);
            } else {
                for w in written {
                    println!(
                        "書き出しました: {} （{} 件, 未確定 {} 件）",
                        w["path"].as_str().unwrap_or(""),
                        w["visits"],
                        w["unsettled"]
                    );
                }
            }
            Ok(())
        }
    }
}
