//! Result files from the 資格確認端末, any bytes, any declared encoding.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = onshi_fallback::qualification::xml::parse_result(data);
});
