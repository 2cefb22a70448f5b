//! Layer styles as QGIS QML: categorised, graduated or single-symbol
//! renderers and simple labels, in the subset of QGIS 3's schema that
//! QGIS 3.22 and later read (every option left out takes QGIS's default).

use std::fmt::Write;

use crate::io::Kind;
use crate::markup::escape;

/// An RGBA colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba(pub u8, pub u8, pub u8, pub u8);

impl Rgba {
    /// The same colour with another alpha.
    pub fn alpha(self, a: u8) -> Rgba {
        Rgba(self.0, self.1, self.2, a)
    }

    fn qgis(self) -> String {
        format!("{},{},{},{}", self.0, self.1, self.2, self.3)
    }

    /// `#rrggbb` and an opacity, for SVG.
    pub fn css(self) -> (String, f64) {
        (format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2), f64::from(self.3) / 255.0)
    }
}

/// The Okabe–Ito palette: eight colours that stay distinct under the common
/// colour-vision deficiencies (Okabe & Ito 2002, "Color Universal Design").
pub mod okabe_ito {
    use super::Rgba;
    /// Orange.
    pub const ORANGE: Rgba = Rgba(230, 159, 0, 255);
    /// Sky blue.
    pub const SKY_BLUE: Rgba = Rgba(86, 180, 233, 255);
    /// Bluish green.
    pub const BLUISH_GREEN: Rgba = Rgba(0, 158, 115, 255);
    /// Yellow.
    pub const YELLOW: Rgba = Rgba(240, 228, 66, 255);
    /// Blue.
    pub const BLUE: Rgba = Rgba(0, 114, 178, 255);
    /// Vermillion.
    pub const VERMILLION: Rgba = Rgba(213, 94, 0, 255);
    /// Reddish purple.
    pub const REDDISH_PURPLE: Rgba = Rgba(204, 121, 167, 255);
    /// Black.
    pub const BLACK: Rgba = Rgba(0, 0, 0, 255);
}

/// Grey, for what is outside or unassigned.
pub const GREY: Rgba = Rgba(153, 153, 153, 255);

/// The colours parties get, in sorted order of their codes. Vermillion is
/// kept back for `held_by_other`, so that a gap never shares a party's colour.
///
/// None of them is a colour that means a class: vermillion (held by
/// another party), reddish purple (contested control), orange (claimed by
/// two units) and the greys are kept for those, so that no two meanings
/// share a colour (issue 30: IRN's route parts were drawn in nearly the
/// contested pink). Blue is kept for delimited segments. Okabe–Ito's
/// three that remain, then Paul Tol's indigo, olive and green, which stay
/// apart from them in lightness or hue under colour-vision deficiencies.
pub const PARTY_COLOURS: [Rgba; 6] = [
    okabe_ito::SKY_BLUE,
    okabe_ito::BLUISH_GREEN,
    okabe_ito::YELLOW,
    Rgba(51, 34, 136, 255),
    Rgba(153, 153, 51, 255),
    Rgba(17, 119, 51, 255),
];

/// Viridis at five stops, light to dark: a sequential ramp that is
/// readable in greyscale and under colour-vision deficiencies.
pub const RAMP: [Rgba; 5] = [
    Rgba(253, 231, 37, 255),
    Rgba(94, 201, 98, 255),
    Rgba(33, 145, 140, 255),
    Rgba(59, 82, 139, 255),
    Rgba(68, 1, 84, 255),
];

/// One drawing layer of a symbol.
#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    /// A solid fill with an outline (`None` fill: outline only).
    Fill { fill: Option<Rgba>, outline: Rgba, outline_mm: f64, dashed: bool },
    /// Parallel lines across a polygon.
    Hatch { colour: Rgba, angle: f64, spacing_mm: f64, width_mm: f64 },
    /// A line.
    Line { colour: Rgba, width_mm: f64, dashed: bool },
    /// A marker.
    Marker { fill: Rgba, outline: Rgba, size_mm: f64, shape: &'static str },
}

/// A symbol: parts drawn in order, bottom first.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    /// Point, line or polygon.
    pub kind: Kind,
    /// Its drawing layers.
    pub parts: Vec<Part>,
}

