//! Error types shared by the library.
//!
//! Input problems are collected as [`FieldError`]s so that a form or the command line can show
//! every wrong field at once, each named in Japanese and English. Every other error carries its
//! Japanese and English wording in separate fields: the window shows [`Error::ja`], the command
//! line shows both, and nothing ever parses one language back out of the other.

use std::fmt;

/// One problem with one input field: which field, and what is wrong, in Japanese then English.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Machine name of the field, as in the JSON input (`insurance.insurer_number`).
    pub field: String,
    /// The field's name as staff know it (`保険者番号`).
    pub label: String,
    pub message_ja: String,
    pub message_en: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        label: &str,
        ja: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            label: label.to_string(),
            message_ja: ja.into(),
            message_en: en.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({}: {})",
            self.label, self.message_ja, self.field, self.message_en
        )
    }
}

/// A warning does not block saving but is shown to staff and recorded with the visit.
pub type Warning = FieldError;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is wrong; nothing was written. Exit code 2 on the command line.
    #[error("{}", format_fields(.0))]
    Input(Vec<FieldError>),
    /// The request is well-formed but not allowed in the current state (e.g. a decision on a
    /// record that is not waiting for one). Also bad input: exit code 2.
    #[error("{ja} ({en})")]
    Refused { ja: String, en: String },
    /// Something named does not exist.
    #[error("{ja} ({en})")]
    NotFound { ja: String, en: String },
    /// Identification failed (unknown name, wrong PIN, locked) or the signed-in role lacks the
    /// right; nothing was written. Exit code 3 on the command line.
    #[error("{ja} ({en})")]
    Denied { ja: String, en: String },
    /// The database file at `path` is damaged or is not a database: the way out is a backup.
    #[error("{} ({}): {path} ({detail})", CORRUPT_JA, CORRUPT_EN)]
    Corrupt { path: String, detail: String },
    /// The database at `path` is gone (deleted, moved, replaced, or on a share not mounted)
    /// though one existed there: the way out is a backup, never a new empty database.
    #[error("データベースがありません（移動・削除・差し替え、またはネットワークドライブ未接続）。記録を守るため新しく作りません。最新のバックアップを復元してください (the database is missing where one existed; nothing was created: restore the latest backup): {path}")]
    Missing { path: String },
    /// The database at `path` cannot be opened or used (busy, read-only, disk full, no access).
    #[error("{ja} ({en}): {path} ({detail})")]
    Unavailable {
        path: String,
        ja: String,
        en: String,
        detail: String,
    },
    /// The database was written by a newer version of the app.
    #[error("このデータベースは新しい版のアプリで作られています（版 {version}）。アプリを更新してください (database schema {version} is newer than this build supports)")]
    NewerSchema { version: i64 },
    #[error("{}", db_message(.0))]
    Db(#[from] rusqlite::Error),
    /// The clinic's PostgreSQL server refused or could not be reached.
    #[error("{} ({}): {}", pg_wording(.0).0, pg_wording(.0).1, pg_detail(.0))]
    Pg(#[from] postgres::Error),
    #[error("ファイルの入出力エラー (I/O error): {0}")]
    Io(#[from] std::io::Error),
    /// The records contradict themselves (a row that must exist is missing): a bug, or a change
    /// made outside the app that `audit verify` will name.
    #[error("記録に矛盾があります: {ja} (inconsistent records: {en})")]
    Inconsistent { ja: String, en: String },
    /// Anything else (a printer that refused, a file that could not be written), said in both
    /// languages.
    #[error("{ja} ({en})")]
    Failed { ja: String, en: String },
}

const CORRUPT_JA: &str =
    "データベースファイルが壊れています（またはデータベースではありません）。最新のバックアップから復元してください";
const CORRUPT_EN: &str = "the database is damaged or not a database: restore the latest backup";

impl Error {
    pub fn field(field: &str, label: &str, ja: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Input(vec![FieldError::new(field, label, ja, en)])
    }
    pub fn refused(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Refused {
            ja: ja.into(),
            en: en.into(),
        }
    }
    pub fn not_found(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Error::NotFound {
            ja: ja.into(),
            en: en.into(),
        }
    }
    pub fn denied(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Denied {
            ja: ja.into(),
            en: en.into(),
        }
    }
    pub fn failed(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Failed {
            ja: ja.into(),
            en: en.into(),
        }
    }
    pub fn inconsistent(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Error::Inconsistent {
            ja: ja.into(),
            en: en.into(),
        }
    }

    /// True when the database file itself is damaged or gone: the way out is a backup.
    pub fn is_corrupt(&self) -> bool {
        match self {
            Error::Corrupt { .. } | Error::Missing { .. } => true,
            Error::Db(e) => is_corrupt_code(e),
            _ => false,
        }
    }

    /// True when identification failed or the role lacks the right (exit code 3).
    pub fn is_denied(&self) -> bool {
        matches!(self, Error::Denied { .. })
    }

    /// True for errors caused by what the user gave us (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Input(_) | Error::Refused { .. } | Error::NotFound { .. }
        )
    }

    /// The message in Japanese alone, for the window (paths and codes kept, no English).
    pub fn ja(&self) -> String {
        match self {
            Error::Input(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", f.label, f.message_ja))
                .collect::<Vec<_>>()
                .join(" / "),
            Error::Refused { ja, .. }
            | Error::NotFound { ja, .. }
            | Error::Denied { ja, .. }
            | Error::Failed { ja, .. } => ja.clone(),
            Error::Inconsistent { ja, .. } => format!("記録に矛盾があります: {ja}"),
            Error::Corrupt { path, .. } => format!("{CORRUPT_JA}: {path}"),
            Error::Missing { path } => format!("データベースがありません（移動・削除・差し替え、またはネットワークドライブ未接続）。記録を守るため新しく作りません。最新のバックアップを復元してください: {path}"),
            Error::Unavailable { path, ja, .. } => format!("{ja}: {path}"),
            Error::NewerSchema { version } => format!(
                "このデータベースは新しい版のアプリで作られています（版 {version}）。アプリを更新してください"
            ),
            Error::Db(e) => db_wording(e).0.to_string(),
            Error::Pg(e) => pg_wording(e).0.to_string(),
            Error::Io(e) => format!("ファイルの入出力エラー: {e}"),
        }
    }

    /// The message in English alone (logs, the English half of the command line's message).
    pub fn en(&self) -> String {
        match self {
            Error::Input(fields) => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message_en))
                .collect::<Vec<_>>()
                .join(" / "),
            Error::Refused { en, .. }
            | Error::NotFound { en, .. }
            | Error::Denied { en, .. }
            | Error::Failed { en, .. } => en.clone(),
            Error::Inconsistent { en, .. } => format!("inconsistent records: {en}"),
            Error::Corrupt { path, detail } => format!("{CORRUPT_EN}: {path} ({detail})"),
            Error::Missing { path } => format!("the database is missing where one existed; nothing was created: restore the latest backup: {path}"),
            Error::Unavailable {
                path, en, detail, ..
            } => format!("{en}: {path} ({detail})"),
            Error::NewerSchema { version } => {
                format!("database schema {version} is newer than this build supports")
            }
            Error::Db(e) => format!("{}: {e}", db_wording(e).1),
            Error::Pg(e) => format!("{}: {}", pg_wording(e).1, pg_detail(e)),
            Error::Io(e) => format!("I/O error: {e}"),
        }
    }
}

