//! Every SQL statement of delivery: its own tables (`records`: reported deployments, incidents,
//! their links; `decisions`: owners' verdicts on suspected deployments; `stamps`: what changed per
//! entity) and read-only reads of
//! others' (`reads`); `incidents` lists the incidents of a range. Over the catalog's store: the
//! same pool, and its write gate, so SQLite
//! keeps one writer.

mod decisions;
mod incidents;
mod reads;
mod records;
mod stamps;

pub use catalog::store::StoreError;
pub use reads::{MAX_GROUP_ENTITIES, RolloutRow};
pub use records::{IncidentRow, NewIncident, ReportedDeployment, Upsert};

/// Delivery's statements over the catalog's database.
#[derive(Clone, Debug)]
pub struct Store {
    catalog: catalog::store::Store,
}

impl Store {
    pub fn new(catalog: catalog::store::Store) -> Store {
        Store { catalog }
    }

    fn pool(&self) -> &sqlx::AnyPool {
        self.catalog.pool()
    }

    async fn writing(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.catalog.writing().await
    }
}

fn query_error(context: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Query { context, source }
}

/// Which entities a read covers: some (read in chunks of `CHUNK`, as `IN` lists both databases
/// take), or every one (the organisation).
#[derive(Clone, Copy, Debug)]
pub enum Among<'a> {
    Entities(&'a [String]),
    All,
}

/// Most entities one statement names.
const CHUNK: usize = 500;

impl<'a> Among<'a> {
    /// The statements to run: one per chunk of the entities (none without entities), or one.
    fn chunks(self) -> Vec<Option<&'a [String]>> {
        match self {
            Among::All => vec![None],
            Among::Entities(entities) => entities.chunks(CHUNK).map(Some).collect(),
        }
    }
}

impl Store {
    /// A two-column read (key → value) over `among`, a statement per chunk: `sql` is given the
    /// chunk's `IN` condition on `column` (its parameters start at `$1`).
    async fn pairs<V>(
        &self,
        among: Among<'_>,
        column: &str,
        sql: impl Fn(&str) -> String,
        context: &'static str,
    ) -> Result<std::collections::BTreeMap<String, V>, StoreError>
    where
        V: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        use sqlx::Row;
        let mut out = std::collections::BTreeMap::new();
        for chunk in among.chunks() {
            let sql = sql(&in_list(column, chunk, 1));
            let mut query = sqlx::query(&sql);
            for entity in chunk.unwrap_or_default() {
                query = query.bind(entity);
            }
            for row in query.fetch_all(self.pool()).await.map_err(query_error(context))? {
                out.insert(
                    row.try_get(0).map_err(query_error(context))?,
                    row.try_get(1).map_err(query_error(context))?,
                );
            }
        }
        Ok(out)
    }
}

/// `column IN ($first, $first + 1, …)` for a chunk (bound after the statement's own parameters),
/// or a condition that always holds.
fn in_list(column: &str, chunk: Option<&[String]>, first: usize) -> String {
    match chunk {
        None => "1 = 1".into(),
        Some(chunk) => {
            let params: Vec<String> = (first..first + chunk.len()).map(|i| format!("${i}")).collect();
            format!("{column} IN ({})", params.join(", "))
        }
    }
}
