//! The real adapter: the 資格確認端末's shared folder.
//!
//! A check writes `req/OQSsiquc01req_<id>.xml` (under a temporary name first, then renamed,
//! so the terminal never picks up half a file) and waits for `res/OQSsiquc01res_<id>.xml`,
//! woken by a notification of `res/` changing ([`super::watch`]) or, failing one, every
//! `poll_ms`.
//! A result that cannot be read or parsed yet is retried until the deadline, because the
//! terminal may still be writing it or another program may hold it open. Files that are not
//! ours (other ids, `OQSsiquc01res_face_*.xml` from face-recognition readers) are never touched.
//! Our own result file is removed from `res/` once it is read as the answer (it names the
//! patient, in a folder other programs share, and every probe would list it); one we could not
//! take as the answer, and every other program's file, is left to the terminal's housekeeping.
//! A result that cannot be removed (held open by another program) is left, not an error. Our
//! request file is removed only if the terminal never took it, so a terminal that comes back
//! later does not answer a question nobody is waiting for.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use super::watch::FolderWatch;
use super::xml::{parse_result, request_xml, MAX_RESULT_BYTES};
use super::{NoAnswerReason, QualificationService, VerifyOutcome, VerifyRequest};
use crate::config;
use crate::error::{Error, Result};

pub const REQ_PREFIX: &str = "OQSsiquc01req_";
pub const RES_PREFIX: &str = "OQSsiquc01res_";

/// Process-wide sequence for file ids. It is offset by the process id so two programs writing
/// to the same folder in the same second are unlikely to collide, and a taken id is skipped.
static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// How old a result may be for [`OqsFolder::probe`] to judge the terminal by it: an abnormal
/// end from this morning says nothing about the line now.
const PROBE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The 資格確認端末 folder interface.
#[derive(Debug, Clone)]
pub struct OqsFolder {
    root: PathBuf,
    timeout: Duration,
    institution_code: String,
    poll: Duration,
    /// Woken by `res/` changing (the default), or looking every `poll` only.
    notifications: bool,
}

impl OqsFolder {
    /// `root` holds `req/` and `res/`; `institution_code` is the 10-digit code sent in requests.
    pub fn new(
        root: impl Into<PathBuf>,
        timeout: Duration,
        institution_code: impl Into<String>,
    ) -> Self {
        OqsFolder {
            root: root.into(),
            timeout,
            institution_code: institution_code.into(),
            poll: Duration::from_millis(100),
            notifications: true,
        }
    }

    /// From `[qualification]`: needs `root` and `medical_institution_code`. `kind` may be
    /// `oqs-folder` or `simulator` (or absent): both talk through the folder, the second to a
    /// `simulate-terminal` process serving `root`.
    pub fn from_config(q: &config::Qualification) -> Result<Self> {
        match q.kind.as_deref() {
            None | Some("oqs-folder") | Some("simulator") => {}
            Some(other) => {
                return Err(Error::field(
                    "qualification.kind",
                    "資格確認の接続方式",
                    format!("設定 [qualification] kind は oqs-folder か simulator です: {other:?}"),
                    format!("[qualification] kind must be oqs-folder or simulator, not {other:?}"),
                ))
            }
        }
        let root = q.root.clone().ok_or_else(|| {
            Error::field(
                "qualification.root",
                "資格確認端末フォルダ",
                "設定 [qualification] root がありません",
                "missing [qualification] root",
            )
        })?;
        let code = q.medical_institution_code.clone().ok_or_else(|| {
            Error::field(
                "qualification.medical_institution_code",
                "医療機関コード(10桁)",
                "設定 [qualification] medical_institution_code がありません",
                "missing [qualification] medical_institution_code",
            )
        })?;
        if !(1..=5000).contains(&q.poll_ms) {
            return Err(Error::field(
                "qualification.poll_ms",
                "結果の確認間隔",
                format!(
                    "設定 [qualification] poll_ms は 1〜5000（ミリ秒）で指定してください: {}",
                    q.poll_ms
                ),
                format!(
                    "[qualification] poll_ms must be 1 to 5000 (milliseconds), not {}",
                    q.poll_ms
                ),
            ));
        }
        Ok(OqsFolder::new(root, Duration::from_secs(q.timeout_s), code)
            .with_poll_interval(Duration::from_millis(q.poll_ms)))
    }

