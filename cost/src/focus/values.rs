//! FOCUS's value formats, checked: Numeric Format (integer, decimal or `mEn`, no `+`, no
//! thousands separators or symbols), Date/Time Format (ISO 8601 in UTC), Currency Format (ISO
//! 4217) and Key-Value Format (a JSON object of strings, numbers, booleans or nulls).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::Money;

/// A Numeric Format cell as money (rounded to the micro-unit).
pub fn decimal(cell: &str) -> Result<Money, String> {
    if !is_numeric(cell) {
        return Err(format!(
            "'{}' is not a FOCUS number (such as -100.2, 4 or 35.2E-7)",
            shorten(cell)
        ));
    }
    let value: f64 = cell
        .parse()
        .map_err(|_| format!("'{}' is not a number", shorten(cell)))?;
    if !value.is_finite() || value.abs() > 9.0e12 {
        return Err(format!("'{}' is out of range", shorten(cell)));
    }
    Ok(Money::from_units(value))
}

fn is_numeric(cell: &str) -> bool {
    let (mantissa, exponent) = match cell.find(['E', 'e']) {
        Some(i) => (&cell[..i], Some(&cell[i + 1..])),
        None => (cell, None),
    };
    let mantissa = mantissa.strip_prefix('-').unwrap_or(mantissa);
    let mut parts = mantissa.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole) && fraction.is_none_or(digits);
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix('-').unwrap_or(e)));
    mantissa_ok && exponent_ok
}

/// A Date/Time Format cell: `2024-01-01T00:00:00Z` (fractions of seconds and explicit offsets
/// are read too, and turned to UTC).
pub fn date_time(cell: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(cell)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "'{}' is not a date and time such as 2024-01-01T00:00:00Z",
                shorten(cell)
            )
        })
}

/// A Currency Format cell: three capital letters.
pub fn currency(cell: &str) -> Result<String, String> {
    if cell.len() == 3 && cell.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(cell.to_string())
    } else {
        Err(format!(
            "'{}' is not an ISO 4217 currency code such as USD",
            shorten(cell)
        ))
    }
}

/// A Key-Value Format cell: keys with null values are left out; `true` stays `"true"`.
pub fn tags(cell: &str) -> Result<BTreeMap<String, String>, String> {
    let value: serde_json::Value = serde_json::from_str(cell).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("not a JSON object".to_string());
    };
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let text = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(format!("the value of '{}' is an object or array", shorten(&key))),
        };
        out.insert(key, text);
    }
    Ok(out)
}

/// At most 40 characters of a cell, for messages.
pub fn shorten(cell: &str) -> String {
    match cell.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &cell[..i]),
        None => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_focus_writes_them() {
        assert_eq!(decimal("-100.2"), Ok(Money(-100_200_000)));
        assert_eq!(decimal("4"), Ok(Money(4_000_000)));
        assert_eq!(decimal("35.2E-7"), Ok(Money(4)));
        assert_eq!(decimal("0.0000125"), Ok(Money(13)));
        for bad in [
            "1 1/2", "35.2E+7", "+4", "1,000.00", "$4", "", ".5", "4.", "NaN", "inf", "1e400",
        ] {
            assert!(decimal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_currencies_and_tags() {
        assert_eq!(
            date_time("2024-01-01T00:00:00Z").map(|t| t.timestamp()),
            Ok(1_704_067_200)
        );
        assert!(date_time("2024-01-01").is_err());
        assert_eq!(currency("EUR"), Ok("EUR".into()));
        assert!(currency("usd").is_err());
        let t = tags(r#"{"team": "web", "cost-center": 42, "legacy": true, "gone": null}"#).expect("tags");
        assert_eq!(t.get("team").map(String::as_str), Some("web"));
        assert_eq!(t.get("cost-center").map(String::as_str), Some("42"));
        assert_eq!(t.get("legacy").map(String::as_str), Some("true"));
        assert!(!t.contains_key("gone"));
        assert!(tags("[1]").is_err());
        assert!(tags(r#"{"a": {"b": 1}}"#).is_err());
        assert!(tags("{team").is_err());
    }
}
