//! `onshi-fallback.toml`: the clinic's settings. Every key is optional; a command that needs
//! one says which key is missing. Unknown keys are refused so a typo never goes unnoticed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub clinic: Clinic,
    #[serde(default)]
    pub qualification: Qualification,
    #[serde(default)]
    pub probes: Probes,
    #[serde(default)]
    pub runbook: Runbook,
    #[serde(default)]
    pub printer: Printer,
    #[serde(default)]
    pub backup: Backup,
    #[serde(default)]
    pub reconcile: Reconcile,
    #[serde(default)]
    pub staff: Staff,
    #[serde(default, skip_serializing_if = "StoreSettings::is_unset")]
    pub store: StoreSettings,
}

/// Where the records live when not in the SQLite file on this PC: the clinic's PostgreSQL
/// server (`--db` and `ONSHI_FALLBACK_DB` name it too, and win over this).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `postgresql://user@host:port/dbname`; empty = the SQLite database.
    #[serde(default)]
    pub url: String,
    /// The account's password, when neither `PGPASSWORD` nor a `.pgpass` file gives it (the
    /// settings file is then readable by this PC's account alone). Shown masked: settings are
    /// serialised only to be shown.
    #[serde(default, serialize_with = "masked")]
    pub password: String,
}

impl StoreSettings {
    /// The settings' password, if one is set.
    pub fn password(&self) -> Option<&str> {
        Some(self.password.as_str()).filter(|p| !p.is_empty())
    }

    fn is_unset(&self) -> bool {
        self.url.is_empty() && self.password.is_empty()
    }
}

fn masked<S: serde::Serializer>(password: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(if password.is_empty() { "" } else { "********" })
}

/// Signing in at a shared PC.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// Minutes without a key or click before the window locks (keeping what was typed);
    /// 0 = never.
    #[serde(default = "default_idle_lock")]
    pub idle_lock_minutes: u32,
}

impl Default for Staff {
    fn default() -> Self {
        Staff {
            idle_lock_minutes: default_idle_lock(),
        }
    }
}

fn default_idle_lock() -> u32 {
    10
}

/// How the reconciliation pass paces itself.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reconcile {
    /// Requests in flight at once (1-8).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Pause after each request, per worker, in milliseconds.
    #[serde(default = "default_delay_ms")]
    pub delay_ms: u64,
    /// Settle `match` records without a person.
    #[serde(default = "default_true")]
    pub auto_settle_match: bool,
}

impl Default for Reconcile {
    fn default() -> Self {
        Reconcile {
            concurrency: default_concurrency(),
            delay_ms: default_delay_ms(),
            auto_settle_match: true,
        }
    }
}

