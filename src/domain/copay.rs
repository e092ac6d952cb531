//! 負担割合: which co-payment ratios a patient's age allows on a given day (domain brief §6).
//!
//! Age only narrows the choices; the patient's declaration picks among them. A declared ratio
//! outside the allowed set is a warning, not an error: municipal subsidies and 公費 change what
//! the patient actually pays, and staff may know better.

use chrono::{Datelike, Months, NaiveDate};

/// The age band that decides the allowed ratios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeBand {
    /// 義務教育就学前: 2割.
    Preschool,
    /// 就学後〜69歳: 3割.
    Working,
    /// 70〜74歳 (高齢受給者): 2割, 現役並み 3割.
    Elderly,
    /// 75歳〜 (後期高齢者): 1割, 2割, 3割.
    LateElderly,
}

impl AgeBand {
    pub fn allowed_percents(self) -> &'static [u8] {
        match self {
            AgeBand::Preschool => &[20],
            AgeBand::Working => &[30],
            AgeBand::Elderly => &[20, 30],
            AgeBand::LateElderly => &[10, 20, 30],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Preschool => "未就学児",
            AgeBand::Working => "6歳（就学後）〜69歳",
            AgeBand::Elderly => "70〜74歳",
            AgeBand::LateElderly => "75歳以上",
        }
    }
}

/// The calendar anniversary `years` after `birth`; 29 February falls on 1 March in common
/// years (the usual reading for 後期高齢者 eligibility).
pub fn anniversary(birth: NaiveDate, years: i32) -> NaiveDate {
    let y = birth.year() + years;
    NaiveDate::from_ymd_opt(y, birth.month(), birth.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, 3, 1))
        .expect("1 March exists")
}

/// Full years of age on `on`, counted by calendar anniversaries.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if on < anniversary(birth, age) {
        age -= 1;
    }
    age
}

/// Last day of 2割 for a young child: the 31 March on or after the day before the 6th
/// birthday. Japanese law counts a year of age complete on the day before the birthday,
/// which is why a child born on 1 April starts school a year earlier than one born on 2 April.
pub fn preschool_last_day(birth: NaiveDate) -> NaiveDate {
    let legal_sixth = anniversary(birth, 6)
        .pred_opt()
        .expect("not the first day of time");
    let march31 = NaiveDate::from_ymd_opt(legal_sixth.year(), 3, 31).expect("31 March exists");
    if legal_sixth <= march31 {
        march31
    } else {
        NaiveDate::from_ymd_opt(legal_sixth.year() + 1, 3, 31).expect("31 March exists")
    }
}

/// First day of the 70〜74 band: the first of the month after the 70th birthday, or the
/// birthday month itself for those born on the 1st.
pub fn elderly_first_day(birth: NaiveDate) -> NaiveDate {
    let seventieth = anniversary(birth, 70);
    let first_of_month = seventieth.with_day(1).expect("day 1 exists");
    if birth.day() == 1 {
        first_of_month
    } else {
        first_of_month + Months::new(1)
    }
}

/// First day of 後期高齢者: the 75th birthday itself.
pub fn late_elderly_first_day(birth: NaiveDate) -> NaiveDate {
    anniversary(birth, 75)
}

pub fn age_band(birth: NaiveDate, on: NaiveDate) -> AgeBand {
    if on >= late_elderly_first_day(birth) {
        AgeBand::LateElderly
    } else if on >= elderly_first_day(birth) {
        AgeBand::Elderly
    } else if on <= preschool_last_day(birth) {
        AgeBand::Preschool
    } else {
        AgeBand::Working
    }
}

/// The ratios (in percent) the patient's age allows on `on`.
pub fn allowed_copay_percents(birth: NaiveDate, on: NaiveDate) -> &'static [u8] {
    age_band(birth, on).allowed_percents()
}

/// The ratio to suggest when nothing is declared: the lowest the age allows, except for
/// working age (3割).
pub fn default_copay_percent(birth: NaiveDate, on: NaiveDate) -> u8 {
    allowed_copay_percents(birth, on)[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn preschool_ends_on_the_right_31_march() {
        // born 2 April: 6 on 2024-04-02, school from April 2025
        let b = d(2018, 4, 2);
        assert_eq!(age_band(b, d(2025, 3, 31)), AgeBand::Preschool);
        assert_eq!(age_band(b, d(2025, 4, 1)), AgeBand::Working);
        // born 1 April: legally 6 on 31 March 2024, school from April 2024
        let b = d(2018, 4, 1);
        assert_eq!(age_band(b, d(2024, 3, 31)), AgeBand::Preschool);
        assert_eq!(age_band(b, d(2024, 4, 1)), AgeBand::Working);
        // born in autumn
        let b = d(2018, 10, 10);
        assert_eq!(age_band(b, d(2025, 3, 31)), AgeBand::Preschool);
        assert_eq!(age_band(b, d(2025, 4, 1)), AgeBand::Working);
    }

    #[test]
    fn seventy_starts_the_month_after_the_birthday() {
        let b = d(1956, 6, 15);
        assert_eq!(age_band(b, d(2026, 6, 30)), AgeBand::Working);
        assert_eq!(age_band(b, d(2026, 7, 1)), AgeBand::Elderly);
        assert_eq!(allowed_copay_percents(b, d(2026, 7, 1)), &[20, 30]);
    }

    #[test]
    fn seventy_born_on_the_first_starts_that_month() {
        let b = d(1956, 6, 1);
        assert_eq!(age_band(b, d(2026, 5, 31)), AgeBand::Working);
        assert_eq!(age_band(b, d(2026, 6, 1)), AgeBand::Elderly);
    }

    #[test]
    fn seventy_in_december_rolls_into_january() {
        let b = d(1956, 12, 20);
        assert_eq!(elderly_first_day(b), d(2027, 1, 1));
    }

    #[test]
    fn seventy_five_starts_on_the_birthday() {
        let b = d(1951, 11, 25);
        assert_eq!(age_band(b, d(2026, 11, 24)), AgeBand::Elderly);
        assert_eq!(age_band(b, d(2026, 11, 25)), AgeBand::LateElderly);
        assert_eq!(allowed_copay_percents(b, d(2026, 11, 25)), &[10, 20, 30]);
    }

    #[test]
    fn leap_day_birthdays() {
        let b = d(1952, 2, 29);
        assert_eq!(late_elderly_first_day(b), d(2027, 3, 1));
        assert_eq!(age_on(b, d(2027, 2, 28)), 74);
        assert_eq!(age_on(b, d(2027, 3, 1)), 75);
    }

    #[test]
    fn working_age_is_thirty_percent() {
        assert_eq!(
            allowed_copay_percents(d(1970, 3, 1), d(2026, 11, 25)),
            &[30]
        );
        assert_eq!(default_copay_percent(d(1970, 3, 1), d(2026, 11, 25)), 30);
        assert_eq!(age_on(d(1970, 3, 1), d(2026, 11, 25)), 56);
    }
}
