//! 和暦 (Japanese era dates): parsing what staff type and formatting what forms print.

use chrono::{Datelike, NaiveDate};

use super::text::to_half_width_ascii;

/// The eras from 明治 on. Each starts on its first day; the previous one ends the day before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// First day of the era. 明治 is taken from 1868-01-25 (明治元年1月1日 in the Gregorian
    /// calendar as used for birth dates today); no living patient predates it.
    pub fn first_day(self) -> NaiveDate {
        let (y, m, d) = match self {
            Era::Meiji => (1868, 1, 25),
            Era::Taisho => (1912, 7, 30),
            Era::Showa => (1926, 12, 25),
            Era::Heisei => (1989, 1, 8),
            Era::Reiwa => (2019, 5, 1),
        };
        NaiveDate::from_ymd_opt(y, m, d).expect("era start is a valid date")
    }

    /// The Gregorian year of the era's 元年.
    pub fn first_year(self) -> i32 {
        self.first_day().year()
    }

    /// Last day of the era, or None for the current one.
    pub fn last_day(self) -> Option<NaiveDate> {
        let next = Era::ALL.iter().find(|e| **e > self)?;
        next.first_day().pred_opt()
    }

    pub fn kanji(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The one-character form used on forms (明/大/昭/平/令).
    pub fn short_kanji(self) -> &'static str {
        &self.kanji()[..3]
    }

    pub fn letter(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// JAHIS era code: 1 明, 2 大, 3 昭, 4 平, 5 令.
    pub fn jahis_code(self) -> u8 {
        self as u8 + 1
    }

    /// The era a date falls in, or None before 明治.
    pub fn of(date: NaiveDate) -> Option<Era> {
        Era::ALL
            .iter()
            .rev()
            .copied()
            .find(|e| date >= e.first_day())
    }

    fn from_prefix(s: &str) -> Option<(Era, usize)> {
        for era in Era::ALL {
            for p in [era.kanji(), era.short_kanji()] {
                if s.starts_with(p) {
                    return Some((era, p.len()));
                }
            }
            let first = s.chars().next()?;
            if first.to_ascii_uppercase() == era.letter() {
                return Some((era, 1));
            }
        }
        None
    }
}

/// A date as 和暦 parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wareki {
    pub era: Era,
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

impl Wareki {
    pub fn from_date(date: NaiveDate) -> Option<Wareki> {
        let era = Era::of(date)?;
        Some(Wareki {
            era,
            year: (date.year() - era.first_year() + 1) as u32,
            month: date.month(),
            day: date.day(),
        })
    }
}

/// `令和7年11月25日`; year 1 is written 元年 as on official forms.
pub fn format_wareki(date: NaiveDate) -> String {
    match Wareki::from_date(date) {
        Some(w) => format!(
            "{}{}年{}月{}日",
            w.era.kanji(),
            year_text(w.year),
            w.month,
            w.day
        ),
        None => format_iso(date),
    }
}

/// `R7.11.25` — the short form staff write by hand.
pub fn format_wareki_short(date: NaiveDate) -> String {
    match Wareki::from_date(date) {
        Some(w) => format!("{}{}.{}.{}", w.era.letter(), w.year, w.month, w.day),
        None => format_iso(date),
    }
}

fn year_text(y: u32) -> String {
    if y == 1 {
        "元".to_string()
    } else {
        y.to_string()
    }
}

pub fn format_iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Why a typed date was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    Empty,
    /// Not a shape we know.
    Unrecognised,
    /// Shape fine, but no such day (2月30日).
    NoSuchDay,
    /// The day is outside the named era (平成31年5月1日 is 令和元年).
    OutsideEra(Era),
}

impl DateError {
    pub fn message_ja(&self) -> String {
        match self {
            DateError::Empty => "入力されていません".into(),
            DateError::Unrecognised => {
                "日付として読めません（例: S45.3.1、昭和45年3月1日、1970-03-01）".into()
            }
            DateError::NoSuchDay => "存在しない日付です".into(),
            DateError::OutsideEra(e) => format!("{}の期間外の日付です", e.kanji()),
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            DateError::Empty => "missing".into(),
            DateError::Unrecognised => {
                "not a date (e.g. S45.3.1, 昭和45年3月1日, 1970-03-01)".into()
            }
            DateError::NoSuchDay => "no such day".into(),
            DateError::OutsideEra(e) => format!("outside the {:?} era", e),
        }
    }
}

