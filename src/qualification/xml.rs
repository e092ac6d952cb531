//! The terminal's XML: writing requests, reading results.
//!
//! Requests are Shift_JIS, laid out as the terminal's interface shows them. Results come in
//! UTF-8 or Shift_JIS, named in the XML declaration (UTF-8 when there is none). Reading is
//! deliberately forgiving about what it does not know (unknown elements are ignored) and strict
//! about what it needs (a result without `SegmentOfResult`, or a normal end without
//! `QualificationValidity`, is malformed). No input panics.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use encoding_rs::{Encoding, SHIFT_JIS, UTF_8};
use quick_xml::events::Event;
use quick_xml::Reader;

use super::{NoAnswerReason, Validity, VerifiedQualification, VerifyRequest, VerifyResult};
use crate::domain::text::normalize_number;
use crate::domain::{Relationship, Sex};

/// Results larger than this are not results.
pub(crate) const MAX_RESULT_BYTES: usize = 8 * 1024 * 1024;

/// Why a file is not (yet) a readable result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Ends early: may still be being written.
    #[error("truncated: {0}")]
    Truncated(String),
    #[error("malformed: {0}")]
    Malformed(String),
}

impl From<ParseError> for NoAnswerReason {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Truncated(d) => NoAnswerReason::Truncated(d),
            ParseError::Malformed(d) => NoAnswerReason::Malformed(d),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// The request file's bytes (Shift_JIS), or why this request cannot be sent.
///
/// `file_id` goes in `ArbitraryFileIdentifier`, `req.id` in `ArbitraryIdentifier`; both are
/// echoed back and let the adapter check that a result answers this request.
pub fn request_xml(
    req: &VerifyRequest,
    institution_code: &str,
    file_id: &str,
    today: NaiveDate,
) -> Result<Vec<u8>, String> {
    let code = normalize_number(institution_code);
    if code.len() != 10 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("医療機関コードは10桁の数字です (medical institution code must be 10 digits): {institution_code:?}"));
    }
    let insurer = wire_insurer_number(&req.insurer_number)?;
    let number = normalize_number(&req.number);
    if number.is_empty() {
        return Err("被保険者番号がありません (insured number is empty)".into());
    }
    let branch = wire_branch(&req.branch)?;
    let symbol = req.symbol.trim();
    for (label, value) in [
        ("記号 (symbol)", symbol),
        ("番号 (number)", number.as_str()),
        ("id", req.id.as_str()),
    ] {
        if value.chars().any(char::is_control) {
            return Err(format!(
                "{label} に制御文字があります (control character in {label})"
            ));
        }
    }

    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n");
    s.push_str("<XmlMsg>\r\n  <MessageHeader>\r\n");
    leaf(
        &mut s,
        4,
        "QualificationConfirmationDate",
        &today.format("%Y%m%d").to_string(),
    );
    leaf(&mut s, 4, "MedicalInstitutionCode", &code);
    leaf(&mut s, 4, "ArbitraryFileIdentifier", file_id);
    s.push_str("  </MessageHeader>\r\n  <MessageBody>\r\n    <QualificationConfirmSearchInfo>\r\n");
    leaf(&mut s, 6, "InsurerNumber", &insurer);
    if !symbol.is_empty() {
        leaf(&mut s, 6, "InsuredCardSymbol", symbol);
    }
    leaf(&mut s, 6, "InsuredIdentificationNumber", &number);
    if !branch.is_empty() {
        leaf(&mut s, 6, "InsuredBranchNumber", &branch);
    }
    leaf(
        &mut s,
        6,
        "Birthdate",
        &req.birth_date.format("%Y%m%d").to_string(),
    );
    leaf(
        &mut s,
        6,
        "LimitApplicationCertificateRelatedConsFlg",
        if req.consent { "1" } else { "0" },
    );
    if !req.id.trim().is_empty() {
        leaf(&mut s, 6, "ArbitraryIdentifier", req.id.trim());
    }
    s.push_str("    </QualificationConfirmSearchInfo>\r\n  </MessageBody>\r\n</XmlMsg>\r\n");
    encode(&s, SHIFT_JIS).map_err(|c| {
        format!("Shift_JIS で送れない文字があります (character not in Shift_JIS): {c}")
    })
}

