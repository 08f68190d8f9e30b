//! Deploy windows (`sync.windows`): times when releases of an environment
//! wait. A window is either recurring — a cron schedule (five fields, in an
//! IANA time zone) that opens it and a duration it lasts — or fixed, from
//! one instant until another.
//!
//! [`Window::open_at`] is a pure function of the time: it looks back over
//! the minutes a window could have started in, reading each as wall-clock
//! time in the zone. So a start that a spring-forward DST change skips does
//! not happen that day, and one that a fall-back change repeats starts the
//! window at its first occurrence only.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::time::{Duration, SystemTime};

/// The longest a recurring window may last.
pub const MAX_DURATION: Duration = Duration::from_secs(31 * 24 * 3600);

/// One deploy window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    /// Opens at every start of `schedule` in `zone` and lasts `duration`.
    Recurring {
        /// The cron expression, as written.
        schedule: String,
        /// It, parsed.
        cron: Cron,
        /// How long each opening lasts.
        duration: Duration,
        /// The zone, as written (`Europe/Berlin`, `UTC`).
        zone_name: String,
        /// It, loaded.
        zone: TimeZone,
    },
    /// From one instant until another.
    Fixed {
        /// Start (inclusive).
        from: SystemTime,
        /// End (exclusive).
        until: SystemTime,
    },
}

impl Window {
    /// A recurring window; the error says what is wrong with which part.
    pub fn recurring(schedule: &str, duration: Duration, zone: &str) -> Result<Window, String> {
        let cron = Cron::parse(schedule)?;
        if duration.is_zero() || duration > MAX_DURATION {
            return Err("the duration must be longer than zero and at most 31 days".into());
        }
        let tz = TimeZone::get(zone).map_err(|_| {
            format!("'{zone}' is not an IANA time zone: write e.g. Europe/Berlin, America/New_York or UTC")
        })?;
        Ok(Window::Recurring {
            schedule: schedule.to_owned(),
            cron,
            duration,
            zone_name: zone.to_owned(),
            zone: tz,
        })
    }

    /// When the opening that covers `now` ends; None when the window is
    /// not open at `now`.
    pub fn open_at(&self, now: SystemTime) -> Option<SystemTime> {
        match self {
            Window::Fixed { from, until } => (*from <= now && now < *until).then_some(*until),
            Window::Recurring {
                cron,
                duration,
                zone,
                ..
            } => {
                let now_minute = floor_minute(now);
                let minutes = duration.as_secs().div_ceil(60);
                // The newest start within `duration` before now: it ends last.
                (0..=minutes).find_map(|back| {
                    let start = now_minute.checked_sub(Duration::from_secs(back * 60))?;
                    let end = start + *duration;
                    (start <= now && now < end && starts(cron, zone, start)).then_some(end)
                })
            }
        }
    }

    /// How the window reads in messages.
    pub fn describe(&self) -> String {
        match self {
            Window::Recurring {
                schedule,
                duration,
                zone_name,
                ..
            } => format!(
                "deny window \"{schedule}\" ({zone_name}, {})",
                humantime::format_duration(*duration)
            ),
            Window::Fixed { from, until } => format!(
                "deny window from {} until {}",
                humantime::format_rfc3339_seconds(*from),
                humantime::format_rfc3339_seconds(*until)
            ),
        }
    }
}

/// The first window of `windows` open at `now`, with when it ends (the
/// latest end when several are open).
pub fn blocking(windows: &[Window], now: SystemTime) -> Option<(&Window, SystemTime)> {
    windows
        .iter()
        .filter_map(|w| w.open_at(now).map(|end| (w, end)))
        .max_by_key(|(_, end)| *end)
}

fn floor_minute(t: SystemTime) -> SystemTime {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs - secs % 60)
}

/// Whether the schedule starts at UTC minute `t`, read in `zone`: its
/// wall-clock time matches, and is not the repeat of a wall-clock time an
/// hour (or half an hour) before (a fall-back DST change).
fn starts(cron: &Cron, zone: &TimeZone, t: SystemTime) -> bool {
    let civil = |t: SystemTime| {
        Timestamp::try_from(t)
            .ok()
            .map(|ts| ts.to_zoned(zone.clone()).datetime())
    };
    let Some(here) = civil(t) else { return false };
    if !cron.matches(
        here.minute() as u32,
        here.hour() as u32,
        here.day() as u32,
        here.month() as u32,
        here.weekday().to_sunday_zero_offset() as u32,
    ) {
        return false;
    }
    [1800, 3600].iter().all(|back| {
        t.checked_sub(Duration::from_secs(*back))
            .and_then(civil)
            .is_none_or(|earlier| earlier != here)
    })
}

