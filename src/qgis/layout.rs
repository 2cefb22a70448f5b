//! The project's print layout: an A4 landscape page with the map, an
//! overview inset, the legend, a scale bar, a north arrow, the title, the
//! data-status banner and a provenance block. Written as the subset of
//! QGIS 3's layout XML that QGIS reads back (every other attribute takes
//! its default); `tests/qgis/check_project.py` exports it to PDF and PNG
//! with QGIS's own `QgsLayoutExporter`.

use std::fmt::Write;

use crate::markup::escape;

/// The layout's name in QGIS's Layout Manager.
pub const NAME: &str = "delimit A4";

const MAIN: &str = "{6f1c2a40-0d1e-4c6b-9a11-000000000001}";
const INSET: &str = "{6f1c2a40-0d1e-4c6b-9a11-000000000002}";

/// What the page says besides the map.
pub struct Texts<'a> {
    /// The title (the project's).
    pub title: &'a str,
    /// The status banner: empty for observed data.
    pub banner: &'a str,
    /// Inputs with their sha256 and the tool, a few short lines.
    pub provenance: &'a str,
    /// The layers the legend lists, as (layer id, name): a legend of every
    /// layer would not fit the page.
    pub legend: &'a [(String, String)],
}

/// One layout item at `frame` ([x, y, width, height] in mm on the page).
///
/// Items have no frame or background unless `attrs` gives them: an attribute written
/// twice on one element is not XML, and a strict parser rejects the file
/// (QGIS reads it, taking the last).
fn item(out: &mut String, ty: u32, uuid: &str, frame: [f64; 4], z: u32, attrs: &str, body: &str) {
    let [x, y, w, h] = frame;
    let default =
        |name: &str| if attrs.contains(&format!("{name}=")) { String::new() } else { format!(r#" {name}="false""#) };
    let (frame_attr, background) = (default("frame"), default("background"));
    let _ = writeln!(
        out,
        r#"    <LayoutItem type="{ty}" uuid="{uuid}" templateUuid="{uuid}" position="{:.1},{:.1},mm" positionOnPage="{:.1},{:.1},mm" size="{:.1},{:.1},mm" zValue="{z}" visibility="1"{frame_attr}{background} opacity="1" {attrs}>
{body}    </LayoutItem>"#,
        x, y, x, y, w, h
    );
}

fn label(out: &mut String, n: u32, frame: [f64; 4], text: &str, font: &str, colour: (u8, u8, u8)) {
    let body = format!(
        "      <LabelFont style=\"\" description=\"{font}\"/>\n      <FontColor red=\"{}\" green=\"{}\" blue=\"{}\" alpha=\"255\"/>\n",
        colour.0, colour.1, colour.2
    );
    let uuid = format!("{{6f1c2a40-0d1e-4c6b-9a11-1000000000{n:02}}}");
    let attrs = format!(r#"labelText="{}" htmlState="0" halign="1" valign="32" marginX="0" marginY="0""#, escape(text));
    item(out, 65641, &uuid, frame, 10 + n, &attrs, &body);
}

/// The `<Layouts>` element for a project whose map extent (in the project
/// CRS) is `extent`: [xmin, ymin, xmax, ymax].
pub fn layouts_xml(extent: [f64; 4], texts: &Texts<'_>) -> String {
    let mut out = String::from("  <Layouts>\n");
    let _ = writeln!(out, r#"   <Layout name="{}" units="mm" printResolution="300" worldFileMap="">"#, escape(NAME));
    out.push_str("    <PageCollection>\n");
    item(
        &mut out,
        65638,
        "{6f1c2a40-0d1e-4c6b-9a11-000000000000}",
        [0.0, 0.0, 297.0, 210.0],
        0,
        r#"background="true""#,
        "",
    );
    out.push_str("    </PageCollection>\n");
    // The main map: the data's extent, widened to the frame's proportions.
    let (mw, mh) = (200.0, 158.0);
    let [x0, y0, x1, y1] = extent;
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let scale = ((x1 - x0) / mw).max((y1 - y0) / mh);
    let main = [cx - scale * mw / 2.0, cy - scale * mh / 2.0, cx + scale * mw / 2.0, cy + scale * mh / 2.0];
    let extent_xml = |e: [f64; 4]| {
        format!(
            "      <Extent xmin=\"{:.3}\" ymin=\"{:.3}\" xmax=\"{:.3}\" ymax=\"{:.3}\"/>\n      <LayerSet/>\n",
            e[0], e[1], e[2], e[3]
        )
    };
    item(
        &mut out,
        65639,
        MAIN,
        [10.0, 30.0, mw, mh],
        1,
        r#"keepLayerSet="false" drawCanvasItems="true" mapRotation="0" frame="true""#,
        &extent_xml(main),
    );
    // The inset: twice the main map's span, with its frame drawn.
    let (iw, ih) = (72.0, 50.0);
    let iscale = scale * mw * 2.0 / iw;
    let inset = [cx - iscale * iw / 2.0, cy - iscale * ih / 2.0, cx + iscale * iw / 2.0, cy + iscale * ih / 2.0];
    let overview = format!(
        "      <ComposerMapOverview uuid=\"{{6f1c2a40-0d1e-4c6b-9a11-000000000003}}\" name=\"extent of the main map\" show=\"1\" frameMap=\"{MAIN}\" blendMode=\"0\" inverted=\"0\" centered=\"0\" position=\"3\"/>\n"
    );
    item(
        &mut out,
        65639,
        INSET,
        [215.0, 30.0, iw, ih],
        2,
        r#"keepLayerSet="false" mapRotation="0" frame="true""#,
        &format!("{}{overview}", extent_xml(inset)),
    );
    item(
        &mut out,
        65642,
        "{6f1c2a40-0d1e-4c6b-9a11-000000000004}",
        [215.0, 84.0, 72.0, 104.0],
        3,
        &format!(r#"map_uuid="{MAIN}" title="" columnCount="1" symbolWidth="5" symbolHeight="3" resizeToContents="0""#),
        &{
            let mut tree = String::from("      <layer-tree-group>\n       <customproperties/>\n");
            for (id, name) in texts.legend {
                let _ = writeln!(
                    tree,
                    r#"       <layer-tree-layer id="{}" name="{}" checked="Qt::Checked" expanded="1"><customproperties/></layer-tree-layer>"#,
                    escape(id),
                    escape(name)
                );
            }
            tree.push_str("      </layer-tree-group>\n");
            tree
        },
    );
    // Two segments of a round length (1, 2 or 5 × 10ⁿ) near a tenth of
    // the map's width, in km from 1 km up, else in m. QGIS sizes the bar
    // from the unit and labels it with the segment divided by the map
    // units per bar unit, so that divisor is 1.
    let seg_m = nice((main[2] - main[0]) / 10.0);
    let (unit, per_segment) = if seg_m >= 1000.0 { ("km", seg_m / 1000.0) } else { ("m", seg_m) };
    item(
        &mut out,
        65646,
        "{6f1c2a40-0d1e-4c6b-9a11-000000000005}",
        [10.0, 192.0, 60.0, 10.0],
        4,
        &format!(
            r#"mapUuid="{MAIN}" style="Single Box" unitType="{unit}" unitLabel="{unit}" numMapUnitsPerScaleBarUnit="1" numUnitsPerSegment="{per_segment}" numSegments="2" numSegmentsLeft="0" numSubdivisions="1" segmentSizeMode="0" minBarWidth="50" maxBarWidth="150" height="2" labelBarSpace="3" boxContentSpace="1" alignment="0""#
        ),
        "      <numericFormat id=\"basic\"><Option type=\"Map\"><Option type=\"int\" name=\"decimals\" value=\"0\"/><Option type=\"bool\" name=\"show_thousand_separator\" value=\"true\"/><Option type=\"bool\" name=\"show_trailing_zeros\" value=\"false\"/></Option></numericFormat>\n",
    );
    item(
        &mut out,
        65640,
        "{6f1c2a40-0d1e-4c6b-9a11-000000000006}",
        [197.0, 33.0, 8.0, 12.0],
        5,
        &format!(
            r#"file=":/images/north_arrows/layout_default_north_arrow.svg" mode="2" resizeMode="0" anchorPoint="0" northMode="0" mapUuid="{MAIN}""#
        ),
        "",
    );
    label(&mut out, 1, [10.0, 6.0, 277.0, 10.0], texts.title, "DejaVu Sans,16,-1,5,75,0,0,0,0,0", (20, 20, 20));
    if !texts.banner.is_empty() {
        label(&mut out, 2, [10.0, 15.5, 277.0, 14.0], texts.banner, "DejaVu Sans,6.5,-1,5,75,0,0,0,0,0", (176, 0, 32));
    }
    label(&mut out, 3, [80.0, 190.0, 207.0, 18.0], texts.provenance, "DejaVu Sans,5.5,-1,5,50,0,0,0,0,0", (60, 60, 60));
    out.push_str("   </Layout>\n  </Layouts>\n");
    out
}

/// The round length (1, 2 or 5 × 10ⁿ) at or below `x`.
fn nice(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [5.0, 2.0, 1.0].into_iter().map(|m| m * p).find(|v| *v <= x).unwrap_or(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bar_segments_are_round() {
        assert_eq!(nice(73_400.0), 50_000.0);
        assert_eq!(nice(2_900.0), 2_000.0);
        assert_eq!(nice(140.0), 100.0);
        assert_eq!(nice(1.0), 1.0);
    }

    #[test]
    fn the_layout_escapes_its_texts_and_keeps_the_page_a4() {
        let x = layouts_xml(
            [0.0, 0.0, 1000.0, 500.0],
            &Texts { title: "<b>T</b>", banner: "ILLUSTRATIVE & co", provenance: "p", legend: &[] },
        );
        assert!(x.contains(r#"labelText="&lt;b&gt;T&lt;/b&gt;""#) && x.contains("ILLUSTRATIVE &amp; co"));
        assert!(x.contains(r#"size="297.0,210.0,mm""#));
        // The main map keeps the frame's proportions (200 × 158 mm).
        let e = x.split("<Extent ").nth(1).unwrap();
        let num = |k: &str| -> f64 {
            e.split(&format!("{k}=\"")).nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
        };
        let ratio = (num("xmax") - num("xmin")) / (num("ymax") - num("ymin"));
        assert!((ratio - 200.0 / 158.0).abs() < 1e-9, "{ratio}");
    }
}
