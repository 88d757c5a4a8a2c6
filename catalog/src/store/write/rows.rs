//! Bulk inserts. The rows of a statement travel as one JSON array that the database unpacks
//! itself (`json_each` / `jsonb_array_elements`): binding thousands of parameters one by one
//! costs more than the insert, one statement text serves any number of rows, and the rows can be
//! rendered as text on the reading threads, off the writer's critical path.

use sqlx::AnyConnection;
use sqlx::Row;

use super::super::{StoreError, query_error};

/// Most rows, and bytes, per statement: few round trips, a bounded statement size.
const ROWS_PER_STATEMENT: usize = 5_000;
const BYTES_PER_STATEMENT: usize = 16 << 20;

/// One row (or the tail of one) as JSON text: `"a",1,null`.
#[derive(Debug, Default)]
pub(crate) struct RowText(Vec<u8>);

impl RowText {
    pub fn text(mut self, value: &str) -> RowText {
        self.separate();
        // Writing a string into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.0, value);
        self
    }

    pub fn opt_text(self, value: Option<&str>) -> RowText {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub fn int(mut self, value: i64) -> RowText {
        self.separate();
        self.0.extend_from_slice(value.to_string().as_bytes());
        self
    }

    pub fn opt_int(self, value: Option<i64>) -> RowText {
        match value {
            Some(v) => self.int(v),
            None => self.null(),
        }
    }

    fn null(mut self) -> RowText {
        self.separate();
        self.0.extend_from_slice(b"null");
        self
    }

    /// A row that starts with `id`, followed by this tail (search rows learn their entity's id
    /// only when it is written).
    pub fn after_id(&self, id: i64) -> RowText {
        let mut row = RowText(Vec::with_capacity(self.0.len() + 12));
        row.0.extend_from_slice(id.to_string().as_bytes());
        row.0.push(b',');
        row.0.extend_from_slice(&self.0);
        row
    }

    fn separate(&mut self) {
        if !self.0.is_empty() {
            self.0.push(b',');
        }
    }
}

/// Inserts `rows` into `table` (`columns` with whether each holds an integer), many per statement;
/// with `returning`, the two columns it names come back for every row.
pub(crate) async fn insert_rows(
    tx: &mut AnyConnection,
    postgres: bool,
    table: &str,
    columns: &[(&str, bool)],
    rows: impl IntoIterator<Item = RowText>,
    returning: Option<&str>,
) -> Result<Vec<(String, i64)>, StoreError> {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
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
    let returning_sql = returning.map(|r| format!(" RETURNING {r}")).unwrap_or_default();
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {source}{returning_sql}",
        names.join(", "),
        values.join(", ")
    );
    let mut returned = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut batch = Vec::with_capacity(1 << 16);
        batch.push(b'[');
        let mut count = 0;
        while count < ROWS_PER_STATEMENT && batch.len() < BYTES_PER_STATEMENT {
            let Some(row) = rows.next() else { break };
            if count > 0 {
                batch.push(b',');
            }
            batch.push(b'[');
            batch.extend_from_slice(&row.0);
            batch.push(b']');
            count += 1;
        }
        batch.push(b']');
        let text = String::from_utf8(batch).map_err(|e| StoreError::Corrupt(format!("row text: {e}")))?;
        let query = sqlx::query(&sql).bind(text);
        if returning.is_none() {
            query
                .execute(&mut *tx)
                .await
                .map_err(query_error("writing catalog rows"))?;
        } else {
            for row in query
                .fetch_all(&mut *tx)
                .await
                .map_err(query_error("writing catalog rows"))?
            {
                returned.push((
                    row.try_get(0).map_err(query_error("writing catalog rows"))?,
                    row.try_get(1).map_err(query_error("writing catalog rows"))?,
                ));
            }
        }
    }
    Ok(returned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_json_with_escapes_and_ids_in_front() {
        let row = RowText::default()
            .text("a \"quoted\"\n")
            .int(7)
            .opt_text(None)
            .opt_int(Some(-1));
        assert_eq!(
            String::from_utf8(row.0.clone()).unwrap(),
            r#""a \"quoted\"\n",7,null,-1"#
        );
        assert_eq!(
            String::from_utf8(row.after_id(42).0).unwrap(),
            r#"42,"a \"quoted\"\n",7,null,-1"#
        );
    }
}
