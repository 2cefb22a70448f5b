//! Text tables for the terminal: aligned columns, numbers right-aligned
//! with thousands separators. `--json` carries the plain numbers.

use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, presets};

/// A number with `,` between thousands and `decimals` places.
pub(crate) fn thousands(x: f64, decimals: usize) -> String {
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
pub(crate) fn area_km2(x: f64) -> String {
    if x > 0.0 && x < 0.0005 { "<0.001".into() } else { thousands(x, 3) }
}

/// A table with one header line; `right[i]` aligns column i right.
pub(crate) fn render(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING).set_content_arrangement(ContentArrangement::Disabled).set_header(header.to_vec());
    for row in rows {
        t.add_row(row.clone());
    }
    for (i, col) in t.column_iter_mut().enumerate() {
        col.set_padding((0, 2));
        col.set_constraint(ColumnConstraint::ContentWidth);
        if right.get(i).copied().unwrap_or(false) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    // comfy-table pads each line to the table's width; trailing spaces are noise.
    t.to_string().lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
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

    #[test]
    fn numbers_line_up_on_the_right() {
        let t = render(
            &["name", "km²"],
            &[false, true],
            &[vec!["a".into(), "1.000".into()], vec!["bb".into(), "12,345.000".into()]],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3);
        // Every row ends at the same column: right-aligned.
        let ends: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
        assert!(ends.iter().all(|&e| e == ends[0]), "{t}");
    }
}