/// How features are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Renderer {
    /// One symbol for every feature.
    Single(Symbol),
    /// A symbol per value of a field or expression: (value, label, symbol).
    Categorised { attr: String, categories: Vec<(String, String, Symbol)> },
    /// A symbol per range of a numeric field: (lower, upper, label, symbol).
    Graduated { attr: String, ranges: Vec<(f64, f64, String, Symbol)> },
}

/// A label: a field, or a QGIS expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Field name or expression.
    pub text: String,
    /// `text` is an expression.
    pub is_expression: bool,
    /// Size, points.
    pub size_pt: f64,
    /// Shown only at this scale (denominator) or closer: 872 settlement
    /// names at the project's full extent are a black smear.
    pub max_scale: Option<f64>,
    /// Placed beside a point (cartographic positions, 1.5 mm away) rather
    /// than over it, so the name never hides its point.
    pub beside_point: bool,
}

/// A layer's default style.
///
/// ```
/// use delimit::io::Kind;
/// use delimit::qgis::style::{Part, Renderer, Rgba, Style, Symbol};
/// let s = Style {
///     renderer: Renderer::Categorised {
///         attr: "owner".into(),
///         categories: vec![("A<B".into(), "A<B".into(), Symbol { kind: Kind::Polygon,
///             parts: vec![Part::Fill { fill: Some(Rgba(1, 2, 3, 255)), outline: Rgba(0, 0, 0, 255), outline_mm: 0.3, dashed: false }] })],
///     },
///     label: None,
/// };
/// let qml = s.qml();
/// assert!(qml.contains(r#"type="categorizedSymbol""#));
/// assert!(qml.contains(r#"value="A&lt;B""#));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    /// Symbology.
    pub renderer: Renderer,
    /// Labels, if any.
    pub label: Option<Label>,
}

fn option(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, r#"      <Option name="{}" value="{}" type="QString"/>"#, escape(name), escape(value));
}

fn mm(x: f64) -> String {
    format!("{x}")
}

