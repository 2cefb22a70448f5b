//! Reading native GeoJSON, with messages that name the feature and say
//! what is wrong.

use std::path::Path;

use geo::{Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use geojson::{GeometryValue, Position};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::io::raw::{RawFeature, RawLayer, note_ring};
use crate::layer::{FieldInfo, ReadNote};

/// Parse GeoJSON bytes into a raw layer (still in the file's CRS).
/// `keep`: when given, only these properties are kept on each feature (the
/// field list still names every field seen, for messages).
pub(crate) fn parse(path: &Path, bytes: &[u8], layer_name: &str, keep: Option<&[String]>) -> Result<RawLayer> {
    // RFC 8259 lets a parser ignore a leading byte order mark; Windows
    // tools write one.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let (line, column) = line_col(&bytes[..offset]);
        Error::NotUtf8 { path: path.to_path_buf(), line, column, offset }
    })?;
    // Stream the `features` array: each feature becomes a RawFeature as soon
    // as it is read, so a 50 MB file never exists as one serde_json tree
    // (that tree cost ~15x the file size in RAM at world scale).
    let mut raw = RawLayer { name: layer_name.to_string(), driver: "GeoJSON (native)".into(), ..RawLayer::default() };
    let mut sink = FeatureSink {
        path,
        raw: &mut raw,
        seen_fields: Vec::new(),
        failure: None,
        saw_features: false,
        features_kind: None,
        keep,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let streamed = serde::de::DeserializeSeed::deserialize(TopLevel { sink: &mut sink }, &mut de)
        .and_then(|top| de.end().map(|()| top));
    let top = match streamed {
        Ok(top) => top,
        Err(e) => {
            return Err(match sink.failure.take() {
                Some(feature_error) => feature_error,
                None => json_error(path, text, &e),
            });
        }
    };
    let saw_features = sink.saw_features;
    let features_kind = sink.features_kind;
    let mut seen_fields = std::mem::take(&mut sink.seen_fields);
    let gj = |message: String, hint: Option<&str>| Error::GeoJson {
        path: path.to_path_buf(),
        message,
        hint: hint.map(str::to_string),
    };
    let top = match top {
        Ok(top) => top,
        Err(kind) => {
            return Err(gj(
                format!("the top level is {kind}, not a GeoJSON object"),
                Some("a GeoJSON file is one object with \"type\": \"FeatureCollection\""),
            ));
        }
    };
    raw.status = declared_status(top.get("metadata")).map_err(|m| {
        gj(m, Some("metadata.status is observed, approximate or illustrative (or pass --status ROLE=STATUS)"))
    })?;
    raw.declared_crs = match top.get("crs") {
        Some(c) => legacy_crs(c).map(Some).map_err(|m| gj(m, Some("or pass --src-crs EPSG:NNNN")))?,
        None => None,
    };
    let ty = match top.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(gj(format!("`type` is {}, not a string", kind_of(other)), None)),
        None => {
            return Err(gj(
                "the top-level object has no `type` member".into(),
                Some("expected \"type\": \"FeatureCollection\""),
            ));
        }
    };
    let single = match ty.as_str() {
        "FeatureCollection" => {
            if !saw_features {
                return Err(match features_kind {
                    Some(kind) => gj(format!("`features` is {kind}, not an array"), None),
                    None => gj("the FeatureCollection has no `features` array".into(), None),
                });
            }
            None
        }
        "Feature" => Some(Value::Object(top.clone())),
        "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon" | "MultiPolygon"
        | "GeometryCollection" => {
            let mut f = Map::new();
            f.insert("type".into(), "Feature".into());
            f.insert("geometry".into(), Value::Object(top.clone()));
            f.insert("properties".into(), Value::Object(Map::new()));
            Some(Value::Object(f))
        }
        other => {
            return Err(gj(
                format!("unknown top-level type `{other}`"),
                Some(
                    "GeoJSON types are FeatureCollection, Feature, Point, LineString, Polygon and their Multi- forms; type names are case-sensitive",
                ),
            ));
        }
    };
    if let Some(value) = single {
        // A lone Feature or geometry: whatever a stray `features` member held
        // is not part of it.
        raw.features.clear();
        seen_fields.clear();
        let mut feature = parse_feature(path, 0, value, &mut raw.notes)?;
        note_fields(&mut seen_fields, &feature);
        retain(&mut feature, keep);
        raw.features.push(feature);
    }
    raw.fields = seen_fields;
    Ok(raw)
}

