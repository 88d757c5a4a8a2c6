//! What Nunjucks (JavaScript underneath) accepts and minijinja does not, translated before
//! compiling: `===`, `!==`, `&&`, `||`, `!x` and `.length` inside tags, a few string and list
//! methods (`toLowerCase()`, `split()`…), and how values print (`null` as nothing, `1.0` as `1`).

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, Output, State};

/// Rewrites the JavaScript operators inside `${{ }}` and `{% %}` tags; text, comments, string
/// literals and `{% raw %}` blocks are left alone. Never adds or removes a line break, so
/// error line numbers stay those of the original.
pub fn rewrite_template(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    for (is_tag, piece) in pieces(source) {
        if is_tag {
            out.push_str(&rewrite_expression(piece));
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// The names of the filters a template applies (`${{ x | lower }}` → `lower`), in order.
pub fn filter_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (_, body) in pieces(source).into_iter().filter(|(is_tag, _)| *is_tag) {
        let body = rewrite_expression(body);
        let chars: Vec<char> = body.chars().collect();
        let mut quote: Option<char> = None;
        for (i, &c) in chars.iter().enumerate() {
            match quote {
                Some(q) if c == q && chars.get(i.wrapping_sub(1)) != Some(&'\\') => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '|' => {
                    let name: String = chars[i + 1..]
                        .iter()
                        .skip_while(|c| c.is_whitespace())
                        .take_while(|c| c.is_alphanumeric() || **c == '_')
                        .collect();
                    if !name.is_empty() && !names.contains(&name) {
                        names.push(name);
                    }
                }
                None => {}
            }
        }
    }
    names
}

/// `source` cut into text (`false`) and tag bodies (`true`): the insides of `${{ }}` and
/// `{% %}`; comments, delimiters and `{% raw %}` blocks count as text.
fn pieces(source: &str) -> Vec<(bool, &str)> {
    let mut pieces = Vec::new();
    let mut rest = source;
    while let Some(start) = next_open(rest) {
        let (text, tag) = rest.split_at(start);
        pieces.push((false, text));
        if tag.starts_with("{#") {
            let end = tag.find("#}").map_or(tag.len(), |e| e + 2);
            pieces.push((false, &tag[..end]));
            rest = &tag[end..];
            continue;
        }
        let open = if tag.starts_with("${{") { 3 } else { 2 };
        let close = if open == 3 { "}}" } else { "%}" };
        let body_len = tag_body_len(&tag[open..], close);
        let body = &tag[open..open + body_len];
        pieces.push((false, &tag[..open]));
        pieces.push((true, body));
        rest = &tag[open + body_len..];
        if open == 2 && is_raw(body) {
            let end = find_endraw(rest).unwrap_or(rest.len());
            pieces.push((false, &rest[..end]));
            rest = &rest[end..];
        }
    }
    pieces.push((false, rest));
    pieces
}

/// The first `${{`, `{%` or `{#` in `text`.
fn next_open(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .find(|&i| bytes[i..].starts_with(b"${{") || bytes[i..].starts_with(b"{%") || bytes[i..].starts_with(b"{#"))
}

/// Length of a tag's body up to (not including) `close`, skipping string literals.
fn tag_body_len(text: &str, close: &str) -> usize {
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
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
            None if c == '"' || c == '\'' => quote = Some(c),
            None if text[i..].starts_with(close) => return i,
            None => {}
        }
    }
    text.len()
}

fn is_raw(body: &str) -> bool {
    body.trim_matches(|c: char| c == '-' || c == '+' || c == '~' || c.is_whitespace()) == "raw"
}

