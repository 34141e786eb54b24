//! Dates in Europe/Rome. Due dates are calendar days in Italy, whatever the
//! Lambda's clock zone is.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut d =
        NaiveDate::from_ymd_opt(year, month + 1, 1).expect("valid month") - Duration::days(1);
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    d
}

/// The UTC offset of Italy at an instant: +2 h from 01:00 UTC on the last Sunday of
/// March to 01:00 UTC on the last Sunday of October (EU summer time), +1 h otherwise.
pub fn rome_offset_hours(at: DateTime<Utc>) -> i64 {
    let y = at.year();
    let start = Utc.from_utc_datetime(&last_sunday(y, 3).and_hms_opt(1, 0, 0).expect("valid"));
    let end = Utc.from_utc_datetime(&last_sunday(y, 10).and_hms_opt(1, 0, 0).expect("valid"));
    if at >= start && at < end {
        2
    } else {
        1
    }
}

/// The calendar day in Italy at an instant.
pub fn rome_date(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(rome_offset_hours(at))).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn offsets_around_dst_changes() {
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(rome_offset_hours(at("2026-03-29T00:59:59Z")), 1);
        assert_eq!(rome_offset_hours(at("2026-03-29T01:00:00Z")), 2);
        assert_eq!(rome_offset_hours(at("2026-10-25T00:59:59Z")), 2);
        assert_eq!(rome_offset_hours(at("2026-10-25T01:00:00Z")), 1);
    }

    #[test]
    fn dates_cross_midnight_in_italy() {
        assert_eq!(
            rome_date(at("2026-12-31T22:59:00Z")).to_string(),
            "2026-12-31"
        );
        assert_eq!(
            rome_date(at("2026-12-31T23:00:00Z")).to_string(),
            "2027-01-01"
        );
        assert_eq!(
            rome_date(at("2026-07-31T21:59:00Z")).to_string(),
            "2026-07-31"
        );
        assert_eq!(
            rome_date(at("2026-07-31T22:00:00Z")).to_string(),
            "2026-08-01"
        );
    }
}
