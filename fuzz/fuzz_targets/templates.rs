//! Page templates a clinic may edit: the prescription's and the A4 sheets'.
#![no_main]
use libfuzzer_sys::fuzz_target;
use onshi_fallback::print::sheet::{Names, Sheet};
use onshi_fallback::print::template::Template;

const NAMES: Names = Names { slots: &["name", "page"], marks: &["male"], columns: &["visit_no"] };

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = Template::parse(s);
        let _ = Sheet::parse(s, &NAMES);
    }
});
