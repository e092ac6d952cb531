//! The command line of `../shared/reference/cli-contract.md`. Every command calls the library;
//! nothing here knows SQL or the rules. Exit codes: 0 ok, 2 bad input (nothing written), 1 other.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use onshi_fallback::config::Config;
use onshi_fallback::domain::intake::IntakeInput;
use onshi_fallback::domain::wareki::{format_wareki, parse_date};
use onshi_fallback::domain::{Basis, Detection, Service};
use onshi_fallback::error::{Error, FieldError};
use onshi_fallback::service::{Clock, Records};
use onshi_fallback::store::Store;
use serde::Serialize;

#[derive(Parser)]
#[command(name = "onshi-fallback", version, about = "オンライン資格確認 障害時の受付・処方・照合 (keeps the clinic working when オン資 is down)")]
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
    /// Visits with final insurance data for the receipt software.
    Export {
        #[arg(long)]
        csv: PathBuf,
        #[arg(long)]
        json: bool,
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
}

#[derive(Subcommand)]
enum VoidCmd {
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
    Other(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if e.is_bad_input() { Failure::Input(e) } else { Failure::Other(e.to_string()) }
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
    match execute(&cli.db, &cli.config, cli.staff.as_deref(), command) {
        Ok(()) => 0,
        Err(Failure::Input(e)) => {
            eprintln!("入力エラー (bad input):\n{e}");
            2
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
    directories::ProjectDirs::from("jp", "onshi-fallback", "onshi-fallback").map(|d| d.config_dir().join("onshi-fallback.toml"))
}

fn staff_name(given: Option<&str>) -> String {
    given
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "不明".into())
}

fn open(db: &Option<PathBuf>, config: &Option<PathBuf>, staff: Option<&str>) -> Result<Records, Failure> {
    let config = match config.clone().or_else(default_config_path) {
        Some(p) => Config::load(&p)?,
        None => Config::default(),
    };
    let path = match db {
        Some(p) => p.clone(),
        None => default_db_path()?,
    };
    let store = Store::open(&path)?;
    Ok(Records::new(store, config, staff_name(staff), Clock::from_env()?))
}

/// No subcommand: the desktop app, on the same database and settings as the command line.
fn desktop(db: &Option<PathBuf>, config: &Option<PathBuf>, staff: Option<&str>) -> i32 {
    let launch = (|| {
        let db_path = match db {
            Some(p) => p.clone(),
            None => default_db_path()?,
        };
        Ok::<_, Failure>(onshi_fallback::gui::Launch {
            db_path,
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
        Err(Failure::Other(msg)) => {
            eprintln!("エラー (error): {msg}");
            return 1;
        }
    };
    match onshi_fallback::gui::run(launch) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("画面を開けません (cannot open the window): {e}");
            1
        }
    }
}

fn print_json<T: Serialize>(value: &T) {
    println!("{}", serde_json::to_string_pretty(value).expect("serialisable"));
}

fn execute(db: &Option<PathBuf>, config: &Option<PathBuf>, staff: Option<&str>, command: Command) -> CliResult {
    // Parse everything the user typed before opening the database, so bad input writes nothing.
    match command {
        Command::Outage(cmd) => outage(db, config, staff, cmd),
        Command::SimulateTerminal { root, roster } => simulate_terminal(&root, &roster),
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
                    println!("{}  {}（{}） {} {}  {}", h.patient_id, p.name, p.kana, format_wareki(p.birth_date), p.sex.ja(), h.insurance_summary);
                }
            }
            Ok(())
        }
        Command::Visits { date, json } => {
            let date = match date {
                Some(d) => Some(parse_date(&d).map_err(|e| Failure::Input(Error::field("--date", "日付", e.message_ja(), e.message_en())))?),
                None => None,
            };
            let r = open(db, config, staff)?;
            let rows = r.visits(date)?;
            if json {
                print_json(&rows);
            } else {
                for v in rows {
                    let state = v.queue_state.map(|s| s.ja()).unwrap_or("");
                    let void = if v.visit.voided_at.is_some() { "［取消］" } else { "" };
                    println!("{}{}  {}  {}  {}  [{}]", void, v.visit.visit_no, v.visit_id, v.patient_name, v.insurance_summary, state);
                }
            }
            Ok(())
        }
        Command::Void(VoidCmd::Visit { id, reason, json }) => {
            let mut r = open(db, config, staff)?;
            let visit_no = r.void_visit(&id, &reason)?;
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
                        println!("監査ログは正常です: {} 件, 記録 {} 件を照合 (audit chain ok)", report.entries, report.records_checked);
                    }
                    Ok(())
                }
                Some(p) => Err(Failure::Other(format!("監査ログの異常 (audit chain broken): {} ({})", p.message_ja, p.message_en))),
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
        Command::Export { csv, json } => {
            let r = open(db, config, staff)?;
            let s = r.export_csv(&csv)?;
            if json {
                print_json(&s);
            } else {
                println!("{} 件を書き出しました: {}（不詳 {} 件, 照合未了 {} 件）", s.visits, s.path, s.fushou, s.unsettled);
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
                Failure::Input(Error::field("--service", "対象サービス", format!("{} のいずれかを指定してください（入力: {s}）", Service::choices()), format!("must be one of {}", Service::choices())))
            })
        })
        .collect()
}

fn outage(db: &Option<PathBuf>, config: &Option<PathBuf>, staff: Option<&str>, cmd: OutageCmd) -> CliResult {
    match cmd {
        OutageCmd::Start { reason, services, json } => {
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
                println!("回線の復旧を記録しました（{}）。照合待ち {} 件", o.ended_at.unwrap_or_default(), released);
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
        Failure::Input(Error::field("--json", "入力ファイル", format!("{file} を読めません: {e}"), format!("cannot read {file}: {e}")))
    })?;
    Ok(text)
}

/// Parses intake JSON, naming the exact field (`insurance.copay_percent`) of any error.
fn parse_intake(text: &str) -> Result<IntakeInput, Failure> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." { "json".to_string() } else { path };
        Failure::Input(Error::Input(vec![FieldError::new(
            field.clone(),
            "入力JSON",
            format!("{field} が正しくありません: {inner}"),
            inner.to_string(),
        )]))
    })
}

fn intake(db: &Option<PathBuf>, config: &Option<PathBuf>, staff: Option<&str>, args: IntakeArgs) -> CliResult {
    let receipt = match (&args.json_file, &args.returning) {
        (Some(file), None) => {
            let input = parse_intake(&read_input(file)?)?;
            open(db, config, staff)?.intake(&input)?
        }
        (None, Some(patient)) => {
            let basis = Basis::parse(args.basis.trim())
                .filter(|b| *b != Basis::SelfDeclaration)
                .ok_or_else(|| Failure::Input(Error::field("--basis", "申告の根拠", "returning_no_change | portal_screen | certificate のいずれかです", "must be returning_no_change | portal_screen | certificate")))?;
            open(db, config, staff)?.intake_returning(patient, basis)?
        }
        _ => {
            return Err(Failure::Input(Error::field("--json", "入力", "--json FILE か --returning PATIENT_ID のどちらかを指定してください", "give --json FILE or --returning PATIENT_ID")))
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