fn symbol_xml(out: &mut String, name: &str, s: &Symbol) {
    let ty = match s.kind {
        Kind::Point => "marker",
        Kind::Line => "line",
        Kind::Polygon => "fill",
    };
    let _ =
        writeln!(out, r#"   <symbol name="{}" type="{ty}" alpha="1" clip_to_extent="1" force_rhr="0">"#, escape(name));
    for (i, p) in s.parts.iter().enumerate() {
        let class = match p {
            Part::Fill { .. } => "SimpleFill",
            Part::Hatch { .. } => "LinePatternFill",
            Part::Line { .. } => "SimpleLine",
            Part::Marker { .. } => "SimpleMarker",
        };
        let _ = writeln!(out, r#"    <layer class="{class}" enabled="1" locked="0" pass="0">"#);
        out.push_str("     <Option type=\"Map\">\n");
        match *p {
            Part::Fill { fill, outline, outline_mm, dashed } => {
                option(out, "color", &fill.unwrap_or(Rgba(0, 0, 0, 0)).qgis());
                option(out, "style", if fill.is_some() { "solid" } else { "no" });
                option(out, "outline_color", &outline.qgis());
                option(out, "outline_style", if dashed { "dash" } else { "solid" });
                option(out, "outline_width", &mm(outline_mm));
                option(out, "outline_width_unit", "MM");
            }
            Part::Hatch { colour, angle, spacing_mm, width_mm } => {
                option(out, "angle", &format!("{angle}"));
                option(out, "distance", &mm(spacing_mm));
                option(out, "distance_unit", "MM");
                option(out, "color", &colour.qgis());
                option(out, "line_width", &mm(width_mm));
            }
            Part::Line { colour, width_mm, dashed } => {
                option(out, "line_color", &colour.qgis());
                option(out, "line_width", &mm(width_mm));
                option(out, "line_width_unit", "MM");
                option(out, "line_style", if dashed { "dash" } else { "solid" });
                option(out, "capstyle", "round");
                option(out, "joinstyle", "round");
            }
            Part::Marker { fill, outline, size_mm, shape } => {
                option(out, "name", shape);
                option(out, "color", &fill.qgis());
                option(out, "outline_color", &outline.qgis());
                option(out, "outline_width", "0.2");
                option(out, "size", &mm(size_mm));
                option(out, "size_unit", "MM");
            }
        }
        out.push_str("     </Option>\n");
        // A hatch draws its lines with a sub-symbol, which carries the colour.
        if let Part::Hatch { colour, width_mm, .. } = *p {
            let sub = Symbol { kind: Kind::Line, parts: vec![Part::Line { colour, width_mm, dashed: false }] };
            symbol_xml(out, &format!("@{name}@{i}"), &sub);
        }
        out.push_str("    </layer>\n");
    }
    out.push_str("   </symbol>\n");
}

impl Style {
    /// The `<renderer-v2>` and `<labeling>` elements, as a project embeds them.
    pub fn elements(&self) -> String {
        let mut out = String::new();
        let mut symbols: Vec<&Symbol> = Vec::new();
        match &self.renderer {
            Renderer::Single(s) => {
                out.push_str(
                    r#" <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">"#,
                );
                out.push('\n');
                symbols.push(s);
            }
            Renderer::Categorised { attr, categories } => {
                let _ = writeln!(
                    out,
                    r#" <renderer-v2 type="categorizedSymbol" attr="{}" symbollevels="0" enableorderby="0" forceraster="0">"#,
                    escape(attr)
                );
                out.push_str("  <categories>\n");
                for (i, (value, label, s)) in categories.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        r#"   <category value="{}" label="{}" symbol="{i}" render="true"/>"#,
                        escape(value),
                        escape(label)
                    );
                    symbols.push(s);
                }
                out.push_str("  </categories>\n");
            }
            Renderer::Graduated { attr, ranges } => {
                let _ = writeln!(
                    out,
                    r#" <renderer-v2 type="graduatedSymbol" attr="{}" graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" forceraster="0">"#,
                    escape(attr)
                );
                out.push_str("  <ranges>\n");
                for (i, (lo, hi, label, s)) in ranges.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        r#"   <range lower="{lo}" upper="{hi}" label="{}" symbol="{i}" render="true"/>"#,
                        escape(label)
                    );
                    symbols.push(s);
                }
                out.push_str("  </ranges>\n");
                out.push_str("  <mode name=\"manual\"/>\n");
            }
        }
        out.push_str("  <symbols>\n");
        for (i, s) in symbols.iter().enumerate() {
            symbol_xml(&mut out, &i.to_string(), s);
        }
        out.push_str("  </symbols>\n </renderer-v2>\n");
        if let Some(l) = &self.label {
            out.push_str(" <labeling type=\"simple\">\n  <settings calloutType=\"simple\">\n");
            let _ = writeln!(
                out,
                r#"   <text-style fieldName="{}" isExpression="{}" fontSize="{}" fontSizeUnit="Point" textColor="35,35,35,255" fontFamily="DejaVu Sans" namedStyle="Book" fontWeight="50" textOpacity="1">"#,
                escape(&l.text),
                u8::from(l.is_expression),
                l.size_pt
            );
            out.push_str("    <text-buffer bufferDraw=\"1\" bufferSize=\"0.8\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" bufferOpacity=\"0.85\"/>\n");
            out.push_str("   </text-style>\n");
            // QGIS placement 6 is "cartographic" (ordered positions around
            // the point); 1 is over the point (polygons: over the centroid).
            let (placement, dist) = if l.beside_point { (6, 1.5) } else { (1, 1.0) };
            let _ =
                writeln!(out, r#"   <placement placement="{placement}" dist="{dist}" distUnits="MM" priority="5"/>"#);
            // scaleMin/scaleMax are the denominators of the range in which
            // labels show: from 1:1 to 1:max_scale.
            match l.max_scale {
                Some(m) => {
                    let _ = writeln!(
                        out,
                        r#"   <rendering obstacle="1" scaleVisibility="1" scaleMin="1" scaleMax="{m}" displayAll="0" labelPerPart="0"/>"#
                    );
                }
                None => out.push_str(
                    "   <rendering obstacle=\"1\" scaleVisibility=\"0\" displayAll=\"0\" labelPerPart=\"0\"/>\n",
                ),
            }
            out.push_str("  </settings>\n </labeling>\n");
        }
        out
    }

    /// A complete QML document, as QGIS saves it to a `.qml` file or a
    /// `layer_styles` row.
    pub fn qml(&self) -> String {
        let mut out = String::from("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n");
        let labels = u8::from(self.label.is_some());
        let _ =
            writeln!(out, r#"<qgis version="3.22.0" styleCategories="Symbology|Labeling" labelsEnabled="{labels}">"#);
        out.push_str(&self.elements());
        out.push_str("</qgis>\n");
        out
    }
}

