//! The GeoPackage: layers through GDAL, then the `layer_styles` table.

use std::path::Path;

use rusqlite::{Connection, params};

use super::{LayerSpec, Provenance};
use crate::error::{Error, Result};

/// The timestamp GDAL and we write into `gpkg_contents.last_change` and
/// `layer_styles.update_time` when no date is asked for: a fixed one, so
/// that two runs give the same file.
const FIXED_TIME: &str = "1970-01-01T00:00:00.000Z";

/// QGIS's `layer_styles` table, as its OGR provider creates it in a
/// GeoPackage (column names and types as QGIS reads them).
const CREATE_LAYER_STYLES: &str = r#"CREATE TABLE "layer_styles" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256),
  "f_table_schema" TEXT(256),
  "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256),
  "styleName" TEXT(30),
  "styleQML" TEXT,
  "styleSLD" TEXT,
  "useAsDefault" BOOLEAN,
  "description" TEXT,
  "owner" TEXT(30),
  "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"#;

const INSERT_STYLE: &str = r#"INSERT INTO "layer_styles"
  ("f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML", "styleSLD",
   "useAsDefault", "description", "owner", "ui", "update_time")
  VALUES ('', '', ?1, 'geom', ?2, ?3, '', 1, ?4, '', NULL, ?5)"#;

/// QGIS ignores a table that `gpkg_contents` does not list.
const REGISTER: &str = r#"INSERT INTO "gpkg_contents" ("table_name", "data_type", "identifier", "description", "last_change")
  VALUES ('layer_styles', 'attributes', 'layer_styles', ?1, ?2)"#;

fn timestamp(p: &Provenance) -> String {
    match &p.date {
        // A bare date is stamped at midnight UTC.
        Some(d) if d.len() == 10 => format!("{d}T00:00:00.000Z"),
        Some(d) => d.clone(),
        None => FIXED_TIME.to_string(),
    }
}

pub(super) fn write(path: &Path, layers: &[LayerSpec], provenance: &Provenance) -> Result<()> {
    let time = timestamp(provenance);
    // GDAL stamps gpkg_contents with the current time unless told otherwise.
    gdal::config::set_config_option("OGR_CURRENT_DATE", &time)
        .map_err(crate::io::gdal_err(path, "CPLSetConfigOption"))?;
    let specs: Vec<(&str, &[crate::layer::Feature], Option<crate::io::Kind>)> =
        layers.iter().map(|l| (l.name.as_str(), l.features.as_slice(), Some(l.kind))).collect();
    let written = crate::io::write_layers(path, "GPKG", &specs, Some(&provenance.to_json().to_string()));
    let _ = gdal::config::clear_config_option("OGR_CURRENT_DATE");
    written?;

    let err = |e: rusqlite::Error| Error::Sqlite { path: path.to_path_buf(), message: e.to_string() };
    let mut db = Connection::open(path).map_err(err)?;
    let tx = db.transaction().map_err(err)?;
    tx.execute(CREATE_LAYER_STYLES, []).map_err(err)?;
    tx.execute(REGISTER, params!["QGIS layer styles: the default style of each layer, written by delimit", time])
        .map_err(err)?;
    {
        let mut insert = tx.prepare(INSERT_STYLE).map_err(err)?;
        for l in layers {
            insert.execute(params![l.name, "delimit default", l.style.qml(), l.description, time]).map_err(err)?;
        }
    }
    tx.commit().map_err(err)?;
    // No journal or WAL file is left beside the package.
    db.close().map_err(|(_, e)| err(e))
}
