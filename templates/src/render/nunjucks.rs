//! The Nunjucks filters minijinja lacks or does differently: `dump` (JSON), `length` (0 for
//! nothing), `center`, `truncate`, `wordcount`, `striptags`, `nl2br`.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

/// Adds this module's filters to `env`, replacing minijinja's `length`.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("dump", dump);
    env.add_filter("length", length);
    env.add_filter("count", length);
    env.add_filter("center", center);
    env.add_filter("truncate", truncate);
    env.add_filter("wordcount", wordcount);
    env.add_filter("striptags", striptags);
    env.add_filter("nl2br", nl2br);
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

/// `JSON.stringify(value, null, indent)`: undefined prints nothing.
fn dump(value: &Value, indent: Option<Value>) -> Result<String, Error> {
    if value.is_undefined() {
        return Ok(String::new());
    }
    let json = serde_json::to_value(value).map_err(|e| invalid(format!("dump: {e}")))?;
    let spaces = indent.and_then(|i| i.as_usize()).unwrap_or(0).min(10);
    let result = if spaces == 0 {
        serde_json::to_string(&json)
    } else {
        let pad = " ".repeat(spaces);
        let formatter = serde_json::ser::PrettyFormatter::with_indent(pad.as_bytes());
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        serde::Serialize::serialize(&json, &mut serializer).map(|()| String::from_utf8_lossy(&out).into_owned())
    };
    result.map_err(|e| invalid(format!("dump: {e}")))
}

/// Nunjucks' `length`: characters of text, items of a list, keys of a mapping; 0 for nothing.
fn length(value: &Value) -> Result<usize, Error> {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => Ok(0),
        ValueKind::String => Ok(value.as_str().map_or(0, |s| s.chars().count())),
        _ => value
            .len()
            .ok_or_else(|| invalid(format!("length: a {} has no length", value.kind()))),
    }
}

fn center(value: &str, width: Option<usize>) -> String {
    let width = width.unwrap_or(80).min(10_000);
    let len = value.chars().count();
    if len >= width {
        return value.to_string();
    }
    let left = (width - len) / 2;
    format!("{}{value}{}", " ".repeat(left), " ".repeat(width - len - left))
}

/// Nunjucks `truncate(length=255, killwords=false, end="...")`.
fn truncate(value: &str, length: Option<usize>, killwords: Option<bool>, end: Option<String>) -> String {
    let length = length.unwrap_or(255);
    if value.chars().count() <= length {
        return value.to_string();
    }
    let mut cut: String = value.chars().take(length).collect();
    if !killwords.unwrap_or(false)
        && let Some(space) = cut.rfind(' ')
    {
        cut.truncate(space);
    }
    cut + &end.unwrap_or_else(|| "...".into())
}

fn wordcount(value: &str) -> usize {
    value.split_whitespace().count()
}

fn striptags(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut in_tag = false;
    for c in value.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn nl2br(value: &str) -> String {
    value.replace("\r\n", "<br />\n").replace('\n', "<br />\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_json() {
        assert_eq!(
            dump(&Value::from_serialize(serde_json::json!({"k": [1, "x"]})), None).unwrap(),
            r#"{"k":[1,"x"]}"#
        );
        assert_eq!(
            dump(&Value::from_serialize(serde_json::json!([1])), Some(Value::from(2))).unwrap(),
            "[\n  1\n]"
        );
        assert_eq!(dump(&Value::UNDEFINED, None).unwrap(), "");
    }

    #[test]
    fn text_filters() {
        assert_eq!(center("ab", Some(6)), "  ab  ");
        assert_eq!(truncate("hello big world", Some(9), None, None), "hello...");
        assert_eq!(wordcount("a b  c"), 3);
        assert_eq!(striptags("<b>bold</b>  text"), "bold text");
        assert_eq!(nl2br("a\nb"), "a<br />\nb");
        assert_eq!(length(&Value::UNDEFINED).unwrap(), 0);
        assert_eq!(length(&Value::from("héllo")).unwrap(), 5);
        assert_eq!(
            length(&Value::from_serialize(serde_json::json!({"a": 1, "b": 2}))).unwrap(),
            2
        );
    }
}
