//! Intake JSON as the command line reads it, then the whole validation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onshi_fallback::domain::intake::{validate, IntakeInput};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(input) = serde_json::from_str::<IntakeInput>(text) {
            let _ = validate(&input, chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        }
    }
});
