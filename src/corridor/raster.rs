//! Cost rasters as GeoTIFF: read one to route over (for comparison with
//! GRASS `r.cost` on one surface), or write the grid a plan was built on.

use std::path::Path;

use geo::{Coord, LineString};
use serde::Serialize;

use super::CostGrid;
use crate::error::{Error, Result};
use crate::position::Position;

fn gdal_err<'a>(path: &'a Path, call: &'static str) -> impl Fn(gdal::errors::GdalError) -> Error + 'a {
    move |source| Error::Gdal { path: path.to_path_buf(), call, source }
}

/// Write `grid` (in the CRS `crs`) as a one-band GeoTIFF; impassable
/// cells are no-data (-1). Through [`crate::io::Output`]: complete or
/// absent, never over an input.
pub fn write_cost(path: &Path, grid: &CostGrid, crs: &str, force: bool, inputs: &[&Path]) -> Result<()> {
    let srs = gdal::spatial_ref::SpatialRef::from_definition(crs).map_err(|e| Error::Crs {
        definition: crs.into(),
        context: None,
        message: e.to_string(),
    })?;
    let out = crate::io::Output::prepare(path, force, inputs)?;
    out.commit(|tmp| {
        let err = |call| gdal_err(path, call);
        let drv = gdal::DriverManager::get_driver_by_name("GTiff").map_err(err("GDALGetDriverByName"))?;
        let mut ds = drv.create_with_band_type::<f64, _>(tmp, grid.width, grid.height, 1).map_err(err("GDALCreate"))?;
        ds.set_geo_transform(&[grid.x0, grid.cell, 0.0, grid.y0, 0.0, -grid.cell])
            .map_err(err("GDALSetGeoTransform"))?;
        ds.set_spatial_ref(&srs).map_err(err("GDALSetSpatialRef"))?;
        let mut band = ds.rasterband(1).map_err(err("GDALGetRasterBand"))?;
        band.set_no_data_value(Some(-1.0)).map_err(err("GDALSetRasterNoDataValue"))?;
        let data: Vec<f64> = grid.cost.iter().map(|&c| if c.is_finite() { c } else { -1.0 }).collect();
        let mut buf = gdal::raster::Buffer::new((grid.width, grid.height), data);
        band.write((0, 0), (grid.width, grid.height), &mut buf).map_err(err("GDALRasterIO"))?;
        ds.close().map_err(err("GDALClose"))
    })
}

/// A least-cost path over a given raster.
#[derive(Debug, Clone, Serialize)]
pub struct RasterRoute {
    /// Accumulated cost (cost × metres).
    pub cost: f64,
    /// The cost in cell units (cost ÷ cell size), as GRASS reports it.
    pub cost_in_cells: f64,
    /// Cells visited.
    pub cells: usize,
    /// Length of the path through the cell centres (edges straight in
    /// lon/lat, on the ellipsoid), m.
    pub length_m: f64,
    pub width: usize,
    pub height: usize,
    pub cell_m: f64,
    pub start_cell: [usize; 2],
    pub end_cell: [usize; 2],
    /// Wall time of the search alone, s.
    pub search_seconds: f64,
    /// The path, lon/lat.
    #[serde(skip)]
    pub line: LineString<f64>,
}

/// Route from `from` to `to` over the cost raster at `path` (any GDAL
/// raster in a projected CRS, north-up with square cells; no-data,
/// negative and NaN cells are impassable). `Ok(None)` when no passable
/// path joins the ends.
pub fn route_on(path: &Path, from: Position, to: Position) -> Result<Option<RasterRoute>> {
    let err = |call| gdal_err(path, call);
    crate::io::admit_input(path)?;
    crate::io::gdal_init();
    let ds = gdal::Dataset::open(path).map_err(err("GDALOpen"))?;
    let gt = ds.geo_transform().map_err(err("GDALGetGeoTransform"))?;
    if gt[2] != 0.0 || gt[4] != 0.0 || (gt[1] + gt[5]).abs() > 1e-9 * gt[1].abs() {
        return Err(Error::InvalidInput {
            path: path.to_path_buf(),
            message: "the cost raster must be north-up with square cells".into(),
            hint: "warp it: gdalwarp -tr SIZE SIZE in.tif out.tif".into(),
        });
    }
    let band = ds.rasterband(1).map_err(err("GDALGetRasterBand"))?;
    let nodata = band.no_data_value();
    let ((width, height), data) = band.read_band_as::<f64>().map_err(err("GDALRasterIO"))?.into_shape_and_vec();
    let cost: Vec<f64> =
        data.into_iter().map(|v| if v.is_nan() || v < 0.0 || Some(v) == nodata { f64::INFINITY } else { v }).collect();
    let grid = CostGrid { width, height, x0: gt[0], y0: gt[3], cell: gt[1], cost };
    let mut srs = ds.spatial_ref().map_err(err("GDALGetSpatialRef"))?;
    let (fwd, inv) = super::lonlat_transforms(&mut srs).map_err(err("OCTNewCoordinateTransformation"))?;
    let (mut xs, mut ys) = (vec![from.lon, to.lon], vec![from.lat, to.lat]);
    fwd.transform_coords(&mut xs, &mut ys, &mut []).map_err(err("OCTTransform"))?;
    let (Some(a), Some(b)) = (grid.cell_of(Coord { x: xs[0], y: ys[0] }), grid.cell_of(Coord { x: xs[1], y: ys[1] }))
    else {
        return Err(Error::Usage {
            option: "--from/--to".into(),
            message: format!("{} or {} lies outside the cost raster", from, to),
            hint: None,
        });
    };
    let t = std::time::Instant::now();
    let found = grid.least_cost(a, b);
    let search_seconds = t.elapsed().as_secs_f64();
    let Some((cells, cost)) = found else { return Ok(None) };
    let (mut px, mut py): (Vec<f64>, Vec<f64>) = cells.iter().map(|c| (c.x, c.y)).unzip();
    inv.transform_coords(&mut px, &mut py, &mut []).map_err(err("OCTTransform"))?;
    let line = LineString::new(px.into_iter().zip(py).map(|(x, y)| Coord { x, y }).collect());
    Ok(Some(RasterRoute {
        cost,
        cost_in_cells: cost / grid.cell,
        cells: cells.len(),
        length_m: crate::measure::straight_line_length_m(&line),
        width,
        height,
        cell_m: grid.cell,
        start_cell: [a.0, a.1],
        end_cell: [b.0, b.1],
        search_seconds,
        line,
    }))
}
