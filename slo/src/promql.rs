//! The little PromQL the definitions need understood: is a query a bare selector, a `sum` of one,
//! or a Sloth template with `{{.window}}`, and does that template count or rate. From these come
//! the 5-minute bucket queries (`increase` summed, never a ratio).

use crate::model::{Indicator, Numerator, Query, QueryForm};

/// The step of every bucket: good and total events are counted per 5 minutes.
pub const BUCKET_SECONDS: i64 = 300;

/// A metric selector: `name`, `name{…}` or `{…}`, quotes respected, nothing around it.
pub fn is_selector(query: &str) -> bool {
    let q = query.trim();
    let name_len = q
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit()))
        .count();
    let rest = &q[name_len..];
    if rest.is_empty() {
        return name_len > 0;
    }
    match matchers_end(rest) {
        Some(end) => end == rest.len(),
        None => false,
    }
}

/// The byte length of a `{…}` block at the start of `text`, string literals skipped.
fn matchers_end(text: &str) -> Option<usize> {
    let mut chars = text.char_indices();
    if chars.next()?.1 != '{' {
        return None;
    }
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in chars {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '}' => return Some(i + 1),
                '{' => return None,
                _ => {}
            },
        }
    }
    None
}

/// The selector inside `sum(SEL)`, `sum by (…) (SEL)` or `sum without (…) (SEL)`.
pub fn summed_selector(query: &str) -> Option<&str> {
    let q = query.trim();
    let rest = q.strip_prefix("sum")?.trim_start();
    let rest = match rest.strip_prefix("by").or_else(|| rest.strip_prefix("without")) {
        Some(r) => {
            let r = r.trim_start().strip_prefix('(')?;
            let close = r.find(')')?;
            r[close + 1..].trim_start()
        }
        None => rest,
    };
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    is_selector(inner).then(|| inner.trim())
}

/// True when the query holds Sloth's `{{.window}}` placeholder (spaces allowed inside the braces).
pub fn has_window(query: &str) -> bool {
    replace_window(query, "") != query
}

/// The query with every `{{.window}}` replaced by `range`.
pub fn replace_window(query: &str, range: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let inner_end = after.find("}}");
        match inner_end {
            Some(end) if after[..end].trim() == ".window" => {
                out.push_str(&rest[..start]);
                out.push_str(range);
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether a `{{.window}}` template rates (`rate`, `irate`) or counts (`increase`,
/// `count_over_time`, `sum_over_time`); `None` when it does both or neither.
pub fn window_form(query: &str) -> Option<QueryForm> {
    const RATES: [&str; 2] = ["rate", "irate"];
    const COUNTS: [&str; 4] = ["increase", "count_over_time", "sum_over_time", "changes"];
    let (mut rates, mut counts) = (false, false);
    for name in called_functions(query) {
        rates |= RATES.contains(&name);
        counts |= COUNTS.contains(&name);
    }
    match (rates, counts) {
        (true, false) => Some(QueryForm::WindowRate),
        (false, true) => Some(QueryForm::WindowCount),
        _ => None,
    }
}

/// Names directly followed by `(` outside string literals.
fn called_functions(query: &str) -> Vec<&str> {
    let bytes = query.as_bytes();
    let mut names = Vec::new();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' {
                i += 1;
            } else if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        if matches!(b, b'"' | b'\'' | b'`') {
            quote = Some(b);
            i += 1;
            continue;
        }
        if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':') {
                i += 1;
            }
            let mut j = i;
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'(' {
                names.push(&query[start..i]);
            }
            continue;
        }
        i += 1;
    }
    names
}

/// How a counting query is read: its form decided from its shape.
pub fn counter_query(promql: &str) -> Result<Query, String> {
    let form = if is_selector(promql) || summed_selector(promql).is_some() {
        QueryForm::Counter
    } else if has_window(promql) {
        window_form(promql).ok_or_else(|| {
            "a {{.window}} query must either rate (rate, irate) or count (increase, count_over_time), not both or neither"
                .to_string()
        })?
    } else {
        return Err(
            "write a counter selector (http_requests_total{code=~\"5..\"}), sum(selector), or a query with {{.window}}"
                .to_string(),
        );
    };
    Ok(Query {
        promql: promql.trim().to_string(),
        form,
    })
}

/// The events of one bucket ending at each step, as PromQL: numerator and total.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketQueries {
    pub numerator: Numerator,
    pub events: String,
    pub total: String,
}

