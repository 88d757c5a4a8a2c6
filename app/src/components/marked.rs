//! Text with the words a search matched marked (`<mark>`), as the catalog list shows its results.
//! Leptos escapes every piece: the text and the term stay text, whatever they hold.

use leptos::prelude::*;

/// `text` with each occurrence of `term` (any case) in a `<mark>`.
#[component]
pub fn Marked(text: String, term: Option<String>) -> impl IntoView {
    pieces(&text, term.as_deref().unwrap_or_default().trim())
        .into_iter()
        .map(|(piece, marked)| {
            if marked {
                view! { <mark>{piece}</mark> }.into_any()
            } else {
                piece.into_any()
            }
        })
        .collect_view()
}

/// `text` cut into pieces, each with whether it is an occurrence of `term` (compared without
/// case, character by character, so the pieces keep the text's own spelling).
pub fn pieces(text: &str, term: &str) -> Vec<(String, bool)> {
    let term: Vec<char> = term.chars().flat_map(char::to_lowercase).collect();
    if term.is_empty() {
        return vec![(text.to_string(), false)];
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut pieces = Vec::new();
    let (mut plain_from, mut i) = (0, 0);
    while i < chars.len() {
        match occurrence(&chars[i..], &term) {
            Some(len) => {
                let start = chars[i].0;
                let end = chars.get(i + len).map_or(text.len(), |(at, _)| *at);
                if plain_from < start {
                    pieces.push((text[plain_from..start].to_string(), false));
                }
                pieces.push((text[start..end].to_string(), true));
                plain_from = end;
                i += len;
            }
            None => i += 1,
        }
    }
    if plain_from < text.len() {
        pieces.push((text[plain_from..].to_string(), false));
    }
    pieces
}

/// How many characters of `chars` spell `term` (lower-case) from the start, if they do.
fn occurrence(chars: &[(usize, char)], term: &[char]) -> Option<usize> {
    let mut wanted = term.iter();
    let mut used = 0;
    for (_, c) in chars {
        for lower in c.to_lowercase() {
            if wanted.next() != Some(&lower) {
                return None;
            }
        }
        used += 1;
        if wanted.len() == 0 {
            return Some(used);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str, term: &str) -> String {
        pieces(text, term)
            .into_iter()
            .map(|(p, marked)| if marked { format!("[{p}]") } else { p })
            .collect()
    }

    #[test]
    fn every_occurrence_is_marked_in_the_texts_own_case() {
        assert_eq!(
            shown("Checkout and CHECKOUT-web", "checkout"),
            "[Checkout] and [CHECKOUT]-web"
        );
        assert_eq!(shown("aaa", "aa"), "[aa]a", "occurrences do not overlap");
        assert_eq!(shown("Straße ÉTÉ", "été"), "Straße [ÉTÉ]");
        assert_eq!(shown("no match", "zz"), "no match");
        assert_eq!(shown("anything", ""), "anything");
        assert_eq!(shown("", "x"), "");
    }
}
