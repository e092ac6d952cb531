//! The one way JSON comes in (intake, prescribe, `resolve --manual`, and `intake --jsonl`'s
//! lines): a file or standard input, parsed so that an error names the exact field
//! (`insurance.copay_percent`).

use std::io::Read;
use std::path::Path;

use onshi_fallback::error::{Error, FieldError};
use serde::de::DeserializeOwned;

use super::Failure;

/// Reads `file` (`-` = standard input) given with `flag` and parses it as a `T`. Unreadable
/// input and every parse error are bad input (exit 2), naming the flag or the field.
pub fn read_json<T: DeserializeOwned>(file: &str, flag: &str) -> Result<T, Failure> {
    parse_json(&read_input(file, flag)?)
}

/// Reads `file` (`-` = standard input) as JSON Lines: its non-blank lines, each numbered as an
/// editor shows it (from 1). A line that is not UTF-8 is refused, naming it, before any is used.
pub fn read_lines(file: &str, flag: &str) -> Result<Vec<(usize, String)>, Failure> {
    let bytes = read_bytes(file, flag)?;
    let mut lines = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = i + 1;
        let text = std::str::from_utf8(line).map_err(|e| {
            Failure::Input(Error::field(
                flag,
                "入力ファイル",
                format!("{number} 行目が UTF-8 ではありません: {e}"),
                format!("line {number} is not UTF-8: {e}"),
            ))
        })?;
        if !text.trim().is_empty() {
            lines.push((number, text.trim_end_matches('\r').to_string()));
        }
    }
    Ok(lines)
}

fn read_input(file: &str, flag: &str) -> Result<String, Failure> {
    String::from_utf8(read_bytes(file, flag)?).map_err(|e| unreadable(file, flag, e))
}

fn read_bytes(file: &str, flag: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let result = if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(Path::new(file)).map(|b| bytes = b)
    };
    result.map_err(|e| unreadable(file, flag, e))?;
    Ok(bytes)
}

fn unreadable(file: &str, flag: &str, e: impl std::fmt::Display) -> Failure {
    Failure::Input(Error::field(
        flag,
        "入力ファイル",
        format!("{file} を読めません: {e}"),
        format!("cannot read {file}: {e}"),
    ))
}

/// Parses one JSON document. A UTF-8 BOM (as Windows editors write it) is accepted; anything
/// after the document is not (two documents glued together would otherwise lose the second
/// silently).
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let de = &mut serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        // An error at the top (not JSON at all, empty input) has no field path to name.
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
    })?;
    de.end().map_err(|e| {
        Failure::Input(Error::field(
            "json",
            "入力JSON",
            format!("JSONの後に余分なデータがあります（一件ずつ渡してください）: {e}"),
            format!("trailing data after the JSON document: {e}"),
        ))
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<serde_json::Value, String> {
        parse_json(text).map_err(|f| match f {
            Failure::Input(e) => e.to_string(),
            _ => "not bad input".into(),
        })
    }

    #[test]
    fn lines_are_numbered_as_an_editor_shows_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("list.jsonl");
        let path = file.to_str().unwrap();
        std::fs::write(&file, b"{}\r\n\n  \n{\"a\": 1}").unwrap();
        let lines = read_lines(path, "--jsonl").ok().unwrap();
        assert_eq!(lines, [(1, "{}".into()), (4, "{\"a\": 1}".to_string())]);
        std::fs::write(&file, b"{}\n\xff\n").unwrap();
        match read_lines(path, "--jsonl") {
            Err(Failure::Input(e)) => assert!(e.to_string().contains("2 行目"), "{e}"),
            _ => panic!("a line that is not UTF-8 is bad input"),
        }
    }

    #[test]
    fn one_document_with_or_without_a_bom() {
        assert!(parsed("{\"a\": 1}\n").is_ok());
        assert!(parsed("\u{FEFF}{\"a\": 1}").is_ok(), "BOM accepted");
        let err = parsed("{\"a\": 1}{\"a\": 2}").unwrap_err();
        assert!(err.contains("余分なデータ"), "{err}");
        assert!(parsed("{\"a\": 1} x").is_err());
    }
}