/// The bucket queries of an indicator. Counters are `increase`d over exactly one bucket and
/// summed across series (never a sum of counters increased, which a reset of one series would
/// turn into a jump of all). `sample` is the resolution gauges are sampled at.
pub fn bucket_queries(indicator: &Indicator, sample_seconds: i64) -> BucketQueries {
    range_queries(indicator, BUCKET_SECONDS, sample_seconds)
}

/// The events over the `range_seconds` ending at each evaluation, as PromQL (the bucket queries
/// are these over 5 minutes; generated recording rules use them over each burn window).
pub fn range_queries(indicator: &Indicator, range_seconds: i64, sample_seconds: i64) -> BucketQueries {
    let range = crate::duration::format(range_seconds);
    match indicator {
        Indicator::Ratio {
            numerator,
            events,
            total,
        } => BucketQueries {
            numerator: *numerator,
            events: counted(events, range_seconds),
            total: counted(total, range_seconds),
        },
        Indicator::Threshold { query, op, threshold } => {
            let sample = crate::duration::format(sample_seconds);
            BucketQueries {
                numerator: Numerator::Good,
                events: format!(
                    "sum(count_over_time((({}) {} {threshold})[{range}:{sample}]))",
                    query.promql,
                    op.promql()
                ),
                total: format!("sum(count_over_time(({})[{range}:{sample}]))", query.promql),
            }
        }
        Indicator::BoolGauge { query } => BucketQueries {
            numerator: Numerator::Good,
            events: format!("sum(sum_over_time({}[{range}]))", query.promql),
            total: format!("sum(count_over_time({}[{range}]))", query.promql),
        },
    }
}

fn counted(query: &Query, range_seconds: i64) -> String {
    let range = &crate::duration::format(range_seconds);
    let q = query.promql.trim();
    match query.form {
        QueryForm::Counter => {
            let selector = summed_selector(q).unwrap_or(q);
            format!("sum(increase({selector}[{range}]))")
        }
        QueryForm::WindowRate => format!("sum({}) * {range_seconds}", replace_window(q, range)),
        QueryForm::WindowCount => format!("sum({})", replace_window(q, range)),
        QueryForm::Gauge => format!("sum({q})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert!(is_selector("http_requests_total"));
        assert!(is_selector(r#"http_requests_total{code=~"5..",job="api"}"#));
        assert!(is_selector(r#"{__name__="x", path="/a}b"}"#));
        assert!(is_selector("slo:sli_error:ratio_rate5m"));
        assert!(!is_selector("sum(x)"));
        assert!(!is_selector("x{a=\"b\"} / y"));
        assert!(!is_selector("rate(x[5m])"));
        assert!(!is_selector(""));
    }

    #[test]
    fn sums_of_selectors() {
        assert_eq!(summed_selector("sum(x{a=\"1\"})"), Some("x{a=\"1\"}"));
        assert_eq!(summed_selector("sum by (job) (x)"), Some("x"));
        assert_eq!(summed_selector("sum(rate(x[5m]))"), None);
    }

    #[test]
    fn window_templates() {
        let q = "sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))";
        assert!(has_window(q));
        assert_eq!(
            replace_window(q, "5m"),
            "sum(rate(http_requests_total{code=~\"5..\"}[5m]))"
        );
        assert_eq!(replace_window("x[{{ .window }}]", "1h"), "x[1h]");
        assert_eq!(window_form(q), Some(QueryForm::WindowRate));
        assert_eq!(
            window_form("count_over_time(x[{{.window}}]) - changes(x[{{.window}}])"),
            Some(QueryForm::WindowCount)
        );
        assert_eq!(window_form("rate(x[{{.window}}]) + increase(y[{{.window}}])"), None);
        assert_eq!(
            window_form("x{f=\"rate(\"}"),
            None,
            "names inside strings are not calls"
        );
    }

    #[test]
    fn bucket_queries_increase_each_series_then_sum() {
        let indicator = Indicator::Ratio {
            numerator: Numerator::Bad,
            events: counter_query("sum(http_requests_total{code=~\"5..\"})").expect("test data"),
            total: counter_query("sum(rate(http_requests_total[{{.window}}]))").expect("test data"),
        };
        let q = bucket_queries(&indicator, 60);
        assert_eq!(q.events, "sum(increase(http_requests_total{code=~\"5..\"}[5m]))");
        assert_eq!(q.total, "sum(sum(rate(http_requests_total[5m]))) * 300");
    }

    #[test]
    fn other_shapes_are_refused() {
        assert!(counter_query("x / y").is_err());
        assert!(counter_query("rate(x[{{.window}}]) / increase(x[{{.window}}])").is_err());
    }
}
