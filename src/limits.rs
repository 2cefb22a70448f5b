//! Bounds on the work an option implies, checked before the work starts.
//!
//! An option such as `--step 1e-300` or `--cell 0.001` is valid as a
//! number and would still ask for more memory than any machine has; left
//! unchecked, the run grows until the system kills it (or aborts on a
//! failed allocation). Each such option is turned into an estimate of the
//! items it implies and their bytes, and refused above the memory budget
//! (2 GiB unless `--max-memory` says otherwise).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// The default memory budget: 2 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 2 << 30;

/// Bytes held per station along a line (`lines`, `progress`, the full
/// run): the station record with its pair, place and owner strings, and
/// its share of the runs built from it. Measured: `lines --step 0.01` on
/// the sample held 15.5 GB at about 1e8 stations (issue 18).
pub const STATION_BYTES: u64 = 160;

/// Bytes held per grid cell by `corridor route`: the cost (f64) and its
/// unpenalised copy, the cell centres while the grid is built (2 × f64),
/// and for each of the two search directions a distance (f64), a
/// predecessor (u32), a closed flag and heap entries.
pub const CELL_BYTES: u64 = 96;

/// The most route options `corridor route --alternatives` searches for:
/// each is a full search of the grid.
pub const MAX_ALTERNATIVES: usize = 100;

static MAX_MEMORY: AtomicU64 = AtomicU64::new(DEFAULT_MAX_MEMORY);

/// Set the memory budget for this process (`--max-memory`).
pub fn set_max_memory(bytes: u64) {
    MAX_MEMORY.store(bytes, Ordering::Relaxed);
}

/// The memory budget in bytes.
pub fn max_memory() -> u64 {
    MAX_MEMORY.load(Ordering::Relaxed)
}

/// Bytes as a person reads them: `2 GiB`, `15.3 MiB`, `1.2e305 bytes`.
///
/// ```
/// assert_eq!(delimit::limits::bytes(2 << 30), "2 GiB");
/// assert_eq!(delimit::limits::bytes(1536 << 20), "1.5 GiB");
/// ```
pub fn bytes(b: u64) -> String {
    human(b as f64)
}

fn human(b: f64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    if !b.is_finite() {
        return "more bytes than a f64 counts".into();
    }
    if b >= 1024f64.powi(5) {
        return format!("{b:.1e} bytes");
    }
    let mut v = b;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    let text = if u == 0 || v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") };
    format!("{text} {}", UNITS[u])
}

/// Parse a size: `2G`, `512M`, `1.5GiB`, `4096` (bytes).
///
/// ```
/// assert_eq!(delimit::limits::parse_size("2G").unwrap(), 2 << 30);
/// assert_eq!(delimit::limits::parse_size("512 MiB").unwrap(), 512 << 20);
/// assert!(delimit::limits::parse_size("lots").is_err());
/// ```
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("`{s}` is not a size; give e.g. 2G, 512M or 4096"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("unknown unit `{other}` in `{s}`; use K, M, G or T")),
    };
    let v = n * mult as f64;
    if !(v.is_finite() && v >= 1.0 && v < u64::MAX as f64) {
        return Err(format!("`{s}` is not a usable size"));
    }
    Ok(v as u64)
}

/// Refuse `items` of `bytes_each` over the budget. `option` and `value`
/// name what asked for them, `what` the items (plural), `raise` the
/// option's direction of relief ("give a larger --step").
pub fn check(option: &str, value: &str, items: f64, bytes_each: u64, what: &str, relief: &str) -> Result<()> {
    let budget = max_memory();
    let need = items * bytes_each as f64;
    if need.is_finite() && need <= budget as f64 {
        return Ok(());
    }
    let count = if items.is_finite() && items < 1e15 {
        crate::units::thousands(items.round(), 0)
    } else {
        format!("{items:.1e}")
    };
    Err(Error::TooLarge {
        option: option.into(),
        message: format!(
            "{value} would need {count} {what} (≈ {}), over the limit of {} (≈ {} {what})",
            human(need),
            bytes(budget),
            crate::units::thousands((budget / bytes_each) as f64, 0)
        ),
        hint: format!(
            "{relief}, or raise the limit with --max-memory SIZE (e.g. --max-memory 8G) if the machine has the memory"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_a_bound_and_infinity_exceeds_it() {
        assert!(check("--step", "100 m", 1e6, STATION_BYTES, "stations", "r").is_ok());
        let e = check("--step", "1e-300 m", 1e305, STATION_BYTES, "stations", "give a larger --step").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("--step 1e-300 m") && msg.contains("1.0e305 stations") && msg.contains("2 GiB"), "{msg}");
        assert!(check("--cell", "0 m", f64::INFINITY, CELL_BYTES, "cells", "r").is_err());
        assert!(check("--cell", "x", f64::NAN, CELL_BYTES, "cells", "r").is_err());
    }
}
