//! Views shared by several pages.

pub mod entity;
pub mod entity_link;
pub mod entity_table;
pub mod error_page;
pub mod header;
pub mod theme_switch;

/// A kind as people write it (`API`, `Component`), from any case.
pub fn kind_label(kind: &str) -> String {
    match kind.to_ascii_lowercase().as_str() {
        "api" => "API".into(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default()
        }
    }
}
