//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod engines;
pub mod history;
pub mod pdf_text;
pub mod qr_read;

use chrono::DateTime;
use onshi_fallback::config::Config;
use onshi_fallback::domain::intake::IntakeInput;
use onshi_fallback::service::{Clock, Records};
use onshi_fallback::store::Store;

pub use engines::{drop_guard, on_each_engine, Engine};

pub const NOW: &str = "2026-11-25T09:00:00+09:00";

pub fn records(store: Store) -> Records {
    Records::new(
        store,
        Config::default(),
        "受付 佐藤",
        Clock::Fixed(DateTime::parse_from_rfc3339(NOW).unwrap()),
    )
}

pub fn memory_records() -> Records {
    records(Store::open_in_memory().unwrap())
}

/// The `[clinic]` settings printing needs, as a clinic's settings file holds them.
pub const CLINIC_CONFIG: &str = r#"
[clinic]
name = "工業会クリニック"
address = "東京都港区新橋1-11-1"
postal_code = "105-0004"
phone = "03-0000-0000"
prefecture_code = "13"
fee_table = "1"
institution_code = "1234567"
doctors = ["工業会 次郎"]
"#;

/// Patient `n`'s name, カナ (as typed: any width, hiragana too) and sex, the same in the
/// 申立書 and in the terminal's roster.
pub fn person(n: usize) -> (String, &'static str, &'static str) {
    let kana = [
        "ヤマダ タロウ",
        "すずき はなこ",
        "ﾀﾅｶ ｲﾁﾛｳ",
        "サトウ ジロウ",
        "タカハシ ミキ",
    ][n % 5];
    let name = [
        "山田 太郎",
        "鈴木 花子",
        "田中 一郎",
        "佐藤 次郎",
        "高橋 美紀",
    ][n % 5];
    let sex = if n.is_multiple_of(2) {
        "male"
    } else {
        "female"
    };
    (format!("{name}{n}"), kana, sex)
}

/// A valid 申立書 for a new patient; `n` varies the name and numbers.
pub fn intake_json(n: usize) -> String {
    let (name, kana, sex) = person(n);
    format!(
        r#"{{
  "patient": {{"name": "{name}", "kana": "{kana}", "birth_date": "S45.3.{day}", "sex": "{sex}",
               "address": "東京都港区新橋1-{n}", "phone": "03-0000-{n:04}"}},
  "insurance": {{"kind": "shaho", "insurer_number": "０１１３００１２", "symbol": "12-34", "number": "{num}",
                 "branch": "01", "relationship": "self", "insurer_name": "協会けんぽ東京支部",
                 "employer": "株式会社テスト", "copay_percent": 30}},
  "basis": "self_declaration"
}}"#,
        day = 1 + n % 28,
        num = 1000 + n
    )
}

pub fn intake(n: usize) -> IntakeInput {
    serde_json::from_str(&intake_json(n)).unwrap()
}

/// A 不詳 intake: the patient knows no numbers.
pub fn fushou_json(n: usize) -> String {
    format!(
        r#"{{"patient": {{"name": "不詳 患者{n}", "kana": "フショウ カンジャ", "birth_date": "1975-01-{day:02}", "sex": "female",
             "address": "東京都港区芝5-{n}", "phone": "090-0000-{n:04}"}},
            "insurance": {{"kind": "unknown", "employer": "自営業"}},
            "basis": "self_declaration"}}"#,
        day = 1 + n % 28
    )
}

pub fn count(store: &Store, table: &str) -> i64 {
    store
        .read(|tx| tx.value(&format!("SELECT COUNT(*) FROM {table}"), &[]))
        .unwrap()
}

/// The kinds of answer the day's roster gives, by `n % 6` of [`intake_json`]'s patients.
pub fn expected_status(n: usize) -> &'static str {
    [
        "match",
        "changed",
        "ineligible",
        "not_found",
        "needs_manual",
        "changed",
    ][n % 6]
}

