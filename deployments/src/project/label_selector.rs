//! Kubernetes label selectors in their string form (`app=web,tier in (api,worker),!canary`), parsed
//! as the API server parses `?labelSelector=`, so an entity's `backstage.io/kubernetes-label-selector`
//! selects here what it selects in `kubectl get -l`.

mod parse;

use std::collections::BTreeMap;

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

impl LabelSelector {
    /// Parses the string form. Whitespace around tokens is ignored.
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        parse::requirements(text)
            .map(|requirements| LabelSelector { requirements })
            .map_err(|(at, problem)| SelectorError {
                selector: text.chars().take(200).collect(),
                position: at + 1,
                problem,
            })
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