fn retain(feature: &mut RawFeature, keep: Option<&[String]>) {
    if let Some(keep) = keep {
        // Rebuilt rather than retained, so the map's storage shrinks too.
        let all = std::mem::take(&mut feature.properties);
        feature.properties = all.into_iter().filter(|(k, _)| keep.iter().any(|w| w == k)).collect();
    }
}

fn note_fields(seen: &mut Vec<FieldInfo>, feature: &RawFeature) {
    for (k, v) in &feature.properties {
        if let Some(existing) = seen.iter_mut().find(|f| &f.name == k) {
            if existing.kind == "Null" && !v.is_null() {
                existing.kind = kind_name(v).into();
            }
        } else {
            seen.push(FieldInfo { name: k.clone(), kind: kind_name(v).into() });
        }
    }
}

/// Where streamed features go. A feature-level error is kept here, and serde
/// is stopped with a placeholder; the caller reports the kept error.
struct FeatureSink<'a> {
    path: &'a Path,
    raw: &'a mut RawLayer,
    seen_fields: Vec<FieldInfo>,
    failure: Option<Error>,
    saw_features: bool,
    /// What `features` held when it was not an array.
    features_kind: Option<&'static str>,
    keep: Option<&'a [String]>,
}

/// The top-level object, with `features` streamed and every other member kept.
/// `Err(kind)` when the top level is not an object.
struct TopLevel<'s, 'a> {
    sink: &'s mut FeatureSink<'a>,
}

impl<'de> serde::de::DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = std::result::Result<Map<String, Value>, &'static str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopLevel<'_, '_> {
    type Value = std::result::Result<Map<String, Value>, &'static str>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let mut rest = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" {
                map.next_value_seed(Features { sink: &mut *self.sink })?;
            } else {
                let v: Value = map.next_value()?;
                rest.insert(key, v);
            }
        }
        Ok(Ok(rest))
    }
    // Anything else at the top level: consume it and report "not an object".
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Err("an array"))
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
        Ok(Err("a string"))
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
        Ok(Err("a boolean"))
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
        Ok(Err("a number"))
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
        Ok(Err("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
        Ok(Err("a number"))
    }
    fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
        Ok(Err("null"))
    }
}

/// The `features` member: an array is streamed feature by feature; anything
/// else is left for the caller to report.
struct Features<'s, 'a> {
    sink: &'s mut FeatureSink<'a>,
}