fn default_concurrency() -> usize {
    2
}
fn default_delay_ms() -> u64 {
    200
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Clinic {
    pub name: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub phone: Option<String>,
    /// 都道府県番号, 2 digits.
    pub prefecture_code: Option<String>,
    /// 点数表番号: 1 医科, 3 歯科.
    pub fee_table: Option<String>,
    /// 医療機関コード, 7 digits.
    pub institution_code: Option<String>,
    #[serde(default)]
    pub doctors: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Qualification {
    /// `oqs-folder` (the 資格確認端末) or `simulator`.
    pub kind: Option<String>,
    /// Folder holding `req/` and `res/`.
    pub root: Option<PathBuf>,
    #[serde(default = "default_timeout")]
    pub timeout_s: u64,
    /// 10 digits, as sent in requests.
    pub medical_institution_code: Option<String>,
    /// How often `res/` is looked at while a request waits for its result, in milliseconds
    /// (1–5000).
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
}

impl Default for Qualification {
    fn default() -> Self {
        Qualification {
            kind: None,
            root: None,
            timeout_s: default_timeout(),
            medical_institution_code: None,
            poll_ms: default_poll_ms(),
        }
    }
}

fn default_timeout() -> u64 {
    30
}

fn default_poll_ms() -> u64 {
    100
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    #[serde(default = "default_interval")]
    pub interval_s: u64,
    #[serde(default = "default_failures")]
    pub failures_to_degrade: u32,
    /// Consecutive passes before the watcher records the line's return (default: as many as
    /// it takes to degrade).
    #[serde(default)]
    pub passes_to_recover: Option<u32>,
    /// `host:port` reachability checks (e.g. the VPN router, the terminal's own address).
    #[serde(default)]
    pub tcp: Vec<String>,
    /// Watch the 資格確認端末 folder (needs `[qualification]`); default true when it is set.
    #[serde(default)]
    pub folder: Option<bool>,
}

impl Default for Probes {
    fn default() -> Self {
        Probes {
            interval_s: default_interval(),
            failures_to_degrade: default_failures(),
            passes_to_recover: None,
            tcp: Vec::new(),
            folder: None,
        }
    }
}

fn default_interval() -> u64 {
    20
}
fn default_failures() -> u32 {
    3
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// The line carrier's consent page (回線情報通知機能), per contract. Differs per carrier
    /// and contract, so it is never built in.
    #[serde(default)]
    pub consent_page_url: String,
    /// The line carrier's support desk.
    #[serde(default)]
    pub support_phone: String,
    /// The EHR / receipt software vendor's support.
    #[serde(default)]
    pub vendor_phone: String,
    /// The national オンライン資格確認 call center.
    #[serde(default)]
    pub national_helpdesk_phone: String,
    /// Replaces the built-in steps when given.
    #[serde(default)]
    pub steps: Vec<RunbookStep>,
}

/// One step of the outage runbook.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookStep {
    /// Short key used to tick it (`line_reauth`).
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    /// A page to open (e.g. the consent page).
    #[serde(default)]
    pub url: String,
    /// A number to call.
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Printer {
    /// The PDF path is appended.
    #[serde(default = "default_print_command")]
    pub command: String,
    /// Where printed PDFs are archived; empty = `archive/` beside the database.
    #[serde(default)]
    pub archive_dir: String,
    /// A clinic's own prescription template (TOML); empty = the built-in A5 様式第二号.
    #[serde(default)]
    pub prescription_template: String,
    /// How the 保険医署名 is made when a drug is 変更不可.
    #[serde(default)]
    pub signature: Signature,
}

/// The 保険医署名 a prescription with any 変更不可 needs (記載要領: 署名 or 記名・押印). A printed
/// name alone is neither, so the clinic chooses which one its doctors do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Signature {
    /// The line is left empty for the doctor's own hand signature.
    #[default]
    Hand,
    /// The doctor's name is printed with a circled 印 where the seal goes.
    Seal,
}

impl Default for Printer {
    fn default() -> Self {
        Printer {
            command: default_print_command(),
            archive_dir: String::new(),
            prescription_template: String::new(),
            signature: Signature::default(),
        }
    }
}

fn default_print_command() -> String {
    "lp".into()
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    /// Where automatic and on-demand backups go; empty = `backups/` beside the database.
    #[serde(default)]
    pub dir: String,
    /// How many daily backups to keep.
    #[serde(default = "default_keep")]
    pub keep_days: u32,
}

impl Default for Backup {
    fn default() -> Self {
        Backup {
            dir: String::new(),
            keep_days: default_keep(),
        }
    }
}

fn default_keep() -> u32 {
    14
}

impl Config {
    /// Reads the file; a missing file means built-in defaults.
    pub fn load(path: &Path) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text).map_err(|e| match e {
                Error::Input(mut fields) => {
                    for f in &mut fields {
                        f.message_ja = format!("{} ({})", f.message_ja, path.display());
                    }
                    Error::Input(fields)
                }
                other => other,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(Error::failed(
                format!("設定ファイルを読めません {}: {e}", path.display()),
                format!("cannot read the settings {}: {e}", path.display()),
            )),
        }
    }

    pub fn parse(text: &str) -> Result<Config> {
        toml::from_str(text).map_err(|e| {
            let key = e.message().to_string();
            Error::field(
                "config",
                "設定ファイル",
                format!(
                    "設定ファイルの書き方が正しくありません: {}",
                    e.to_string().trim()
                ),
                key,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_servers_password_is_never_shown() {
        let config: Config = toml::from_str(
            "[store]\nurl = \"postgresql://onshi@server/clinic\"\npassword = \"s3cret\"\n",
        )
        .unwrap();
        assert_eq!(config.store.password, "s3cret");
        let shown = toml::to_string(&config).unwrap();
        assert!(
            shown.contains("postgresql://onshi@server/clinic"),
            "{shown}"
        );
        assert!(
            !shown.contains("s3cret") && shown.contains("********"),
            "{shown}"
        );
        let unset = toml::to_string(&Config::default()).unwrap();
        assert!(!unset.contains("[store]"), "{unset}");
    }

    #[test]
    fn the_contract_example_parses() {
        let c = Config::parse(
            r#"
[clinic]
name = "工業会クリニック"
address = "東京都港区新橋1-11-1"
postal_code = "105-0004"
phone = "03-0000-0000"
prefecture_code = "13"
fee_table = "1"
institution_code = "1234567"
doctors = ["工業会 次郎"]

[qualification]
kind = "oqs-folder"
root = "C:/OQS"
timeout_s = 30
medical_institution_code = "1311234567"

[probes]
interval_s = 20
failures_to_degrade = 3
tcp = ["192.0.2.10:443"]

[runbook]
consent_page_url = ""
support_phone = ""

[printer]
command = "lp"
archive_dir = ""
"#,
        )
        .unwrap();
        assert_eq!(c.clinic.doctors, vec!["工業会 次郎"]);
        assert_eq!(c.probes.failures_to_degrade, 3);
    }

    #[test]
    fn a_misspelt_key_is_named() {
        let err = Config::parse("[probes]\nintervall_s = 5\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("intervall_s"), "{err}");
        assert!(err.contains("設定ファイル"), "{err}");
    }

    #[test]
    fn a_wrong_type_is_named() {
        let err = Config::parse("[probes]\ninterval_s = \"fast\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("interval_s"), "{err}");
    }

    #[test]
    fn empty_means_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.qualification.timeout_s, 30);
        assert_eq!(c.qualification.poll_ms, 100);
        assert_eq!(c.printer.command, "lp");
    }
}
