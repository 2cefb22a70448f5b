//! The report's map: an inline SVG in a projected CRS, with a legend, a
//! scale bar in km and a north arrow. Geometry is simplified to about a
//! pixel for drawing only; every figure in the report is measured on the
//! unsimplified geometry.

use std::fmt::Write;

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use geo::{Coord, LineString, MultiPolygon, Polygon, Simplify};

use crate::error::{Error, Result};
use crate::markup::escape;
use crate::qgis::style::Rgba;

/// Map width in SVG units (CSS pixels).
pub const WIDTH: f64 = 960.0;

/// Projects lon/lat to the map CRS, then to SVG units.
pub struct Frame {
    to_map: CoordTransform,
    crs: String,
    x0: f64,
    y1: f64,
    scale: f64,
    height: f64,
}

fn crs_err(def: &str) -> impl Fn(gdal::errors::GdalError) -> Error + '_ {
    move |e| Error::Crs { definition: def.to_string(), context: None, message: e.to_string() }
}

impl Frame {
    /// A frame showing `lonlat` ([min lon, min lat, max lon, max lat]) in `crs`.
    pub fn new(lonlat: [f64; 4], crs: &str) -> Result<Frame> {
        let mut from = SpatialRef::from_epsg(4326).map_err(crs_err("EPSG:4326"))?;
        from.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let mut to = SpatialRef::from_definition(crs).map_err(crs_err(crs))?;
        to.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let to_map = CoordTransform::new(&from, &to).map_err(crs_err(crs))?;
        let mut f = Frame { to_map, crs: crs.to_string(), x0: 0.0, y1: 0.0, scale: 1.0, height: 1.0 };
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for i in 0..=16 {
            let t = f64::from(i) / 16.0;
            let (x, y) = (lonlat[0] + t * (lonlat[2] - lonlat[0]), lonlat[1] + t * (lonlat[3] - lonlat[1]));
            xs.extend([x, x, lonlat[0], lonlat[2]]);
            ys.extend([lonlat[1], lonlat[3], y, y]);
        }
        f.to_map.transform_coords(&mut xs, &mut ys, &mut []).map_err(crs_err(crs))?;
        let fold = |v: &[f64]| v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let ((x0, x1), (y0, y1)) = (fold(&xs), fold(&ys));
        let (mx, my) = ((x1 - x0) * 0.02, (y1 - y0) * 0.02);
        f.x0 = x0 - mx;
        f.y1 = y1 + my;
        f.scale = WIDTH / (x1 - x0 + 2.0 * mx);
        f.height = ((y1 - y0 + 2.0 * my) * f.scale).ceil();
        Ok(f)
    }

    /// Map height in SVG units.
    pub fn height(&self) -> f64 {
        self.height
    }

    /// Metres per SVG unit.
    pub fn metres_per_unit(&self) -> f64 {
        1.0 / self.scale
    }

    fn project(&self, pts: &[Coord<f64>]) -> Result<Vec<Coord<f64>>> {
        let (mut xs, mut ys): (Vec<f64>, Vec<f64>) = pts.iter().map(|c| (c.x, c.y)).unzip();
        self.to_map.transform_coords(&mut xs, &mut ys, &mut []).map_err(crs_err(&self.crs))?;
        Ok(xs
            .into_iter()
            .zip(ys)
            .map(|(x, y)| Coord { x: (x - self.x0) * self.scale, y: (self.y1 - y) * self.scale })
            .collect())
    }

    /// A point in SVG units.
    pub fn point(&self, c: Coord<f64>) -> Result<Coord<f64>> {
        Ok(self.project(&[c])?[0])
    }

    /// An SVG path for lines or rings (closed with `Z` when `close`),
    /// simplified to `tol` SVG units.
    pub fn path<'a>(
        &self,
        rings: impl IntoIterator<Item = &'a LineString<f64>>,
        close: bool,
        tol: f64,
    ) -> Result<String> {
        let mut d = String::new();
        for r in rings {
            let p = LineString::new(self.project(&r.0)?).simplify(tol);
            if p.0.len() < 2 {
                continue;
            }
            for (i, c) in p.0.iter().enumerate() {
                let _ = write!(d, "{}{:.1} {:.1}", if i == 0 { "M" } else { "L" }, c.x, c.y);
            }
            if close {
                d.push('Z');
            }
        }
        Ok(d)
    }

    /// An SVG path for polygons (even-odd fill keeps holes open).
    pub fn polygons(&self, m: &MultiPolygon<f64>, tol: f64) -> Result<String> {
        self.path(m.0.iter().flat_map(|p: &Polygon<f64>| std::iter::once(p.exterior()).chain(p.interiors())), true, tol)
    }
}

