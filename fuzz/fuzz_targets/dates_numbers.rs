//! 和暦 dates, insurer and 公費 numbers, and the search box.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onshi_fallback::domain::{numbers, text, wareki};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = wareki::parse_date(s);
        let _ = numbers::validate_insurer_number(s);
        let _ = numbers::validate_public_payer(s);
        let _ = numbers::validate_public_recipient_shape(s);
        let _ = numbers::institution_code_check("13", "1", s);
        let _ = text::to_katakana(s);
        let _ = onshi_fallback::service::search::parse_query(s);
    }
});
