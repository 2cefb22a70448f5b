//! The `.qgs` project: layer groups, the project CRS, the initial extent,
//! relative data sources and per-layer provenance metadata.

use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};

use super::{GROUPS, LayerSpec, Provenance};
use crate::error::{Error, Result};
use crate::io::Kind;
use crate::markup::escape;

/// The GeoPackage's path as the project should name it: relative to the
/// project's folder (`./name.gpkg` when they sit together), so that the
/// folder can be zipped and mailed.
///
/// ```
/// use delimit::qgis::relative_source;
/// assert_eq!(relative_source("out/delimit.gpkg".as_ref(), "out/delimit.qgs".as_ref()), "./delimit.gpkg");
/// assert_eq!(relative_source("data/x.gpkg".as_ref(), "projects/p.qgs".as_ref()), "./../data/x.gpkg");
/// ```
pub fn relative_source(gpkg: &Path, project: &Path) -> String {
    let abs = |p: &Path| -> PathBuf {
        let p = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
        // Lexical normalisation: the files may not exist yet.
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::CurDir => {}
                c => out.push(c),
            }
        }
        out
    };
    let g = abs(gpkg);
    let folder = abs(project).parent().map(Path::to_path_buf).unwrap_or_default();
    let (gc, fc): (Vec<_>, Vec<_>) = (g.components().collect(), folder.components().collect());
    let common = gc.iter().zip(&fc).take_while(|(a, b)| a == b).count();
    let mut rel: Vec<String> = vec![".".into()];
    rel.extend(std::iter::repeat_n("..".to_string(), fc.len() - common));
    rel.extend(gc[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    rel.join("/")
}

fn srs(def: &str) -> Result<SpatialRef> {
    let mut s = SpatialRef::from_definition(def).map_err(|e| Error::Crs {
        definition: def.into(),
        context: None,
        message: e.to_string(),
    })?;
    s.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(s)
}

fn spatialrefsys(out: &mut String, indent: &str, def: &str) -> Result<()> {
    let s = srs(def)?;
    let crs_err =
        |e: gdal::errors::GdalError| Error::Crs { definition: def.into(), context: None, message: e.to_string() };
    let wkt = s.to_wkt().map_err(crs_err)?;
    let proj4 = s.to_proj4().map_err(crs_err)?;
    let name = s.name().unwrap_or_default();
    let geographic = s.is_geographic();
    let _ = writeln!(out, "{indent}<spatialrefsys>");
    let _ = writeln!(out, "{indent}  <wkt>{}</wkt>", escape(&wkt));
    let _ = writeln!(out, "{indent}  <proj4>{}</proj4>", escape(proj4.trim()));
    let _ = writeln!(out, "{indent}  <authid>{}</authid>", escape(def));
    let _ = writeln!(out, "{indent}  <description>{}</description>", escape(&name));
    let _ = writeln!(out, "{indent}  <geographicflag>{geographic}</geographicflag>");
    let _ = writeln!(out, "{indent}</spatialrefsys>");
    Ok(())
}

/// The lon/lat extent in the project CRS, from points along its edges
/// (a projected box is not the box of the projected corners).
fn project_extent(lonlat: [f64; 4], crs: &str) -> Result<[f64; 4]> {
    let (from, to) = (srs("EPSG:4326")?, srs(crs)?);
    let crs_err =
        |e: gdal::errors::GdalError| Error::Crs { definition: crs.into(), context: None, message: e.to_string() };
    let t = CoordTransform::new(&from, &to).map_err(crs_err)?;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for i in 0..=20 {
        let f = f64::from(i) / 20.0;
        let x = lonlat[0] + f * (lonlat[2] - lonlat[0]);
        let y = lonlat[1] + f * (lonlat[3] - lonlat[1]);
        for (px, py) in [(x, lonlat[1]), (x, lonlat[3]), (lonlat[0], y), (lonlat[2], y)] {
            xs.push(px);
            ys.push(py);
        }
    }
    t.transform_coords(&mut xs, &mut ys, &mut []).map_err(crs_err)?;
    let fold = |v: &[f64]| v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let ((x0, x1), (y0, y1)) = (fold(&xs), fold(&ys));
    // 3% margin, so that the outermost features do not touch the frame.
    let (mx, my) = ((x1 - x0) * 0.03, (y1 - y0) * 0.03);
    Ok([x0 - mx, y0 - my, x1 + mx, y1 + my])
}

fn extent_xml(out: &mut String, indent: &str, tag: &str, e: [f64; 4]) {
    let _ = writeln!(out, "{indent}<{tag}>");
    for (k, v) in ["xmin", "ymin", "xmax", "ymax"].iter().zip(e) {
        let _ = writeln!(out, "{indent}  <{k}>{v:.3}</{k}>");
    }
    let _ = writeln!(out, "{indent}</{tag}>");
}

fn geometry_names(k: Kind) -> (&'static str, &'static str) {
    match k {
        Kind::Point => ("Point", "Point"),
        Kind::Line => ("Line", "MultiLineString"),
        Kind::Polygon => ("Polygon", "MultiPolygon"),
    }
}

/// The project document. `source` is the GeoPackage's path as the project
/// names it (see [`relative_source`]); `crs` the project CRS.
///
/// ```
/// use delimit::qgis::{project_xml, Provenance};
/// let p = Provenance { inputs: vec![], parameters: serde_json::json!({}), tool: "delimit test".into(), date: None };
/// let xml = project_xml(&[], &p, "./x.gpkg", "EPSG:32638").unwrap();
/// assert!(xml.contains("<authid>EPSG:32638</authid>"));
/// assert!(xml.contains(r#"<Absolute type="bool">false</Absolute>"#));
/// ```
pub fn project_xml(layers: &[LayerSpec], provenance: &Provenance, source: &str, crs: &str) -> Result<String> {
    let mut out = String::from("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n");
    out.push_str("<qgis projectname=\"delimit\" version=\"3.22.0\">\n");
    // Data that is not observed says so in the title (the run's least
    // certain status) and in every layer name (that layer's own).
    let status = provenance.status();
    let tag = |l: &LayerSpec| {
        if l.status.is_caveat() { format!(" [{}]", l.status.label().to_lowercase()) } else { String::new() }
    };
    let _ = writeln!(
        out,
        "  <homePath path=\"\"/>\n  <title>delimit: legal basis and de facto control{}</title>",
        escape(&if status.is_caveat() { format!(" ({} data)", status.label()) } else { String::new() })
    );
    out.push_str("  <projectCrs>\n");
    spatialrefsys(&mut out, "    ", crs)?;
    out.push_str("  </projectCrs>\n");

    // Layer tree: groups in drawing order, top first.
    out.push_str("  <layer-tree-group>\n    <customproperties/>\n");
    for g in GROUPS {
        let members: Vec<&LayerSpec> = layers.iter().filter(|l| l.group == g).collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "    <layer-tree-group name=\"{}\" checked=\"Qt::Checked\" expanded=\"1\">\n      <customproperties/>",
            escape(g)
        );
        for l in members {
            let _ = writeln!(
                out,
                "      <layer-tree-layer id=\"{}\" name=\"{}\" source=\"{}|layername={}\" providerKey=\"ogr\" checked=\"{}\" expanded=\"1\">\n        <customproperties/>\n      </layer-tree-layer>",
                escape(&l.id()),
                escape(&format!("{}{}", l.title, tag(l))),
                escape(source),
                escape(&l.name),
                if l.visible { "Qt::Checked" } else { "Qt::Unchecked" }
            );
        }
        out.push_str("    </layer-tree-group>\n");
    }
    out.push_str("  </layer-tree-group>\n");

    let lonlat = super::extent(layers).unwrap_or([43.0, 38.0, 51.0, 42.0]);
    let projected = project_extent(lonlat, crs)?;
    out.push_str("  <mapcanvas annotationsVisible=\"1\" name=\"theMapCanvas\">\n    <units>meters</units>\n");
    extent_xml(&mut out, "    ", "extent", projected);
    out.push_str("    <rotation>0</rotation>\n    <destinationsrs>\n");
    spatialrefsys(&mut out, "      ", crs)?;
    out.push_str("    </destinationsrs>\n    <rendermaptile>0</rendermaptile>\n  </mapcanvas>\n");

    // The initial view: QGIS opens here, and renders here when asked for the default view.
    let _ = writeln!(
        out,
        "  <ProjectViewSettings UseProjectScales=\"0\" rotation=\"0\">\n    <Scales/>\n    <DefaultViewExtent xmin=\"{:.3}\" ymin=\"{:.3}\" xmax=\"{:.3}\" ymax=\"{:.3}\">",
        projected[0], projected[1], projected[2], projected[3]
    );
    spatialrefsys(&mut out, "      ", crs)?;
    out.push_str("    </DefaultViewExtent>\n  </ProjectViewSettings>\n");
    out.push_str("  <projectlayers>\n");
    let history = provenance.history();
    for l in layers {
        let (geometry, wkb) = geometry_names(l.kind);
        let labels = u8::from(l.style.label.is_some());
        let _ = writeln!(
            out,
            "    <maplayer type=\"vector\" geometry=\"{geometry}\" wkbType=\"{wkb}\" autoRefreshEnabled=\"0\" refreshOnNotifyEnabled=\"0\" hasScaleBasedVisibilityFlag=\"0\" styleCategories=\"AllStyleCategories\" labelsEnabled=\"{labels}\">"
        );
        if let Some(e) = super::extent(std::slice::from_ref(l)) {
            extent_xml(&mut out, "      ", "extent", e);
        }
        let _ = writeln!(out, "      <id>{}</id>", escape(&l.id()));
        let _ = writeln!(out, "      <datasource>{}|layername={}</datasource>", escape(source), escape(&l.name));
        let _ = writeln!(out, "      <layername>{}{}</layername>", escape(&l.title), escape(&tag(l)));
        out.push_str("      <srs>\n");
        spatialrefsys(&mut out, "        ", "EPSG:4326")?;
        out.push_str("      </srs>\n");
        out.push_str("      <resourceMetadata>\n");
        let _ = writeln!(out, "        <identifier>delimit:{}</identifier>", escape(&l.name));
        out.push_str("        <parentidentifier></parentidentifier>\n        <language></language>\n        <type>dataset</type>\n");
        let _ = writeln!(out, "        <title>{}</title>", escape(&l.title));
        let _ = writeln!(out, "        <abstract>{}</abstract>", escape(&l.description));
        out.push_str("        <keywords vocabulary=\"delimit\">\n");
        let _ = writeln!(out, "          <keyword>{}</keyword>", escape(l.group));
        out.push_str("        </keywords>\n        <links/>\n");
        for h in &history {
            let _ = writeln!(out, "        <history>{}</history>", escape(h));
        }
        out.push_str("        <fees></fees>\n        <encoding></encoding>\n        <crs>\n");
        spatialrefsys(&mut out, "          ", "EPSG:4326")?;
        out.push_str("        </crs>\n      </resourceMetadata>\n");
        out.push_str("      <provider encoding=\"UTF-8\">ogr</provider>\n");
        // Mode 2: QgsVectorLayerTemporalProperties' "start and end date from
        // fields". A feature is shown from its start to its end date.
        if let Some(t) = &l.temporal {
            let _ = writeln!(
                out,
                "      <temporal enabled=\"1\" mode=\"2\" startField=\"{}\" endField=\"{}\" durationField=\"\" durationUnit=\"d\" fixedDuration=\"0\" accumulate=\"0\" startExpression=\"\" endExpression=\"\" limitMode=\"0\">\n        <fixedRange>\n          <start></start>\n          <end></end>\n        </fixedRange>\n      </temporal>",
                escape(&t.start_field),
                escape(&t.end_field)
            );
        }
        out.push_str("      <layerOpacity>1</layerOpacity>\n");
        // The same style as the layer's default in layer_styles: the project
        // reads as intended even where the GeoPackage styles are not consulted.
        for line in l.style.elements().lines() {
            let _ = writeln!(out, "     {line}");
        }
        out.push_str("      <blendMode>0</blendMode>\n      <featureBlendMode>0</featureBlendMode>\n");
        out.push_str("    </maplayer>\n");
    }
    out.push_str("  </projectlayers>\n");
    // The project's time range: the series of its time-aware layers, one
    // day a step, so that the temporal controller steps through it.
    let range = layers.iter().filter_map(|l| l.temporal.as_ref()).fold(None, |acc: Option<(String, String)>, t| {
        Some(match acc {
            None => t.range.clone(),
            Some((a, b)) => (a.min(t.range.0.clone()), b.max(t.range.1.clone())),
        })
    });
    if let Some((start, end)) = range {
        let _ = writeln!(
            out,
            "  <ProjectTimeSettings timeStepUnit=\"d\" timeStep=\"1\" frameRate=\"1\" cumulativeTemporalRange=\"0\">\n    <TemporalRange>\n      <start>{}T00:00:00Z</start>\n      <end>{}T00:00:00Z</end>\n    </TemporalRange>\n  </ProjectTimeSettings>",
            escape(&start),
            escape(&end)
        );
    }
    // The print layout: title, status banner, map and inset, legend, scale
    // bar, north arrow and provenance on one A4 page.
    let title = format!(
        "delimit: legal basis and de facto control{}",
        if status.is_caveat() { format!(" ({} data)", status.label()) } else { String::new() }
    );
    let banner = provenance.caveats().join("\n");
    let mut prov: Vec<String> = provenance
        .inputs
        .iter()
        .map(|p| format!("{} ({}): sha256 {}…", p.path, p.status, &p.sha256[..p.sha256.len().min(12)]))
        .collect();
    prov.push(format!("{}; EPSG:{}", provenance.tool, crs.trim_start_matches("EPSG:")));
    out.push_str(&super::layout::layouts_xml(
        projected,
        &super::layout::Texts {
            title: &title,
            banner: &banner,
            provenance: &prov.join("\n"),
            // What a printed page needs explained, and fits in the frame:
            // the basis, the gaps and the two lines.
            legend: &layers
                .iter()
                .filter(|l| ["legal", "gaps", "legal_lines", "control_lines"].contains(&l.name.as_str()))
                .map(|l| (l.id(), format!("{}{}", l.title, tag(l))))
                .collect::<Vec<_>>(),
        },
    ));
    // ProjectionsEnabled: QGIS reads <projectCrs> only with it set (on-the-fly reprojection).
    out.push_str("  <properties>\n    <Paths>\n      <Absolute type=\"bool\">false</Absolute>\n    </Paths>\n");
    out.push_str("    <SpatialRefSys>\n      <ProjectionsEnabled type=\"int\">1</ProjectionsEnabled>\n    </SpatialRefSys>\n  </properties>\n");
    out.push_str("</qgis>\n");
    Ok(out)
}
