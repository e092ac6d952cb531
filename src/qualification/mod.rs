//! Talking to the eligibility service (オンライン資格確認).
//!
//! One trait, [`QualificationService`], that the rest of the app (probes, reconciliation)
//! depends on; one real adapter, [`folder::OqsFolder`], that exchanges XML files with the
//! clinic's 資格確認端末 through its `req/` and `res/` folders; and a [`simulator`] of that
//! terminal which answers through the same folders, so tests and demos exercise the real
//! adapter end to end.
//!
//! The rule that shapes every type here: a missing, late, truncated or malformed result is
//! [`VerifyOutcome::NoAnswer`], never "eligible". An answer that reports an error
//! (`SegmentOfResult` 9 or `ProcessingResultStatus` 2) is an answer, kept verbatim so staff
//! can read the codes, and is not eligible either.

pub mod folder;
pub mod simulator;
pub mod watch;
pub mod xml;

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Relationship, Sex};

pub use folder::{OqsFolder, ProbeOutcome, ProbeProblem};

/// The eligibility service. Implementations block until they have an answer or give up; they
/// must be usable from a worker thread.
pub trait QualificationService: Send + Sync {
    fn verify(&self, req: &VerifyRequest) -> VerifyOutcome;
}

/// One eligibility check by insurance numbers (ReferenceClassification 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyRequest {
    /// The caller's own id (e.g. a visit id); sent as `ArbitraryIdentifier` and expected back
    /// in the echo, so an answer can be matched to the question.
    pub id: String,
    /// 保険者番号: 8 digits, or 6 for 国保 (padded on the wire). Full-width digits are folded.
    pub insurer_number: String,
    /// 記号, sent as given (may be full-width).
    pub symbol: String,
    /// 番号
    pub number: String,
    /// 枝番: empty, or 1-2 digits (sent as 2).
    pub branch: String,
    pub birth_date: NaiveDate,
    /// The day eligibility is asked for (`QualificationConfirmationDate`): the visit day, since
    /// billing needs eligibility on the day of care, not on the day of the pass.
    pub confirmation_date: NaiveDate,
    /// 限度額適用認定証関連情報の提供に同意 (`LimitApplicationCertificateRelatedConsFlg`).
    pub consent: bool,
}

/// What a check came to. (One per check and short-lived: not worth boxing the answer.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// The terminal answered; the answer itself may be an error.
    Answered(VerifyResult),
    /// No usable answer: the check must be repeated later. Never eligible.
    NoAnswer { reason: NoAnswerReason },
}

impl VerifyOutcome {
    /// True only for a well-formed, error-free answer whose validity is 有効 (1 or 6).
    pub fn is_eligible(&self) -> bool {
        matches!(self, VerifyOutcome::Answered(r) if r.is_eligible())
    }
}

/// Why there is no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum NoAnswerReason {
    /// Nothing came back within the time limit (terminal down, line down, or just slow).
    Timeout { waited_ms: u64 },
    /// A result file was there but ended early (still being written, or cut off).
    Truncated(String),
    /// A result file was there but is not a result we can read (bad XML, encoding, content).
    Malformed(String),
    /// A result file was there but could not be opened or read (held by another program).
    Unreadable(String),
    /// The result was still "in progress" (`SegmentOfResult` 2) when time ran out.
    StillInProgress,
    /// The result's echo names another request.
    NotOurs(String),
    /// `req/` does not exist.
    ReqFolderMissing(PathBuf),
    /// `req/` exists but the request could not be written there.
    ReqFolderNotWritable(String),
    /// The request itself cannot be sent (e.g. an insurer number of the wrong length).
    InvalidRequest(String),
}

impl NoAnswerReason {
    pub fn message_ja(&self) -> String {
        match self {
            NoAnswerReason::Timeout { waited_ms } => format!(
                "資格確認端末から{}秒以内に応答がありません",
                waited_ms / 1000
            ),
            NoAnswerReason::Truncated(d) => {
                format!("資格確認結果のファイルが途中で切れています: {d}")
            }
            NoAnswerReason::Malformed(d) => format!("資格確認結果のファイルを解釈できません: {d}"),
            NoAnswerReason::Unreadable(d) => format!("資格確認結果のファイルを読めません: {d}"),
            NoAnswerReason::StillInProgress => {
                "資格確認端末の処理が時間内に終わりませんでした".into()
            }
            NoAnswerReason::NotOurs(d) => format!("資格確認結果が別の要求のものです: {d}"),
            NoAnswerReason::ReqFolderMissing(p) => {
                format!("要求フォルダ (req) がありません: {}", p.display())
            }
            NoAnswerReason::ReqFolderNotWritable(d) => {
                format!("要求フォルダ (req) に書き込めません: {d}")
            }
            NoAnswerReason::InvalidRequest(d) => format!("照会内容に誤りがあります: {d}"),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            NoAnswerReason::Timeout { waited_ms } => {
                format!("no answer from the terminal within {} ms", waited_ms)
            }
            NoAnswerReason::Truncated(d) => format!("result file is truncated: {d}"),
            NoAnswerReason::Malformed(d) => format!("result file is malformed: {d}"),
            NoAnswerReason::Unreadable(d) => format!("result file cannot be read: {d}"),
            NoAnswerReason::StillInProgress => {
                "the terminal was still processing when time ran out".into()
            }
            NoAnswerReason::NotOurs(d) => format!("result belongs to another request: {d}"),
            NoAnswerReason::ReqFolderMissing(p) => {
                format!("request folder missing: {}", p.display())
            }
            NoAnswerReason::ReqFolderNotWritable(d) => format!("request folder not writable: {d}"),
            NoAnswerReason::InvalidRequest(d) => format!("invalid request: {d}"),
        }
    }
}