/// Parses a date as staff type it: `1970-03-01`, `1970/3/1`, `19700301`, `S45.3.1`,
/// `s45/3/1`, `昭和45年3月1日`, `昭45.3.1`, `令和元年5月1日`, with full-width digits too.
pub fn parse_date(input: &str) -> Result<NaiveDate, DateError> {
    let s: String = to_half_width_ascii(input)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if s.is_empty() {
        return Err(DateError::Empty);
    }
    if let Some((era, len)) = Era::from_prefix(&s) {
        let rest = s[len..].replacen('元', "1", 1);
        let [y, m, d] = split_three(&rest).ok_or(DateError::Unrecognised)?;
        if y == 0 || y > 200 {
            return Err(DateError::Unrecognised);
        }
        let year = era.first_year() + y as i32 - 1;
        let date = NaiveDate::from_ymd_opt(year, m, d).ok_or(DateError::NoSuchDay)?;
        let in_era = date >= era.first_day() && era.last_day().is_none_or(|last| date <= last);
        return if in_era {
            Ok(date)
        } else {
            Err(DateError::OutsideEra(era))
        };
    }
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m, d) = (
            s[0..4].parse().ok(),
            s[4..6].parse().ok(),
            s[6..8].parse().ok(),
        );
        if let (Some(y), Some(m), Some(d)) = (y, m, d) {
            return NaiveDate::from_ymd_opt(y, m, d).ok_or(DateError::NoSuchDay);
        }
    }
    let [y, m, d] = split_three(&s).ok_or(DateError::Unrecognised)?;
    if !(1800..=2999).contains(&y) {
        return Err(DateError::Unrecognised);
    }
    NaiveDate::from_ymd_opt(y as i32, m, d).ok_or(DateError::NoSuchDay)
}

/// Splits `45.3.1`, `45/3/1`, `45-3-1` or `45年3月1日` into three numbers.
fn split_three(s: &str) -> Option<[u32; 3]> {
    let s = s.strip_suffix('日').unwrap_or(s);
    let parts: Vec<&str> = s.split(['.', '/', '-', '年', '月']).collect();
    if parts.len() != 3 {
        return None;
    }
    let mut out = [0u32; 3];
    for (slot, p) in out.iter_mut().zip(&parts) {
        if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn every_era_boundary_maps_both_ways() {
        // (last day of the earlier era, its 和暦) -> (first day of the next, its 和暦)
        let cases = [
            (
                d(1912, 7, 29),
                "明治45年7月29日",
                d(1912, 7, 30),
                "大正元年7月30日",
            ),
            (
                d(1926, 12, 24),
                "大正15年12月24日",
                d(1926, 12, 25),
                "昭和元年12月25日",
            ),
            (
                d(1989, 1, 7),
                "昭和64年1月7日",
                d(1989, 1, 8),
                "平成元年1月8日",
            ),
            (
                d(2019, 4, 30),
                "平成31年4月30日",
                d(2019, 5, 1),
                "令和元年5月1日",
            ),
        ];
        for (last, last_text, first, first_text) in cases {
            assert_eq!(format_wareki(last), last_text);
            assert_eq!(format_wareki(first), first_text);
            assert_eq!(parse_date(last_text), Ok(last));
            assert_eq!(parse_date(first_text), Ok(first));
        }
    }

    #[test]
    fn days_outside_the_named_era_are_refused() {
        assert_eq!(
            parse_date("昭和64年1月8日"),
            Err(DateError::OutsideEra(Era::Showa))
        );
        assert_eq!(
            parse_date("平成31年5月1日"),
            Err(DateError::OutsideEra(Era::Heisei))
        );
        assert_eq!(
            parse_date("令和1年4月30日"),
            Err(DateError::OutsideEra(Era::Reiwa))
        );
        assert_eq!(
            parse_date("大正1年7月29日"),
            Err(DateError::OutsideEra(Era::Taisho))
        );
        assert_eq!(
            parse_date("明治45年7月30日"),
            Err(DateError::OutsideEra(Era::Meiji))
        );
    }

    #[test]
    fn staff_shapes_parse() {
        let want = d(1970, 3, 1);
        for s in [
            "S45.3.1",
            "s45.3.1",
            "S45/3/1",
            "S45-03-01",
            "昭和45年3月1日",
            "昭45.3.1",
            "Ｓ４５．３．１",
            "昭和４５年３月１日",
            "1970-03-01",
            "1970/3/1",
            "19700301",
            "１９７０－０３－０１",
            " 1970-03-01 ",
        ] {
            assert_eq!(parse_date(s), Ok(want), "{s}");
        }
        assert_eq!(parse_date("R7.11.25"), Ok(d(2025, 11, 25)));
        assert_eq!(parse_date("令和元年5月1日"), Ok(d(2019, 5, 1)));
        assert_eq!(parse_date("H1.1.8"), Ok(d(1989, 1, 8)));
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        assert_eq!(parse_date(""), Err(DateError::Empty));
        assert_eq!(parse_date("yesterday"), Err(DateError::Unrecognised));
        assert_eq!(parse_date("S45.2.30"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("2023-02-29"), Err(DateError::NoSuchDay));
        assert_eq!(parse_date("S0.1.1"), Err(DateError::Unrecognised));
        assert_eq!(parse_date("1970-03"), Err(DateError::Unrecognised));
    }

    #[test]
    fn short_forms_and_codes() {
        assert_eq!(format_wareki_short(d(1970, 3, 1)), "S45.3.1");
        assert_eq!(format_wareki(d(2026, 11, 25)), "令和8年11月25日");
        assert_eq!(format_wareki(d(2025, 11, 25)), "令和7年11月25日");
        assert_eq!(Era::Reiwa.jahis_code(), 5);
        assert_eq!(Era::Meiji.jahis_code(), 1);
        assert_eq!(Era::Showa.short_kanji(), "昭");
    }
}