    /// How often `res/` is looked at while waiting when no notification comes (default 100 ms;
    /// `[qualification] poll_ms`).
    pub fn with_poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Off: `res/` is looked at every poll interval only, as where no notification arrives
    /// (the benchmark compares the two).
    pub fn with_notifications(mut self, on: bool) -> Self {
        self.notifications = on;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn req_dir(&self) -> PathBuf {
        self.root.join("req")
    }

    fn res_dir(&self) -> PathBuf {
        self.root.join("res")
    }

    /// A fresh id: local time YYYYMMDDHHMMSS + 4-digit sequence, with neither its request nor
    /// its result file present.
    fn new_file_id(&self) -> String {
        let stamp = chrono::Local::now().format("%Y%m%d%H%M%S").to_string();
        let offset = std::process::id() % 10_000;
        for _ in 0..10_000 {
            let seq = (SEQUENCE.fetch_add(1, Ordering::Relaxed) % 10_000 + offset) % 10_000;
            let id = format!("{stamp}{seq:04}");
            if !self.req_path(&id).exists() && !self.res_path(&id).exists() {
                return id;
            }
        }
        // Every sequence number of this second is taken: fall back to nanoseconds.
        format!(
            "{stamp}{:09}",
            chrono::Local::now().timestamp_subsec_nanos()
        )
    }

    fn req_path(&self, id: &str) -> PathBuf {
        self.req_dir().join(format!("{REQ_PREFIX}{id}.xml"))
    }

    fn res_path(&self, id: &str) -> PathBuf {
        self.res_dir().join(format!("{RES_PREFIX}{id}.xml"))
    }

    /// Writes the request under a name the terminal ignores, then renames it into place.
    fn write_request(&self, id: &str, bytes: &[u8]) -> io::Result<PathBuf> {
        let tmp = self.req_dir().join(format!("~onshi-fallback-{id}.tmp"));
        let result = (|| {
            use io::Write;
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            let target = self.req_path(id);
            fs::rename(&tmp, &target)?;
            Ok(target)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// A cheap health check for the probes: is the folder interface usable, and what did the
    /// terminal say last? It writes nothing the terminal would read and never panics.
    ///
    /// Problems reported (any one makes `ok` false):
    /// - the root, `req/` or `res/` folder is missing, or `req/` cannot be written to;
    /// - requests older than the time-out still lie in `req/` (the terminal is not taking them:
    ///   its 連携アプリ is stopped or hung);
    /// - the newest result in `res/` (within the probe window, `_face_` files excluded) is an
    ///   abnormal end (`SegmentOfResult` 9), as the terminal reports when the line is down.
    ///
    /// A per-request error (`ProcessingResultStatus` 2, e.g. a wrong number) is not a problem
    /// of the terminal and is not reported.
    pub fn probe(&self) -> ProbeOutcome {
        let mut problems = Vec::new();
        let req = self.req_dir();
        let res = self.res_dir();
        if !self.root.is_dir() {
            problems.push(ProbeProblem::RootMissing(self.root.clone()));
            return ProbeOutcome::from(problems, None);
        }
        if !req.is_dir() {
            problems.push(ProbeProblem::ReqMissing(req.clone()));
        } else {
            let probe_file = req.join(format!("~onshi-fallback-probe-{}.tmp", std::process::id()));
            match fs::write(&probe_file, b"probe") {
                Ok(()) => {
                    let _ = fs::remove_file(&probe_file);
                }
                Err(e) => problems.push(ProbeProblem::ReqNotWritable {
                    path: req.clone(),
                    error: e.to_string(),
                }),
            }
            let now = SystemTime::now();
            let stale: Vec<Duration> = list_ours(&req, REQ_PREFIX)
                .into_iter()
                .filter_map(|(_, modified)| now.duration_since(modified).ok())
                .filter(|age| *age > self.timeout)
                .collect();
            if let Some(oldest) = stale.iter().max() {
                problems.push(ProbeProblem::StaleRequests {
                    count: stale.len(),
                    oldest_s: oldest.as_secs(),
                });
            }
        }
        let mut last = None;
        if !res.is_dir() {
            problems.push(ProbeProblem::ResMissing(res.clone()));
        } else if let Some((path, modified)) = list_ours(&res, RES_PREFIX)
            .into_iter()
            .max_by_key(|(_, m)| *m)
        {
            let recent = SystemTime::now()
                .duration_since(modified)
                .map(|age| age <= PROBE_WINDOW)
                .unwrap_or(true);
            if recent {
                let file = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                // A result that cannot be read yet may still be being written: not a problem.
                let read = read_result_file(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| parse_result(&b).map_err(|e| e.to_string()));
                if let Ok(r) = read {
                    if r.segment_of_result.trim() == "9" {
                        problems.push(ProbeProblem::LastResultError {
                            file: file.clone(),
                            code: r.error_code.clone().unwrap_or_default(),
                            message: r.error_message.clone().unwrap_or_default(),
                        });
                    }
                    last = Some(LastResult {
                        file,
                        segment_of_result: r.segment_of_result,
                        error_code: r.error_code,
                        error_message: r.error_message,
                    });
                }
            }
        }
        ProbeOutcome::from(problems, last)
    }
}

/// How far before the request an answer's `ProcessExecutionTime` may lie (clocks of two PCs
/// differ by a little); an answer older than that was made for some earlier question.
const CLOCK_SLACK: chrono::Duration = chrono::Duration::minutes(10);

impl OqsFolder {
    /// What only the adapter can check about an answer: that it names this clinic, and that it
    /// was made after the question was asked.
    fn add_doubts(&self, result: &mut super::VerifyResult, requested_at: chrono::NaiveDateTime) {
        if let Some(code) = &result.medical_institution_code {
            if crate::domain::text::normalize_number(code)
                != crate::domain::text::normalize_number(&self.institution_code)
            {
                result.doubts.push(format!(
                    "結果の医療機関コード {} がこの医療機関（{}）のものではありません",
                    code.trim(),
                    self.institution_code
                ));
            }
        }
        if let Some(time) = &result.process_execution_time {
            match chrono::NaiveDateTime::parse_from_str(time.trim(), "%Y%m%d%H%M%S") {
                Ok(t) if t < requested_at - CLOCK_SLACK => result.doubts.push(format!(
                    "結果の処理時刻 {} が照会（{}）より前です（以前の照会の結果です）",
                    t.format("%Y-%m-%d %H:%M:%S"),
                    requested_at.format("%Y-%m-%d %H:%M:%S")
                )),
                Ok(_) => {}
                Err(_) => result
                    .doubts
                    .push(format!("結果の処理時刻が読めません: {}", time.trim())),
            }
        }
    }
}

/// Reads a result file only if it is a regular file of at most [`MAX_RESULT_BYTES`]: never
/// through a link (a result linked to a file elsewhere is not the terminal's answer), never a
/// FIFO or device (which would block or never end), and the size is checked before reading.
pub fn read_result_file(path: &Path) -> io::Result<Vec<u8>> {
    use io::Read;
    let meta = fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(io::Error::other(
            "通常のファイルではありません（リンク・デバイス等） (not a regular file)",
        ));
    }
    if meta.len() > MAX_RESULT_BYTES as u64 {
        return Err(io::Error::other(format!(
            "大きすぎます (too large: {} bytes)",
            meta.len()
        )));
    }
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // The checks above and the open below are two steps: refuse a link or a FIFO swapped
        // in between, without blocking on it.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(io::Error::other(
            "通常のファイルではありません (not a regular file)",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_RESULT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > MAX_RESULT_BYTES {
        return Err(io::Error::other("大きすぎます (too large)"));
    }
    Ok(bytes)
}

/// `(path, modified)` of the files in `dir` named `<prefix>*.xml`, without `_face_` files.
fn list_ours(dir: &Path, prefix: &str) -> Vec<(PathBuf, SystemTime)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            // Regular files only: a link or a FIFO named like a result is not one.
            if !e.file_type().is_ok_and(|t| t.is_file()) {
                return false;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(prefix)
                && name.ends_with(".xml")
                && !name[prefix.len()..].starts_with("face_")
        })
        .filter_map(|e| {
            let modified = e.metadata().and_then(|m| m.modified()).ok()?;
            Some((e.path(), modified))
        })
        .collect()
}

impl QualificationService for OqsFolder {
    fn verify(&self, req: &VerifyRequest) -> VerifyOutcome {
        let no = |reason| VerifyOutcome::NoAnswer { reason };
        let req_dir = self.req_dir();
        if !req_dir.is_dir() {
            return no(NoAnswerReason::ReqFolderMissing(req_dir));
        }
        // Watching res/ before the request is written: the answer wakes the wait at once, and
        // the poll interval is only the fallback.
        let watch = if self.notifications {
            FolderWatch::on(&self.res_dir())
        } else {
            FolderWatch::none()
        };
        let id = self.new_file_id();
        let bytes = match request_xml(req, &self.institution_code, &id, req.confirmation_date) {
            Ok(b) => b,
            Err(e) => return no(NoAnswerReason::InvalidRequest(e)),
        };
        let req_path = match self.write_request(&id, &bytes) {
            Ok(p) => p,
            Err(e) => {
                return no(NoAnswerReason::ReqFolderNotWritable(format!(
                    "{}: {e}",
                    req_dir.display()
                )))
            }
        };
        let requested_at = chrono::Local::now().naive_local();
        let started = Instant::now();
        let deadline = started + self.timeout;
        let res_path = self.res_path(&id);
        let mut last_problem: Option<NoAnswerReason> = None;
        loop {
            if fs::symlink_metadata(&res_path).is_ok() {
                match read_result_file(&res_path) {
                    Err(e) => {
                        last_problem = Some(NoAnswerReason::Unreadable(format!(
                            "{}: {e}",
                            res_path.display()
                        )))
                    }
                    Ok(bytes) => match parse_result(&bytes) {
                        Err(e) => last_problem = Some(e.into()),
                        Ok(mut result) => {
                            if let Some(problem) = not_ours(&result, &id, req) {
                                last_problem = Some(problem);
                            } else if result.is_in_progress() {
                                last_problem = Some(NoAnswerReason::StillInProgress);
                            } else {
                                self.add_doubts(&mut result, requested_at);
                                let _ = fs::remove_file(&res_path);
                                return VerifyOutcome::Answered(result);
                            }
                        }
                    },
                }
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            watch.wait(self.poll.min(deadline - now));
        }
        // The terminal never took the request: withdraw it.
        let _ = fs::remove_file(&req_path);
        no(last_problem.unwrap_or(NoAnswerReason::Timeout {
            waited_ms: started.elapsed().as_millis() as u64,
        }))
    }
}

/// A result whose echoed identifiers name another request.
fn not_ours(
    result: &super::VerifyResult,
    file_id: &str,
    req: &VerifyRequest,
) -> Option<NoAnswerReason> {
    if let Some(echo) = result
        .file_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if echo != file_id {
            return Some(NoAnswerReason::NotOurs(format!(
                "ArbitraryFileIdentifier {echo} ≠ {file_id}"
            )));
        }
    }
    if let Some(echo) = result
        .arbitrary_identifier
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if echo != req.id.trim() {
            return Some(NoAnswerReason::NotOurs(format!(
                "ArbitraryIdentifier {echo} ≠ {}",
                req.id.trim()
            )));
        }
    }
    None
}