/// Where the `{% endraw %}` tag closing a raw block starts.
fn find_endraw(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find("{%") {
        let at = from + found;
        let body_len = text[at + 2..].find("%}")?;
        let body = &text[at + 2..at + 2 + body_len];
        if body.trim_matches(|c: char| c == '-' || c == '+' || c == '~' || c.is_whitespace()) == "endraw" {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// Rewrites one expression (or block tag body) outside its string literals.
pub fn rewrite_expression(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 8);
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    let mut quote: Option<char> = None;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 1;
            } else if c == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        let at = |s: &str| chars[i..].iter().take(s.len()).copied().eq(s.chars());
        if let Some(width) = bare_key(&chars, i, &out) {
            let key: String = chars[i..i + width].iter().collect();
            out.push_str(&format!("{key:?}"));
            i += width;
            continue;
        }
        let (replacement, width) = if c == '"' || c == '\'' {
            quote = Some(c);
            (c.to_string(), 1)
        } else if at("===") || at("!==") {
            (if c == '=' { "==" } else { "!=" }.to_string(), 3)
        } else if at("&&") {
            (" and ".to_string(), 2)
        } else if at("||") {
            (" or ".to_string(), 2)
        } else if c == '!' && !at("!=") {
            (" not ".to_string(), 1)
        } else if at(".length") && is_length_property(&chars, i) {
            ("|length".to_string(), 7)
        } else if c == '+' && joins_text(&chars, i, &out) {
            ("~".to_string(), 1)
        } else {
            (c.to_string(), 1)
        };
        out.push_str(&replacement);
        i += width;
    }
    out
}

/// A JavaScript object key written bare (`{defaultKind: 'user'}`): its length. Nunjucks reads
/// it as text, minijinja as a variable.
fn bare_key(chars: &[char], at: usize, before: &str) -> Option<usize> {
    if !matches!(before.trim_end().chars().last(), Some('{' | ',')) {
        return None;
    }
    let is_start = |c: char| c.is_alphabetic() || c == '_' || c == '$';
    if !is_start(chars[at]) {
        return None;
    }
    let width = chars[at..]
        .iter()
        .take_while(|c| c.is_alphanumeric() || **c == '_' || **c == '$')
        .count();
    let next = chars[at + width..].iter().find(|c| !c.is_whitespace());
    (next == Some(&':')).then_some(width)
}

/// A binary `+` with a string literal on either side: JavaScript concatenates, whatever the other
/// side is (`name + '-system'`), so it becomes `~`, which does too (minijinja's `+` refuses).
fn joins_text(chars: &[char], at: usize, before: &str) -> bool {
    let previous = before.trim_end().chars().last();
    let next = chars[at + 1..].iter().find(|c| !c.is_whitespace());
    previous.is_some()
        && !matches!(chars.get(at + 1), Some('+' | '='))
        && (matches!(previous, Some('"' | '\'')) || matches!(next, Some('"' | '\'')))
}

/// `.length` read as a property: after a name, `)` or `]`, and not the start of a longer name.
fn is_length_property(chars: &[char], at: usize) -> bool {
    let before = at.checked_sub(1).map(|b| chars[b]);
    let after = chars.get(at + 7);
    matches!(before, Some(c) if c.is_alphanumeric() || c == '_' || c == ')' || c == ']')
        && !matches!(after, Some(c) if c.is_alphanumeric() || *c == '_' || *c == '(')
}

/// How a value prints in text, as Nunjucks prints it: `none` and undefined as nothing, whole
/// floats without `.0`, lists joined by commas.
pub fn format_value(out: &mut Output, _state: &State, value: &Value) -> Result<(), Error> {
    let text = display(value)?;
    out.write_str(&text)
        .map_err(|_| Error::new(ErrorKind::WriteFailure, "output refused"))
}

fn display(value: &Value) -> Result<String, Error> {
    Ok(match value.kind() {
        ValueKind::Undefined | ValueKind::None => String::new(),
        ValueKind::Number => {
            let text = value.to_string();
            match text.strip_suffix(".0") {
                Some(whole) => whole.to_string(),
                None => text,
            }
        }
        ValueKind::Seq => {
            let mut parts = Vec::new();
            for item in value.try_iter()? {
                parts.push(display(&item)?);
            }
            parts.join(",")
        }
        ValueKind::Map => "[object Object]".to_string(),
        _ => value.to_string(),
    })
}

