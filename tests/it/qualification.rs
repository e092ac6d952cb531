//! The real folder adapter against the terminal simulator, through a real folder.
//!
//! Every test starts a simulator thread on a fresh temp root, flips its control file where it
//! needs to, and asks `OqsFolder` exactly as the app would.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use onshi_fallback::domain::{Relationship, Sex};
use onshi_fallback::qualification::simulator::{self, Roster};
use onshi_fallback::qualification::{
    NoAnswerReason, OqsFolder, ProbeProblem, QualificationService, Validity, VerifyOutcome,
    VerifyRequest, VerifyResult,
};

const ROSTER: &str = r#"
encoding = "utf-8"

[[person]]
insurer_number = "138107"
insurer_name = "港区"
symbol = "東１２"
number = "3456"
branch = "01"
birth_date = "1970-03-01"
name = "山田 太郎"
kana = "ﾔﾏﾀﾞ ﾀﾛｳ"
sex = "male"
address = "東京都港区新橋1-11-1"
post_number = "105-0004"
validity = "valid"
copay = "030"
qualification_date = "2020-04-01"

[[person]]
insurer_number = "01130012"
insurer_name = "全国健康保険協会東京支部"
symbol = "12-34"
number = "5678"
branch = "00"
birth_date = "1985-07-15"
name = "佐藤 花子"
kana = "ｻﾄｳ ﾊﾅｺ"
sex = "female"
relationship = "family"
validity = "invalid"
qualification_date = "2015-04-01"
disqualification_date = "2026-10-31"

[[person]]
insurer_number = "06139999"
symbol = "9"
number = "111"
branch = "00"
birth_date = "1990-01-02"
name = "鈴木 一郎"
kana = "ｽｽﾞｷ ｲﾁﾛｳ"
sex = "male"
validity = "invalid_new_qualification"
disqualification_date = "2026-10-31"
[person.new_qualification]
insurer_number = "01130012"
insurer_name = "全国健康保険協会東京支部"
symbol = "77-1"
number = "222"
branch = "00"
qualification_date = "2026-11-01"
copay = "030"

[[person]]
insurer_number = "39131234"
number = "12345678"
birth_date = "1940-05-05"
name = "田中 一"
validity = "valid"

[[person]]
insurer_number = "39131234"
number = "12345678"
birth_date = "1940-05-05"
name = "田中 はじめ"
validity = "valid"

[[person]]
insurer_number = "01130012"
symbol = "髙橋"
number = "4444"
branch = "00"
birth_date = "1960-12-24"
name = "髙橋 浩"
kana = "ﾀｶﾊｼ ﾋﾛｼ"
sex = "male"
copay = "020"
encoding = "shift_jis"

[[person]]
insurer_number = "01130012"
symbol = "5"
number = "5555"
birth_date = "1977-07-07"
name = "伊藤 誤"
processing_error = { code = "XQ0042", message = "被保険者番号の形式に誤りがあります" }
"#;

const INSTITUTION: &str = "1311234567";

