//! onshi-fallback.toml, and the simulator's roster.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = onshi_fallback::config::Config::parse(s);
        let _ = onshi_fallback::qualification::simulator::Roster::parse(s);
    }
});
