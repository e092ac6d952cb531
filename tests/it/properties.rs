//! Property tests: no parser or validator panics on any input, and the check-digit rule
//! catches every single-digit typo.

use chrono::NaiveDate;
use onshi_fallback::config::Config;
use onshi_fallback::domain::intake::{
    validate, InsuranceInput, IntakeInput, PatientInput, PublicFundInput,
};
use onshi_fallback::domain::numbers::{
    check_digit, institution_code_check, validate_insurer_number, validate_public_payer,
};
use onshi_fallback::domain::text::{kana_key, to_half_width_ascii, to_katakana};
use onshi_fallback::domain::wareki::{format_wareki, parse_date};
use onshi_fallback::service::search::parse_query;
use proptest::prelude::*;

/// Strings that look like what staff type: digits, kana, kanji, era letters, separators,
/// full-width forms, and anything else.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9０-９SHRMTshr昭平令明大元年月日./\\-ー－ 　]{0,16}",
        "[ぁ-んァ-ンｦ-ﾟ一-龥 ]{0,12}",
        any::<String>(),
    ]
}

fn day() -> impl Strategy<Value = NaiveDate> {
    (1868i32..2100, 1u32..=12, 1u32..=31)
        .prop_filter_map("real day", |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn dates_never_panic(s in typed()) {
        let _ = parse_date(&s);
    }

    #[test]
    fn wareki_round_trips(d in day()) {
        prop_assume!(d >= NaiveDate::from_ymd_opt(1868, 1, 25).unwrap());
        prop_assert_eq!(parse_date(&format_wareki(d)), Ok(d));
    }

    #[test]
    fn number_validators_never_panic(s in typed()) {
        let _ = validate_insurer_number(&s);
        let _ = validate_public_payer(&s);
        let _ = institution_code_check(&s, "1", &s);
        let _ = check_digit(&s);
    }

    #[test]
    fn every_single_digit_typo_is_caught(body in "[0-9]{7}", pos in 0usize..8, delta in 1u8..10) {
        let good = format!("{body}{}", check_digit(&body).unwrap());
        prop_assume!(good != "77777777");
        prop_assert!(validate_insurer_number(&good).is_ok());
        let mut bytes = good.clone().into_bytes();
        bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
        let typo = String::from_utf8(bytes).unwrap();
        prop_assert!(validate_insurer_number(&typo).is_err(), "{} accepted", typo);
    }

    #[test]
    fn text_normalisers_never_panic(s in typed()) {
        let _ = to_katakana(&s);
        let _ = kana_key(&s);
        let _ = to_half_width_ascii(&s);
        let _ = parse_query(&s);
    }

    #[test]
    fn intake_validation_never_panics(
        fields in prop::collection::vec(typed(), 15),
        copay in prop::option::of(any::<u8>()),
        funds in 0usize..5,
    ) {
        let input = IntakeInput {
            patient: PatientInput {
                name: fields[0].clone(), kana: fields[1].clone(), birth_date: fields[2].clone(),
                sex: fields[3].clone(), address: fields[4].clone(), phone: fields[5].clone(),
            },
            insurance: InsuranceInput {
                kind: fields[6].clone(), insurer_number: fields[7].clone(), symbol: fields[8].clone(),
                number: fields[9].clone(), branch: fields[10].clone(), relationship: fields[11].clone(),
                insurer_name: fields[12].clone(), employer: fields[13].clone(), copay_percent: copay,
                public_funds: (0..funds).map(|_| PublicFundInput { payer: fields[14].clone(), recipient: fields[14].clone() }).collect(),
            },
            basis: fields[14].clone(),
            patient_id: None,
        };
        let _ = validate(&input, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
    }

    #[test]
    fn intake_json_parsing_never_panics(s in any::<String>()) {
        let _ = serde_json::from_str::<IntakeInput>(&s);
    }

    #[test]
    fn config_parsing_never_panics(s in any::<String>()) {
        let _ = Config::parse(&s);
    }

    #[test]
    fn config_like_text_never_panics(s in "(\\[(clinic|probes|qualification|runbook|printer)\\]\n)?[a-z_]{1,12} = (\"[^\"]{0,8}\"|[0-9]{1,3}|\\[\\])\n") {
        let _ = Config::parse(&s);
    }

    #[test]
    fn sheet_templates_never_panic(s in any::<String>(), t in "(\\[page\\]\nwidth = [0-9]{1,3}\\.0\nheight = -?[0-9]{1,3}\\.0\n)?(\\[table\\]\nx = 1\\.0\ny = [0-9]\\.0\nbottom = [0-9]{1,2}\\.0\nrow_height = [0-9]\\.0\nsize = 1\\.0\n)?") {
        use onshi_fallback::print::sheet::{Names, Sheet, DECLARATION};
        const NAMES: Names = Names { slots: &["name"], marks: &[], columns: &["visit_no"] };
        let _ = Sheet::parse(&s, &NAMES);
        let _ = Sheet::parse(&t, &NAMES);
        let _ = Sheet::parse(&format!("{DECLARATION}\n{s}"), &NAMES);
    }
}