/// A five-field cron expression: minute, hour, day of month, month, day
/// of week (0 or 7 = Sunday; `JAN`…`DEC`, `SUN`…`SAT`). Each field is `*`,
/// a value, a range `a-b`, a step `*/n` or `a-b/n`, or a list of these.
/// When both day fields are restricted, either may match (as in cron).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_any: bool,
    weekdays_any: bool,
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    /// Parse `text`; the error names the field and what it takes.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "'{text}' has {} field(s); a schedule has five: minute hour day-of-month month day-of-week, e.g. \"0 18 * * FRI\"",
                fields.len()
            ));
        }
        let minutes = field(fields[0], "minute", 0, 59, &[])?;
        let hours = field(fields[1], "hour", 0, 23, &[])?;
        let days = field(fields[2], "day of month", 1, 31, &[])?;
        let months = field(fields[3], "month", 1, 12, &MONTHS)?;
        let mut weekdays = field(fields[4], "day of week", 0, 7, &WEEKDAYS)?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1; // 7 is Sunday too
        }
        Ok(Cron {
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_any: fields[2] == "*",
            weekdays_any: fields[4] == "*",
        })
    }

    /// Whether a wall-clock time matches (`weekday`: 0 = Sunday).
    pub fn matches(&self, minute: u32, hour: u32, day: u32, month: u32, weekday: u32) -> bool {
        let has = |set: u64, v: u32| set & (1 << v) != 0;
        let day_ok = match (self.days_any, self.weekdays_any) {
            (true, true) => true,
            (false, true) => has(self.days, day),
            (true, false) => has(self.weekdays, weekday),
            (false, false) => has(self.days, day) || has(self.weekdays, weekday),
        };
        has(self.minutes, minute) && has(self.hours, hour) && has(self.months, month) && day_ok
    }
}

