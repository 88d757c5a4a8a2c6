//! Kubernetes label selectors in their string form (`app=web,tier in (api,worker),!canary`), parsed
//! as the API server parses `?labelSelector=`, so an entity's `backstage.io/kubernetes-label-selector`
//! selects here what it selects in `kubectl get -l`.

use std::collections::BTreeMap;
use std::fmt;

/// Longest selector read; annotations are small, so anything longer is a mistake.
const MAX_LEN: usize = 4096;

/// Requirements that must all hold. Empty matches everything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Op,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
    GreaterThan(i64),
    LessThan(i64),
}

/// Why a selector could not be parsed: what is wrong and at which character.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem} (at character {position} of {selector:?})")]
pub struct SelectorError {
    pub selector: String,
    /// 1-based.
    pub position: usize,
    pub problem: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Bang,
    Equals,
    DoubleEquals,
    NotEquals,
    Greater,
    Less,
    Comma,
    Open,
    Close,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Token::Word(word) => return write!(f, "{word:?}"),
            Token::Bang => "\"!\"",
            Token::Equals => "\"=\"",
            Token::DoubleEquals => "\"==\"",
            Token::NotEquals => "\"!=\"",
            Token::Greater => "\">\"",
            Token::Less => "\"<\"",
            Token::Comma => "\",\"",
            Token::Open => "\"(\"",
            Token::Close => "\")\"",
        };
        f.write_str(text)
    }
}

impl LabelSelector {
    /// Parses the string form. Whitespace around tokens is ignored.
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        let fail = |position: usize, problem: String| SelectorError {
            selector: text.chars().take(200).collect(),
            position: position + 1,
            problem,
        };
        if text.len() > MAX_LEN {
            return Err(fail(MAX_LEN, format!("longer than {MAX_LEN} characters")));
        }
        let mut parser = Parser {
            tokens: tokenize(text),
            next: 0,
            end: text.chars().count(),
        };
        let mut requirements = Vec::new();
        if parser.tokens.is_empty() {
            return Ok(LabelSelector { requirements });
        }
        loop {
            requirements.push(parser.requirement().map_err(|(at, problem)| fail(at, problem))?);
            match parser.take() {
                None => break,
                Some((_, Token::Comma)) => {}
                Some((at, token)) => return Err(fail(at, format!("expected \",\" or the end, found {token}"))),
            }
        }
        Ok(LabelSelector { requirements })
    }

    /// `key=value`: what a `backstage.io/kubernetes-id` selects.
    pub fn equals(key: &str, value: &str) -> LabelSelector {
        LabelSelector {
            requirements: vec![Requirement {
                key: key.to_string(),
                op: Op::Equals(value.to_string()),
            }],
        }
    }

    /// The value this selector requires of `key` when that is all it requires (`key=value`), so an
    /// index can look it up instead of trying every selector.
    pub fn only_equals(&self, key: &str) -> Option<&str> {
        match self.requirements.as_slice() {
            [
                Requirement {
                    key: k,
                    op: Op::Equals(value),
                },
            ] if k == key => Some(value),
            _ => None,
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements
            .iter()
            .all(|r| r.matches(labels.get(&r.key).map(String::as_str)))
    }
}

impl Requirement {
    fn matches(&self, value: Option<&str>) -> bool {
        match (&self.op, value) {
            (Op::Equals(want), Some(v)) => v == want,
            (Op::In(set), Some(v)) => set.iter().any(|s| s == v),
            (Op::Equals(_) | Op::In(_), None) => false,
            (Op::NotEquals(want), v) => v != Some(want.as_str()),
            (Op::NotIn(set), v) => v.is_none_or(|v| !set.iter().any(|s| s == v)),
            (Op::Exists, v) => v.is_some(),
            (Op::DoesNotExist, v) => v.is_none(),
            (Op::GreaterThan(n), Some(v)) => v.parse::<i64>().is_ok_and(|v| v > *n),
            (Op::LessThan(n), Some(v)) => v.parse::<i64>().is_ok_and(|v| v < *n),
            (Op::GreaterThan(_) | Op::LessThan(_), None) => false,
        }
    }
}