/// 8 digits as they are; 6-digit 国保 numbers left-padded with spaces to 8.
fn wire_insurer_number(raw: &str) -> Result<String, String> {
    let n = normalize_number(raw);
    if !n.bytes().all(|b| b.is_ascii_digit()) || !(n.len() == 6 || n.len() == 8) {
        return Err(format!(
            "保険者番号は6桁または8桁の数字です (insurer number must be 6 or 8 digits): {raw:?}"
        ));
    }
    Ok(format!("{n:>8}"))
}

/// Empty stays empty (the element is left out); 1-2 digits become 2.
fn wire_branch(raw: &str) -> Result<String, String> {
    let b = normalize_number(raw);
    if b.is_empty() {
        return Ok(b);
    }
    if b.len() > 2 || !b.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "枝番は2桁の数字です (branch must be 2 digits): {raw:?}"
        ));
    }
    Ok(format!("{b:0>2}"))
}

/// Appends `<name>escaped</name>` on its own line.
pub fn leaf(out: &mut String, indent: usize, name: &str, value: &str) {
    out.push_str(&" ".repeat(indent));
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&quick_xml::escape::escape(value));
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\r\n");
}

/// Encodes text; Err names the first character the encoding cannot hold.
pub fn encode(text: &str, encoding: &'static Encoding) -> Result<Vec<u8>, char> {
    if encoding == UTF_8 {
        return Ok(text.as_bytes().to_vec());
    }
    let mut encoder = encoding.new_encoder();
    let mut out = Vec::with_capacity(text.len() * 2);
    let mut rest = text;
    loop {
        out.reserve(rest.len() * 2 + 16);
        let (result, read) =
            encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        match result {
            encoding_rs::EncoderResult::InputEmpty => return Ok(out),
            encoding_rs::EncoderResult::OutputFull => rest = &rest[read..],
            encoding_rs::EncoderResult::Unmappable(c) => return Err(c),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Picks the encoding from a BOM or the XML declaration (UTF-8 when neither says) and decodes
/// strictly: bytes that do not fit the declared encoding make the file malformed rather than
/// silently garbling a name.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static Encoding), ParseError> {
    if bytes.is_empty() {
        return Err(ParseError::Truncated("空のファイル (empty file)".into()));
    }
    if bytes.len() > MAX_RESULT_BYTES {
        return Err(ParseError::Malformed(format!(
            "大きすぎます (too large: {} bytes)",
            bytes.len()
        )));
    }
    let (body, encoding) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (rest, UTF_8)
    } else {
        (bytes, declared_encoding(bytes)?)
    };
    match encoding.decode_without_bom_handling_and_without_replacement(body) {
        Some(text) => Ok((text.into_owned(), encoding)),
        None => Err(ParseError::Malformed(format!(
            "{} として読めないバイト列 (bytes invalid for {})",
            encoding.name(),
            encoding.name()
        ))),
    }
}

/// The encoding named in `<?xml ... encoding="..."?>`; UTF-8 without a declaration or label.
/// Only UTF-8 and Shift_JIS (and its aliases such as Windows-31J) are accepted.
fn declared_encoding(bytes: &[u8]) -> Result<&'static Encoding, ParseError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let head = &bytes[start..];
    if !head.starts_with(b"<?xml") {
        if b"<?xml".starts_with(head) {
            return Err(ParseError::Truncated(
                "XML宣言の途中で終わっています (ends inside the XML declaration)".into(),
            ));
        }
        return Ok(UTF_8);
    }
    let Some(end) = head.windows(2).position(|w| w == b"?>") else {
        return Err(ParseError::Truncated(
            "XML宣言の途中で終わっています (ends inside the XML declaration)".into(),
        ));
    };
    let decl = &head[..end];
    let Some(at) = decl.windows(8).position(|w| w == b"encoding") else {
        return Ok(UTF_8);
    };
    let after = &decl[at + 8..];
    let mut i = after
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(after.len());
    if after.get(i) != Some(&b'=') {
        return Err(ParseError::Malformed(
            "XML宣言の encoding が読めません (bad encoding in declaration)".into(),
        ));
    }
    i += 1;
    while after.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    let quote = match after.get(i) {
        Some(q @ (b'"' | b'\'')) => *q,
        _ => {
            return Err(ParseError::Malformed(
                "XML宣言の encoding が読めません (bad encoding in declaration)".into(),
            ))
        }
    };
    let value = &after[i + 1..];
    let Some(len) = value.iter().position(|b| *b == quote) else {
        return Err(ParseError::Malformed(
            "XML宣言の encoding が読めません (bad encoding in declaration)".into(),
        ));
    };
    let label = &value[..len];
    match Encoding::for_label(label) {
        Some(e) if e == UTF_8 || e == SHIFT_JIS => Ok(e),
        _ => Err(ParseError::Malformed(format!(
            "対応していない文字コード (unsupported encoding): {}",
            String::from_utf8_lossy(label)
        ))),
    }
}

