//! Paths inside GDAL's virtual file systems (`/vsizip/a.zip/legal.shp`,
//! `/vsigzip/legal.geojson.gz`, …): where they live on disk, and a guard
//! against archives that inflate far beyond their size.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// An archive member larger than this many bytes…
const BOMB_FLOOR: u64 = 256 << 20;
/// …that is also this many times larger than its archive is refused.
/// GeoJSON and shapefiles deflate 3–15×; deflate's own ceiling is ~1,032×.
const BOMB_RATIO: u64 = 100;

/// The archive prefixes whose members are inflated on read.
const ARCHIVES: [&str; 5] = ["/vsizip/", "/vsigzip/", "/vsitar/", "/vsi7z/", "/vsirar/"];

/// Whether GDAL, not the file system, resolves this path.
///
/// ```
/// use delimit::io::is_vsi;
/// assert!(is_vsi("/vsizip/a.zip/legal.geojson".as_ref()));
/// assert!(!is_vsi("data/legal.geojson".as_ref()));
/// ```
pub fn is_vsi(path: &Path) -> bool {
    path.to_str().is_some_and(|s| s.starts_with("/vsi"))
}

/// The file on disk that holds a `/vsi…/` path: the archive of an archive
/// member. `None` for other paths, or when none of its prefixes is a file.
pub(crate) fn host_file(path: &Path) -> Option<PathBuf> {
    let s = path.to_str()?;
    let rest = ARCHIVES.iter().find_map(|p| s.strip_prefix(p))?;
    // GDAL's brace form, /vsizip/{archive path}/member.
    if let Some(braced) = rest.strip_prefix('{') {
        return braced.split_once('}').map(|(a, _)| PathBuf::from(a)).filter(|p| p.is_file());
    }
    // Otherwise the longest leading run of components that is a file. A
    // relative archive path is relative to the working folder, as for GDAL.
    let mut end = rest.len();
    loop {
        let candidate = &rest[..end];
        if !candidate.is_empty() && Path::new(candidate).is_file() {
            return Some(PathBuf::from(candidate));
        }
        end = rest[..end].rfind('/')?;
    }
}

/// Refuse an archive member that would inflate beyond [`BOMB_FLOOR`] and
/// more than [`BOMB_RATIO`] times its archive's size, before GDAL reads it:
/// a zip bomb, or at best a file better unpacked first.
pub(crate) fn refuse_bombs(path: &Path) -> Result<()> {
    let Some(host) = host_file(path) else { return Ok(()) };
    let Some(inflated) = vsi_size(path) else { return Ok(()) };
    let packed = std::fs::metadata(&host).map(|m| m.len()).unwrap_or(0).max(1);
    if inflated > BOMB_FLOOR && inflated / packed > BOMB_RATIO {
        return Err(Error::InvalidInput {
            path: path.to_path_buf(),
            message: format!(
                "inflates to {} MiB from a {} KiB archive ({}:1): refused as a probable zip bomb (the limit is {}:1 above {} MiB)",
                inflated >> 20,
                packed >> 10,
                inflated / packed,
                BOMB_RATIO,
                BOMB_FLOOR >> 20
            ),
            hint: format!("if the data is genuine, unpack {} and read the file directly", host.display()),
        });
    }
    Ok(())
}

/// The size GDAL reports for a `/vsi…/` path (for an archive member, its
/// inflated size, from the archive's directory).
fn vsi_size(path: &Path) -> Option<u64> {
    let c = CString::new(path.to_str()?).ok()?;
    // SAFETY: GDAL's VSIStatBufL is the C library's `struct stat64` (the
    // gdal-sys bindings leave it opaque, so libc's layout is used); an
    // all-zero value is valid and GDAL only writes into it. The path
    // outlives the call.
    let mut buf: libc::stat64 = unsafe { std::mem::zeroed() };
    let rc =
        unsafe { gdal_sys::VSIStatExL(c.as_ptr(), (&mut buf as *mut libc::stat64).cast(), STAT_EXISTS | STAT_SIZE) };
    (rc == 0).then_some(buf.st_size as u64)
}

/// GDAL's network and cloud file systems, and the URL schemes GDAL opens
/// through them.
const NETWORK: [&str; 14] = [
    "/vsicurl",
    "/vsis3",
    "/vsigs",
    "/vsiaz",
    "/vsiadls",
    "/vsioss",
    "/vsiswift",
    "/vsihdfs",
    "/vsiwebhdfs",
    "/vsihttp",
    "http://",
    "https://",
    "ftp://",
    "s3://",
];

/// Refuse a path that GDAL would fetch over a network, anywhere in it
/// (`/vsizip//vsicurl/…` included): delimit makes no network access.
pub(crate) fn refuse_network(path: &Path) -> Result<()> {
    let s = path.to_string_lossy().to_ascii_lowercase();
    if let Some(p) = NETWORK.iter().find(|p| s.contains(*p)) {
        return Err(Error::InvalidInput {
            path: path.to_path_buf(),
            message: format!("is fetched over a network ({p}); delimit reads local files only"),
            hint: "download the file first and give its local path (the run's provenance then hashes what was read)"
                .into(),
        });
    }
    Ok(())
}

// cpl_vsi.h: VSI_STAT_EXISTS_FLAG and VSI_STAT_SIZE_FLAG (not in the bindings).
const STAT_EXISTS: i32 = 0x1;
const STAT_SIZE: i32 = 0x4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_of_a_member_is_the_archive_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("a.zip");
        std::fs::write(&zip, b"not really a zip").unwrap();
        let member = format!("/vsizip/{}/sub/legal.geojson", zip.display());
        assert_eq!(host_file(member.as_ref()), Some(zip.clone()));
        let braced = format!("/vsizip/{{{}}}/legal.geojson", zip.display());
        assert_eq!(host_file(braced.as_ref()), Some(zip));
        assert_eq!(host_file("/vsizip/no/such.zip/x.geojson".as_ref()), None);
        assert_eq!(host_file("/vsicurl/https://example.org/x.geojson".as_ref()), None);
    }

    #[test]
    fn network_paths_are_refused_wherever_they_appear() {
        for p in [
            "/vsicurl/https://e.org/x.tif",
            "/vsizip//vsicurl/http://e.org/a.zip/x.shp",
            "/VSIS3/b/k.gpkg",
            "https://e.org/x.geojson",
            "/vsiaz/c/x.fgb",
        ] {
            assert!(refuse_network(p.as_ref()).is_err(), "{p}");
        }
        for p in ["data/legal.geojson", "/vsizip/a.zip/x.shp", "/vsigzip/x.geojson.gz"] {
            assert!(refuse_network(p.as_ref()).is_ok(), "{p}");
        }
    }
}
