//! How the `overlay` fuzz target turns bytes into two polygons: a legal
//! unit and a control polygon of up to 32 vertices each, within 0.1° of
//! 45°E 40°N (i16 pairs scaled to 3e-6°, about 30 cm, so rings touch, cross
//! and overlap often). Shared with the regression tests in
//! `src/overlay/tests.rs`, so that a crash's bytes replay there exactly.

use geo::{Coord, LineString, Polygon};

/// The two polygons the bytes decode to, or `None` when they are too short.
pub fn two_rings(data: &[u8]) -> Option<(Polygon<f64>, Polygon<f64>)> {
    if data.len() < 26 {
        return None;
    }
    let half = (data[0] as usize % (data.len() - 1)).max(12);
    let (a, b) = data[1..].split_at(half.min(data.len() - 1));
    Some((ring(a)?, ring(b)?))
}

fn ring(bytes: &[u8]) -> Option<Polygon<f64>> {
    let pts: Vec<Coord<f64>> = bytes
        .chunks_exact(4)
        .take(32)
        .map(|c| {
            let (x, y) = (i16::from_le_bytes([c[0], c[1]]), i16::from_le_bytes([c[2], c[3]]));
            Coord { x: 45.0 + f64::from(x) * 3e-6, y: 40.0 + f64::from(y) * 3e-6 }
        })
        .collect();
    (pts.len() >= 3).then(|| Polygon::new(LineString::new(pts), vec![]))
}
