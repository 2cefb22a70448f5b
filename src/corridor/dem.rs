//! Elevation profiles from a DEM: any GDAL raster, in any CRS.

use std::path::{Path, PathBuf};

use geo::{LineString, Point};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::io::gdal_err;

/// A DEM held in memory (band 1), with the transformation from lon/lat to
/// its pixel grid.
pub struct Dem {
    path: PathBuf,
    width: usize,
    height: usize,
    gt: [f64; 6],
    data: Vec<f64>,
    nodata: Option<f64>,
    to_raster: Option<gdal::spatial_ref::CoordTransform>,
    /// The raster's CRS, as GDAL names it.
    pub crs: String,
}

/// An elevation profile along a route.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    /// Station spacing, m.
    pub step_m: f64,
    /// (chainage m, elevation m); `None` off the DEM or on no-data.
    pub samples: Vec<(f64, Option<f64>)>,
    /// Total ascent, m.
    pub ascent_m: f64,
    /// Total descent, m.
    pub descent_m: f64,
    /// Steepest grade over a sliding window, % (absolute).
    pub max_grade_pct: Option<f64>,
    /// Where that window starts, chainage m.
    pub max_grade_at_m: Option<f64>,
    /// The window, m.
    pub window_m: f64,
    /// Samples with no elevation.
    pub missing: usize,
}

impl Dem {
    /// Read band 1 of a raster.
    pub fn open(path: &Path) -> Result<Dem> {
        crate::io::admit_input(path)?;
        crate::io::gdal_init();
        let ds = gdal::Dataset::open(path).map_err(gdal_err(path, "GDALOpen"))?;
        if ds.raster_count() == 0 {
            return Err(Error::InvalidInput {
                path: path.to_path_buf(),
                message: format!("is not a raster ({} has no bands)", ds.driver().short_name()),
                hint: "--dem takes an elevation raster: GeoTIFF, SRTM .hgt, or any GDAL raster format".into(),
            });
        }
        let gt = ds.geo_transform().map_err(gdal_err(path, "GDALGetGeoTransform"))?;
        if gt[2] != 0.0 || gt[4] != 0.0 {
            return Err(Error::InvalidInput {
                path: path.to_path_buf(),
                message: "the DEM is rotated (its geotransform has rotation terms)".into(),
                hint: "warp it to a north-up grid first: gdalwarp in.tif out.tif".into(),
            });
        }
        let band = ds.rasterband(1).map_err(gdal_err(path, "GDALGetRasterBand"))?;
        let nodata = band.no_data_value();
        let buf = band.read_band_as::<f64>().map_err(gdal_err(path, "GDALRasterIO"))?;
        // The gdal crate gives a buffer's shape as (cols, rows).
        let ((width, height), data) = buf.into_shape_and_vec();
        let (to_raster, crs) = match ds.spatial_ref() {
            Ok(mut srs) => {
                let (fwd, _) =
                    super::lonlat_transforms(&mut srs).map_err(gdal_err(path, "OCTNewCoordinateTransformation"))?;
                let name = srs
                    .auth_name()
                    .zip(srs.auth_code().ok())
                    .map(|(a, c)| format!("{a}:{c}"))
                    .or_else(|| srs.name())
                    .unwrap_or_else(|| "unnamed CRS".into());
                let same = name == "EPSG:4326";
                (if same { None } else { Some(fwd) }, name)
            }
            // No CRS: lon/lat is the only reading that makes sense for a DEM
            // given with lon/lat routes.
            Err(_) => (None, "none (read as EPSG:4326)".into()),
        };
        Ok(Dem { path: path.to_path_buf(), width, height, gt, data, nodata, to_raster, crs })
    }

