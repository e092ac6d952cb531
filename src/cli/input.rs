//! The one way JSON comes in (intake, prescribe, `resolve --manual`): a file or standard input,
//! parsed so that an error names the exact field (`insurance.copay_percent`).

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

fn read_input(file: &str, flag: &str) -> Result<String, Failure> {
    let mut text = String::new();
    let result = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(Path::new(file)).map(|t| text = t)
    };
    result.map_err(|e| {
        Failure::Input(Error::field(
            flag,
            "入力ファイル",
            format!("{file} を読めません: {e}"),
            format!("cannot read {file}: {e}"),
        ))
    })?;
    Ok(text)
}

/// Parses one JSON document. A UTF-8 BOM (as Windows editors write it) is accepted; anything
/// after the document is not (two documents glued together would otherwise lose the second
/// silently).
fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
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
    fn one_document_with_or_without_a_bom() {
        assert!(parsed("{\"a\": 1}\n").is_ok());
        assert!(parsed("\u{FEFF}{\"a\": 1}").is_ok(), "BOM accepted");
        let err = parsed("{\"a\": 1}{\"a\": 2}").unwrap_err();
        assert!(err.contains("余分なデータ"), "{err}");
        assert!(parsed("{\"a\": 1} x").is_err());
    }
}
