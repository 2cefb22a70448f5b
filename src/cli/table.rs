//! Text tables for the terminal: aligned columns, numbers right-aligned
//! with thousands separators. `--json` carries the plain numbers.

use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Table, presets};

pub(crate) use delimit::units::{area_km2, thousands};

/// Print one block per item, separated by blank lines.
pub(crate) fn print_blocks<T>(
    out: &mut impl std::io::Write,
    items: &[T],
    mut print: impl FnMut(&mut dyn std::io::Write, &T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        print(out, item)?;
    }
    Ok(())
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
