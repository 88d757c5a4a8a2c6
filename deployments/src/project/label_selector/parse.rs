//! The string form's grammar: a tokenizer and a recursive-descent parser reporting what is wrong
//! and at which character, with keys and values checked as the API server checks them.

use std::fmt;

use super::{Op, Requirement};

/// Longest selector read; annotations are small, so anything longer is a mistake.
const MAX_LEN: usize = 4096;

/// What is wrong, at which character (0-based).
type Fail = (usize, String);

/// The requirements `text` lists.
pub(super) fn requirements(text: &str) -> Result<Vec<Requirement>, Fail> {
    if text.len() > MAX_LEN {
        return Err((MAX_LEN, format!("longer than {MAX_LEN} characters")));
    }
    let mut parser = Parser {
        tokens: tokenize(text),
        next: 0,
        end: text.chars().count(),
    };
    let mut requirements = Vec::new();
    if parser.tokens.is_empty() {
        return Ok(requirements);
    }
    loop {
        requirements.push(parser.requirement()?);
        match parser.take() {
            None => return Ok(requirements),
            Some((_, Token::Comma)) => {}
            Some((at, token)) => return Err((at, format!("expected \",\" or the end, found {token}"))),
        }
    }
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
        match self.tokens.get(self.next) {
            Some((at, Token::Word(value))) => {
                check_value(value).map_err(|problem| (*at, format!("invalid label value {value:?}: {problem}")))?;
                self.next += 1;
                Ok(value.clone())
            }
            None | Some((_, Token::Comma)) => Ok(String::new()),
            Some((at, token)) => Err((*at, format!("expected a label value, found {token}"))),
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
