//! A FOCUS 1.0 file with the specification's columns (most of them not read) and broken rows.

use super::*;

const HEADER: &str = "BillingAccountId,BillingAccountName,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,ChargeDescription,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,ListCost,BillingCurrency,ProviderName,PublisherName,InvoiceIssuerName,ServiceCategory,ServiceName,SubAccountId,ResourceId,ResourceName,ResourceType,RegionId,Tags,x_Custom";

#[expect(clippy::too_many_arguments, reason = "one argument per column the sample varies")]
fn line(
    category: &str,
    description: &str,
    start: &str,
    billed: &str,
    effective: &str,
    service: &str,
    resource: &str,
    tags: &str,
) -> String {
    format!(
        "acct-1,Northwind,2024-01-01T00:00:00Z,2024-02-01T00:00:00Z,{category},{description},{start},2024-01-02T00:00:00Z,{billed},{effective},{billed},USD,AWS,AWS,AWS,Databases,{service},sub-9,{resource},orders-db,Database,eu-west-1,{tags},x"
    )
}

fn sample() -> String {
    let ok = "2024-01-01T00:00:00Z";
    [
        HEADER.to_string(),
        // 2: mapped by the first key.
        line(
            "Usage",
            "db hours",
            ok,
            "12.50",
            "10.25",
            "Amazon RDS",
            "arn:aws:rds:orders",
            r#""{""backstage.io/kubernetes-id"": ""orders"", ""team"": ""shop""}""#,
        ),
        // 3: mapped by the second key.
        line(
            "Usage",
            "gpu",
            ok,
            "3",
            "3",
            "Amazon EC2",
            "i-0abc",
            r#""{""team"": ""ml""}""#,
        ),
        // 4: thousands separator.
        line("Usage", "x", ok, "\"1,000.00\"", "1", "Amazon EC2", "i-1", ""),
        // 5: a date that is not ISO 8601.
        line("Usage", "x", "01/01/2024", "1", "1", "Amazon EC2", "i-1", ""),
        // 6: tags that are not JSON.
        line("Usage", "x", ok, "1", "1", "Amazon EC2", "i-1", r#""{team: ml}""#),
        // 7: a field short.
        "acct-1,Northwind,2024-01-01T00:00:00Z".to_string(),
        // 8–9: a quoted description over two lines, still one row.
        line("Tax", "\"VAT, \nEU\"", ok, "0.99", "0.99", "Amazon RDS", "", ""),
        // 10: EffectiveCost null.
        line("Usage", "x", ok, "1", "", "Amazon EC2", "i-1", ""),
        // 11: no tags: unallocated, and a credit.
        line("Credit", "promo", ok, "-2", "-2", "Amazon S3", "", ""),
    ]
    .join("\n")
        + "\n"
}

fn mapping() -> TagMapping {
    TagMapping {
        keys: vec!["backstage.io/kubernetes-id".into(), "team".into()],
    }
}

#[test]
fn good_rows_are_read_and_bad_ones_named_by_line_and_column() {
    let file = read(sample().as_bytes(), &FocusLimits::default(), &mapping()).expect("a FOCUS file");
    let lines: Vec<u64> = file.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 3, 8, 11]);
    let problems: Vec<(u64, Option<&str>)> = file.problems.iter().map(|p| (p.line, p.column.as_deref())).collect();
    assert_eq!(
        problems,
        vec![
            (4, Some("BilledCost")),
            (5, Some("ChargePeriodStart")),
            (6, Some("Tags")),
            (7, None),
            (10, Some("EffectiveCost"))
        ]
    );
    assert_eq!(
        file.problems[0].message,
        "'1,000.00' is not a FOCUS number (such as -100.2, 4 or 35.2E-7)"
    );
    assert_eq!(file.problems[3].message, "has 3 fields where the header has 24");
    assert_eq!(file.problems[4].message, "must not be null");
    assert_eq!(file.stopped, None);

    let orders = &file.rows[0];
    assert_eq!(
        (orders.billed_cost, orders.effective_cost),
        (Money(12_500_000), Money(10_250_000))
    );
    assert_eq!(orders.entity.as_deref(), Some("orders"));
    assert_eq!(orders.entity_tag.as_deref(), Some("backstage.io/kubernetes-id"));
    assert_eq!(orders.service_name, "Amazon RDS");
    assert_eq!(orders.resource_id.as_deref(), Some("arn:aws:rds:orders"));
    assert_eq!(orders.charge_category.as_deref(), Some("Usage"));
    assert_eq!(orders.provider.as_deref(), Some("AWS"));
    assert_eq!(orders.charge_period.hours(), 24.0);
    assert_eq!(file.rows[1].entity.as_deref(), Some("ml"));
    assert_eq!(file.rows[2].resource_id, None);

    let totals = file.by_entity();
    let usd = |e: &str| totals.get(&(e.to_string(), "USD".to_string())).copied();
    assert_eq!(usd("orders"), Some(Money(10_250_000)));
    assert_eq!(usd("ml"), Some(Money(3_000_000)));
    // The tax and the credit: no tag maps them, kept as unallocated.
    assert_eq!(usd(UNALLOCATED), Some(Money(990_000 - 2_000_000)));
}

