//! The files under examples/ that the README walks through stay valid.

use onshi_fallback::config::Config;
use onshi_fallback::domain::intake::{validate, IntakeInput};

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_example_config_parses() {
    let c = Config::parse(&read("onshi-fallback.toml")).unwrap();
    assert_eq!(c.clinic.prefecture_code.as_deref(), Some("13"));
    assert_eq!(c.reconcile.concurrency, 2);
}

#[test]
fn the_example_intakes_behave_as_the_readme_says() {
    let new: IntakeInput = serde_json::from_str(&read("intake-new.json")).unwrap();
    assert!(validate(&new, today()).is_ok());
    let fushou: IntakeInput = serde_json::from_str(&read("intake-fushou.json")).unwrap();
    assert!(validate(&fushou, today()).unwrap().0.insurance.is_fushou());
    let public: IntakeInput = serde_json::from_str(&read("intake-public-only.json")).unwrap();
    let public = validate(&public, today()).unwrap().0.insurance;
    assert!(public.is_public_only() && !public.is_fushou());
    let typo: IntakeInput = serde_json::from_str(&read("intake-typo.json")).unwrap();
    assert_eq!(
        validate(&typo, today()).unwrap_err()[0].field,
        "insurance.insurer_number"
    );
}