/// The leaves of a terminal document, by where they sit. Only the places the interface uses
/// are collected; everything else (unknown elements, nested containers) is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    /// Direct children of `XmlMsg/MessageHeader`.
    pub header: BTreeMap<String, String>,
    /// Direct children of `XmlMsg/MessageBody`.
    pub body: BTreeMap<String, String>,
    /// Direct children of `XmlMsg/MessageBody/QualificationConfirmSearchInfo`.
    pub search_info: BTreeMap<String, String>,
    /// Direct children of each `ResultOfQualificationConfirmation` below `MessageBody`.
    pub records: Vec<BTreeMap<String, String>>,
    /// Leaves that appeared more than once where one is expected (`MessageHeader/SegmentOfResult`):
    /// the first is kept above, but an answer that says two things is not to be trusted.
    pub duplicates: Vec<String>,
}

const RECORD: &str = "ResultOfQualificationConfirmation";

/// Decodes and walks a document whose root is `XmlMsg`. Leaf values are kept exactly as sent.
pub fn parse_doc(bytes: &[u8]) -> Result<Doc, ParseError> {
    let (text, _) = decode(bytes)?;
    let mut reader = Reader::from_str(&text);
    let mut doc = Doc::default();
    // Element names from the root down, and whether each has had a child element.
    let mut path: Vec<String> = Vec::new();
    let mut had_child: Vec<bool> = Vec::new();
    let mut value = String::new();
    let mut saw_root = false;
    // Index in `path` of the open record element, if any.
    let mut record_at: Option<usize> = None;
    loop {
        let event = reader.read_event().map_err(|e| {
            classify(
                &e.to_string(),
                reader.buffer_position() as usize,
                text.len(),
            )
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if path.is_empty() && saw_root => {
                let _ = e;
                return Err(ParseError::Malformed(
                    "ルート要素が複数あります (more than one root element)".into(),
                ));
            }
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                open(
                    &mut doc,
                    &mut path,
                    &mut had_child,
                    &mut record_at,
                    &mut saw_root,
                    name,
                )?;
                value.clear();
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                open(
                    &mut doc,
                    &mut path,
                    &mut had_child,
                    &mut record_at,
                    &mut saw_root,
                    name,
                )?;
                value.clear();
                close(&mut doc, &mut path, &mut had_child, &mut record_at, &value);
            }
            Event::Text(t) => value.push_str(&t.xml10_content()),
            Event::CData(c) => value.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                        Some(s) => s.to_string(),
                        None => {
                            return Err(ParseError::Malformed(format!(
                                "未知の実体参照 (unknown entity) &{};",
                                &*r
                            )))
                        }
                    },
                    Err(e) => {
                        return Err(ParseError::Malformed(format!(
                            "文字参照が不正 (bad character reference): {e}"
                        )))
                    }
                };
                value.push_str(&resolved);
            }
            Event::End(_) => {
                close(&mut doc, &mut path, &mut had_child, &mut record_at, &value);
                value.clear();
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !path.is_empty() {
        return Err(ParseError::Truncated(format!(
            "</{}> がないまま終わっています (ends before </{}>)",
            path[0], path[0]
        )));
    }
    if !saw_root {
        return Err(ParseError::Truncated(
            "要素がありません (no element yet)".into(),
        ));
    }
    Ok(doc)
}