/// What [`OqsFolder::probe`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeOutcome {
    /// True when there is no problem.
    pub ok: bool,
    pub problems: Vec<ProbeProblem>,
    /// The newest result of ours within the probe window, if readable.
    pub last_result: Option<LastResult>,
}

impl ProbeOutcome {
    fn from(problems: Vec<ProbeProblem>, last_result: Option<LastResult>) -> Self {
        ProbeOutcome {
            ok: problems.is_empty(),
            problems,
            last_result,
        }
    }
}

/// The newest result file in `res/`, as the probe saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastResult {
    pub file: String,
    pub segment_of_result: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// One thing wrong with the folder interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeProblem {
    RootMissing(PathBuf),
    ReqMissing(PathBuf),
    ReqNotWritable {
        path: PathBuf,
        error: String,
    },
    ResMissing(PathBuf),
    /// Requests older than the time-out are still waiting in `req/`.
    StaleRequests {
        count: usize,
        oldest_s: u64,
    },
    /// The newest result is an abnormal end; code and message verbatim.
    LastResultError {
        file: String,
        code: String,
        message: String,
    },
}

impl ProbeProblem {
    pub fn message_ja(&self) -> String {
        match self {
            ProbeProblem::RootMissing(p) => {
                format!("資格確認端末の共有フォルダがありません: {}", p.display())
            }
            ProbeProblem::ReqMissing(p) => {
                format!("要求フォルダ (req) がありません: {}", p.display())
            }
            ProbeProblem::ReqNotWritable { path, error } => format!(
                "要求フォルダ (req) に書き込めません: {} ({error})",
                path.display()
            ),
            ProbeProblem::ResMissing(p) => {
                format!("結果フォルダ (res) がありません: {}", p.display())
            }
            ProbeProblem::StaleRequests { count, oldest_s } => {
                format!("資格確認端末が要求を処理していません ({count}件, 最古 {oldest_s}秒前)")
            }
            ProbeProblem::LastResultError { code, message, .. } => {
                format!("直近の資格確認が異常終了しました: {code} {message}")
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            ProbeProblem::RootMissing(p) => format!("terminal folder missing: {}", p.display()),
            ProbeProblem::ReqMissing(p) => format!("request folder missing: {}", p.display()),
            ProbeProblem::ReqNotWritable { path, error } => {
                format!("request folder not writable: {} ({error})", path.display())
            }
            ProbeProblem::ResMissing(p) => format!("result folder missing: {}", p.display()),
            ProbeProblem::StaleRequests { count, oldest_s } => {
                format!(
                    "the terminal is not taking requests ({count} waiting, oldest {oldest_s} s)"
                )
            }
            ProbeProblem::LastResultError { code, message, .. } => {
                format!("the latest check ended abnormally: {code} {message}")
            }
        }
    }
}

impl std::fmt::Display for ProbeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message_ja(), self.message_en())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_config_names_the_missing_key() {
        let mut q = config::Qualification::default();
        let err = OqsFolder::from_config(&q).unwrap_err().to_string();
        assert!(err.contains("[qualification] root"), "{err}");
        q.root = Some("/tmp/oqs".into());
        let err = OqsFolder::from_config(&q).unwrap_err().to_string();
        assert!(err.contains("medical_institution_code"), "{err}");
        q.medical_institution_code = Some("1311234567".into());
        let a = OqsFolder::from_config(&q).unwrap();
        assert_eq!(a.timeout, Duration::from_secs(30));
        assert_eq!(a.poll, Duration::from_millis(100), "the default");
        q.poll_ms = 20;
        assert_eq!(
            OqsFolder::from_config(&q).unwrap().poll,
            Duration::from_millis(20)
        );
        for bad in [0, 5001] {
            q.poll_ms = bad;
            let err = OqsFolder::from_config(&q).unwrap_err();
            assert!(err.is_bad_input());
            let text = err.to_string();
            assert!(
                text.contains("結果の確認間隔") && text.contains("[qualification] poll_ms"),
                "{text}"
            );
        }
        q.poll_ms = 100;
        q.kind = Some("http".into());
        let err = OqsFolder::from_config(&q).unwrap_err().to_string();
        assert!(err.contains("kind"), "{err}");
    }

    #[test]
    fn file_ids_are_distinct_and_shaped() {
        let dir = tempfile::tempdir().unwrap();
        let a = OqsFolder::new(dir.path(), Duration::from_secs(1), "1311234567");
        let ids: std::collections::BTreeSet<String> = (0..500).map(|_| a.new_file_id()).collect();
        assert_eq!(ids.len(), 500);
        assert!(ids
            .iter()
            .all(|id| id.len() == 18 && id.bytes().all(|b| b.is_ascii_digit())));
    }

    #[test]
    fn a_taken_id_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("res")).unwrap();
        let a = OqsFolder::new(dir.path(), Duration::from_secs(1), "1311234567");
        let first = a.new_file_id();
        // Take the next 50 candidates of this second (and the next, should the clock tick).
        let (stamp, seq) = first.split_at(14);
        let seq: u32 = seq.parse().unwrap();
        let next_stamp = (stamp.parse::<u64>().unwrap() + 1).to_string();
        for s in [stamp, next_stamp.as_str()] {
            for k in 1..=50 {
                fs::write(a.res_path(&format!("{s}{:04}", (seq + k) % 10_000)), "x").unwrap();
            }
        }
        let id = a.new_file_id();
        assert!(!a.res_path(&id).exists(), "{id} is taken");
    }

    #[test]
    fn another_clinics_answer_or_an_old_one_is_doubted() {
        let dir = tempfile::tempdir().unwrap();
        let a = OqsFolder::new(dir.path(), Duration::from_secs(1), "1311234567");
        let asked = chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
            .unwrap()
            .and_hms_opt(14, 0, 0)
            .unwrap();
        let doubts = |code: &str, time: &str| {
            let mut r = crate::qualification::VerifyResult {
                medical_institution_code: Some(code.into()),
                process_execution_time: Some(time.into()),
                ..Default::default()
            };
            a.add_doubts(&mut r, asked);
            r.doubts
        };
        assert!(doubts("1311234567", "20261125140003").is_empty());
        assert!(
            doubts("１３１１２３４５６７", "20261125135500").is_empty(),
            "widths, a little skew"
        );
        assert_eq!(
            doubts("1319999999", "20261125140003").len(),
            1,
            "another clinic"
        );
        assert_eq!(
            doubts("1311234567", "20261124140003").len(),
            1,
            "a day before the request"
        );
        assert_eq!(
            doubts("1311234567", "yesterday").len(),
            1,
            "unreadable time"
        );
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.xml");
        fs::write(&plain, b"<XmlMsg/>").unwrap();
        assert_eq!(read_result_file(&plain).unwrap(), b"<XmlMsg/>");
        // A link to a file elsewhere (here: the plain one) is not the terminal's answer.
        let link = dir.path().join("link.xml");
        std::os::unix::fs::symlink(&plain, &link).unwrap();
        assert!(read_result_file(&link).is_err());
        // A FIFO must be refused at once, not block the pass, the probe or the watcher.
        let fifo = dir.path().join("fifo.xml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let started = Instant::now();
        assert!(read_result_file(&fifo).is_err());
        assert!(started.elapsed() < Duration::from_secs(2));
        // A huge file is refused by its size, before anything is read.
        let huge = dir.path().join("huge.xml");
        fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_RESULT_BYTES as u64 + 1)
            .unwrap();
        assert!(read_result_file(&huge).is_err());
    }
}
