//! Batch point classification against the legal and control layers, timed
//! without process start or loading: the delimit side of
//! `bench/village-points.sh`.
//!
//!     cargo run --release --example classify_points -- [N] [SEED]
//!
//! Points are uniform in the legal layer's box, from a 64-bit LCG that the
//! Python peer reproduces exactly. Prints JSON: seconds, points per second
//! and the per-owner counts (to compare with the peer's).

use std::collections::BTreeMap;
use std::time::Instant;

use delimit::village::{Context, VillageOptions};
use geo::Coord;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(1_000_000), |s| s.parse())?;
    let mut state: u64 = args.get(2).map_or(Ok(42), |s| s.parse())?;
    let load = |name| delimit::sample::load(name, &Default::default());
    let (legal, control, places) = (load("legal.geojson")?, load("control.geojson")?, load("settlements.geojson")?);
    let ctx = Context::new(&legal, &control, &places, None, VillageOptions::default())?;
    let bb = ctx.legal_bbox().expect("legal layer has a box");
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let points: Vec<Coord<f64>> = (0..n)
        .map(|_| {
            let x = bb.min().x + next() * bb.width();
            let y = bb.min().y + next() * bb.height();
            Coord { x, y }
        })
        .collect();
    let t = Instant::now();
    let out = ctx.classify(&points);
    let secs = t.elapsed().as_secs_f64();
    let mut owners: BTreeMap<String, usize> = BTreeMap::new();
    let mut controllers: BTreeMap<String, usize> = BTreeMap::new();
    for (l, c) in &out {
        let o = l.and_then(|i| legal.features[i].text("owner")).unwrap_or_else(|| "-".into());
        *owners.entry(o).or_default() += 1;
        let k = c.and_then(|i| control.features[i].text("controller")).unwrap_or_else(|| "-".into());
        *controllers.entry(k).or_default() += 1;
    }
    let v = serde_json::json!({
        "points": n, "seconds": secs, "points_per_second": n as f64 / secs,
        "threads": rayon::current_num_threads(), "owners": owners, "controllers": controllers,
    });
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}