    /// The path it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Elevation at lon/lat points (bilinear between pixel centres).
    pub fn sample(&self, pts: &[Point<f64>]) -> Result<Vec<Option<f64>>> {
        let mut xs: Vec<f64> = pts.iter().map(|p| p.x()).collect();
        let mut ys: Vec<f64> = pts.iter().map(|p| p.y()).collect();
        if let Some(t) = &self.to_raster {
            t.transform_coords(&mut xs, &mut ys, &mut []).map_err(gdal_err(&self.path, "OCTTransform"))?;
        }
        Ok(xs.iter().zip(&ys).map(|(&x, &y)| self.at(x, y)).collect())
    }

    fn value(&self, col: isize, row: isize) -> Option<f64> {
        if col < 0 || row < 0 || col as usize >= self.width || row as usize >= self.height {
            return None;
        }
        let v = self.data[row as usize * self.width + col as usize];
        (!v.is_nan() && self.nodata != Some(v)).then_some(v)
    }

    fn at(&self, x: f64, y: f64) -> Option<f64> {
        // Pixel coordinates of the point, relative to pixel centres.
        let px = (x - self.gt[0]) / self.gt[1] - 0.5;
        let py = (y - self.gt[3]) / self.gt[5] - 0.5;
        let (c0, r0) = (px.floor() as isize, py.floor() as isize);
        let (fx, fy) = (px - c0 as f64, py - r0 as f64);
        let v = |c, r| self.value(c, r);
        match (v(c0, r0), v(c0 + 1, r0), v(c0, r0 + 1), v(c0 + 1, r0 + 1)) {
            (Some(a), Some(b), Some(c), Some(d)) => {
                Some(a * (1.0 - fx) * (1.0 - fy) + b * fx * (1.0 - fy) + c * (1.0 - fx) * fy + d * fx * fy)
            }
            // At an edge or next to no-data: the nearest pixel, if it has a value.
            _ => self.value(px.round() as isize, py.round() as isize),
        }
    }

    /// The profile of a route every `step_m` metres, with the steepest grade
    /// over `window_m`.
    ///
    /// ```no_run
    /// let dem = delimit::corridor::Dem::open("srtm.tif".as_ref()).unwrap();
    /// use geo::line_string;
    /// let route = line_string![(x: 46.24, y: 38.90), (x: 46.20, y: 38.87)];
    /// let p = dem.profile(&route, 10.0, 200.0).unwrap();
    /// println!("{:?} % at {:?} m", p.max_grade_pct, p.max_grade_at_m);
    /// ```
    pub fn profile(&self, route: &LineString<f64>, step_m: f64, window_m: f64) -> Result<Profile> {
        let st = crate::lines::stations_along(route, step_m);
        let z = self.sample(&st.iter().map(|s| s.1).collect::<Vec<_>>())?;
        let samples: Vec<(f64, Option<f64>)> = st.iter().map(|s| s.0).zip(z).collect();
        let (mut ascent, mut descent) = (0.0, 0.0);
        for w in samples.windows(2) {
            if let (Some(a), Some(b)) = (w[0].1, w[1].1) {
                if b > a { ascent += b - a } else { descent += a - b }
            }
        }
        let mut best: Option<(f64, f64)> = None;
        let mut j = 0;
        for i in 0..samples.len() {
            while j < samples.len() && samples[j].0 < samples[i].0 + window_m - 1e-9 {
                j += 1;
            }
            if j >= samples.len() {
                break;
            }
            if let (Some(a), Some(b)) = (samples[i].1, samples[j].1) {
                let g = 100.0 * (b - a).abs() / (samples[j].0 - samples[i].0);
                if best.is_none_or(|(x, _)| g > x) {
                    best = Some((g, samples[i].0));
                }
            }
        }
        Ok(Profile {
            step_m,
            missing: samples.iter().filter(|s| s.1.is_none()).count(),
            samples,
            ascent_m: ascent,
            descent_m: descent,
            max_grade_pct: best.map(|b| b.0),
            max_grade_at_m: best.map(|b| b.1),
            window_m,
        })
    }
}