fn tokenize(text: &str) -> Vec<(usize, Token)> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (token, width) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '!' if next == Some('=') => (Token::NotEquals, 2),
            '!' => (Token::Bang, 1),
            '=' if next == Some('=') => (Token::DoubleEquals, 2),
            '=' => (Token::Equals, 1),
            '>' => (Token::Greater, 1),
            '<' => (Token::Less, 1),
            ',' => (Token::Comma, 1),
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"!=><,()".contains(chars[i]) {
                    i += 1;
                }
                tokens.push((start, Token::Word(chars[start..i].iter().collect())));
                continue;
            }
        };
        tokens.push((i, token));
        i += width;
    }
    tokens
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    /// Position reported for "ended too soon".
    end: usize,
}

type Fail = (usize, String);

impl Parser {
    fn take(&mut self) -> Option<(usize, Token)> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn requirement(&mut self) -> Result<Requirement, Fail> {
        if self.peek() == Some(&Token::Bang) {
            self.next += 1;
            let key = self.key()?;
            return Ok(Requirement {
                key,
                op: Op::DoesNotExist,
            });
        }
        let key = self.key()?;
        let op = match self.peek() {
            None | Some(Token::Comma) => return Ok(Requirement { key, op: Op::Exists }),
            _ => self.take(),
        };
        let op = match op {
            Some((_, Token::Equals | Token::DoubleEquals)) => Op::Equals(self.value()?),
            Some((_, Token::NotEquals)) => Op::NotEquals(self.value()?),
            Some((_, Token::Greater)) => Op::GreaterThan(self.number()?),
            Some((_, Token::Less)) => Op::LessThan(self.number()?),
            Some((_, Token::Word(w))) if w == "in" => Op::In(self.set()?),
            Some((_, Token::Word(w))) if w == "notin" => Op::NotIn(self.set()?),
            Some((at, token)) => {
                return Err((
                    at,
                    format!("expected an operator (=, ==, !=, in, notin) after {key:?}, found {token}"),
                ));
            }
            None => return Err((self.end, "ended too soon".into())),
        };
        Ok(Requirement { key, op })
    }

    fn key(&mut self) -> Result<String, Fail> {
        match self.take() {
            Some((at, Token::Word(key))) => {
                check_key(&key).map_err(|problem| (at, format!("invalid label key {key:?}: {problem}")))?;
                Ok(key)
            }
            Some((at, token)) => Err((at, format!("expected a label key, found {token}"))),
            None => Err((self.end, "expected a label key, found the end".into())),
        }
    }

    /// A value after `=`/`!=`: may be empty (`tier=`).
    fn value(&mut self) -> Result<String, Fail> {
        match self.peek() {
            Some(Token::Word(_)) => {
                let Some((at, Token::Word(value))) = self.take() else {
                    unreachable!("peeked a word")
                };
                check_value(&value).map_err(|problem| (at, format!("invalid label value {value:?}: {problem}")))?;
                Ok(value)
            }
            None | Some(Token::Comma) => Ok(String::new()),
            Some(token) => {
                let message = format!("expected a label value, found {token}");
                Err((self.tokens[self.next].0, message))
            }
        }
    }

    fn number(&mut self) -> Result<i64, Fail> {
        match self.take() {
            Some((at, Token::Word(word))) => word
                .parse()
                .map_err(|_| (at, format!("expected an integer after > or <, found {word:?}"))),
            Some((at, token)) => Err((at, format!("expected an integer, found {token}"))),
            None => Err((self.end, "expected an integer, found the end".into())),
        }
    }

    /// `(a, b, c)`, not empty.
    fn set(&mut self) -> Result<Vec<String>, Fail> {
        let open_at = match self.take() {
            Some((at, Token::Open)) => at,
            Some((at, token)) => return Err((at, format!("expected \"(\" after in/notin, found {token}"))),
            None => return Err((self.end, "expected \"(\" after in/notin, found the end".into())),
        };
        let mut values = Vec::new();
        loop {
            match self.peek() {
                Some(Token::Close) if values.is_empty() => {
                    return Err((open_at, "the set of values after in/notin is empty".into()));
                }
                None => return Err((self.end, "a set of values is missing its \")\"".into())),
                _ => values.push(self.value()?),
            }
            match self.take() {
                Some((_, Token::Comma)) => {}
                Some((_, Token::Close)) => return Ok(values),
                Some((at, token)) => return Err((at, format!("expected \",\" or \")\" in a set, found {token}"))),
                None => return Err((self.end, "a set of values is missing its \")\"".into())),
            }
        }
    }
}