/// A simulator thread on a temp root, stopped and joined on drop.
struct Terminal {
    root: tempfile::TempDir,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Terminal {
    fn start() -> Terminal {
        let root = tempfile::tempdir().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let roster = Roster::parse(ROSTER).unwrap();
        let (path, flag) = (root.path().to_path_buf(), stop.clone());
        // Create the folders before the adapter looks, so tests do not race the thread.
        fs::create_dir_all(path.join("req")).unwrap();
        fs::create_dir_all(path.join("res")).unwrap();
        let handle = thread::spawn(move || simulator::run(&path, &roster, &flag).unwrap());
        Terminal {
            root,
            stop,
            handle: Some(handle),
        }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn mode(&self, mode: &str) {
        simulator::set_mode(self.path(), mode).unwrap();
    }

    /// Answers come in well under this; it only bounds a failing test.
    fn adapter(&self) -> OqsFolder {
        adapter(self.path(), Duration::from_secs(10))
    }

    /// For the cases that must end in no answer.
    fn impatient_adapter(&self) -> OqsFolder {
        adapter(self.path(), Duration::from_millis(1200))
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn adapter(root: &Path, timeout: Duration) -> OqsFolder {
    OqsFolder::new(root, timeout, INSTITUTION).with_poll_interval(Duration::from_millis(20))
}

fn request(
    insurer: &str,
    symbol: &str,
    number: &str,
    branch: &str,
    birth: (i32, u32, u32),
) -> VerifyRequest {
    VerifyRequest {
        id: "V0001".into(),
        insurer_number: insurer.into(),
        symbol: symbol.into(),
        number: number.into(),
        branch: branch.into(),
        birth_date: NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
        confirmation_date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        consent: false,
    }
}

fn yamada() -> VerifyRequest {
    request("138107", "東１２", "3456", "01", (1970, 3, 1))
}

fn answered(outcome: VerifyOutcome) -> VerifyResult {
    match outcome {
        VerifyOutcome::Answered(r) => r,
        VerifyOutcome::NoAnswer { reason } => panic!("expected an answer, got no answer: {reason}"),
    }
}

fn no_answer(outcome: VerifyOutcome) -> NoAnswerReason {
    match outcome {
        VerifyOutcome::NoAnswer { reason } => reason,
        VerifyOutcome::Answered(r) => panic!("expected no answer, got {r:?}"),
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn our_results(root: &Path) -> Vec<PathBuf> {
    files(&root.join("res"))
        .into_iter()
        .filter(|n| n.starts_with("OQSsiquc01res_") && !n.contains("_face_"))
        .map(|n| root.join("res").join(n))
        .collect()
}

#[test]
fn an_eligible_kokuho_patient_is_verified() {
    let t = Terminal::start();
    let r = answered(t.adapter().verify(&yamada()));
    assert!(r.is_eligible());
    assert!(!r.is_error());
    assert_eq!(r.validity, Some(Validity::Valid));
    assert_eq!(r.arbitrary_identifier.as_deref(), Some("V0001"));
    assert_eq!(r.qualifications.len(), 1);
    let q = &r.qualifications[0];
    assert_eq!(q.insurer_number, "138107");
    assert_eq!(q.insurer_name, "港区");
    assert_eq!(q.symbol, "東１２");
    assert_eq!(q.number, "3456");
    assert_eq!(q.branch, "01");
    assert_eq!(q.relationship, Some(Relationship::Insured));
    assert_eq!(q.name, "山田 太郎");
    assert_eq!(q.kana, "ﾔﾏﾀﾞ ﾀﾛｳ");
    assert_eq!(q.sex, Some(Sex::Male));
    assert_eq!(q.birth_date, NaiveDate::from_ymd_opt(1970, 3, 1));
    assert_eq!(q.post_number, "105-0004");
    assert_eq!(q.qualification_date, NaiveDate::from_ymd_opt(2020, 4, 1));
    assert_eq!(q.copay_ratio_raw, "030");
    assert_eq!(q.copay_percent, Some(30));
    // The request was taken, no temporary file is left behind, and the result (which names
    // the patient, in a shared folder) was removed once read.
    assert!(r.file_id.is_some());
    assert_eq!(files(&t.path().join("req")), Vec::<String>::new());
    assert_eq!(our_results(t.path()), Vec::<PathBuf>::new());
    assert_eq!(files(&t.path().join("res")), Vec::<String>::new());
}

/// The bytes the simulator answers `req` with, as it writes them into `res/` (the adapter
/// removes the file once read).
fn answer_bytes(req: &VerifyRequest) -> Vec<u8> {
    use onshi_fallback::qualification::xml;
    let request = xml::request_xml(req, INSTITUTION, "1", req.confirmation_date).unwrap();
    let doc = xml::parse_doc(&request).unwrap();
    let now = NaiveDate::from_ymd_opt(2026, 11, 25)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    simulator::answer(&doc, &Roster::parse(ROSTER).unwrap(), now)
}

#[test]
fn an_invalid_qualification_is_an_answer_but_not_eligible() {
    let t = Terminal::start();
    let r =
        answered(
            t.adapter()
                .verify(&request("01130012", "12-34", "5678", "00", (1985, 7, 15))),
        );
    assert_eq!(r.validity, Some(Validity::Invalid));
    assert!(!r.is_eligible());
    let q = &r.qualifications[0];
    assert_eq!(q.relationship, Some(Relationship::Family));
    assert_eq!(q.sex, Some(Sex::Female));
    assert_eq!(
        q.disqualification_date,
        NaiveDate::from_ymd_opt(2026, 10, 31)
    );
}

#[test]
fn an_invalid_qualification_with_a_new_one_points_to_it() {
    let t = Terminal::start();
    let r = answered(
        t.adapter()
            .verify(&request("06139999", "9", "111", "00", (1990, 1, 2))),
    );
    assert_eq!(r.validity, Some(Validity::InvalidNewQualification));
    assert!(!r.is_eligible());
    let q = &r.qualifications[0];
    assert_eq!(
        (
            q.insurer_number.as_str(),
            q.symbol.as_str(),
            q.number.as_str()
        ),
        ("01130012", "77-1", "222")
    );
    assert_eq!(q.qualification_date, NaiveDate::from_ymd_opt(2026, 11, 1));
}

#[test]
fn nobody_matching_is_not_found() {
    let t = Terminal::start();
    // Yamada's numbers with another birth date.
    let r = answered(
        t.adapter()
            .verify(&request("138107", "東１２", "3456", "01", (1971, 3, 1))),
    );
    assert_eq!(r.validity, Some(Validity::NotFound));
    assert!(r.qualifications.is_empty());
    assert!(!r.is_eligible());
}

#[test]
fn several_matches_are_reported_as_such() {
    let t = Terminal::start();
    let r = answered(
        t.adapter()
            .verify(&request("39131234", "", "12345678", "", (1940, 5, 5))),
    );
    assert_eq!(r.validity, Some(Validity::MultipleMatches));
    assert!(!r.is_eligible());
}

#[test]
fn a_shift_jis_result_is_read_by_its_declaration() {
    let t = Terminal::start();
    let takahashi = request("01130012", "髙橋", "4444", "00", (1960, 12, 24));
    let r = answered(t.adapter().verify(&takahashi));
    let raw = answer_bytes(&takahashi);
    assert!(raw.starts_with(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\""));
    assert!(
        std::str::from_utf8(&raw).is_err(),
        "the file on disk is really Shift_JIS"
    );
    assert_eq!(r.character_code_identifier.as_deref(), Some("1"));
    assert!(r.is_eligible());
    assert_eq!(r.qualifications[0].name, "髙橋 浩");
    assert_eq!(r.qualifications[0].kana, "ﾀｶﾊｼ ﾋﾛｼ");
    assert_eq!(r.qualifications[0].copay_percent, Some(20));
}

#[test]
fn a_utf8_result_is_read_by_its_declaration() {
    let t = Terminal::start();
    let r = answered(t.adapter().verify(&yamada()));
    let raw = answer_bytes(&yamada());
    assert!(raw.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\""));
    assert!(std::str::from_utf8(&raw).unwrap().contains("山田 太郎"));
    assert_eq!(r.character_code_identifier.as_deref(), Some("0"));
}

#[test]
fn a_terminal_that_is_down_gives_no_answer_and_then_comes_back() {
    let t = Terminal::start();
    t.mode("down");
    let reason = no_answer(t.impatient_adapter().verify(&yamada()));
    assert!(
        matches!(reason, NoAnswerReason::Timeout { .. }),
        "{reason:?}"
    );
    // The unanswered request is withdrawn, so a terminal coming back does not answer it.
    assert_eq!(files(&t.path().join("req")), Vec::<String>::new());
    t.mode("up");
    assert!(t.adapter().verify(&yamada()).is_eligible());
}

#[test]
fn a_slow_terminal_is_a_time_out() {
    let t = Terminal::start();
    t.mode("slow 4000");
    let reason = no_answer(t.impatient_adapter().verify(&yamada()));
    assert!(
        matches!(reason, NoAnswerReason::Timeout { .. }),
        "{reason:?}"
    );
}

#[test]
fn a_truncated_result_is_no_answer() {
    let t = Terminal::start();
    t.mode("truncated");
    let reason = no_answer(t.impatient_adapter().verify(&yamada()));
    assert!(matches!(reason, NoAnswerReason::Truncated(_)), "{reason:?}");
    // The half file is there: it was read and refused, not missed.
    assert_eq!(our_results(t.path()).len(), 1);
}

#[test]
fn a_result_that_is_not_xml_is_no_answer() {
    let t = Terminal::start();
    t.mode("garbage");
    let reason = no_answer(t.impatient_adapter().verify(&yamada()));
    assert!(matches!(reason, NoAnswerReason::Malformed(_)), "{reason:?}");
}

#[test]
fn an_abnormal_end_is_kept_verbatim_and_not_eligible() {
    let t = Terminal::start();
    t.mode("error EQ0123 回線認証が切断されています <再接続>");
    let r = answered(t.adapter().verify(&yamada()));
    assert!(r.is_error());
    assert!(!r.is_eligible());
    assert_eq!(r.segment_of_result, "9");
    assert_eq!(r.error_code.as_deref(), Some("EQ0123"));
    assert_eq!(
        r.error_message.as_deref(),
        Some("回線認証が切断されています <再接続>")
    );
    assert_eq!(r.validity, None);
    // Read, and removed like any answer of ours; the probe judges the line by what other
    // programs (the receipt software) leave in res/.
    assert_eq!(our_results(t.path()), Vec::<PathBuf>::new());
    fs::write(
        t.path().join("res/OQSsiquc01res_202611250900000001.xml"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader><SegmentOfResult>9</SegmentOfResult><ErrorCode>EQ0123</ErrorCode></MessageHeader></XmlMsg>",
    )
    .unwrap();
    let probe = t.adapter().probe();
    assert!(!probe.ok);
    assert!(
        probe
            .problems
            .iter()
            .any(|p| matches!(p, ProbeProblem::LastResultError { code, .. } if code == "EQ0123")),
        "{probe:?}"
    );
}

#[test]
fn a_processing_error_is_kept_verbatim_and_not_eligible() {
    let t = Terminal::start();
    let r = answered(
        t.adapter()
            .verify(&request("01130012", "5", "5555", "", (1977, 7, 7))),
    );
    assert!(r.is_error());
    assert!(!r.is_eligible());
    assert_eq!(r.segment_of_result, "1");
    assert_eq!(r.processing_result_status.as_deref(), Some("2"));
    assert_eq!(r.processing_result_code.as_deref(), Some("XQ0042"));
    assert_eq!(
        r.processing_result_message.as_deref(),
        Some("被保険者番号の形式に誤りがあります")
    );
    // A per-request error says nothing about the terminal.
    assert!(t.adapter().probe().ok);
}

#[test]
fn files_that_are_not_ours_are_left_alone() {
    let t = Terminal::start();
    let res = t.path().join("res");
    // A face-recognition reader's result (an abnormal end, newer than anything else) and
    // someone else's result.
    let face = res.join("OQSsiquc01res_face_20261125101010.xml");
    let face_bytes = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader><SegmentOfResult>9</SegmentOfResult><ErrorCode>F1</ErrorCode></MessageHeader></XmlMsg>";
    let other = res.join("OQSsiquc01res_202001010000000001.xml");
    fs::write(&other, "someone else's").unwrap();
    // Older than ours even on file systems with coarse time stamps.
    fs::File::options()
        .write(true)
        .open(&other)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
    let r = answered(t.adapter().verify(&yamada()));
    assert!(r.is_eligible());
    fs::write(&face, face_bytes).unwrap();
    let probe = t.adapter().probe();
    assert!(
        probe.ok,
        "a face file must not make the probe fail: {probe:?}"
    );
    // Ours was removed once read; the face file and the other program's result stay.
    assert_eq!(our_results(t.path()), vec![other.clone()]);
    assert_eq!(fs::read_to_string(&face).unwrap(), face_bytes);
    assert_eq!(fs::read_to_string(&other).unwrap(), "someone else's");
}

#[test]
fn a_missing_req_folder_fails_the_probe_and_the_check() {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join("res")).unwrap();
    let a = adapter(root.path(), Duration::from_millis(500));
    let probe = a.probe();
    assert!(!probe.ok);
    assert!(
        probe
            .problems
            .iter()
            .any(|p| matches!(p, ProbeProblem::ReqMissing(_))),
        "{probe:?}"
    );
    let reason = no_answer(a.verify(&yamada()));
    assert!(
        matches!(reason, NoAnswerReason::ReqFolderMissing(_)),
        "{reason:?}"
    );
    assert!(
        !root.path().join("req").exists(),
        "the adapter must not invent the terminal's folders"
    );
    // A missing root is a failure too, not a panic.
    let gone = adapter(&root.path().join("nowhere"), Duration::from_millis(500)).probe();
    assert!(
        matches!(gone.problems.as_slice(), [ProbeProblem::RootMissing(_)]),
        "{gone:?}"
    );
}

#[test]
fn a_healthy_terminal_passes_the_probe() {
    let t = Terminal::start();
    assert!(t.adapter().probe().ok);
    assert!(t.adapter().verify(&yamada()).is_eligible());
    let probe = t.adapter().probe();
    assert!(probe.ok, "{probe:?}");
    assert!(
        probe.last_result.is_none(),
        "our answer was removed once read"
    );
}

#[test]
fn requests_the_terminal_never_takes_fail_the_probe() {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir_all(root.path().join("req")).unwrap();
    fs::create_dir_all(root.path().join("res")).unwrap();
    let old = root
        .path()
        .join("req")
        .join("OQSsiquc01req_202611250800000001.xml");
    fs::write(&old, "x").unwrap();
    fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let probe = adapter(root.path(), Duration::from_secs(30)).probe();
    assert!(
        matches!(
            probe.problems.as_slice(),
            [ProbeProblem::StaleRequests { count: 1, .. }]
        ),
        "{probe:?}"
    );
    assert!(old.exists(), "the probe only looks");
}

#[test]
fn an_answer_to_another_request_is_not_taken() {
    // A terminal that echoes the wrong ArbitraryIdentifier.
    let root = tempfile::tempdir().unwrap();
    let (req, res) = (root.path().join("req"), root.path().join("res"));
    fs::create_dir_all(&req).unwrap();
    fs::create_dir_all(&res).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let (req2, res2) = (req.clone(), res.clone());
    let fake = thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            for name in files(&req2)
                .into_iter()
                .filter(|n| n.starts_with("OQSsiquc01req_") && n.ends_with(".xml"))
            {
                let id = &name["OQSsiquc01req_".len()..name.len() - 4];
                let body = format!(
                    "<?xml version=\"1.0\"?><XmlMsg><MessageHeader><ArbitraryFileIdentifier>{id}</ArbitraryFileIdentifier>\
                     <SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody><QualificationConfirmSearchInfo>\
                     <ArbitraryIdentifier>SOMEONE-ELSE</ArbitraryIdentifier></QualificationConfirmSearchInfo>\
                     <ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>1</QualificationValidity>\
                     </MessageBody></XmlMsg>"
                );
                fs::write(res2.join(format!("OQSsiquc01res_{id}.xml")), body).unwrap();
                let _ = fs::remove_file(req2.join(&name));
            }
            thread::sleep(Duration::from_millis(20));
        }
    });
    let outcome = adapter(root.path(), Duration::from_millis(800)).verify(&yamada());
    stop.store(true, Ordering::Relaxed);
    fake.join().unwrap();
    let reason = no_answer(outcome);
    assert!(matches!(reason, NoAnswerReason::NotOurs(_)), "{reason:?}");
}

#[test]
fn an_invalid_request_is_refused_before_anything_is_written() {
    let t = Terminal::start();
    let reason = no_answer(
        t.adapter()
            .verify(&request("1234567", "", "1", "", (1970, 1, 1))),
    );
    assert!(
        matches!(reason, NoAnswerReason::InvalidRequest(_)),
        "{reason:?}"
    );
    assert_eq!(files(&t.path().join("req")), Vec::<String>::new());
    assert_eq!(our_results(t.path()), Vec::<PathBuf>::new());
}

/// The request as it lands in `req/`: Shift_JIS, section 4's layout, a 6-digit 国保 insurer
/// number padded to 8, a full-width 記号 kept. Printed (decoded) with `--nocapture`.
#[test]
fn the_request_file_on_disk() {
    let root = tempfile::tempdir().unwrap();
    let req = root.path().join("req");
    fs::create_dir_all(&req).unwrap();
    let a = adapter(root.path(), Duration::from_secs(3));
    let mut r = yamada();
    r.consent = true;
    let waiter = thread::spawn(move || a.verify(&r));
    let mut seen = None;
    for _ in 0..500 {
        if let Some(name) = files(&req)
            .into_iter()
            .find(|n| n.starts_with("OQSsiquc01req_") && n.ends_with(".xml"))
        {
            seen = Some((name.clone(), fs::read(req.join(name)).unwrap()));
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    let (name, bytes) = seen.expect("a request file appears in req/");
    let outcome = waiter.join().unwrap();
    assert!(matches!(
        outcome,
        VerifyOutcome::NoAnswer {
            reason: NoAnswerReason::Timeout { .. }
        }
    ));
    let id = &name["OQSsiquc01req_".len()..name.len() - 4];
    assert_eq!(id.len(), 18, "YYYYMMDDHHMMSS + 4-digit sequence: {id}");
    assert!(id.bytes().all(|b| b.is_ascii_digit()));
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!had_errors);
    assert!(std::str::from_utf8(&bytes).is_err(), "Shift_JIS, not UTF-8");
    println!("--- {name} (Shift_JIS, shown decoded) ---\n{text}");
    let today = chrono::Local::now()
        .date_naive()
        .format("%Y%m%d")
        .to_string();
    let expected = [
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>".to_string(),
        "<XmlMsg>".into(),
        "  <MessageHeader>".into(),
        format!("    <QualificationConfirmationDate>{today}</QualificationConfirmationDate>"),
        "    <MedicalInstitutionCode>1311234567</MedicalInstitutionCode>".into(),
        format!("    <ArbitraryFileIdentifier>{id}</ArbitraryFileIdentifier>"),
        "  </MessageHeader>".into(),
        "  <MessageBody>".into(),
        "    <QualificationConfirmSearchInfo>".into(),
        "      <InsurerNumber>  138107</InsurerNumber>".into(),
        "      <InsuredCardSymbol>東１２</InsuredCardSymbol>".into(),
        "      <InsuredIdentificationNumber>3456</InsuredIdentificationNumber>".into(),
        "      <InsuredBranchNumber>01</InsuredBranchNumber>".into(),
        "      <Birthdate>19700301</Birthdate>".into(),
        "      <LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>".into(),
        "      <ArbitraryIdentifier>V0001</ArbitraryIdentifier>".into(),
        "    </QualificationConfirmSearchInfo>".into(),
        "  </MessageBody>".into(),
        "</XmlMsg>".into(),
        String::new(),
    ]
    .join("\r\n");
    // The date may roll over at midnight between writing and checking: compare it masked.
    assert_eq!(mask_date(&text), mask_date(&expected));
    assert!(text.contains("<QualificationConfirmationDate>20"));
}

/// Replaces the 8 digits after `<QualificationConfirmationDate>` with `YYYYMMDD`.
fn mask_date(s: &str) -> String {
    let tag = "<QualificationConfirmationDate>";
    let at = s.find(tag).expect("date element") + tag.len();
    format!("{}YYYYMMDD{}", &s[..at], &s[at + 8..])
}

#[test]
fn a_result_still_being_written_is_waited_for() {
    // A terminal that writes its result in two goes under the final name.
    let root = tempfile::tempdir().unwrap();
    let (req, res) = (root.path().join("req"), root.path().join("res"));
    fs::create_dir_all(&req).unwrap();
    fs::create_dir_all(&res).unwrap();
    let (req2, res2) = (req.clone(), res.clone());
    let slow_writer = thread::spawn(move || {
        for _ in 0..1000 {
            if let Some(name) = files(&req2)
                .into_iter()
                .find(|n| n.starts_with("OQSsiquc01req_") && n.ends_with(".xml"))
            {
                let id = name["OQSsiquc01req_".len()..name.len() - 4].to_string();
                let body = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader><ArbitraryFileIdentifier>{id}</ArbitraryFileIdentifier>\
                     <SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>\
                     <QualificationValidity>1</QualificationValidity><ResultList><ResultOfQualificationConfirmation>\
                     <Name>山田 太郎</Name></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"
                );
                let path = res2.join(format!("OQSsiquc01res_{id}.xml"));
                let half = body.len() / 2;
                fs::write(&path, &body.as_bytes()[..half]).unwrap();
                let _ = fs::remove_file(req2.join(&name));
                // Let the adapter see the half file at least once.
                thread::sleep(Duration::from_millis(300));
                fs::write(&path, body.as_bytes()).unwrap();
                return true;
            }
            thread::sleep(Duration::from_millis(5));
        }
        false
    });
    let r = answered(adapter(root.path(), Duration::from_secs(10)).verify(&yamada()));
    assert!(slow_writer.join().unwrap(), "the writer saw the request");
    assert!(r.is_eligible());
    assert_eq!(r.qualifications[0].name, "山田 太郎");
}

#[test]
fn checks_from_several_threads_each_get_their_own_answer() {
    let t = Terminal::start();
    let a = Arc::new(t.adapter());
    let people = [
        (yamada(), Validity::Valid),
        (
            request("01130012", "12-34", "5678", "00", (1985, 7, 15)),
            Validity::Invalid,
        ),
        (
            request("01130012", "髙橋", "4444", "00", (1960, 12, 24)),
            Validity::Valid,
        ),
        (
            request("138107", "東１２", "3456", "01", (1971, 3, 1)),
            Validity::NotFound,
        ),
    ];
    let handles: Vec<_> = people
        .into_iter()
        .enumerate()
        .map(|(i, (mut req, expected))| {
            let a = a.clone();
            req.id = format!("V{i}");
            thread::spawn(move || {
                let r = answered(a.verify(&req));
                assert_eq!(r.validity, Some(expected));
                assert_eq!(r.arbitrary_identifier, Some(req.id.clone()));
                r.file_id.unwrap()
            })
        })
        .collect();
    let mut ids: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "distinct request ids");
}
