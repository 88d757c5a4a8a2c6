//! Calendar time (UTC) from Unix milliseconds, with no clock or time-zone data: the same on the
//! server and in the browser, so what the server renders the wasm renders identically.

/// A moment split into its UTC calendar fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub millis: i64,
}

impl UtcTime {
    pub fn from_unix_ms(ms: i64) -> UtcTime {
        let secs = ms.div_euclid(1000);
        let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm, proleptic Gregorian).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        UtcTime {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
            hour: rest / 3600,
            minute: rest % 3600 / 60,
            second: rest % 60,
            millis: ms.rem_euclid(1000),
        }
    }

    /// `2026-12-06T01:41:00Z`.
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `2026-12-06T01:41:00.250Z`.
    pub fn rfc3339_millis(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millis
        )
    }
}

#[cfg(test)]
mod tests {
    use super::UtcTime;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(UtcTime::from_unix_ms(0).rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            UtcTime::from_unix_ms(1_796_521_260_250).rfc3339_millis(),
            "2026-12-06T01:41:00.250Z"
        );
        assert_eq!(UtcTime::from_unix_ms(951_782_400_000).rfc3339(), "2000-02-29T00:00:00Z");
        assert_eq!(UtcTime::from_unix_ms(-1).rfc3339_millis(), "1969-12-31T23:59:59.999Z");
    }
}