fn open(
    doc: &mut Doc,
    path: &mut Vec<String>,
    had_child: &mut Vec<bool>,
    record_at: &mut Option<usize>,
    saw_root: &mut bool,
    name: String,
) -> Result<(), ParseError> {
    if path.is_empty() {
        if name != "XmlMsg" {
            return Err(ParseError::Malformed(format!(
                "ルート要素が XmlMsg ではありません (root is <{name}>, not <XmlMsg>)"
            )));
        }
        *saw_root = true;
    }
    if let Some(last) = had_child.last_mut() {
        *last = true;
    }
    if record_at.is_none() && name == RECORD && path.len() >= 2 && path[1] == "MessageBody" {
        *record_at = Some(path.len());
        doc.records.push(BTreeMap::new());
    }
    path.push(name);
    had_child.push(false);
    Ok(())
}

fn close(
    doc: &mut Doc,
    path: &mut Vec<String>,
    had_child: &mut Vec<bool>,
    record_at: &mut Option<usize>,
    value: &str,
) {
    let depth = path.len();
    let leaf = had_child.last() == Some(&false);
    if leaf {
        let name = path[depth - 1].clone();
        let slot = match (record_at.as_ref(), depth) {
            (Some(r), d) if d == r + 2 => doc.records.last_mut(),
            (None, 3) if path[1] == "MessageHeader" => Some(&mut doc.header),
            (None, 3) if path[1] == "MessageBody" => Some(&mut doc.body),
            (None, 4)
                if path[1] == "MessageBody" && path[2] == "QualificationConfirmSearchInfo" =>
            {
                Some(&mut doc.search_info)
            }
            _ => None,
        };
        if let Some(map) = slot {
            match map.entry(name) {
                std::collections::btree_map::Entry::Occupied(_) => {
                    doc.duplicates.push(path[1..].join("/"))
                }
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(value.to_string());
                }
            }
        }
    }
    if *record_at == Some(depth - 1) {
        *record_at = None;
    }
    path.pop();
    had_child.pop();
}

/// quick-xml reports a file that stops mid-tag as a syntax error; near the end of the text
/// that is a truncation, elsewhere a malformed file.
fn classify(message: &str, position: usize, len: usize) -> ParseError {
    let lower = message.to_ascii_lowercase();
    if position >= len
        && (lower.contains("unclosed") || lower.contains("eof") || lower.contains("end of"))
    {
        ParseError::Truncated(message.to_string())
    } else {
        ParseError::Malformed(message.to_string())
    }
}

/// Reads a result file. See the module doc for what makes it malformed.
pub fn parse_result(bytes: &[u8]) -> Result<VerifyResult, ParseError> {
    let doc = parse_doc(bytes)?;
    let h = |k: &str| doc.header.get(k).cloned();
    let b = |k: &str| doc.body.get(k).cloned();
    let segment = h("SegmentOfResult")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ParseError::Malformed("SegmentOfResult がありません (no SegmentOfResult)".into())
        })?;
    let mut result = VerifyResult {
        file_id: h("ArbitraryFileIdentifier"),
        process_execution_time: h("ProcessExecutionTime"),
        reference_classification: h("ReferenceClassification"),
        segment_of_result: segment,
        error_code: h("ErrorCode"),
        error_message: h("ErrorMessage"),
        character_code_identifier: h("CharacterCodeIdentifier"),
        processing_result_status: b("ProcessingResultStatus"),
        processing_result_code: b("ProcessingResultCode"),
        processing_result_message: b("ProcessingResultMessage"),
        arbitrary_identifier: doc.search_info.get("ArbitraryIdentifier").cloned(),
        medical_institution_code: h("MedicalInstitutionCode"),
        confirmation_date: h("QualificationConfirmationDate"),
        echo: doc.search_info.clone(),
        doubts: Vec::new(),
        validity: None,
        qualifications: doc.records.iter().map(qualification).collect(),
    };
    for d in &doc.duplicates {
        result.doubts.push(format!(
            "結果の要素 {d} が2回以上あります（どちらが正しいか判断できません）"
        ));
    }
    for (n, r) in doc.records.iter().enumerate() {
        for key in ["Birthdate", "QualificationDate", "DisqualificationDate"] {
            let raw = r.get(key).map(|v| v.trim()).unwrap_or("");
            if !raw.is_empty() && NaiveDate::parse_from_str(raw, "%Y%m%d").is_err() {
                result.doubts.push(format!(
                    "結果 {} 件目の {key} が日付として読めません: {raw}",
                    n + 1
                ));
            }
        }
    }
    // The validity belongs to the body; some writers put it in the record.
    let validity = b("QualificationValidity")
        .or_else(|| {
            doc.records
                .iter()
                .find_map(|r| r.get("QualificationValidity").cloned())
        })
        .filter(|v| !v.trim().is_empty());
    let record_validities = doc
        .records
        .iter()
        .filter_map(|r| r.get("QualificationValidity"))
        .map(|v| v.trim());
    if let Some(v) = &validity {
        if record_validities.clone().any(|r| r != v.trim()) {
            result.doubts.push(format!(
                "資格の有効性が結果の中で食い違っています（{}）",
                std::iter::once(v.trim())
                    .chain(record_validities)
                    .collect::<Vec<_>>()
                    .join("・")
            ));
        }
    }
    result.validity = validity.map(|v| Validity::from_code(&v));
    if result.segment_of_result == "1" && !result.is_error() && result.validity.is_none() {
        return Err(ParseError::Malformed("正常終了なのに QualificationValidity がありません (normal end without QualificationValidity)".into()));
    }
    Ok(result)
}