impl fmt::Display for NoAnswerReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message_ja(), self.message_en())
    }
}

/// 資格有効性 (`QualificationValidity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Validity {
    /// 1 有効
    Valid,
    /// 2 無効
    Invalid,
    /// 3 無効（新しい資格あり）
    InvalidNewQualification,
    /// 4 該当資格なし
    NotFound,
    /// 5 複数該当
    MultipleMatches,
    /// 6 有効（未登録, 医療扶助）
    ValidUnregistered,
    /// Any other code, kept verbatim.
    Unknown(String),
}

impl Validity {
    pub fn from_code(code: &str) -> Validity {
        match code.trim() {
            "1" => Validity::Valid,
            "2" => Validity::Invalid,
            "3" => Validity::InvalidNewQualification,
            "4" => Validity::NotFound,
            "5" => Validity::MultipleMatches,
            "6" => Validity::ValidUnregistered,
            other => Validity::Unknown(other.to_string()),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Validity::Valid => "1",
            Validity::Invalid => "2",
            Validity::InvalidNewQualification => "3",
            Validity::NotFound => "4",
            Validity::MultipleMatches => "5",
            Validity::ValidUnregistered => "6",
            Validity::Unknown(s) => s,
        }
    }

    pub fn ja(&self) -> &str {
        match self {
            Validity::Valid => "有効",
            Validity::Invalid => "無効",
            Validity::InvalidNewQualification => "無効（新しい資格あり）",
            Validity::NotFound => "該当資格なし",
            Validity::MultipleMatches => "複数該当",
            Validity::ValidUnregistered => "有効（未登録, 医療扶助）",
            Validity::Unknown(_) => "不明なコード",
        }
    }

    pub fn is_valid(&self) -> bool {
        matches!(self, Validity::Valid | Validity::ValidUnregistered)
    }
}

/// A result as the terminal sent it. Codes and messages are verbatim; numbers are trimmed of
/// the padding spaces the terminal may add; names and カナ are as sent (カナ half-width).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct VerifyResult {
    /// The result's id (`ArbitraryFileIdentifier`), if echoed.
    pub file_id: Option<String>,
    /// `ProcessExecutionTime`, YYYYMMDDHHmmss as sent.
    pub process_execution_time: Option<String>,
    /// `ReferenceClassification`: 1 card, 2 insurance numbers.
    pub reference_classification: Option<String>,
    /// `SegmentOfResult`: 1 normal end, 2 in progress, 9 abnormal end.
    pub segment_of_result: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// `CharacterCodeIdentifier`, as sent (meaning not settled; the XML declaration rules).
    pub character_code_identifier: Option<String>,
    /// `ProcessingResultStatus`: 1 normal, 2 error.
    pub processing_result_status: Option<String>,
    pub processing_result_code: Option<String>,
    pub processing_result_message: Option<String>,
    /// `ArbitraryIdentifier` from the echoed search info.
    pub arbitrary_identifier: Option<String>,
    /// `MedicalInstitutionCode` as echoed in the header.
    pub medical_institution_code: Option<String>,
    /// `QualificationConfirmationDate` as echoed in the header (YYYYMMDD as sent).
    pub confirmation_date: Option<String>,
    /// The echoed search info (`QualificationConfirmSearchInfo`), element by element, verbatim.
    pub echo: std::collections::BTreeMap<String, String>,
    /// Why this answer cannot be trusted to be about the request, found while reading it (an
    /// element given twice, a date that does not parse) or by the adapter (another clinic's
    /// code, a time before the request). Japanese, for the clerk. Any doubt sends the record to
    /// a person; it never settles it.
    pub doubts: Vec<String>,
    /// None only in error answers.
    pub validity: Option<Validity>,
    pub qualifications: Vec<VerifiedQualification>,
}

impl VerifyResult {
    /// An answer that reports an error: `SegmentOfResult` 9 or `ProcessingResultStatus` 2.
    pub fn is_error(&self) -> bool {
        self.segment_of_result.trim() == "9"
            || self.processing_result_status.as_deref().map(str::trim) == Some("2")
    }

    pub fn is_in_progress(&self) -> bool {
        self.segment_of_result.trim() == "2"
    }

    pub fn is_eligible(&self) -> bool {
        !self.is_error()
            && self.segment_of_result.trim() == "1"
            && self.validity.as_ref().is_some_and(Validity::is_valid)
    }
}

/// One `ResultOfQualificationConfirmation`: a qualification as the national system holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct VerifiedQualification {
    /// `InsuredCardClassification`, verbatim.
    pub card_classification: String,
    pub insurer_number: String,
    pub insurer_name: String,
    pub symbol: String,
    pub number: String,
    pub branch: String,
    /// `PersonalFamilyClassification`: 1 本人, 2 家族.
    pub relationship: Option<Relationship>,
    /// `InsuredName`: the insured person (本人), which differs from `name` for family members.
    pub insured_name: String,
    pub name: String,
    pub name_of_other: String,
    /// Half-width カナ, as sent.
    pub kana: String,
    pub kana_of_other: String,
    /// `Sex1`: None for 3 (未設定) or anything else.
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub address: String,
    pub post_number: String,
    pub qualification_date: Option<NaiveDate>,
    pub disqualification_date: Option<NaiveDate>,
    pub certificate_issuance_date: Option<NaiveDate>,
    pub card_valid_date: Option<NaiveDate>,
    pub card_expiration_date: Option<NaiveDate>,
    /// `InsuredPartialContributionRatio` as sent, e.g. "030".
    pub copay_ratio_raw: String,
    /// The same as a percentage ("030" → 30), when it has the 3-digit shape.
    pub copay_percent: Option<u8>,
    pub preschool_classification: String,
    pub reason_of_loss: String,
}
