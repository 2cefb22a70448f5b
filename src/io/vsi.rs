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

/// The most nested VRTs followed before refusing the chain.
const VRT_DEPTH: usize = 8;
/// The largest VRT read whole to find its sources.
const VRT_MAX_BYTES: u64 = 64 << 20;

/// The sources a GDAL VRT names (vector `SrcDataSource`, raster
/// `SourceFilename`), resolved as GDAL resolves them; empty when `path` is
/// not a VRT. Nested VRTs are followed. A source that GDAL would fetch
/// over a network is refused here, naming the VRT: a VRT is only an XML
/// file, and GDAL opens whatever it points to (issue 31: six HTTP requests
/// from one VRT, and a provenance hash that stayed the same while the
/// remote data changed).
pub(crate) fn vrt_sources(path: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    collect_vrt(path, 0, &mut out)?;
    Ok(out)
}

fn collect_vrt(path: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    let Some(text) = vrt_text(path) else { return Ok(()) };
    let refuse = |message: String| Error::InvalidInput {
        path: path.to_path_buf(),
        message,
        hint: "point the VRT at local files only (delimit makes no network access)".into(),
    };
    if depth >= VRT_DEPTH {
        return Err(refuse(format!("nests VRTs more than {VRT_DEPTH} deep")));
    }
    for (tag, relative, value) in vrt_elements(&text) {
        if let Some(p) = NETWORK.iter().find(|p| value.to_ascii_lowercase().contains(*p)) {
            return Err(refuse(format!("names a network source in <{tag}> ({p}); delimit reads local files only")));
        }
        let named = PathBuf::from(&value);
        let resolved = match (relative, path.parent()) {
            (true, Some(dir)) if named.is_relative() => dir.join(&named),
            _ => named,
        };
        if out.contains(&resolved) {
            continue;
        }
        out.push(resolved.clone());
        collect_vrt(&resolved, depth + 1, out)?;
    }
    Ok(())
}

/// The text of a local file that is a GDAL VRT (vector or raster).
fn vrt_text(path: &Path) -> Option<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > VRT_MAX_BYTES {
        return None;
    }
    let mut head = [0u8; 512];
    let mut f = std::fs::File::open(path).ok()?;
    let n = f.read(&mut head).ok()?;
    let start = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
    let body = start.trim_start_matches('\u{feff}').trim_start();
    let body = if body.starts_with("<?xml") { body.split_once("?>").map_or("", |(_, b)| b.trim_start()) } else { body };
    if !(body.starts_with("<ogrvrtdatasource") || body.starts_with("<vrtdataset")) {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// XML text unescaped: the five named entities and numeric references
/// (`&#104;ttp://` is `http://` to GDAL's XML parser).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let decoded = after.find(';').filter(|&e| e <= 10).and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// (tag, relative to the VRT, text) of every source element.
fn vrt_elements(text: &str) -> Vec<(&'static str, bool, String)> {
    let mut out = Vec::new();
    for tag in ["SrcDataSource", "SourceFilename"] {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = text;
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            let Some(gt) = after.find('>') else { break };
            let attrs = &after[..gt];
            let body = &after[gt + 1..];
            let Some(end) = body.find(&close) else { break };
            let relative = attrs.replace(' ', "").contains("relativeToVRT=\"1\"");
            out.push((tag, relative, unescape(body[..end].trim())));
            rest = &body[end + close.len()..];
        }
    }
    out
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
    fn a_vrt_naming_a_network_source_is_refused_and_local_sources_are_listed() {
        let dir = std::env::temp_dir().join(format!("delimit-vrt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let remote = dir.join("remote.vrt");
        std::fs::write(
            &remote,
            "<?xml version=\"1.0\"?>\n<OGRVRTDataSource><OGRVRTLayer name=\"l\"><SrcDataSource>&#104;TTP://127.0.0.1:8767/x.geojson</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
        )
        .unwrap();
        let e = vrt_sources(&remote).unwrap_err().to_string();
        assert!(e.contains("network source"), "{e}");
        // Nested: a local VRT that points to the remote one is refused too.
        let outer = dir.join("outer.vrt");
        std::fs::write(
            &outer,
            "<VRTDataset><VRTRasterBand><SimpleSource><SourceFilename relativeToVRT=\"1\">remote.vrt</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>",
        )
        .unwrap();
        assert!(vrt_sources(&outer).is_err());
        let local = dir.join("local.vrt");
        std::fs::write(
            &local,
            "<OGRVRTDataSource><OGRVRTLayer name=\"l\"><SrcDataSource relativeToVRT=\"1\">a&amp;b.geojson</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>",
        )
        .unwrap();
        assert_eq!(vrt_sources(&local).unwrap(), vec![dir.join("a&b.geojson")]);
        std::fs::remove_dir_all(&dir).unwrap();
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
