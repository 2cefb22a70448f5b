//! Numbers for readers: thousands separators, and areas that never show a
//! non-zero value as zero. Machine outputs (`--json`, files) keep plain
//! numbers.

/// A number with `,` between thousands and `decimals` places.
///
/// ```
/// assert_eq!(delimit::units::thousands(1234567.891, 3), "1,234,567.891");
/// ```
pub fn thousands(x: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// An area in km² to three places; a non-zero area too small to show is
/// `<0.001`, never `0.000`.
///
/// ```
/// assert_eq!(delimit::units::area_km2(0.0002), "<0.001");
/// assert_eq!(delimit::units::area_km2(85816.4529), "85,816.453");
/// ```
pub fn area_km2(x: f64) -> String {
    if x > 0.0 && x < 0.0005 { "<0.001".into() } else { thousands(x, 3) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_the_integer_part_only() {
        assert_eq!(thousands(0.0, 3), "0.000");
        assert_eq!(thousands(999.0, 0), "999");
        assert_eq!(thousands(1000.0, 0), "1,000");
        assert_eq!(thousands(1234567.891, 3), "1,234,567.891");
        assert_eq!(thousands(-12345.5, 1), "-12,345.5");
        assert_eq!(thousands(-0.0001, 3), "0.000");
        assert_eq!(area_km2(0.0), "0.000");
        assert_eq!(area_km2(0.0002), "<0.001");
        assert_eq!(area_km2(0.0005), "0.001");
    }
}
