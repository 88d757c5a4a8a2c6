//! `catalog.reading`: bounds on each catalog file read (Cairn's; Backstage has none). The
//! defaults take every real file Backstage reads; a file over one is refused with a message
//! naming the setting. `cairn validate` takes the same bounds as options.

use serde::Deserialize;

use super::FileConfig;
use crate::config::ConfigError;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct CatalogReadingSection {
    /// Largest file, in bytes.
    max_file_bytes: Option<usize>,
    /// Most YAML documents in one file.
    max_documents: Option<usize>,
    /// Deepest nesting of mappings and sequences in a document.
    max_depth: Option<usize>,
}

impl FileConfig {
    /// The bounds on each file read, over the defaults.
    pub(super) fn catalog_reading(&self) -> Result<catalog::read::ReadLimits, ConfigError> {
        let defaults = catalog::read::ReadLimits::default();
        let Some(section) = self.catalog.reading.as_ref() else {
            return Ok(defaults);
        };
        let limits = catalog::read::ReadLimits {
            max_file_bytes: section.max_file_bytes.unwrap_or(defaults.max_file_bytes),
            max_documents: section.max_documents.unwrap_or(defaults.max_documents),
            yaml: catalog::read::YamlLimits {
                max_depth: section.max_depth.unwrap_or(defaults.yaml.max_depth),
                ..defaults.yaml
            },
        };
        let check = |key: &'static str, value: usize, range: std::ops::RangeInclusive<usize>| {
            if range.contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::Value {
                    key,
                    message: format!("must be between {} and {}", range.start(), range.end()),
                })
            }
        };
        check("catalog.reading.maxFileBytes", limits.max_file_bytes, 1024..=1 << 30)?;
        check("catalog.reading.maxDocuments", limits.max_documents, 1..=10_000_000)?;
        check(
            "catalog.reading.maxDepth",
            limits.yaml.max_depth,
            8..=catalog::read::yaml::MAX_DEPTH,
        )?;
        Ok(limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FileConfig {
        FileConfig::parse(text).expect("config")
    }

    #[test]
    fn reading_bounds_default_generously_and_are_checked() {
        let defaults = parse("{}").catalog_reading().expect("defaults");
        assert!(defaults.max_file_bytes >= 16 << 20 && defaults.max_documents >= 100_000);
        let set = parse("catalog: { reading: { maxFileBytes: 2048, maxDocuments: 3, maxDepth: 20 } }")
            .catalog_reading()
            .expect("set");
        assert_eq!(
            (set.max_file_bytes, set.max_documents, set.yaml.max_depth),
            (2048, 3, 20)
        );
        let error = parse("catalog: { reading: { maxDepth: 500 } }")
            .catalog_reading()
            .expect_err("too deep");
        assert!(error.to_string().contains("catalog.reading.maxDepth"), "{error}");
    }
}