/// `[prefix/]name`: the prefix a DNS subdomain, the name at most 63 characters of
/// alphanumerics, `-`, `_`, `.`, beginning and ending with an alphanumeric.
fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let subdomain_ok = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|part| {
                !part.is_empty()
                    && part.len() <= 63
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            });
        if !subdomain_ok {
            return Err(format!(
                "the prefix {prefix:?} is not a DNS subdomain (lower-case, dots, dashes)"
            ));
        }
    }
    if name.is_empty() {
        return Err("the name part is empty".into());
    }
    check_name(name)
}

fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() { Ok(()) } else { check_name(value) }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.len() > 63 {
        return Err("longer than 63 characters".into());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("only letters, digits, '-', '_' and '.' are allowed".into());
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return Err("must begin and end with a letter or digit".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn matches(selector: &str, pairs: &[(&str, &str)]) -> bool {
        LabelSelector::parse(selector).unwrap().matches(&labels(pairs))
    }

    #[test]
    fn equality_and_inequality() {
        assert!(matches("app=web", &[("app", "web")]));
        assert!(matches("app == web", &[("app", "web"), ("x", "y")]));
        assert!(!matches("app=web", &[("app", "api")]));
        assert!(!matches("app=web", &[]));
        assert!(matches("app!=web", &[("app", "api")]));
        assert!(matches("app!=web", &[]), "a missing label is not equal");
        assert!(!matches("app!=web", &[("app", "web")]));
        assert!(matches("tier=", &[("tier", "")]));
    }

    #[test]
    fn sets_existence_and_comparisons() {
        let s = "environment in (production, qa), tier notin (frontend),partition,!canary";
        assert!(matches(
            s,
            &[("environment", "qa"), ("tier", "backend"), ("partition", "a")]
        ));
        assert!(!matches(s, &[("environment", "dev"), ("partition", "a")]));
        assert!(!matches(
            s,
            &[("environment", "qa"), ("tier", "frontend"), ("partition", "a")]
        ));
        assert!(!matches(
            s,
            &[("environment", "qa"), ("partition", "a"), ("canary", "true")]
        ));
        assert!(!matches(s, &[("environment", "qa")]));
        assert!(matches("tier notin (a)", &[]));
        assert!(matches("shard>3,shard<10", &[("shard", "7")]));
        assert!(!matches("shard>3", &[("shard", "x")]));
        assert!(matches("", &[("anything", "at-all")]));
        assert!(matches(
            "backstage.io/kubernetes-id=checkout",
            &[("backstage.io/kubernetes-id", "checkout")]
        ));
    }

    #[test]
    fn indexable_selectors_say_so() {
        let s = LabelSelector::parse("backstage.io/kubernetes-id = checkout").unwrap();
        assert_eq!(s.only_equals("backstage.io/kubernetes-id"), Some("checkout"));
        assert_eq!(s, LabelSelector::equals("backstage.io/kubernetes-id", "checkout"));
        assert_eq!(LabelSelector::parse("a=b,c=d").unwrap().only_equals("a"), None);
    }

    #[test]
    fn invalid_selectors_say_what_and_where() {
        let err = |s: &str| LabelSelector::parse(s).unwrap_err().to_string();
        assert_eq!(
            err("app=web,tier in ()"),
            "the set of values after in/notin is empty (at character 17 of \"app=web,tier in ()\")"
        );
        assert_eq!(
            err("app in (a, b"),
            "a set of values is missing its \")\" (at character 13 of \"app in (a, b\")"
        );
        assert_eq!(
            err("app=web,"),
            "expected a label key, found the end (at character 9 of \"app=web,\")"
        );
        assert!(err("app web").starts_with("expected an operator (=, ==, !=, in, notin) after \"app\", found \"web\""));
        assert!(err("app=web=x").starts_with("expected \",\" or the end, found \"=\""));
        assert!(err("-app=x").starts_with("invalid label key \"-app\": must begin and end"));
        assert!(err("Bad_Prefix/app=x").starts_with("invalid label key \"Bad_Prefix/app\": the prefix"));
        assert!(err("app=we$b").starts_with("invalid label value \"we$b\""));
        assert!(err("shard>x").starts_with("expected an integer after > or <"));
        assert!(err("app in x").starts_with("expected \"(\" after in/notin, found \"x\""));
        assert!(err(&"a".repeat(5000)).starts_with("longer than 4096 characters"));
    }
}