/// `fill="…" fill-opacity="…"` for a colour.
pub fn fill(c: Rgba) -> String {
    let (hex, a) = c.css();
    format!(r#"fill="{hex}" fill-opacity="{a:.2}""#)
}

/// `stroke="…" stroke-opacity="…"` for a colour.
pub fn stroke(c: Rgba) -> String {
    let (hex, a) = c.css();
    format!(r#"stroke="{hex}" stroke-opacity="{a:.2}""#)
}

/// A scale bar of a round length near a fifth of the map width, and a
/// grid-north arrow, bottom left.
pub fn furniture(out: &mut String, frame: &Frame) {
    let target_m = frame.metres_per_unit() * WIDTH / 5.0;
    let pow = 10f64.powf(target_m.log10().floor());
    let km = [1.0, 2.0, 5.0, 10.0].iter().map(|k| k * pow).rfind(|&m| m <= target_m).unwrap_or(pow) / 1000.0;
    let len = km * 1000.0 / frame.metres_per_unit();
    let (x, y) = (20.0, frame.height() - 24.0);
    let _ = writeln!(
        out,
        r##"<g class="scale" font-size="12"><rect x="{x}" y="{:.1}" width="{:.1}" height="6" fill="#fff" stroke="#222"/><rect x="{x}" y="{:.1}" width="{:.1}" height="6" fill="#222"/><text x="{x}" y="{:.1}">0</text><text x="{:.1}" y="{:.1}" text-anchor="end">{km} km</text></g>"##,
        y,
        len,
        y,
        len / 2.0,
        y - 4.0,
        x + len,
        y - 4.0
    );
    let (ax, ay) = (WIDTH - 34.0, 24.0);
    let _ = writeln!(
        out,
        r##"<g class="north" aria-label="grid north"><path d="M{ax} {ay}l-9 26l9 -7l9 7z" fill="#222"/><text x="{ax}" y="{:.1}" font-size="13" text-anchor="middle" font-weight="bold">N</text></g>"##,
        ay + 42.0
    );
}

/// A legend: (swatch markup, label) rows, bottom right (in this region
/// the corner south of the Caspian holds no data of the sample).
pub fn legend(out: &mut String, frame: &Frame, rows: &[(String, String)]) {
    let h = 20.0 * rows.len() as f64 + 12.0;
    // As wide as its longest label, from DejaVu Sans advance widths (the
    // report's fallback font, and the widest of the system ones it names).
    let text_w = rows.iter().map(|(_, l)| text_width(l, 12.0)).fold(0.0, f64::max);
    let w = (30.0 + text_w + 12.0).ceil();
    let (x, y) = (WIDTH - w - 12.0, frame.height() - h - 10.0);
    let _ = writeln!(
        out,
        r##"<g class="legend" font-size="12" transform="translate({x:.1} {y:.1})"><rect x="0" y="0" width="{w}" height="{h}" fill="#fff" fill-opacity="0.9" stroke="#999"/>"##
    );
    for (i, (swatch, label)) in rows.iter().enumerate() {
        let y = 8.0 + 20.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<g transform="translate(8 {y})">{swatch}<text x="30" y="12">{}</text></g>"#,
            escape(label)
        );
    }
    out.push_str("</g>\n");
}

/// The width of `text` at `size` px in DejaVu Sans, from its advance widths
/// (units per em 2048) grouped by character class; within a few per cent
/// of the rendered width for Latin text, and on the wide side elsewhere.
///
/// ```
/// let w = delimit::report::svg::text_width("route option, coloured by legal owner", 12.0);
/// assert!(w > 200.0 && w < 260.0, "{w}");
/// ```
pub fn text_width(text: &str, size: f64) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.28,
            ' ' | '(' | ')' | '[' | ']' | 'f' | 't' | 'I' | 'r' => 0.38,
            'm' | 'w' => 0.95,
            'M' | 'W' => 0.96,
            'A'..='Z' => 0.70,
            '0'..='9' => 0.64,
            'a'..='z' => 0.61,
            '-' => 0.36,
            _ => 0.72,
        })
        .sum();
    em * size
}
