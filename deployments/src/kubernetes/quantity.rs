//! Kubernetes quantities (`100m`, `1.5`, `128Mi`, `2G`, `1e3`, `1234567n`) as numbers, the way
//! `resource.Quantity` reads them: a decimal number, then a binary (`Ki`…`Ei`) or decimal (`n`,
//! `u`, `m`, `k`, `M`…`E`) suffix or a decimal exponent. Anything else is no quantity (`None`),
//! never a panic: the strings come from the cluster.

/// The quantity's value in base units (cores, bytes, devices).
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exponent => {
            let power: i32 = exponent.strip_prefix(['e', 'E'])?.parse().ok()?;
            10f64.powi(power)
        }
    };
    let value = number * factor;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// CPU in millicores, rounded up as the scheduler counts it (`100m` → 100, `0.0001` → 1).
pub fn millicores(text: &str) -> Option<u64> {
    parse(text).map(|cores| (cores * 1000.0 - 1e-9).ceil().max(0.0) as u64)
}

/// Bytes (or any whole count: GPUs, pods), rounded up.
pub fn whole(text: &str) -> Option<u64> {
    parse(text).map(|value| (value - 1e-9).ceil().max(0.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_suffix_kubernetes_writes() {
        assert_eq!(millicores("100m"), Some(100));
        assert_eq!(millicores("1.5"), Some(1500));
        assert_eq!(millicores("2"), Some(2000));
        assert_eq!(millicores("250000000n"), Some(250));
        assert_eq!(whole("128Mi"), Some(134_217_728));
        assert_eq!(whole("16393244Ki"), Some(16_393_244 * 1024));
        assert_eq!(whole("2G"), Some(2_000_000_000));
        assert_eq!(whole("1e3"), Some(1000));
        assert_eq!(whole("1"), Some(1));
        assert_eq!(parse("1500000n"), Some(0.0015));
        for bad in ["", "lots", "12Zi", "-1", "1.2.3", "Mi"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
