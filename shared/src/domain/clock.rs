//! Dates in Europe/Rome. Due dates are calendar days in Italy, whatever the
//! Lambda's clock zone is.

//!
//! Every function here is total: an instant at the edge of chrono's range (a
//! hostile `paymentDateTime` of year -262143, say) gives an answer, never a
//! panic. Dates that come from outside are also checked against [`SANE_YEARS`].

use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

/// The years a date from outside (a due date, a payment time) may name:
/// pagoPA did not exist before 2000, and nothing is due after 2199.
pub const SANE_YEARS: RangeInclusive<i32> = 2000..=2199;

/// Whether a date from outside names a plausible year.
pub fn sane(d: NaiveDate) -> bool {
    SANE_YEARS.contains(&d.year())
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1)?.pred_opt()?;
    while d.weekday() != Weekday::Sun {
        d = d.pred_opt()?;
    }
    Some(d)
}

/// The UTC offset of Italy at an instant: +2 h from 01:00 UTC on the last Sunday of
/// March to 01:00 UTC on the last Sunday of October (EU summer time), +1 h otherwise.
pub fn rome_offset_hours(at: DateTime<Utc>) -> i64 {
    let y = at.year();
    let at_one = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap_or_default());
    match (last_sunday(y, 3), last_sunday(y, 10)) {
        (Some(start), Some(end)) if at >= at_one(start) && at < at_one(end) => 2,
        _ => 1,
    }
}

/// Italian local time at an instant (the instant itself at chrono's edges).
pub fn rome_time(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
        .checked_add_signed(Duration::hours(rome_offset_hours(at)))
        .unwrap_or_else(|| at.naive_utc())
}

/// The calendar day in Italy at an instant.
pub fn rome_date(at: DateTime<Utc>) -> NaiveDate {
    rome_time(at).date()
}

/// The instant of an Italian local time; `None` outside [`SANE_YEARS`].
pub fn from_rome_time(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    if !sane(local.date()) {
        return None;
    }
    let guess = Utc.from_utc_datetime(&local);
    local
        .checked_sub_signed(Duration::hours(rome_offset_hours(guess)))
        .map(|t| Utc.from_utc_datetime(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_at_chrono_edges() {
        for at in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            let _ = rome_offset_hours(at);
            let _ = rome_date(at);
            assert_eq!(from_rome_time(at.naive_utc()), None);
        }
        let local = NaiveDate::from_ymd_opt(2026, 7, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        assert_eq!(
            from_rome_time(local).unwrap().to_rfc3339(),
            "2026-07-01T10:00:00+00:00"
        );
        assert_eq!(rome_time(from_rome_time(local).unwrap()), local);
        assert!(!sane(NaiveDate::from_ymd_opt(1999, 12, 31).unwrap()));
        assert!(sane(NaiveDate::from_ymd_opt(2199, 12, 31).unwrap()));
    }

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
