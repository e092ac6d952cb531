//! The one way answers go out. A command returns an [`Output`] carrying both its JSON document and
//! its text for people; [`Output::print`] prints exactly one of them on standard output. Messages
//! (warnings, progress, errors) go to standard error, so `--json` output is one JSON document.

use std::fmt::Display;

use serde::Serialize;

use super::Failure;

/// A command's answer, not yet printed.
pub struct Output {
    /// The JSON document (pretty-printed), if the command has one.
    json: Option<String>,
    /// The text for people, printed as is, if the command has one.
    text: Option<String>,
    /// A command that reports and still fails (a broken audit chain): printed, then this.
    failure: Option<Failure>,
}

impl Output {
    /// A document for `--json`, and lines of text otherwise.
    pub fn new<T, L>(doc: &T, lines: L) -> Output
    where
        T: Serialize + ?Sized,
        L: IntoIterator,
        L::Item: Display,
    {
        Output {
            json: Some(to_json(doc)),
            text: Some(lines.into_iter().map(|l| format!("{l}\n")).collect()),
            failure: None,
        }
    }

    /// A command whose answer is JSON whether or not `--json` is given (intake, prescribe).
    pub fn json<T: Serialize + ?Sized>(doc: &T) -> Output {
        Output {
            json: Some(to_json(doc)),
            text: None,
            failure: None,
        }
    }

    /// A command that answers in text only, printed exactly as given.
    pub fn text(text: impl Into<String>) -> Output {
        Output {
            json: None,
            text: Some(text.into()),
            failure: None,
        }
    }

    /// A command that printed as it went (watch) or has nothing to say.
    pub fn nothing() -> Output {
        Output {
            json: None,
            text: None,
            failure: None,
        }
    }

    /// Prints this, then fails with `failure`.
    pub fn then_fail(self, failure: Failure) -> Output {
        Output {
            failure: Some(failure),
            ..self
        }
    }

    /// Prints the JSON document with `--json` (or when there is no text), else the text.
    pub fn print(self, json: bool) -> Result<(), Failure> {
        match (self.json, self.text) {
            (Some(doc), _) if json => println!("{doc}"),
            (_, Some(text)) => print!("{text}"),
            (Some(doc), None) => println!("{doc}"),
            (None, None) => {}
        }
        match self.failure {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }
}

fn to_json<T: Serialize + ?Sized>(doc: &T) -> String {
    serde_json::to_string_pretty(doc).expect("serialisable")
}
