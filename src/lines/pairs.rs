//! Pair lines given directly (a line layer with `a` and `b` fields), and
//! choosing one pair of them.

use std::path::Path;

use geo::{Geometry, MultiLineString};

use super::{PairLine, line_length_m};
use crate::error::{Error, Result};
use crate::layer::Layer;

/// The pair lines of a layer already read from `path`.
pub fn pair_lines_of(path: &Path, layer: &Layer) -> Result<Vec<PairLine>> {
    let mut by: std::collections::BTreeMap<(String, String), MultiLineString<f64>> = Default::default();
    for f in &layer.features {
        let (Some(a), Some(b)) = (f.text("a"), f.text("b")) else {
            return Err(Error::FieldValue {
                path: path.to_path_buf(),
                feature: f.id.clone(),
                field: "a / b".into(),
                problem: "a boundary line needs the two parties in fields `a` and `b`".into(),
            });
        };
        let key = if a <= b { (a, b) } else { (b, a) };
        let lines = match &f.geometry {
            Some(Geometry::LineString(l)) => vec![l.clone()],
            Some(Geometry::MultiLineString(m)) => m.0.clone(),
            _ => {
                return Err(Error::Geometry {
                    path: path.to_path_buf(),
                    feature: f.id.clone(),
                    message: "is not a LineString".into(),
                    hint: Some("--legal-lines and --control-lines take LineStrings".into()),
                });
            }
        };
        by.entry(key).or_insert_with(|| MultiLineString(vec![])).0.extend(lines);
    }
    Ok(by
        .into_iter()
        .map(|((a, b), line)| {
            let length_m = line.0.iter().map(line_length_m).sum();
            PairLine { a, b, line, length_m }
        })
        .collect())
}

pub fn filter_pair(lines: Vec<PairLine>, pair: Option<&str>) -> Result<Vec<PairLine>> {
    let Some(p) = pair else { return Ok(lines) };
    let (a, b) = p.split_once('|').ok_or_else(|| Error::Usage {
        option: "--pair".into(),
        message: format!("`{p}` is not A|B"),
        hint: Some("e.g. --pair 'ARM|AZE' (quote the bar in a shell)".into()),
    })?;
    let available: Vec<String> = lines.iter().map(PairLine::pair).collect();
    let kept: Vec<PairLine> = lines.into_iter().filter(|l| (l.a == a && l.b == b) || (l.a == b && l.b == a)).collect();
    if kept.is_empty() {
        return Err(Error::Usage {
            option: "--pair".into(),
            message: format!("no boundary between {a} and {b}"),
            hint: Some(format!("pairs: {}", available.join(", "))),
        });
    }
    Ok(kept)
}
