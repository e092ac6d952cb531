//! The ids staff see and type: `P12` (patient), `V34` (visit), `RX5` (prescription).
//!
//! Each is parsed once, where it enters (a command-line argument, a JSON field, a row the window
//! shows), and is a number with a type from then on: a visit id can never be handed to a
//! function that wants a patient. Parsing accepts what staff type: the prefix in either case or
//! left out, full-width digits (`Ｖ１２`), surrounding spaces.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::text::normalize_number;
use crate::error::Error;

/// Why a text is not an id of the kind asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadId {
    pub text: String,
    pub prefix: &'static str,
}

impl fmt::Display for BadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "expected an id like {}12, got {:?}",
            self.prefix, self.text
        )
    }
}

impl std::error::Error for BadId {}

/// The number in `text` after an optional `prefix` (any case), if it is a positive integer.
fn parse_number(text: &str, prefix: &'static str) -> Result<i64, BadId> {
    let t = normalize_number(text);
    let digits = match t.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &t[prefix.len()..],
        _ => &t,
    };
    digits
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| BadId {
            text: text.to_string(),
            prefix,
        })
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $prefix:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// Parses what was typed into `field` (`label` is its name for staff); a wrong
            /// text is bad input naming the field.
            pub fn parse_field(text: &str, field: &str, label: &str) -> Result<Self, Error> {
                text.parse().map_err(|_| {
                    Error::field(
                        field,
                        label,
                        format!("{}12 のような番号で指定してください（入力: {text}）", $prefix),
                        format!("expected an id like {}12, got {text:?}", $prefix),
                    )
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, self.0)
            }
        }

        impl FromStr for $name {
            type Err = BadId;
            fn from_str(s: &str) -> Result<Self, BadId> {
                parse_number(s, $prefix).map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A patient: `P12`.
    PatientId,
    "P"
);
id_type!(
    /// A visit (one patient at reception once): `V34`.
    VisitId,
    "V"
);
id_type!(
    /// An issued paper prescription: `RX5`.
    PrescriptionId,
    "RX"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_staff_type_them_and_print_one_way() {
        for text in ["V12", "v12", "12", "Ｖ１２", " V12 "] {
            assert_eq!(text.parse::<VisitId>(), Ok(VisitId(12)), "{text}");
        }
        assert_eq!("rx5".parse::<PrescriptionId>(), Ok(PrescriptionId(5)));
        assert_eq!(PrescriptionId(5).to_string(), "RX5");
        assert_eq!(PatientId(7).to_string(), "P7");
        for bad in ["", "V", "V0", "V-1", "P12", "12a", "V1.5"] {
            assert!(bad.parse::<VisitId>().is_err(), "{bad}");
        }
        let err = VisitId::parse_field("x", "VISIT_ID", "受診ID").unwrap_err();
        assert!(err.is_bad_input());
        assert!(err.ja().contains("受診ID"), "{}", err.ja());
    }

    #[test]
    fn ids_are_strings_in_json() {
        assert_eq!(serde_json::to_string(&VisitId(3)).unwrap(), "\"V3\"");
        assert_eq!(
            serde_json::from_str::<PatientId>("\"p9\"").unwrap(),
            PatientId(9)
        );
        assert!(serde_json::from_str::<PatientId>("\"V9\"").is_err());
    }
}
