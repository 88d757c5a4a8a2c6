//! FOCUS 1.x cost and usage files (the FinOps Foundation's billing format that AWS, Azure, Google
//! Cloud and Oracle export) as CSV: the specification's column names, each cell checked against
//! its format, rows mapped to an entity through configurable tag keys. Reading is bounded (rows,
//! bytes, cell size); a bad row is reported with its line and column and the rest is still read.
//! A file without the mandatory columns this needs is refused whole.

mod values;

use std::collections::BTreeMap;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::allocation::UNALLOCATED;
use crate::model::{Money, Window};

/// The columns read, by their FOCUS column IDs. The first six are mandatory in FOCUS 1.0–1.2.
pub mod columns {
    pub const BILLED_COST: &str = "BilledCost";
    pub const EFFECTIVE_COST: &str = "EffectiveCost";
    pub const BILLING_CURRENCY: &str = "BillingCurrency";
    pub const CHARGE_PERIOD_START: &str = "ChargePeriodStart";
    pub const CHARGE_PERIOD_END: &str = "ChargePeriodEnd";
    pub const SERVICE_NAME: &str = "ServiceName";
    pub const CHARGE_CATEGORY: &str = "ChargeCategory";
    pub const PROVIDER_NAME: &str = "ProviderName";
    pub const SUB_ACCOUNT_ID: &str = "SubAccountId";
    pub const RESOURCE_ID: &str = "ResourceId";
    pub const RESOURCE_NAME: &str = "ResourceName";
    pub const RESOURCE_TYPE: &str = "ResourceType";
    pub const TAGS: &str = "Tags";

    pub const REQUIRED: [&str; 6] = [
        BILLED_COST,
        EFFECTIVE_COST,
        BILLING_CURRENCY,
        CHARGE_PERIOD_START,
        CHARGE_PERIOD_END,
        SERVICE_NAME,
    ];
}

/// How much of a file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FocusLimits {
    pub max_rows: u64,
    pub max_bytes: u64,
    pub max_cell_bytes: usize,
}

impl Default for FocusLimits {
    fn default() -> Self {
        FocusLimits {
            max_rows: 2_000_000,
            max_bytes: 1 << 30,
            max_cell_bytes: 64 * 1024,
        }
    }
}

/// Which tags name the entity a row's cost belongs to, tried in order (`backstage.io/kubernetes-id`,
/// `service`, `app`…); the first with a value wins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagMapping {
    pub keys: Vec<String>,
}

/// One charge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FocusRow {
    /// Its line in the file (the header is line 1).
    pub line: u64,
    pub charge_period: Window,
    pub billed_cost: Money,
    pub effective_cost: Money,
    pub currency: String,
    pub service_name: String,
    pub charge_category: Option<String>,
    pub provider: Option<String>,
    pub sub_account_id: Option<String>,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub resource_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The entity key the mapping found, and the tag it came from.
    pub entity: Option<String>,
    pub entity_tag: Option<String>,
}

/// A row that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FocusProblem {
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<String>,
    pub message: String,
}

/// Why reading stopped before the end of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "limit", content = "max")]
pub enum Stopped {
    Rows(u64),
    Bytes(u64),
}

/// What a file gave.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FocusFile {
    pub rows: Vec<FocusRow>,
    pub problems: Vec<FocusProblem>,
    pub stopped: Option<Stopped>,
}

/// A file that is not a FOCUS file at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FocusError {
    #[error("the file has no header line")]
    Empty,
    #[error("the header line could not be read: {0}")]
    Header(String),
    #[error("the file lacks FOCUS's mandatory columns {}", .0.join(", "))]
    MissingColumns(Vec<String>),
}

impl FocusFile {
    /// Effective cost (amortised, FOCUS's column for allocation) per entity and currency; rows no
    /// tag maps are summed under `__unallocated__`, never dropped.
    pub fn by_entity(&self) -> BTreeMap<(String, String), Money> {
        let mut out: BTreeMap<(String, String), Money> = BTreeMap::new();
        for row in &self.rows {
            let entity = row.entity.clone().unwrap_or_else(|| UNALLOCATED.to_string());
            *out.entry((entity, row.currency.clone())).or_default() += row.effective_cost;
        }
        out
    }
}

