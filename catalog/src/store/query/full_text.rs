//! Full-text search through an index: the entities whose words contain a term (FTS5 trigrams on
//! SQLite, a pg_trgm index on PostgreSQL: a substring of three characters or more is looked up,
//! not scanned for), and the rank their page is ordered by when no order is asked for.

use super::Sql;

/// Fields whose values `entity_text` holds too (`store::search::search_text`): a match in them
/// is a match there, so the index narrows a search restricted to them before the fields are
/// checked one by one.
const INDEXED_FIELDS: [&str; 9] = [
    "metadata.name",
    "metadata.title",
    "metadata.description",
    "metadata.tags",
    "spec.type",
    "spec.owner",
    "spec.lifecycle",
    "spec.profile.displayname",
    "spec.profile.email",
];

/// Shortest term the trigram index can look up; a shorter one is scanned for.
const INDEXED_CHARS: usize = 3;

/// `%term%` for LIKE, with LIKE's own characters escaped by `\`.
pub(super) fn contains_pattern(term: &str) -> String {
    format!("%{}%", like_escape(term))
}

fn like_escape(term: &str) -> String {
    term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A subquery of the ids of entities whose words contain `term` (lower-case, trimmed).
pub(super) fn matching_ids(term: &str, postgres: bool, sql: &mut Sql) -> String {
    if postgres {
        // Backslash is PostgreSQL's default LIKE escape; an explicit ESCAPE would hide the
        // pattern from the trigram index.
        let pattern = sql.arg(contains_pattern(term));
        format!("SELECT entity_id FROM entity_text WHERE text LIKE {pattern}")
    } else if term.chars().count() >= INDEXED_CHARS {
        // A phrase of trigrams is a substring: `"chec"` is `che` followed by `hec`.
        let phrase = sql.arg(format!("text : \"{}\"", term.replace('"', "\"\"")));
        format!("SELECT rowid FROM entity_text_index WHERE entity_text_index MATCH {phrase}")
    } else {
        let pattern = sql.arg(contains_pattern(term));
        format!("SELECT entity_id FROM entity_text WHERE text LIKE {pattern} ESCAPE '\\'")
    }
}

/// The least string above every name starting with `term` (its last character moved on), for
/// a range on the name index; `None` unless the term is lower-case ASCII letters and digits (whose
/// order every collation agrees on) not ending in `z` or `9`.
pub(super) fn prefix_upper_bound(term: &str) -> Option<String> {
    let last = term.chars().last()?;
    let plain = term.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !plain || last == 'z' || last == '9' {
        return None;
    }
    let mut upper = term[..term.len() - 1].to_string();
    upper.push(char::from(last as u8 + 1));
    Some(upper)
}

/// Whether every field is one `entity_text` holds (see [`INDEXED_FIELDS`]).
pub(super) fn indexed(fields: &[String]) -> bool {
    fields.iter().all(|f| INDEXED_FIELDS.contains(&f.as_str()))
}

/// The sort key of a match: its rank (0 the exact name, 1 a name starting with the term, 2 the
/// term in its title, description or display name, 3 elsewhere), then its name. The second
/// rank's entities are one set looked up in the index (the heading's trigrams), not a test per
/// match.
pub(super) fn rank_key(term: &str, postgres: bool, sql: &mut Sql) -> String {
    let exact = sql.arg(term.to_string());
    let prefix = sql.arg(format!("{}%", like_escape(term)));
    let in_heading = if postgres {
        let pattern = sql.arg(contains_pattern(term));
        format!("e.id IN (SELECT h.entity_id FROM entity_text h WHERE h.heading LIKE {pattern})")
    } else if term.chars().count() >= INDEXED_CHARS {
        let phrase = sql.arg(format!("heading : \"{}\"", term.replace('"', "\"\"")));
        format!("e.id IN (SELECT rowid FROM entity_text_index WHERE entity_text_index MATCH {phrase})")
    } else {
        let pattern = sql.arg(contains_pattern(term));
        format!("e.id IN (SELECT h.entity_id FROM entity_text h WHERE h.heading LIKE {pattern} ESCAPE '\\')")
    };
    format!(
        "(CASE WHEN e.name = {exact} THEN '0' WHEN e.name LIKE {prefix} ESCAPE '\\' THEN '1' \
         WHEN {in_heading} THEN '2' ELSE '3' END || e.name)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_become_patterns_and_phrases_that_match_them_literally() {
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        let mut sql = Sql::default();
        let text = matching_ids("say \"hi\"", false, &mut sql);
        assert!(text.contains("MATCH $1"), "{text}");
        assert_eq!(sql.args, vec!["text : \"say \"\"hi\"\"\"".to_string()]);
        let mut sql = Sql::default();
        assert!(
            matching_ids("ab", false, &mut sql).contains("LIKE $1"),
            "too short for trigrams"
        );
        assert!(indexed(&["metadata.name".into(), "spec.profile.displayname".into()]));
        assert_eq!(prefix_upper_bound("chec").as_deref(), Some("ched"));
        assert_eq!(prefix_upper_bound("a1").as_deref(), Some("a2"));
        assert_eq!(prefix_upper_bound("fizz"), None);
        assert_eq!(
            prefix_upper_bound("check-out"),
            None,
            "punctuation sorts differently by collation"
        );
        assert!(!indexed(&["metadata.annotations.x".into()]));
    }
}
