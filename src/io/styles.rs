//! QGIS's `layer_styles` table in a GeoPackage: the default style QGIS
//! applies when it opens a layer of the package.

use std::path::Path;

use rusqlite::{Connection, params};

use crate::error::{Error, Result};

/// A layer's default style: its QML, for the table of that name.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerStyle {
    /// The layer's table in the GeoPackage.
    pub table: String,
    /// The QGIS style document.
    pub qml: String,
    /// What the layer says, stored beside the style.
    pub description: String,
}

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

/// Add QGIS's `layer_styles` table to a GeoPackage, with one default style
/// per layer, stamped with `time`. The package must not have the table yet.
pub fn add_layer_styles(path: &Path, styles: &[LayerStyle], time: &str) -> Result<()> {
    let err = |e: rusqlite::Error| Error::Sqlite { path: path.to_path_buf(), message: e.to_string() };
    let mut db = Connection::open(path).map_err(err)?;
    let tx = db.transaction().map_err(err)?;
    tx.execute(CREATE_LAYER_STYLES, []).map_err(err)?;
    tx.execute(REGISTER, params!["QGIS layer styles: the default style of each layer, written by delimit", time])
        .map_err(err)?;
    {
        let mut insert = tx.prepare(INSERT_STYLE).map_err(err)?;
        for s in styles {
            insert.execute(params![s.table, "delimit default", s.qml, s.description, time]).map_err(err)?;
        }
    }
    tx.commit().map_err(err)?;
    // No journal or WAL file is left beside the package.
    db.close().map_err(|(_, e)| err(e))
}