/// One field as a bit set of the values it takes.
fn field(text: &str, name: &str, low: u32, high: u32, names: &[&str]) -> Result<u64, String> {
    let bad = |why: String| format!("the {name} field '{text}' {why}");
    let value = |v: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
            return Ok(i as u32 + if low == 1 { 1 } else { 0 });
        }
        let n: u32 = v.parse().map_err(|_| {
            bad(format!(
                "has '{v}', which is not a number{}",
                if names.is_empty() {
                    String::new()
                } else {
                    format!(" or a name ({}…)", names[0])
                }
            ))
        })?;
        if n < low || n > high {
            return Err(bad(format!("has {n}, outside {low}-{high}")));
        }
        Ok(n)
    };
    let mut set = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                    bad(format!("has step '{step}', which is not a number above 0"))
                })?;
                (range, step)
            }
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" => (low, high),
            r => match r.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if step > 1 => (value(r)?, high),
                None => {
                    let v = value(r)?;
                    (v, v)
                }
            },
        };
        if from > to {
            return Err(bad(format!(
                "has the range {from}-{to}, which runs backwards"
            )));
        }
        let mut v = from;
        while v <= to {
            set |= 1 << v;
            v += step;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(rfc3339: &str) -> SystemTime {
        humantime::parse_rfc3339(rfc3339).unwrap()
    }

    fn weekend_berlin() -> Window {
        // Friday 18:00 in Berlin for 62 hours: until Monday 08:00.
        Window::recurring(
            "0 18 * * FRI",
            Duration::from_secs(62 * 3600),
            "Europe/Berlin",
        )
        .unwrap()
    }

    #[test]
    fn a_recurring_window_is_open_from_its_start_for_its_duration_in_its_zone() {
        let w = weekend_berlin();
        // Friday 2026-12-04 18:00 CET = 17:00 UTC.
        assert_eq!(w.open_at(t("2026-12-04T16:59:59Z")), None);
        assert_eq!(
            w.open_at(t("2026-12-04T17:00:00Z")),
            Some(t("2026-12-07T07:00:00Z"))
        );
        assert_eq!(
            w.open_at(t("2026-12-06T12:00:00Z")),
            Some(t("2026-12-07T07:00:00Z"))
        );
        assert_eq!(
            w.open_at(t("2026-12-07T06:59:59Z")),
            Some(t("2026-12-07T07:00:00Z"))
        );
        assert_eq!(w.open_at(t("2026-12-07T07:00:00Z")), None);
        assert_eq!(w.open_at(t("2026-12-09T12:00:00Z")), None);
    }

    #[test]
    fn the_zone_decides_across_dst_changes() {
        let w = weekend_berlin();
        // Summer time (CEST, UTC+2): Friday 2026-07-03 18:00 = 16:00 UTC.
        assert_eq!(w.open_at(t("2026-07-03T15:59:00Z")), None);
        assert!(w.open_at(t("2026-07-03T16:00:00Z")).is_some());
        // Friday 2026-10-23 18:00 CEST (16:00 UTC); DST ends Sunday 10-25:
        // 62 hours later is Monday 06:00 UTC = 07:00 CET (the hour given back).
        assert_eq!(
            w.open_at(t("2026-10-24T00:00:00Z")),
            Some(t("2026-10-26T06:00:00Z"))
        );

        // A daily 02:30 start in Berlin: skipped on the spring-forward day
        // (2026-03-29 02:30 does not exist), once on the fall-back day.
        let nightly =
            Window::recurring("30 2 * * *", Duration::from_secs(10 * 60), "Europe/Berlin").unwrap();
        assert!(
            nightly.open_at(t("2026-03-28T01:35:00Z")).is_some(),
            "02:35 CET"
        );
        assert_eq!(
            nightly.open_at(t("2026-03-29T00:35:00Z")),
            None,
            "01:35 CET"
        );
        assert_eq!(
            nightly.open_at(t("2026-03-29T01:35:00Z")),
            None,
            "03:35 CEST"
        );
        // 2026-10-25: 02:30 CEST (00:30 UTC) and again 02:30 CET (01:30 UTC).
        assert_eq!(
            nightly.open_at(t("2026-10-25T00:35:00Z")),
            Some(t("2026-10-25T00:40:00Z"))
        );
        assert_eq!(
            nightly.open_at(t("2026-10-25T01:35:00Z")),
            None,
            "the repeat does not start it again"
        );
    }

    #[test]
    fn a_fixed_window_and_the_latest_end_of_several() {
        let holidays = Window::Fixed {
            from: t("2026-12-23T00:00:00Z"),
            until: t("2027-01-04T08:00:00Z"),
        };
        assert_eq!(holidays.open_at(t("2026-12-22T23:59:59Z")), None);
        assert_eq!(
            holidays.open_at(t("2026-12-25T12:00:00Z")),
            Some(t("2027-01-04T08:00:00Z"))
        );
        let windows = [weekend_berlin(), holidays];
        let (w, end) = blocking(&windows, t("2026-12-25T18:00:00Z")).unwrap();
        assert_eq!(end, t("2027-01-04T08:00:00Z"));
        assert!(
            w.describe()
                .starts_with("deny window from 2026-12-23T00:00:00Z")
        );
        assert_eq!(blocking(&windows, t("2026-12-09T12:00:00Z")), None);
    }

    #[test]
    fn cron_fields_take_values_ranges_steps_lists_and_names() {
        let c = Cron::parse("*/15 9-17 * JAN-MAR,DEC MON-FRI").unwrap();
        assert!(c.matches(45, 9, 1, 12, 1));
        assert!(!c.matches(50, 9, 1, 12, 1));
        assert!(!c.matches(0, 18, 1, 12, 1));
        assert!(!c.matches(0, 9, 1, 6, 1));
        assert!(!c.matches(0, 9, 1, 12, 0), "Sunday");
        let sunday = Cron::parse("0 0 * * 7").unwrap();
        assert!(sunday.matches(0, 0, 5, 5, 0));
        // Both day fields restricted: either matches.
        let either = Cron::parse("0 0 1 * MON").unwrap();
        assert!(either.matches(0, 0, 1, 5, 3) && either.matches(0, 0, 9, 5, 1));
        assert!(!either.matches(0, 0, 9, 5, 2));
        for (bad, says) in [
            ("0 18 * *", "has 4 field(s)"),
            ("60 * * * *", "the minute field '60' has 60, outside 0-59"),
            (
                "0 18 * * FRIDAY",
                "the day of week field 'FRIDAY' has 'FRIDAY', which is not a number or a name",
            ),
            ("0 18-9 * * *", "runs backwards"),
            ("*/0 * * * *", "has step '0'"),
        ] {
            let e = Cron::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert!(
            Window::recurring("0 18 * * FRI", Duration::from_secs(3600), "Mars/Olympus")
                .unwrap_err()
                .contains("not an IANA time zone")
        );
    }
}