/// Reads a FOCUS CSV file from `input`.
pub fn read(input: impl Read, limits: &FocusLimits, mapping: &TagMapping) -> Result<FocusFile, FocusError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(Bounded {
        inner: input,
        left: limits.max_bytes,
        over: false,
    });
    let header = reader
        .byte_headers()
        .map_err(|e| FocusError::Header(e.to_string()))?
        .clone();
    if header.is_empty() {
        return Err(FocusError::Empty);
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string()
        })
        .collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let missing: Vec<String> = columns::REQUIRED
        .iter()
        .filter(|c| !index.contains_key(*c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(FocusError::MissingColumns(missing));
    }
    let mut file = FocusFile::default();
    let mut record = csv::ByteRecord::new();
    let mut last_line = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(last_line + 1, |p| p.line());
                file.problems.push(FocusProblem {
                    line,
                    column: None,
                    message: format!("unreadable: {e}"),
                });
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        last_line = record.position().map_or(last_line + 1, |p| p.line());
        if file.rows.len() as u64 + file.problems.len() as u64 >= limits.max_rows {
            file.stopped = Some(Stopped::Rows(limits.max_rows));
            break;
        }
        match row(&record, last_line, &names, &index, limits, mapping) {
            Ok(row) => file.rows.push(row),
            Err(problem) => file.problems.push(problem),
        }
    }
    if reader.get_ref().over {
        // The last row read was cut by the limit: it is not a row of the file.
        file.rows.retain(|r| r.line != last_line);
        file.problems.retain(|p| p.line != last_line);
        file.stopped = Some(Stopped::Bytes(limits.max_bytes));
    }
    Ok(file)
}

fn row(
    record: &csv::ByteRecord,
    line: u64,
    names: &[String],
    index: &BTreeMap<&str, usize>,
    limits: &FocusLimits,
    mapping: &TagMapping,
) -> Result<FocusRow, FocusProblem> {
    let problem = |column: Option<&str>, message: String| FocusProblem {
        line,
        column: column.map(str::to_string),
        message,
    };
    if record.len() != names.len() {
        return Err(problem(
            None,
            format!("has {} fields where the header has {}", record.len(), names.len()),
        ));
    }
    if let Some((i, _)) = record.iter().enumerate().find(|(_, f)| f.len() > limits.max_cell_bytes) {
        return Err(problem(
            Some(&names[i]),
            format!("a cell is longer than {} bytes", limits.max_cell_bytes),
        ));
    }
    let cell = |column: &str| -> Result<Option<&str>, FocusProblem> {
        let Some(&i) = index.get(column) else { return Ok(None) };
        let bytes = record.get(i).unwrap_or_default();
        let text = std::str::from_utf8(bytes).map_err(|_| problem(Some(column), "is not UTF-8".to_string()))?;
        // FOCUS writes null as an empty cell.
        Ok(Some(text.trim()).filter(|t| !t.is_empty()))
    };
    let required = |column: &str| cell(column)?.ok_or_else(|| problem(Some(column), "must not be null".to_string()));
    use columns::*;
    let start = values::date_time(required(CHARGE_PERIOD_START)?).map_err(fault(line, CHARGE_PERIOD_START))?;
    let end = values::date_time(required(CHARGE_PERIOD_END)?).map_err(fault(line, CHARGE_PERIOD_END))?;
    if end <= start {
        return Err(problem(
            Some(CHARGE_PERIOD_END),
            "must be after ChargePeriodStart".to_string(),
        ));
    }
    let tags = match cell(TAGS)? {
        Some(text) => values::tags(text).map_err(fault(line, TAGS))?,
        None => BTreeMap::new(),
    };
    let found = mapping
        .keys
        .iter()
        .find_map(|k| tags.get(k).filter(|v| !v.is_empty()).map(|v| (v.clone(), k.clone())));
    let text = |column: &str| cell(column).map(|c| c.map(str::to_string));
    Ok(FocusRow {
        line,
        charge_period: Window::new(start, end),
        billed_cost: values::decimal(required(BILLED_COST)?).map_err(fault(line, BILLED_COST))?,
        effective_cost: values::decimal(required(EFFECTIVE_COST)?).map_err(fault(line, EFFECTIVE_COST))?,
        currency: values::currency(required(BILLING_CURRENCY)?).map_err(fault(line, BILLING_CURRENCY))?,
        service_name: required(SERVICE_NAME)?.to_string(),
        charge_category: text(CHARGE_CATEGORY)?,
        provider: text(PROVIDER_NAME)?,
        sub_account_id: text(SUB_ACCOUNT_ID)?,
        resource_id: text(RESOURCE_ID)?,
        resource_name: text(RESOURCE_NAME)?,
        resource_type: text(RESOURCE_TYPE)?,
        entity: found.as_ref().map(|(v, _)| v.clone()),
        entity_tag: found.map(|(_, k)| k),
        tags,
    })
}

fn fault(line: u64, column: &str) -> impl Fn(String) -> FocusProblem + '_ {
    move |message| FocusProblem {
        line,
        column: Some(column.to_string()),
        message,
    }
}

/// Gives at most `left` bytes, and notes whether the input had more.
struct Bounded<R> {
    inner: R,
    left: u64,
    over: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            if !self.over {
                let mut probe = [0u8; 1];
                self.over = self.inner.read(&mut probe)? > 0;
            }
            return Ok(0);
        }
        let max = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
