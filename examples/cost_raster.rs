//! Write a synthetic cost raster for `bench/corridor-grass.sh`: N×N cells
//! of 30 m in UTM 38N (EPSG:32638), costs 1–10 from a 64-bit LCG, and a
//! wall of no-data across the middle with one gap, so the path must turn.
//!
//!     cargo run --release --example cost_raster -- OUT.tif N [SEED]

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let out = args.get(1).ok_or_else(|| anyhow::anyhow!("usage: cost_raster OUT.tif N [SEED]"))?;
    let n: usize = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let mut state: u64 = args.get(3).map_or(Ok(7), |s| s.parse())?;
    let drv = gdal::DriverManager::get_driver_by_name("GTiff")?;
    let mut ds = drv.create_with_band_type::<f64, _>(out, n, n, 1)?;
    // West edge 600 km E, north edge 4,360 km N: Syunik, in UTM 38N.
    ds.set_geo_transform(&[600_000.0, 30.0, 0.0, 4_360_000.0, 0.0, -30.0])?;
    ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(32638)?)?;
    let mut data = vec![0.0f64; n * n];
    for (i, v) in data.iter_mut().enumerate() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *v = 1.0 + ((state >> 33) % 10) as f64;
        let (r, c) = (i / n, i % n);
        if r == n / 2 && c > n / 10 {
            *v = -1.0;
        }
    }
    let mut band = ds.rasterband(1)?;
    band.set_no_data_value(Some(-1.0))?;
    band.write((0, 0), (n, n), &mut gdal::raster::Buffer::new((n, n), data))?;
    Ok(())
}