/// A simulator roster that answers [`intake_json`]`(n)` for `n < count` as
/// [`expected_status`] says.
pub fn day_roster(count: usize) -> String {
    let mut s = String::new();
    for n in 0..count {
        let birth = format!("1970-03-{:02}", 1 + n % 28);
        let (name, kana, sex) = person(n);
        let person = |extra: &str| {
            format!(
                "[[person]]\ninsurer_number = \"01130012\"\nsymbol = \"12-34\"\nnumber = \"{}\"\nbranch = \"01\"\nbirth_date = \"{birth}\"\nname = \"{name}\"\nkana = \"{kana}\"\nsex = \"{sex}\"\n{extra}\n",
                1000 + n
            )
        };
        match n % 6 {
            0 => s.push_str(&person("validity = \"valid\"\ncopay = \"030\"")),
            1 => s.push_str(&person("validity = \"valid\"\ncopay = \"020\"")),
            2 => s.push_str(&person("validity = \"invalid\"\ndisqualification_date = \"2026-10-31\"")),
            3 => {} // not in the roster: 該当資格なし
            4 => {
                s.push_str(&person("validity = \"valid\""));
                s.push_str(&person("validity = \"valid\"")); // twice: 複数該当
            }
            _ => s.push_str(&person(
                "validity = \"invalid_new_qualification\"\n[person.new_qualification]\ninsurer_number = \"06130016\"\nsymbol = \"8\"\nnumber = \"77\"\nbranch = \"00\"\ncopay = \"030\"",
            )),
        }
    }
    s
}

/// The database at `db` as the tests use it: one made for demos and tests (`init --demo`), so
/// that the command line takes a fixed clock on it. Created as one where none has ever been
/// (no file, no marker, no backups); otherwise opened as it is.
pub fn demo_store(db: &std::path::Path) -> Store {
    if let Some(url) = engines::url_of(db) {
        return Store::open_postgres(url).unwrap();
    }
    let backups = onshi_fallback::store::backup::default_dir(db);
    if never_was(db) {
        Store::create_demo(db, &backups).unwrap()
    } else {
        Store::open(db).unwrap()
    }
}

/// No database at `db` and nothing saying one was there (what `init` would accept).
fn never_was(db: &std::path::Path) -> bool {
    use onshi_fallback::store::{backup, marker_path};
    engines::url_of(db).is_none()
        && !db.exists()
        && !marker_path(db).exists()
        && !backup::has_backups(&backup::default_dir(db))
}

/// Starts the command line on `db` (config beside it, absent = defaults) at the clock `now`,
/// writing `stdin` to it. Stdout and stderr are captured. Where no database has ever been, a
/// demo database is made first ([`demo_store`]): the command line refuses a fixed clock on any
/// other. Tests of what happens where there is none use [`spawn_cli_as_is`].
pub fn spawn_cli(
    db: &std::path::Path,
    now: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Child {
    if never_was(db) {
        drop(demo_store(db));
    }
    spawn_cli_as_is(db, Some(now), args, stdin)
}

/// Starts the command line on `db` as it is (nothing made first), at `now` or, with `None`, on
/// the system clock: for what happens on a clinic's database, or where there is none.
pub fn spawn_cli_as_is(
    db: &std::path::Path,
    now: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Child {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut command = Command::new(env!("CARGO_BIN_EXE_onshi-fallback"));
    command
        .args(args)
        .env("ONSHI_FALLBACK_DB", db)
        .env("ONSHI_FALLBACK_CONFIG", db.with_extension("toml"))
        .env("ONSHI_FALLBACK_STAFF", "受付 佐藤")
        .env_remove("ONSHI_FALLBACK_NOW");
    if let Some(now) = now {
        command.env("ONSHI_FALLBACK_NOW", now);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(text) = stdin {
        // The child may be killed before it reads: a broken pipe is expected then.
        let _ = child
            .stdin
            .take()
            .expect("piped")
            .write_all(text.as_bytes());
    }
    drop(child.stdin.take());
    child
}

/// Runs the command line to the end (see [`spawn_cli`]) at [`NOW`].
pub fn cli(db: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    spawn_cli(db, NOW, args, stdin).wait_with_output().unwrap()
}
