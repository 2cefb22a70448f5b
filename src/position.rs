//! A point typed on the command line: LAT,LON, as places are cited.
//!
//! Files keep their own order (GeoJSON is lon/lat, RFC 7946); only text a
//! person types goes through here. Latitude comes first unless hemisphere
//! letters say otherwise: `40.646,45.516`, `40.646N,45.516E` and
//! `45.516E 40.646N` are one place.

use std::fmt;
use std::str::FromStr;

use geo::{Point, Rect};

use crate::error::{Error, Result};

/// A WGS 84 position in decimal degrees, latitude and longitude named.
///
/// ```
/// use delimit::position::Position;
/// let p: Position = "40.64611,45.51556".parse().unwrap();
/// assert_eq!((p.lat, p.lon), (40.64611, 45.51556));
/// let q: Position = "45.51556E 40.64611N".parse().unwrap();
/// assert_eq!(p, q);
/// // Degrees, minutes and seconds, as maps print them.
/// let d: Position = "40°38'46\"N 45°30'56\"E".parse().unwrap();
/// assert!((d.lat - 40.646111).abs() < 1e-6 && (d.lon - 45.515556).abs() < 1e-6);
/// assert!("40°61'N 45°E".parse::<Position>().is_err());
/// assert_eq!(p.to_string(), "40.64611°N 45.51556°E");
/// ```
///
/// In JSON it is `{"lat": …, "lon": …}`, named so that no reader has to
/// guess the order (GeoJSON files keep their own lon/lat).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

/// Why a typed position was refused; the CLI names the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PositionError(pub String);

