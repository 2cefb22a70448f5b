//! The report's building blocks, each written as HTML or as Markdown:
//! headings, paragraphs and tables, with every value escaped.

use std::fmt::Write;

use crate::markup::{escape, escape_markdown};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A self-contained HTML page with an inline SVG map.
    Html,
    /// Markdown tables (no map).
    Markdown,
}

pub(super) const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI','DejaVu Sans',sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:normal;word-break:normal;hyphens:none}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}tr{break-inside:avoid}
.marking{text-align:center;font-weight:700;letter-spacing:.1em}.byline{color:#444;font-size:.9em}footer{margin-top:2em;border-top:1px solid #ccc}thead th{background:#eee}
.note{color:#555;font-size:.9em}figure{margin:1em 0}figcaption{font-size:.9em;color:#444}
.banner{border:2px solid #b00020;background:#fff4f4;padding:.5em 1em;margin:1em 0}.banner ul{margin:.3em 0 0;padding-left:1.2em}
svg{width:100%;height:auto;border:1px solid #bbb;background:#fbfbf8}code{font-size:.9em}
@media print{body{max-width:none;margin:0}h2{break-after:avoid}table,figure{break-inside:avoid}a{color:inherit;text-decoration:none}}
";

pub(super) fn km2(x: f64) -> String {
    format!("{x:.3}")
}

/// A table: header cells (a trailing `#` marks a numeric column) and rows.
pub(super) fn table(out: &mut String, fmt: Format, head: &[&str], rows: &[Vec<String>]) {
    let numeric: Vec<bool> = head.iter().map(|h| h.ends_with('#')).collect();
    let names: Vec<&str> = head.iter().map(|h| h.trim_end_matches('#')).collect();
    match fmt {
        Format::Html => {
            out.push_str("<table><thead><tr>");
            for (h, n) in names.iter().zip(&numeric) {
                let _ = write!(out, "<th{}>{}</th>", if *n { " class=\"n\"" } else { "" }, escape(h));
            }
            out.push_str("</tr></thead><tbody>\n");
            for r in rows {
                out.push_str("<tr>");
                for (c, n) in r.iter().zip(&numeric) {
                    let _ = write!(out, "<td{}>{}</td>", if *n { " class=\"n\"" } else { "" }, escape(c));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
        Format::Markdown => {
            let cell = |s: &str| escape_markdown(s);
            let _ = writeln!(out, "| {} |", names.iter().map(|h| cell(h)).collect::<Vec<_>>().join(" | "));
            let _ = writeln!(
                out,
                "|{}|",
                numeric.iter().map(|n| if *n { "---:" } else { "---" }).collect::<Vec<_>>().join("|")
            );
            for r in rows {
                let _ = writeln!(out, "| {} |", r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "));
            }
            out.push('\n');
        }
    }
}

pub(super) fn heading(out: &mut String, fmt: Format, id: &str, text: &str) {
    match fmt {
        Format::Html => {
            let _ = writeln!(out, "<h2 id=\"{id}\">{}</h2>", escape(text));
        }
        Format::Markdown => {
            let _ = writeln!(out, "## {}\n", escape_markdown(text));
        }
    }
}

pub(super) fn para(out: &mut String, fmt: Format, text: &str) {
    match fmt {
        Format::Html => {
            let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(text));
        }
        Format::Markdown => {
            let _ = writeln!(out, "{}\n", escape_markdown(text));
        }
    }
}