fn qualification(r: &BTreeMap<String, String>) -> VerifiedQualification {
    let raw = |k: &str| r.get(k).cloned().unwrap_or_default();
    let num = |k: &str| raw(k).trim().to_string();
    let date = |k: &str| NaiveDate::parse_from_str(raw(k).trim(), "%Y%m%d").ok();
    let copay_raw = raw("InsuredPartialContributionRatio");
    VerifiedQualification {
        card_classification: raw("InsuredCardClassification"),
        insurer_number: num("InsurerNumber"),
        insurer_name: raw("InsurerName"),
        symbol: num("InsuredCardSymbol"),
        number: num("InsuredIdentificationNumber"),
        branch: num("InsuredBranchNumber"),
        relationship: match raw("PersonalFamilyClassification").trim() {
            "1" => Some(Relationship::Insured),
            "2" => Some(Relationship::Family),
            _ => None,
        },
        insured_name: raw("InsuredName"),
        name: raw("Name"),
        name_of_other: raw("NameOfOther"),
        kana: raw("NameKana"),
        kana_of_other: raw("NameOfOtherKana"),
        sex: match raw("Sex1").trim() {
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            _ => None,
        },
        birth_date: date("Birthdate"),
        address: raw("Address"),
        post_number: raw("PostNumber"),
        qualification_date: date("QualificationDate"),
        disqualification_date: date("DisqualificationDate"),
        certificate_issuance_date: date("InsuredCertificateIssuanceDate"),
        card_valid_date: date("InsuredCardValidDate"),
        card_expiration_date: date("InsuredCardExpirationDate"),
        copay_percent: copay_percent(&copay_raw),
        copay_ratio_raw: copay_raw,
        preschool_classification: raw("PreschoolClassification"),
        reason_of_loss: raw("ReasonOfLoss"),
    }
}

