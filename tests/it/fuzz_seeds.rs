//! Every input under `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` goes through the same
//! library calls as `fuzz/fuzz_targets/<target>.rs`, so a crash the fuzzer once found stays a test
//! after its input is committed (scripts/fuzz.sh copies it into fuzz/regressions/).

use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use onshi_fallback::domain::intake::{validate, IntakeInput};
use onshi_fallback::domain::{numbers, text, wareki};
use onshi_fallback::print::sheet::{Names, Sheet};
use onshi_fallback::print::template::Template;

/// The fuzz targets, as named in fuzz/Cargo.toml.
const TARGETS: [&str; 5] = [
    "intake_json",
    "result_xml",
    "dates_numbers",
    "config",
    "templates",
];

/// The names `fuzz_targets/templates.rs` lets a sheet use.
const NAMES: Names = Names {
    slots: &["name", "page"],
    marks: &["male"],
    columns: &["visit_no"],
};

/// One fuzz target's body; keep in step with `fuzz/fuzz_targets/<target>.rs`.
fn run(target: &str, data: &[u8]) {
    match target {
        "intake_json" => {
            if let Ok(text) = std::str::from_utf8(data) {
                if let Ok(input) = serde_json::from_str::<IntakeInput>(text) {
                    let _ = validate(
                        &input,
                        chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
                    );
                }
            }
        }
        "result_xml" => {
            let _ = onshi_fallback::qualification::xml::parse_result(data);
        }
        "dates_numbers" => {
            if let Ok(s) = std::str::from_utf8(data) {
                let _ = wareki::parse_date(s);
                let _ = numbers::validate_insurer_number(s);
                let _ = numbers::validate_public_payer(s);
                let _ = numbers::validate_public_recipient_shape(s);
                let _ = numbers::institution_code_check("13", "1", s);
                let _ = text::to_katakana(s);
                let _ = onshi_fallback::service::search::parse_query(s);
            }
        }
        "config" => {
            if let Ok(s) = std::str::from_utf8(data) {
                let _ = onshi_fallback::config::Config::parse(s);
                let _ = onshi_fallback::qualification::simulator::Roster::parse(s);
            }
        }
        "templates" => {
            if let Ok(s) = std::str::from_utf8(data) {
                let _ = Template::parse(s);
                let _ = Sheet::parse(s, &NAMES);
            }
        }
        other => panic!("fuzz/{other}: no such fuzz target (known: {TARGETS:?})"),
    }
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files under `fuzz/<folder>/<target>/`, by target, sorted.
fn inputs(folder: &str) -> Vec<(String, PathBuf)> {
    let root = fuzz_dir().join(folder);
    let mut found = Vec::new();
    let Ok(targets) = fs::read_dir(&root) else {
        return found;
    };
    for target in targets {
        let target = target.unwrap().path();
        if !target.is_dir() {
            continue; // README.md
        }
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        for file in fs::read_dir(&target).unwrap() {
            let file = file.unwrap().path();
            if file.is_file() {
                found.push((name.clone(), file));
            }
        }
    }
    found.sort();
    found
}

/// Runs every input, naming each one that panicked.
fn run_all(folder: &str) -> usize {
    let all = inputs(folder);
    let mut panicked = Vec::new();
    for (target, path) in &all {
        let data = fs::read(path).unwrap();
        if panic::catch_unwind(AssertUnwindSafe(|| run(target, &data))).is_err() {
            panicked.push(path.display().to_string());
        }
    }
    assert!(panicked.is_empty(), "these inputs panic: {panicked:#?}");
    all.len()
}

#[test]
fn every_seed_goes_through_its_target_without_panicking() {
    let n = run_all("seeds");
    assert!(n > 0, "no seeds found under fuzz/seeds/");
}

#[test]
fn every_crash_the_fuzzer_found_stays_fixed() {
    run_all("regressions");
}

#[test]
fn every_fuzz_target_is_run_here_and_has_seeds() {
    let mut on_disk: Vec<String> = fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut known = TARGETS.map(String::from).to_vec();
    known.sort();
    assert_eq!(
        on_disk, known,
        "a fuzz target was added or removed: update TARGETS and run() here"
    );
    let seeds = inputs("seeds");
    for target in TARGETS {
        assert!(
            seeds.iter().any(|(t, _)| t == target),
            "fuzz/seeds/{target}/ has no inputs"
        );
    }
}
