//! Many rows per statement: the rows travel as one JSON array the database unpacks itself
//! (`json_each` on SQLite, `jsonb_array_elements` on PostgreSQL), as the catalog's writes do, so
//! ten thousand containers are a few statements, not ten thousand.

/// Most rows per statement: a bounded statement size.
pub(super) const ROWS_PER_STATEMENT: usize = 5_000;

/// A column of the JSON rows: its name, and whether it holds an integer.
pub(super) type Column = (&'static str, bool);

/// `SELECT`'s expressions for `columns` (in order) and the `FROM` clause unpacking `$1`.
pub(super) fn unpack(postgres: bool, columns: &[Column]) -> (String, &'static str) {
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, integer))| match (postgres, integer) {
            (true, true) => format!("(x->>{i})::bigint"),
            (true, false) => format!("x->>{i}"),
            (false, _) => format!("x.value->>{i}"),
        })
        .collect();
    let source = if postgres {
        "jsonb_array_elements($1::jsonb) AS x"
    } else {
        "json_each($1) AS x"
    };
    (values.join(", "), source)
}

/// The column names, comma-separated.
pub(super) fn names(columns: &[Column]) -> String {
    columns.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}

/// Rows as one JSON array per chunk of `ROWS_PER_STATEMENT`.
pub(super) fn chunks(rows: Vec<serde_json::Value>) -> Vec<String> {
    rows.chunks(ROWS_PER_STATEMENT)
        .map(|chunk| serde_json::Value::Array(chunk.to_vec()).to_string())
        .collect()
}