fn is_corrupt_code(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// What a database error means for staff, in Japanese and English.
fn db_wording(e: &rusqlite::Error) -> (&'static str, &'static str) {
    use rusqlite::ErrorCode::*;
    match e.sqlite_error_code() {
        Some(DatabaseCorrupt) | Some(NotADatabase) => ("データベースが壊れています。最新のバックアップから復元してください", "the database is damaged: restore the latest backup"),
        Some(DiskFull) => ("ディスクがいっぱいで保存できませんでした。空きを作ってからやり直してください。この記録は保存されていません", "disk full: nothing was saved"),
        Some(ReadOnly) => ("データベースに書き込めません（読み取り専用）。ファイルの権限を確認してください", "database is read-only"),
        Some(DatabaseBusy) | Some(DatabaseLocked) => ("データベースが他の端末で長く使われています。もう一度お試しください", "database busy: try again"),
        Some(SystemIoFailure) => ("ディスクの読み書きに失敗しました", "disk I/O error"),
        _ => ("データベースのエラー", "database error"),
    }
}

/// What a PostgreSQL error means for staff: above all, whether the server is out of reach.
fn pg_wording(e: &postgres::Error) -> (&'static str, &'static str) {
    use postgres::error::SqlState;
    match e.code() {
        None if e.is_closed() || e.as_db_error().is_none() => (
            "データベースサーバーに接続できません。この記録は保存されていません。サーバーとネットワークを確認し、つながらなければこのPCの最新バックアップか紙で続けてください",
            "cannot reach the database server: nothing was saved",
        ),
        Some(c) if *c == SqlState::INVALID_PASSWORD || *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION => (
            "データベースサーバーへのログインが拒否されました。アカウントとパスワードの設定を確認してください",
            "the database server refused the login",
        ),
        Some(c) if *c == SqlState::DISK_FULL => (
            "データベースサーバーのディスクがいっぱいです。この記録は保存されていません",
            "the database server's disk is full: nothing was saved",
        ),
        _ => ("データベースのエラー", "database error"),
    }
}

/// The server's own message (a guard's "records are never deleted", a constraint's name), or
/// what went wrong on the way to it.
fn pg_detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

fn db_message(e: &rusqlite::Error) -> String {
    let (ja, en) = db_wording(e);
    format!("{ja} ({en}): {e}")
}

fn format_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_stands_alone() {
        let e = Error::Corrupt {
            path: "/tmp/b.sqlite3".into(),
            detail: "file is not a database".into(),
        };
        assert!(e.is_corrupt());
        assert_eq!(e.ja(), format!("{CORRUPT_JA}: /tmp/b.sqlite3"));
        assert!(!e.ja().contains("restore"), "no English in the Japanese");
        assert!(e.en().contains("restore the latest backup"));
        assert!(
            !e.en().contains("バックアップ"),
            "no Japanese in the English"
        );
        let both = e.to_string();
        assert!(both.contains(CORRUPT_JA) && both.contains(CORRUPT_EN));
        let f = Error::failed("印刷に失敗しました", "printing failed");
        assert_eq!(
            (f.ja(), f.en()),
            ("印刷に失敗しました".into(), "printing failed".into())
        );
        assert!(!f.is_bad_input() && !f.is_corrupt());
    }
}
