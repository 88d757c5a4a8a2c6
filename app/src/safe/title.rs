//! The document's `<title>`, escaped on the server whatever a page puts in it.

use leptos::prelude::*;
use leptos_meta::Title;

/// Set once at the root: formats every page's title as "Page · Cairn". On the server the result
/// is escaped here, because leptos_meta writes it into the HTML unescaped (an entity titled
/// `</title><meta http-equiv=refresh …>` would otherwise send every visitor elsewhere); in the
/// browser it becomes `document.title`, a property, where escaping would show `&lt;` literally.
#[component]
pub fn TitleFormat() -> impl IntoView {
    view! { <Title formatter=|page: String| for_document(&page) /> }
}

/// A page's title: plain text from anywhere, escaped by [`TitleFormat`].
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    view! { <Title text /> }
}

fn for_document(page: &str) -> String {
    let title = if page.is_empty() {
        "Cairn".to_string()
    } else {
        format!("{page} · Cairn")
    };
    if cfg!(feature = "ssr") {
        escape_text(&title)
    } else {
        title
    }
}

/// Element text escaping: enough for `<title>`, whose content ends only at `</title`.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "ssr")]
    fn titles_cannot_close_the_title_element() {
        let hostile = "T1 </title><meta http-equiv=refresh content=0;url=https://evil.example>";
        let out = for_document(hostile);
        assert!(!out.contains('<') && !out.contains('>'), "{out}");
        assert_eq!(for_document(""), "Cairn");
        assert_eq!(for_document("A & B"), "A &amp; B · Cairn");
    }

    /// leptos_meta's `Title` outside this module (or a second formatter, which would replace
    /// the escaping one) would bring the hole back; page titles use [`PageTitle`].
    #[test]
    fn no_page_sets_its_title_around_this_module() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = Vec::new();
        visit(&src, &mut |path, text| {
            if path.ends_with("safe/title.rs") {
                return;
            }
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim_start().starts_with("//"))
            {
                if line.contains("leptos_meta::Title") || line.contains("<Title ") || line.contains("formatter=") {
                    offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        });
        assert!(
            offenders.is_empty(),
            "use safe::title::PageTitle instead:\n{}",
            offenders.join("\n")
        );
    }

    fn visit(dir: &std::path::Path, f: &mut impl FnMut(&std::path::Path, &str)) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                visit(&path, f);
            } else if path.extension().is_some_and(|e| e == "rs") {
                f(&path, &std::fs::read_to_string(&path).expect("read"));
            }
        }
    }
}