/// JavaScript methods templates call on strings and lists (`name.toLowerCase()`).
pub fn js_method(_state: &State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let arg = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or_default().to_string();
    if let Some(s) = value.as_str() {
        let found = match method {
            "toLowerCase" => Some(Value::from(s.to_lowercase())),
            "toUpperCase" => Some(Value::from(s.to_uppercase())),
            "trim" => Some(Value::from(s.trim())),
            "split" => Some(Value::from(split(s, &arg(0)))),
            "replace" => Some(Value::from(s.replacen(&arg(0), &arg(1), 1))),
            "replaceAll" => Some(Value::from(s.replace(&arg(0), &arg(1)))),
            "startsWith" => Some(Value::from(s.starts_with(&arg(0)))),
            "endsWith" => Some(Value::from(s.ends_with(&arg(0)))),
            "includes" => Some(Value::from(s.contains(&arg(0)))),
            "indexOf" => Some(Value::from(s.find(&arg(0)).map_or(-1, |i| i as i64))),
            "slice" | "substring" => Some(Value::from(slice(s, args))),
            _ => None,
        };
        if let Some(found) = found {
            return Ok(found);
        }
    }
    if value.kind() == ValueKind::Seq {
        match method {
            "join" => {
                let separator = args.first().and_then(Value::as_str).unwrap_or(",");
                let items: Vec<String> = value.try_iter()?.map(|v| v.to_string()).collect();
                return Ok(Value::from(items.join(separator)));
            }
            "includes" => {
                let wanted = args.first().cloned().unwrap_or_default();
                return Ok(Value::from(value.try_iter()?.any(|v| v == wanted)));
            }
            _ => {}
        }
    }
    Err(Error::new(
        ErrorKind::UnknownMethod,
        format!("{} has no method named {method}", value.kind()),
    ))
}

fn split(s: &str, separator: &str) -> Vec<String> {
    if separator.is_empty() {
        s.chars().map(String::from).collect()
    } else {
        s.split(separator).map(str::to_string).collect()
    }
}

/// `slice(start, end)` by characters, negative positions counting from the end.
fn slice(s: &str, args: &[Value]) -> String {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let pos = |v: Option<&Value>, default: i64| {
        let p = v.and_then(Value::as_i64).unwrap_or(default);
        (if p < 0 { len + p } else { p }).clamp(0, len) as usize
    };
    let (start, end) = (pos(args.first(), 0), pos(args.get(1), len));
    if start >= end {
        return String::new();
    }
    chars[start..end].iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_operators_only_inside_tags() {
        assert_eq!(
            rewrite_template("a === b ${{ x === 'a && b' && y.length }}"),
            "a === b ${{ x == 'a && b'  and  y|length }}"
        );
        assert_eq!(
            rewrite_template("{% if !a || b !== c %}"),
            "{% if  not a  or  b != c %}"
        );
        assert_eq!(
            rewrite_expression("f({a: 1, 'b': c, d :e})"),
            "f({\"a\": 1, 'b': c, \"d\" :e})"
        );
        assert_eq!(
            rewrite_template("{# a && b #}${{ x.lengthy }}"),
            "{# a && b #}${{ x.lengthy }}"
        );
    }

    #[test]
    fn plus_next_to_text_concatenates() {
        assert_eq!(rewrite_expression(" a + '-x' "), " a ~ '-x' ");
        assert_eq!(rewrite_expression("\"u:\" + ns + \"/\" + n"), "\"u:\" ~ ns ~ \"/\" ~ n");
        assert_eq!(rewrite_expression("a + 1"), "a + 1");
        assert_eq!(rewrite_expression("+ 'a'"), "+ 'a'");
    }

    #[test]
    fn finds_filter_names() {
        let names =
            filter_names("${{ a | lower | replace('|x', 'y') }} {% if b || c | length %}{% endif %}${{ d|now }}");
        assert_eq!(names, ["lower", "replace", "length", "now"]);
    }

    #[test]
    fn leaves_raw_blocks_and_keeps_lines() {
        let source = "{% raw %}${{ a && b }}{% endraw %}\n${{ c && d }}";
        let rewritten = rewrite_template(source);
        assert!(rewritten.starts_with("{% raw %}${{ a && b }}{% endraw %}\n"));
        assert_eq!(rewritten.lines().count(), source.lines().count());
    }

    #[test]
    fn slices_like_javascript() {
        assert_eq!(slice("backstage", &[Value::from(0), Value::from(4)]), "back");
        assert_eq!(slice("backstage", &[Value::from(-5)]), "stage");
    }
}