#[test]
fn a_file_without_focus_columns_is_refused() {
    let err = read(
        "Date,Cost\n2024-01-01,3\n".as_bytes(),
        &FocusLimits::default(),
        &mapping(),
    )
    .expect_err("not FOCUS");
    assert_eq!(
        err.to_string(),
        "the file lacks FOCUS's mandatory columns BilledCost, EffectiveCost, BillingCurrency, ChargePeriodStart, ChargePeriodEnd, ServiceName"
    );
    assert_eq!(
        read("".as_bytes(), &FocusLimits::default(), &mapping()),
        Err(FocusError::Empty)
    );
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_first_column() {
    let text = "\u{feff}BilledCost,EffectiveCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ServiceName\n1,1,EUR,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z,Compute\n".to_string();
    let file = read(text.as_bytes(), &FocusLimits::default(), &mapping()).expect("read");
    assert_eq!(file.rows.len(), 1);
    assert_eq!(file.rows[0].currency, "EUR");
}

#[test]
fn reading_is_bounded() {
    let text = sample();
    let rows = FocusLimits {
        max_rows: 3,
        ..FocusLimits::default()
    };
    let file = read(text.as_bytes(), &rows, &mapping()).expect("read");
    assert_eq!(file.rows.len() + file.problems.len(), 3);
    assert_eq!(file.stopped, Some(Stopped::Rows(3)));

    // Cut in the middle of line 3: line 2 is whole, line 3 is not a row.
    let cut = text.find("Amazon EC2").expect("line 3") as u64;
    let bytes = FocusLimits {
        max_bytes: cut,
        ..FocusLimits::default()
    };
    let file = read(text.as_bytes(), &bytes, &mapping()).expect("read");
    assert_eq!(file.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2]);
    assert!(file.problems.is_empty());
    assert_eq!(file.stopped, Some(Stopped::Bytes(cut)));
    // Exactly the whole file is not over the limit.
    let whole = FocusLimits {
        max_bytes: text.len() as u64,
        ..FocusLimits::default()
    };
    assert_eq!(read(text.as_bytes(), &whole, &mapping()).expect("read").stopped, None);

    let cells = FocusLimits {
        max_cell_bytes: 40,
        ..FocusLimits::default()
    };
    let file = read(text.as_bytes(), &cells, &mapping()).expect("read");
    let long = file
        .problems
        .iter()
        .find(|p| p.line == 2)
        .expect("line 2's tags are 56 bytes");
    assert_eq!(long.column.as_deref(), Some("Tags"));
    assert_eq!(long.message, "a cell is longer than 40 bytes");
}
