//! All integration tests, as one binary: each test binary links the whole library and iced, so
//! one binary instead of one per file saves most of `cargo test`'s link time (ripgrep's layout).
//! A new area of tests is a new module here. Proptest keeps the failing cases it once found in
//! `tests/proptest-regressions/<module>.txt` (it looks beside the directory holding this
//! `main.rs`); commit them.

mod common;

mod access;
mod cli_outage_day;
mod clock;
mod crash_safety;
mod cups;
mod disks;
mod documents;
mod examples;
mod file_modes;
mod fuzz_seeds;
mod gui;
mod hostile;
mod merge;
mod prescribe;
mod print;
mod properties;
mod qualification;
mod reconcile_day;
mod reconcile_list;
mod store;
mod watch;