/// Which axis a hemisphere letter names, and its sign.
fn hemisphere(c: char) -> Option<(Axis, f64)> {
    match c.to_ascii_uppercase() {
        'N' => Some((Axis::Lat, 1.0)),
        'S' => Some((Axis::Lat, -1.0)),
        'E' => Some((Axis::Lon, 1.0)),
        'W' => Some((Axis::Lon, -1.0)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Axis {
    Lat,
    Lon,
}

/// Degrees from decimal degrees (`40.646`, `40.646°`) or degrees, minutes
/// and seconds as maps and gazetteers print them (`40°38'46"`, `40°38′46″`,
/// `40° 38' 46''`, `40°38.77'`). Minutes and seconds are under 60.
fn degrees(body: &str) -> Option<f64> {
    let b: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let b = b.replace(['′', '’'], "'").replace(['″', '”'], "\"").replace("''", "\"");
    let (sign, b) = match b.strip_prefix('-') {
        Some(rest) => (-1.0, rest.to_string()),
        None => (1.0, b),
    };
    let num = |t: &str| t.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
    let Some((d, rest)) = b.split_once('°') else {
        return num(&b).map(|v| sign * v);
    };
    let d = num(d)?;
    let (m, rest) = match rest.split_once('\'') {
        Some((m, r)) => (num(m)?, r),
        None if rest.is_empty() => (0.0, rest),
        None => return None,
    };
    let sec = match rest.strip_suffix('"') {
        Some(x) => num(x)?,
        None if rest.is_empty() => 0.0,
        None => return None,
    };
    let whole = |v: f64| v.fract() == 0.0;
    // A fractional part only on the last unit given: 40.5°30' is not a position.
    if m >= 60.0 || sec >= 60.0 || (m > 0.0 && !whole(d)) || (sec > 0.0 && !whole(m)) {
        return None;
    }
    Some(sign * (d + m / 60.0 + sec / 3600.0))
}

/// One coordinate: a number of degrees (decimal, or degrees, minutes and
/// seconds) with an optional hemisphere letter before or after it.
fn coordinate(token: &str) -> std::result::Result<(f64, Option<Axis>), PositionError> {
    let t = token.trim();
    let (body, hemi) = match (t.chars().next(), t.chars().last()) {
        (_, Some(c)) if hemisphere(c).is_some() => (&t[..t.len() - c.len_utf8()], hemisphere(c)),
        (Some(c), _) if hemisphere(c).is_some() => (&t[c.len_utf8()..], hemisphere(c)),
        _ => (t, None),
    };
    let v: f64 = degrees(body).ok_or_else(|| {
        PositionError(format!(
            "`{}` is not a number of degrees (decimal, or degrees, minutes and seconds: 40°38'46\")",
            token.trim()
        ))
    })?;
    match hemi {
        Some((axis, sign)) => {
            if v < 0.0 {
                return Err(PositionError(format!("`{}` has both a minus sign and a hemisphere letter", token.trim())));
            }
            Ok((v * sign, Some(axis)))
        }
        None => Ok((v, None)),
    }
}

impl FromStr for Position {
    type Err = PositionError;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let s = s.trim();
        let parts: Vec<&str> = if s.contains(',') { s.split(',').collect() } else { s.split_whitespace().collect() };
        let [a, b] = parts[..] else {
            return Err(PositionError(format!("`{s}` is not two coordinates (LAT,LON)")));
        };
        let (a, b) = (coordinate(a)?, coordinate(b)?);
        let (lat, lon) = match (a.1, b.1) {
            (None, None) => (a.0, b.0),
            (Some(Axis::Lat), Some(Axis::Lon)) => (a.0, b.0),
            (Some(Axis::Lon), Some(Axis::Lat)) => (b.0, a.0),
            (Some(_), Some(_)) => {
                return Err(PositionError(format!("`{s}` names one axis twice (N/S is latitude, E/W longitude)")));
            }
            _ => {
                return Err(PositionError(format!(
                    "`{s}` has a hemisphere letter on one coordinate only; give both or neither"
                )));
            }
        };
        if !(-90.0..=90.0).contains(&lat) {
            return Err(PositionError(format!("latitude {lat} is out of range (±90); latitude comes first: LAT,LON")));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(PositionError(format!("longitude {lon} is out of range (±180)")));
        }
        Ok(Position { lat, lon })
    }
}

impl fmt::Display for Position {
    /// `39.15841°N 46.91000°E`: five decimals (about 1 m), hemisphere named.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = if self.lat < 0.0 { 'S' } else { 'N' };
        let ew = if self.lon < 0.0 { 'W' } else { 'E' };
        write!(f, "{:.5}°{ns} {:.5}°{ew}", self.lat.abs(), self.lon.abs())
    }
}

impl Position {
    /// From a point in file order (x = lon, y = lat).
    pub fn of_point(p: Point<f64>) -> Self {
        Position { lat: p.y(), lon: p.x() }
    }

    /// As a geo point: x = lon, y = lat.
    pub fn point(self) -> Point<f64> {
        Point::new(self.lon, self.lat)
    }

    /// From a geo coordinate: x = lon, y = lat.
    pub fn of(c: geo::Coord<f64>) -> Position {
        Position { lat: c.y, lon: c.x }
    }

    /// As a geo coordinate: x = lon, y = lat.
    pub fn coord(self) -> geo::Coord<f64> {
        geo::Coord { x: self.lon, y: self.lat }
    }

    /// Latitude and longitude exchanged, where that is still a position.
    pub fn swapped(self) -> Option<Position> {
        (self.lon.abs() <= 90.0).then_some(Position { lat: self.lon, lon: self.lat })
    }

    /// As typed on the command line: `LAT,LON`, shortest exact decimals.
    pub fn flag_text(self) -> String {
        format!("{},{}", self.lat, self.lon)
    }

    /// Parse a flag's value, naming the flag in the error.
    pub fn parse_flag(option: &str, text: &str) -> Result<Position> {
        text.parse().map_err(|e: PositionError| Error::Usage {
            option: option.into(),
            message: e.0,
            hint: Some(format!(
                "give LAT,LON in decimal degrees, latitude first ({option} 40.64611,45.51556), or with hemisphere letters ({option} 40.64611N,45.51556E)"
            )),
        })
    }

    /// Refuse a position that lies outside every extent while its swap lies
    /// inside one: latitude and longitude were typed the wrong way round.
    /// A point outside every extent either way is left to the command,
    /// which answers "not covered".
    ///
    /// ```
    /// use delimit::position::Position;
    /// use geo::{Rect, coord};
    /// let armenia = Rect::new(coord! { x: 43.4, y: 38.8 }, coord! { x: 46.7, y: 41.3 });
    /// let typed = Position { lat: 45.0, lon: 40.0 };
    /// let e = typed.check_not_swapped("--at", &[armenia]).unwrap_err();
    /// assert!(e.hint().unwrap().contains("--at 40,45"));
    /// assert!(Position { lat: 40.0, lon: 45.0 }.check_not_swapped("--at", &[armenia]).is_ok());
    /// ```
    pub fn check_not_swapped(self, option: &str, extents: &[Rect<f64>]) -> Result<()> {
        match self.swap_suspect(extents) {
            Some(s) => Err(Error::Usage {
                option: option.into(),
                message: format!("{self} lies outside every input layer, but {s} lies inside"),
                hint: Some(format!("did you mean {option} {} (LAT,LON)?", s.flag_text())),
            }),
            None => Ok(()),
        }
    }

    /// The swapped position, when this one lies outside every extent and
    /// the swap inside one.
    pub fn swap_suspect(self, extents: &[Rect<f64>]) -> Option<Position> {
        let inside = |p: Position| {
            extents.iter().any(|r| r.min().x <= p.lon && p.lon <= r.max().x && r.min().y <= p.lat && p.lat <= r.max().y)
        };
        self.swapped().filter(|&s| !inside(self) && inside(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Position {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    /// Issue 30: points as maps and gazetteers print them.
    #[test]
    fn degrees_minutes_and_seconds_are_read() {
        let want = Position { lat: 40.0 + 38.0 / 60.0 + 46.0 / 3600.0, lon: 45.0 + 30.0 / 60.0 + 56.0 / 3600.0 };
        for s in [
            "40°38'46\"N 45°30'56\"E",
            "40°38′46″N, 45°30′56″E",
            "40° 38' 46'' N, 45° 30' 56'' E",
            "45°30'56\"E 40°38'46\"N",
            "N40°38'46\" E45°30'56\"",
        ] {
            let got = p(s);
            assert!((got.lat - want.lat).abs() < 1e-12 && (got.lon - want.lon).abs() < 1e-12, "{s}: {got:?}");
        }
        let m = p("40°38.5'N 45°30'E");
        assert!((m.lat - (40.0 + 38.5 / 60.0)).abs() < 1e-12 && m.lon == 45.5);
        assert_eq!(p("40°S, 45.5°W"), Position { lat: -40.0, lon: -45.5 });
        for bad in ["40°60'N 45°E", "40°38'61\"N 45°E", "40.5°30'N 45°E", "40°38'x\"N 45°E", "40°38N 45°E"] {
            assert!(bad.parse::<Position>().is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn every_written_form_is_one_place() {
        let want = Position { lat: 40.646, lon: 45.516 };
        for s in [
            "40.646,45.516",
            " 40.646 , 45.516 ",
            "40.646 45.516",
            "40.646N,45.516E",
            "40.646n, 45.516e",
            "45.516E 40.646N",
            "45.516E,40.646N",
            "N40.646 E45.516",
            "40.646°N 45.516°E",
        ] {
            assert_eq!(p(s), want, "{s}");
        }
    }

    #[test]
    fn south_and_west_are_negative() {
        assert_eq!(p("33.9S,18.4E"), Position { lat: -33.9, lon: 18.4 });
        assert_eq!(p("74.0W 40.7N"), Position { lat: 40.7, lon: -74.0 });
        assert_eq!(p("-33.9,-70.6"), Position { lat: -33.9, lon: -70.6 });
    }

    #[test]
    fn malformed_forms_are_refused() {
        for s in [
            "",
            "40.6",
            "40.6,45.5,1",
            "40.6N,45.5N",
            "40.6N,45.5",
            "-40.6N,45.5E",
            "x,1",
            "NaN,1",
            "inf,1",
            "91,0",
            "0,181",
        ] {
            assert!(s.parse::<Position>().is_err(), "{s:?} was accepted");
        }
    }

    #[test]
    fn display_names_hemispheres() {
        assert_eq!(Position { lat: 39.158412, lon: 46.91 }.to_string(), "39.15841°N 46.91000°E");
        assert_eq!(Position { lat: -1.5, lon: -2.25 }.to_string(), "1.50000°S 2.25000°W");
    }

    #[test]
    fn a_point_outside_either_way_is_not_called_swapped() {
        let r = Rect::new(geo::coord! { x: 43.4, y: 38.8 }, geo::coord! { x: 46.7, y: 41.3 });
        assert!(Position { lat: 10.0, lon: 10.0 }.check_not_swapped("--at", &[r]).is_ok());
        // The swap of a longitude beyond ±90 is no position at all.
        assert!(Position { lat: 40.0, lon: 120.0 }.check_not_swapped("--at", &[r]).is_ok());
        let e = Position { lat: 46.4, lon: 39.2 }.check_not_swapped("--from", &[r]).unwrap_err();
        assert_eq!(e.hint().unwrap(), "did you mean --from 39.2,46.4 (LAT,LON)?");
    }
}