/// A fill per party, pale enough for the lines above to read.
pub fn party_fill(c: Rgba) -> Symbol {
    Symbol {
        kind: Kind::Polygon,
        parts: vec![Part::Fill { fill: Some(c.alpha(110)), outline: c, outline_mm: 0.4, dashed: false }],
    }
}

/// Colour per party code: the sorted codes take the palette in order, so a
/// party has one colour in the basis, the control layer and the map.
///
/// ```
/// use delimit::qgis::style::{party_colours, PARTY_COLOURS};
/// let c = party_colours(["AZE", "ARM", "AZE"].iter().map(|s| s.to_string()));
/// assert_eq!(c, vec![("ARM".to_string(), PARTY_COLOURS[0]), ("AZE".to_string(), PARTY_COLOURS[1])]);
/// ```
pub fn party_colours(codes: impl IntoIterator<Item = String>) -> Vec<(String, Rgba)> {
    let mut v: Vec<String> = codes.into_iter().collect();
    v.sort();
    v.dedup();
    v.into_iter().enumerate().map(|(i, c)| (c, PARTY_COLOURS[i % PARTY_COLOURS.len()])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym() -> Symbol {
        Symbol {
            kind: Kind::Polygon,
            parts: vec![Part::Hatch { colour: GREY, angle: 45.0, spacing_mm: 2.0, width_mm: 0.3 }],
        }
    }

    #[test]
    fn hatch_carries_a_line_sub_symbol() {
        let s = Style { renderer: Renderer::Single(sym()), label: None };
        let q = s.qml();
        assert!(q.contains(r#"class="LinePatternFill""#));
        assert!(q.contains(r#"<symbol name="@0@0" type="line""#), "{q}");
        assert!(q.contains(r#"labelsEnabled="0""#));
    }

    #[test]
    fn label_expressions_and_category_values_are_escaped() {
        let s = Style {
            renderer: Renderer::Categorised {
                attr: r#"CASE WHEN "a" < 1 THEN 'x' END"#.into(),
                categories: vec![("<x>".into(), "&".into(), sym())],
            },
            label: Some(Label {
                text: r#""name" || '<b>'"#.into(),
                is_expression: true,
                size_pt: 8.0,
                max_scale: None,
                beside_point: false,
            }),
        };
        let q = s.qml();
        assert!(q.contains(r#"attr="CASE WHEN &quot;a&quot; &lt; 1 THEN &apos;x&apos; END""#));
        assert!(q.contains(r#"value="&lt;x&gt;" label="&amp;""#));
        assert!(q.contains(r#"fieldName="&quot;name&quot; || &apos;&lt;b&gt;&apos;" isExpression="1""#));
    }

    #[test]
    fn graduated_ranges_are_in_order_with_one_symbol_each() {
        let line = Symbol { kind: Kind::Line, parts: vec![Part::Line { colour: GREY, width_mm: 1.0, dashed: false }] };
        let ranges = (0..3).map(|i| (i as f64, i as f64 + 1.0, format!("{i}"), line.clone())).collect();
        let q = Style { renderer: Renderer::Graduated { attr: "x".into(), ranges }, label: None }.qml();
        assert_eq!(q.matches("<range ").count(), 3);
        assert!(q.find(r#"lower="0""#) < q.find(r#"lower="2""#));
        assert_eq!(q.matches(r#"<symbol name=""#).count(), 3);
    }
}
