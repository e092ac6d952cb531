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

fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
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
    })
}