/// "030" → 30. Only the 3-digit shape seen in the wild is read; anything else stays raw.
pub fn copay_percent(raw: &str) -> Option<u8> {
    let t = raw.trim();
    if t.len() != 3 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<u8>().ok().filter(|p| *p <= 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request() -> VerifyRequest {
        VerifyRequest {
            id: "V0001".into(),
            insurer_number: "138107".into(),
            symbol: "東１２".into(),
            number: "3456".into(),
            branch: "01".into(),
            birth_date: NaiveDate::from_ymd_opt(1970, 3, 1).unwrap(),
            confirmation_date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            consent: true,
        }
    }

    const OK_RESULT: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg>
  <MessageHeader>
    <ProcessExecutionTime>20261125101500</ProcessExecutionTime>
    <ArbitraryFileIdentifier>202611251015000001</ArbitraryFileIdentifier>
    <SegmentOfResult>1</SegmentOfResult>
    <CharacterCodeIdentifier>0</CharacterCodeIdentifier>
    <SomethingNew>x</SomethingNew>
  </MessageHeader>
  <MessageBody>
    <QualificationConfirmSearchInfo><ArbitraryIdentifier>V0001</ArbitraryIdentifier></QualificationConfirmSearchInfo>
    <ProcessingResultStatus>1</ProcessingResultStatus>
    <QualificationValidity>1</QualificationValidity>
    <ResultList>
      <ResultOfQualificationConfirmation>
        <InsurerNumber>  138107</InsurerNumber>
        <InsuredCardSymbol>東１２</InsuredCardSymbol>
        <Name>山田 &amp; 太郎</Name>
        <NameKana>ﾔﾏﾀﾞ ﾀﾛｳ</NameKana>
        <Sex1>1</Sex1>
        <Birthdate>19700301</Birthdate>
        <InsuredPartialContributionRatio>030</InsuredPartialContributionRatio>
        <ElderlyRecipientCertificateInfo><InsurerNumber>99999999</InsurerNumber></ElderlyRecipientCertificateInfo>
      </ResultOfQualificationConfirmation>
    </ResultList>
  </MessageBody>
</XmlMsg>
"#;

    #[test]
    fn a_kokuho_request_is_padded_and_shift_jis() {
        let bytes = request_xml(
            &request(),
            "1311234567",
            "202611251015000001",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
        let (text, had_errors) = SHIFT_JIS.decode_without_bom_handling(&bytes);
        assert!(!had_errors);
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>")
        );
        assert!(
            text.contains("<InsurerNumber>  138107</InsurerNumber>"),
            "{text}"
        );
        assert!(text.contains("<InsuredCardSymbol>東１２</InsuredCardSymbol>"));
        assert!(text.contains("<InsuredBranchNumber>01</InsuredBranchNumber>"));
        assert!(text.contains("<Birthdate>19700301</Birthdate>"));
        assert!(text.contains("<MedicalInstitutionCode>1311234567</MedicalInstitutionCode>"));
        assert!(text.contains("<LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>"));
        // The request reads back through the same parser the simulator uses.
        let doc = parse_doc(&bytes).unwrap();
        assert_eq!(doc.search_info["InsurerNumber"], "  138107");
        assert_eq!(doc.search_info["InsuredCardSymbol"], "東１２");
    }

    #[test]
    fn bad_requests_are_refused_not_sent() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let mut r = request();
        r.insurer_number = "1234567".into();
        assert!(request_xml(&r, "1311234567", "x", today).is_err());
        assert!(request_xml(&request(), "131123456", "x", today).is_err());
        let mut r = request();
        r.branch = "123".into();
        assert!(request_xml(&r, "1311234567", "x", today).is_err());
        let mut r = request();
        r.symbol = "😀".into();
        assert!(request_xml(&r, "1311234567", "x", today).is_err());
        let mut r = request();
        r.branch = "1".into();
        let text = String::from_utf8(
            SHIFT_JIS
                .decode(&request_xml(&r, "1311234567", "x", today).unwrap())
                .0
                .into_owned()
                .into_bytes(),
        )
        .unwrap();
        assert!(text.contains("<InsuredBranchNumber>01</InsuredBranchNumber>"));
    }

    #[test]
    fn a_result_is_read_and_unknowns_ignored() {
        let r = parse_result(OK_RESULT.as_bytes()).unwrap();
        assert!(r.is_eligible());
        assert_eq!(r.validity, Some(Validity::Valid));
        assert_eq!(r.arbitrary_identifier.as_deref(), Some("V0001"));
        assert_eq!(r.qualifications.len(), 1);
        let q = &r.qualifications[0];
        assert_eq!(
            q.insurer_number, "138107",
            "padding trimmed, nested InsurerNumber ignored"
        );
        assert_eq!(q.name, "山田 & 太郎");
        assert_eq!(q.kana, "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(q.copay_ratio_raw, "030");
        assert_eq!(q.copay_percent, Some(30));
        assert_eq!(q.sex, Some(Sex::Male));
    }

    #[test]
    fn a_shift_jis_result_is_decoded_by_its_declaration() {
        let sjis_text = OK_RESULT.replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"");
        let bytes = encode(&sjis_text, SHIFT_JIS).unwrap();
        assert!(std::str::from_utf8(&bytes).is_err(), "really Shift_JIS");
        let r = parse_result(&bytes).unwrap();
        assert_eq!(r.qualifications[0].symbol, "東１２");
        // The same bytes declared as UTF-8 are refused, not garbled.
        let lying = encode(OK_RESULT, SHIFT_JIS).unwrap();
        assert!(matches!(
            parse_result(&lying),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn a_normal_end_without_validity_is_malformed() {
        let text = OK_RESULT.replace("<QualificationValidity>1</QualificationValidity>", "");
        assert!(matches!(
            parse_result(text.as_bytes()),
            Err(ParseError::Malformed(_))
        ));
        let text = OK_RESULT.replace("<SegmentOfResult>1</SegmentOfResult>", "");
        assert!(matches!(
            parse_result(text.as_bytes()),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn every_cut_of_a_result_is_refused() {
        let end = OK_RESULT.find("</XmlMsg>").unwrap() + "</XmlMsg>".len();
        for cut in 0..end {
            if !OK_RESULT.is_char_boundary(cut) {
                continue;
            }
            let r = parse_result(&OK_RESULT.as_bytes()[..cut]);
            assert!(r.is_err(), "cut at {cut} parsed: {r:?}");
        }
    }

    #[test]
    fn a_half_written_file_is_truncated() {
        let cut = OK_RESULT.len() / 2;
        assert!(matches!(
            parse_result(&OK_RESULT.as_bytes()[..cut]),
            Err(ParseError::Truncated(_))
        ));
        assert!(matches!(parse_result(b""), Err(ParseError::Truncated(_))));
    }

    #[test]
    fn copay_shapes() {
        assert_eq!(copay_percent("030"), Some(30));
        assert_eq!(copay_percent("010"), Some(10));
        assert_eq!(copay_percent("3"), None);
        assert_eq!(copay_percent("999"), None);
    }

    #[test]
    fn shift_jis_folds_yen_overline_and_minus_as_the_terminal_reads_them() {
        let req = VerifyRequest {
            symbol: "東¥‾−1".into(),
            ..request()
        };
        let bytes = request_xml(
            &req,
            "1311234567",
            "202611251015000001",
            NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        )
        .unwrap();
        let doc = parse_doc(&bytes).unwrap();
        assert_eq!(doc.search_info["InsuredCardSymbol"], "東\\~\u{FF0D}1");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_result(&bytes);
        }

        #[test]
        fn arbitrary_text_after_a_declaration_never_panics(s in "\\PC{0,300}", sjis in any::<bool>()) {
            let decl = if sjis { "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>" } else { "<?xml version=\"1.0\"?>" };
            let _ = parse_result(format!("{decl}<XmlMsg>{s}</XmlMsg>").as_bytes());
        }

        #[test]
        fn requests_round_trip_or_are_refused(symbol in "\\PC{0,12}", number in "\\PC{0,12}", id in "\\PC{0,12}") {
            let req = VerifyRequest { symbol: symbol.clone(), number: number.clone(), id: id.clone(), ..request() };
            let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
            if let Ok(bytes) = request_xml(&req, "1311234567", "202611251015000001", today) {
                let doc = parse_doc(&bytes).expect("our own request reads back");
                // Shift_JIS has one code for ¥ and \, ‾ and ~, − and －: they read back as the
                // latter, in every field.
                let folded = |t: &str| t.replace('¥', "\\").replace('‾', "~").replace('\u{2212}', "\u{FF0D}");
                prop_assert_eq!(doc.search_info.get("InsuredCardSymbol").map(String::as_str).unwrap_or(""), folded(symbol.trim()));
                prop_assert_eq!(&doc.search_info["InsuredIdentificationNumber"], &folded(&normalize_number(&number)));
                prop_assert_eq!(doc.search_info.get("ArbitraryIdentifier").map(String::as_str).unwrap_or(""), folded(id.trim()));
                prop_assert_eq!(&doc.search_info["InsurerNumber"], "  138107");
            }
        }

        #[test]
        fn mutated_results_never_panic_and_never_invent_eligibility(at in 0usize..1200, byte in any::<u8>()) {
            let mut bytes = OK_RESULT.as_bytes().to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            if let Ok(r) = parse_result(&bytes) {
                // Eligible only if the bytes still say a normal end and 有効 where they should.
                if r.is_eligible() {
                    let text = String::from_utf8_lossy(&bytes);
                    prop_assert!(text.contains("<SegmentOfResult>1</SegmentOfResult>"));
                    prop_assert!(text.contains("<QualificationValidity>1</QualificationValidity>")
                        || text.contains("<QualificationValidity>6</QualificationValidity>"));
                }
            }
        }
    }
}
