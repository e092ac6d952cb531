//! Error types shared by the library.
//!
//! Input problems are collected as [`FieldError`]s so that a form or the command line can show
//! every wrong field at once, each named in Japanese and English.

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
    #[error("{}", db_message(.0))]
    Db(#[from] rusqlite::Error),
    #[error("ファイルの入出力エラー (I/O error): {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

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
    /// True when the database file itself is damaged: the way out is a backup.
    pub fn is_corrupt(&self) -> bool {
        matches!(self, Error::Db(e) if matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)))
            || matches!(self, Error::Other(m) if m.contains("バックアップから復元"))
    }

    /// True for errors caused by what the user gave us (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            Error::Input(_) | Error::Refused { .. } | Error::NotFound { .. }
        )
    }
}

fn db_message(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode::*;
    let what = match e.sqlite_error_code() {
        Some(DatabaseCorrupt) | Some(NotADatabase) => "データベースが壊れています。最新のバックアップから復元してください (the database is damaged: restore the latest backup)",
        Some(DiskFull) => "ディスクがいっぱいで保存できませんでした。空きを作ってからやり直してください。この記録は保存されていません (disk full: nothing was saved)",
        Some(ReadOnly) => "データベースに書き込めません（読み取り専用）。ファイルの権限を確認してください (database is read-only)",
        Some(DatabaseBusy) | Some(DatabaseLocked) => "データベースが他の端末で長く使われています。もう一度お試しください (database busy: try again)",
        Some(SystemIoFailure) => "ディスクの読み書きに失敗しました (disk I/O error)",
        _ => "データベースのエラー (database error)",
    };
    format!("{what}: {e}")
}

fn format_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