impl<'de> serde::de::DeserializeSeed<'de> for Features<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Features<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of Features")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let sink = self.sink;
        sink.saw_features = true;
        let mut index = 0;
        while let Some(value) = seq.next_element::<Value>()? {
            match parse_feature(sink.path, index, value, &mut sink.raw.notes) {
                Ok(mut feature) => {
                    note_fields(&mut sink.seen_fields, &feature);
                    retain(&mut feature, sink.keep);
                    sink.raw.features.push(feature);
                }
                Err(e) => {
                    sink.failure = Some(e);
                    return Err(serde::de::Error::custom("feature error"));
                }
            }
            index += 1;
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        self.sink.features_kind = Some("an object");
        while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<(), E> {
        self.sink.features_kind = Some("a string");
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<(), E> {
        self.sink.features_kind = Some("a boolean");
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<(), E> {
        self.sink.features_kind = Some("a number");
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<(), E> {
        self.sink.features_kind = Some("a number");
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<(), E> {
        self.sink.features_kind = Some("a number");
        Ok(())
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        self.sink.features_kind = Some("null");
        Ok(())
    }
}

fn parse_feature(path: &Path, index: usize, value: Value, notes: &mut Vec<ReadNote>) -> Result<RawFeature> {
    let label = format!("#{}", index + 1);
    let geom_err = |feature: &str, message: String, hint: Option<&str>| Error::Geometry {
        path: path.to_path_buf(),
        feature: feature.to_string(),
        message,
        hint: hint.map(str::to_string),
    };
    let Value::Object(obj) = &value else {
        return Err(geom_err(&label, format!("is {}, not a Feature object", kind_of(&value)), None));
    };
    match obj.get("type").and_then(Value::as_str) {
        Some("Feature") => {}
        Some(t) => {
            return Err(geom_err(
                &label,
                format!("`type` is `{t}`, expected `Feature`"),
                Some("each member of `features` must be {\"type\": \"Feature\", \"geometry\": …, \"properties\": …}"),
            ));
        }
        None => return Err(geom_err(&label, "has no `type`: \"Feature\"".into(), None)),
    }
    // Validate the geometry's shape ourselves first: serde's message for a
    // Polygon nested one level short ("invalid type: floating point") does
    // not tell the user what to fix.
    if let Some(g) = obj.get("geometry")
        && !g.is_null()
    {
        precheck_geometry(g, 0).map_err(|(m, h)| geom_err(&label, m, h))?;
    }
    let feature: geojson::Feature = serde_json::from_value(value)
        .map_err(|e| geom_err(&label, format!("is not a valid GeoJSON Feature: {e}"), None))?;
    let id = match &feature.id {
        Some(geojson::feature::Id::String(s)) => s.clone(),
        Some(geojson::feature::Id::Number(n)) => n.to_string(),
        None => match feature.properties.as_ref().and_then(|p| p.get("id")) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => (index + 1).to_string(),
        },
    };
    let geometry = match &feature.geometry {
        None => None,
        Some(g) => {
            let mut conv = Converter { feature: &id, notes, dims_warned: false };
            Some(conv.geometry(&g.value).map_err(|(m, h)| geom_err(&id, m, h))?)
        }
    };
    Ok(RawFeature { id, index, geometry, properties: feature.properties.unwrap_or_default() })
}

type GeomError = (String, Option<&'static str>);

/// Check type names and nesting depth before serde sees the geometry.
fn precheck_geometry(g: &Value, depth: usize) -> Result<(), GeomError> {
    if depth > 32 {
        return Err(("GeometryCollections nested more than 32 deep".into(), None));
    }
    let Value::Object(o) = g else {
        return Err((format!("`geometry` is {}, not an object or null", kind_of(g)), None));
    };
    let ty = o
        .get("type")
        .and_then(Value::as_str)
        .ok_or(("the geometry has no `type`".to_string(), Some("e.g. \"type\": \"Polygon\"")))?;
    let want = match ty {
        "Point" => 1,
        "LineString" | "MultiPoint" => 2,
        "Polygon" | "MultiLineString" => 3,
        "MultiPolygon" => 4,
        "GeometryCollection" => {
            let parts = o
                .get("geometries")
                .and_then(Value::as_array)
                .ok_or(("GeometryCollection without a `geometries` array".to_string(), None))?;
            for p in parts {
                precheck_geometry(p, depth + 1)?;
            }
            return Ok(());
        }
        other => {
            let hint = ["Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon"]
                .into_iter()
                .find(|t| t.eq_ignore_ascii_case(other))
                .map(|_| "GeoJSON type names are case-sensitive")
                .or(Some("expected Point, LineString, Polygon, their Multi- forms, or GeometryCollection"));
            return Err((format!("unknown geometry type `{other}`"), hint));
        }
    };
    let coords = o.get("coordinates").ok_or((format!("the {ty} has no `coordinates`"), None))?;
    // Depth of the first path down the arrays: [[[x, y]]] is 3.
    let mut d = 0;
    let mut cur = coords;
    while let Value::Array(a) = cur {
        d += 1;
        match a.first() {
            Some(next) => cur = next,
            None => return Ok(()), // empty geometry: allowed, reported by check
        }
    }
    if !cur.is_number() {
        return Err((format!("the {ty} has a coordinate that is {}, not a number", kind_of(cur)), None));
    }
    if d != want {
        let what = match want {
            1 => "a position [x, y]",
            2 => "an array of positions",
            3 => "an array of rings, each an array of [x, y] positions",
            _ => "an array of polygons, each an array of rings of [x, y] positions",
        };
        let hint = if d + 1 == want {
            Some("one level of brackets is missing around the coordinates")
        } else if d == want + 1 {
            Some("there is one level of brackets too many, or the type should be the Multi- form")
        } else {
            None
        };
        return Err((format!("{ty} coordinates are nested {d} deep; a {ty} needs {want}: {what}"), hint));
    }
    Ok(())
}

struct Converter<'a> {
    feature: &'a str,
    notes: &'a mut Vec<ReadNote>,
    dims_warned: bool,
}

impl Converter<'_> {
    fn coord(&mut self, p: &Position) -> Result<Coord<f64>, GeomError> {
        let s = p.as_slice();
        match s.len() {
            0 | 1 => Err((format!("a position has {} value(s); it needs at least [x, y]", s.len()), None)),
            2 => Ok(Coord { x: s[0], y: s[1] }),
            3 => {
                if !self.dims_warned {
                    self.dims_warned = true;
                    self.notes.push(ReadNote {
                        feature: self.feature.to_string(),
                        message: "3D positions: the Z value was dropped (delimit works in 2D)".into(),
                        location: Some([s[0], s[1]]),
                        code: "z_dropped",
                    });
                }
                Ok(Coord { x: s[0], y: s[1] })
            }
            n => Err((
                format!("a position has {n} values; GeoJSON positions are [x, y] or [x, y, z] (RFC 7946 §3.1.1)"),
                Some("drop the M (measure) or extra values before loading, e.g. `ogr2ogr -dim XY`"),
            )),
        }
    }

    fn line(&mut self, ps: &[Position]) -> Result<LineString<f64>, GeomError> {
        ps.iter().map(|p| self.coord(p)).collect::<Result<Vec<_>, _>>().map(LineString::new)
    }

    fn ring(&mut self, ps: &[Position], poly: usize, ring: usize) -> Result<LineString<f64>, GeomError> {
        let ls = self.line(ps)?;
        note_ring(&ls.0, self.feature, poly, ring, self.notes);
        Ok(ls)
    }

    fn polygon(&mut self, rings: &[Vec<Position>], poly: usize) -> Result<Polygon<f64>, GeomError> {
        let mut it = rings.iter().enumerate();
        let exterior = match it.next() {
            Some((i, r)) => self.ring(r, poly, i)?,
            None => LineString::new(vec![]),
        };
        let interiors = it.map(|(i, r)| self.ring(r, poly, i)).collect::<Result<Vec<_>, _>>()?;
        Ok(Polygon::new(exterior, interiors))
    }

    fn geometry(&mut self, v: &GeometryValue) -> Result<Geometry<f64>, GeomError> {
        Ok(match v {
            GeometryValue::Point { coordinates } => Geometry::Point(Point(self.coord(coordinates)?)),
            GeometryValue::MultiPoint { coordinates } => Geometry::MultiPoint(MultiPoint(
                coordinates.iter().map(|p| self.coord(p).map(Point)).collect::<Result<_, _>>()?,
            )),
            GeometryValue::LineString { coordinates } => Geometry::LineString(self.line(coordinates)?),
            GeometryValue::MultiLineString { coordinates } => Geometry::MultiLineString(MultiLineString(
                coordinates.iter().map(|l| self.line(l)).collect::<Result<_, _>>()?,
            )),
            GeometryValue::Polygon { coordinates } => Geometry::Polygon(self.polygon(coordinates, 0)?),
            GeometryValue::MultiPolygon { coordinates } => Geometry::MultiPolygon(MultiPolygon(
                coordinates.iter().enumerate().map(|(i, p)| self.polygon(p, i)).collect::<Result<_, _>>()?,
            )),
            GeometryValue::GeometryCollection { geometries } => Geometry::GeometryCollection(GeometryCollection(
                geometries.iter().map(|g| self.geometry(&g.value)).collect::<Result<_, _>>()?,
            )),
        })
    }
}

/// The legacy (2008) `crs` member: `{"type": "name", "properties": {"name": …}}`.
fn legacy_crs(c: &Value) -> std::result::Result<String, String> {
    let name = c
        .get("properties")
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| "the `crs` member has no properties.name".to_string())?;
    // urn:ogc:def:crs:EPSG::28408 and urn:ogc:def:crs:OGC:1.3:CRS84 → AUTH:CODE.
    if let Some(rest) = name.strip_prefix("urn:ogc:def:crs:") {
        let parts: Vec<&str> = rest.split(':').collect();
        if let (Some(auth), Some(code)) = (parts.first(), parts.last()) {
            return Ok(format!("{auth}:{code}"));
        }
    }
    Ok(name.to_string())
}

/// The status a GeoJSON's top-level `metadata` declares: `status` (with
/// `status_note`), or `illustrative: true`. The note falls back to the
/// metadata's `what` and `not_represented`, which say what the layer
/// shows and leaves out.
fn declared_status(
    meta: Option<&Value>,
) -> std::result::Result<Option<(crate::layer::DataStatus, Option<String>)>, String> {
    use crate::layer::DataStatus;
    let Some(Value::Object(m)) = meta else { return Ok(None) };
    let status = match (m.get("status"), m.get("illustrative")) {
        (Some(Value::String(s)), _) => DataStatus::from_name(s)?,
        (Some(other), _) => return Err(format!("metadata.status is {other}, not a string")),
        (None, Some(Value::Bool(true))) => DataStatus::Illustrative,
        _ => return Ok(None),
    };
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let note = text("status_note").or_else(|| {
        let parts: Vec<String> = [text("what"), text("not_represented")].into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    Ok(Some((status, note)))
}

fn json_error(path: &Path, text: &str, e: &serde_json::Error) -> Error {
    let (line, column) = (e.line(), e.column());
    // Show what stands at the error, without dumping a 10 MB line.
    let at = text
        .lines()
        .nth(line.saturating_sub(1))
        .map(|l| {
            let start = l.char_indices().nth(column.saturating_sub(1)).map(|(i, _)| i).unwrap_or(l.len());
            l[start..].chars().take(12).collect::<String>()
        })
        .unwrap_or_default();
    let hint = if ["NaN", "Infinity", "-Infinity"].iter().any(|t| at.starts_with(t)) {
        Some("NaN and Infinity are not JSON; Python's json.dumps writes them unless allow_nan=False. Drop or fix those coordinates".to_string())
    } else if e.is_eof() {
        Some("the file ends too early; was it truncated while copying or downloading?".into())
    } else if e.to_string().starts_with("recursion limit exceeded") {
        // serde_json stops at 128 levels, before the stack could overflow.
        Some("the JSON nests more than 128 levels deep (GeometryCollections inside GeometryCollections?); flatten it, e.g. with ogr2ogr -explodecollections".into())
    } else if e.to_string().starts_with("number out of range") {
        Some("a number is beyond the range of a 64-bit float (about 1.8e308): not a coordinate".into())
    } else {
        None
    };
    let mut message = e.to_string();
    // serde appends " at line L column C"; we already say where.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    // serde_json names a lone UTF-16 surrogate (`\ud800` with no partner)
    // by what it expected next; say what the text holds instead.
    let before = text
        .lines()
        .nth(line.saturating_sub(1))
        .map(|l| {
            let end = l.char_indices().nth(column).map(|(i, _)| i).unwrap_or(l.len());
            let start = l[..end].char_indices().rev().nth(13).map(|(i, _)| i).unwrap_or(0);
            l[start..end].to_ascii_lowercase()
        })
        .unwrap_or_default();
    let lone = before
        .match_indices("\\ud")
        .any(|(i, _)| before[i + 3..].chars().next().is_some_and(|c| matches!(c, '8'..='9' | 'a'..='f')));
    let hint = if lone && (message.contains("surrogate") || message.contains("hex escape")) {
        message =
            "a string holds a lone UTF-16 surrogate escape (\\uD800–\\uDFFF without its pair), which is no character"
                .into();
        Some("the exporter split a character in two; export the file again as UTF-8, or remove that escape".into())
    } else {
        hint
    };
    Error::Json { path: path.to_path_buf(), line, column, message, hint }
}

fn line_col(prefix: &[u8]) -> (usize, usize) {
    let line = prefix.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = prefix.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_f64() => "Real",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<RawLayer> {
        parse(Path::new("t.geojson"), s.as_bytes(), "t", None)
    }

    #[test]
    fn nesting_one_level_short_is_named() {
        let e = parse_str(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},
            "geometry":{"type":"Polygon","coordinates":[[0,0],[1,0],[1,1],[0,0]]}}]}"#,
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("feature #1") && msg.contains("nested 2 deep"), "{msg}");
        assert!(e.hint().unwrap().contains("missing"));
    }

    #[test]
    fn legacy_crs_urn_is_read() {
        let raw = parse_str(r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::28408"}},"features":[]}"#).unwrap();
        assert_eq!(raw.declared_crs.as_deref(), Some("EPSG:28408"));
    }

    #[test]
    fn unclosed_ring_is_closed_and_noted() {
        let raw = parse_str(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}"#,
        )
        .unwrap();
        assert_eq!(raw.notes.len(), 1);
        assert_eq!(raw.notes[0].code, "ring_not_closed");
        let Some(Geometry::Polygon(p)) = &raw.features[0].geometry else { panic!() };
        assert_eq!(p.exterior().0.len(), 4);
    }

    #[test]
    fn ids_come_from_id_member_then_property_then_position() {
        let raw = parse_str(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":7,"properties":{"id":"x"},"geometry":null},
            {"type":"Feature","properties":{"id":"x"},"geometry":null},
            {"type":"Feature","properties":{},"geometry":null}]}"#,
        )
        .unwrap();
        let ids: Vec<_> = raw.features.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["7", "x", "3"]);
    }

    #[test]
    fn nan_token_gets_a_hint() {
        let e = parse_str(r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[NaN,1]}}"#)
            .unwrap_err();
        assert!(e.hint().unwrap().contains("allow_nan"), "{e:?}");
    }
}
