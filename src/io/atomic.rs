//! The one guarded path for every file delimit writes: the target is
//! resolved and checked against every input of the run (by device and
//! inode, sidecars included), special files are refused, the file is
//! written in a private temporary folder beside the target, synced, and
//! moved into place without replacing anything that appeared meanwhile
//! (unless `--force`). Temporary files are removed after a failure and,
//! through [`clean_up_pending`], on SIGINT and SIGTERM.

use std::collections::BTreeSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// A file's identity: the same file under any path, link or case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct FileId {
    dev: u64,
    ino: u64,
}

fn id_of(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().map(|m| FileId { dev: m.dev(), ino: m.ino() })
}

/// Every input the run has named or opened. The options stage declares
/// its paths ([`declare_inputs`]) and every reader in `io` records what it
/// opens, so an input found late (a file a constraints file names) is
/// protected too.
static INPUTS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Temporary folders (and output folders created by a run) to remove if
/// the process is interrupted.
static PENDING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere must not stop the clean-up.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Declare paths as inputs of this run: no output may replace them or
/// their sidecars. `-` (stdin) and databases are skipped.
pub fn declare_inputs(paths: &[&Path]) {
    let mut set = lock(&INPUTS);
    for p in paths {
        if p.as_os_str() != "-" && !super::is_database(p) {
            set.insert(p.to_path_buf());
        }
    }
}

/// Database tables read as inputs of this run, by their server identity
/// (`ogr::table_identity`).
static INPUT_TABLES: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// Record a database table a reader read.
pub(crate) fn record_input_table(identity: String) {
    lock(&INPUT_TABLES).insert(identity);
}

/// Whether a database table was read as an input of this run.
pub(crate) fn is_input_table(identity: &str) -> bool {
    lock(&INPUT_TABLES).contains(identity)
}

/// Record a file a reader opened.
pub(crate) fn record_input(path: &Path) {
    declare_inputs(&[path]);
}

/// Remove every temporary folder of writes in progress, and every output
/// folder created by this run that is still empty. Called from a signal
/// handler thread before the process exits; safe to call at any time.
pub fn clean_up_pending() {
    let pending: Vec<PathBuf> = lock(&PENDING).iter().cloned().collect();
    for p in pending.iter().rev() {
        if p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(TMP_PREFIX)) {
            let _ = std::fs::remove_dir_all(p);
        } else {
            // A created output folder: only if nothing landed in it.
            let _ = std::fs::remove_dir(p);
        }
    }
}

const TMP_PREFIX: &str = ".delimit-tmp-";

/// The shapefile family: one `-o x.shp` writes (or reads) all of these.
const SHAPEFILE: [&str; 9] = ["shp", "shx", "dbf", "prj", "cpg", "qix", "sbn", "sbx", "shp.xml"];

/// The files that travel with `path`: itself, a GeoPackage's or SQLite
/// database's journal files, GDAL's `.aux.xml`, and for any member of the
/// shapefile family, the whole family (in the case the path uses).
fn companions(path: &Path) -> Vec<PathBuf> {
    let mut out = vec![path.to_path_buf()];
    let s = path.as_os_str().to_string_lossy();
    for suffix in ["-wal", "-shm", "-journal", ".aux.xml"] {
        out.push(PathBuf::from(format!("{s}{suffix}")));
    }
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
    if SHAPEFILE.contains(&ext.to_ascii_lowercase().as_str()) {
        let upper = ext.chars().all(|c| !c.is_ascii_lowercase());
        for e in SHAPEFILE {
            let e = if upper { e.to_ascii_uppercase() } else { e.to_string() };
            out.push(path.with_extension(e));
        }
    }
    out
}

/// The identities of every input and its companions, with the path that
/// named each (for the message).
fn input_ids(extra: &[&Path]) -> Vec<(FileId, PathBuf)> {
    let mut paths: BTreeSet<PathBuf> = lock(&INPUTS).clone();
    paths.extend(extra.iter().filter(|p| p.as_os_str() != "-").map(|p| p.to_path_buf()));
    let mut ids = Vec::new();
    for p in paths {
        // A layer named inside a file (`data.gpkg|layername=legal`) is
        // protected through its file, and a path inside an archive through
        // its archive.
        let p = super::split_layer_name(&p).map_or(p, |(file, _)| file);
        let on_disk = super::vsi::host_file(&p).unwrap_or_else(|| p.clone());
        for c in companions(&on_disk) {
            if let Some(id) = id_of(&c) {
                ids.push((id, on_disk.clone()));
            }
        }
    }
    ids
}

/// What a path is, when it is not a regular file.
fn special_kind(ft: std::fs::FileType) -> Option<&'static str> {
    if ft.is_dir() {
        Some("a folder")
    } else if ft.is_char_device() {
        Some("a character device")
    } else if ft.is_block_device() {
        Some("a block device")
    } else if ft.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if ft.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

/// Refuse a target that is not a regular file (following links), or a
/// link to nowhere.
fn refuse_special(target: &Path) -> Result<()> {
    match std::fs::metadata(target) {
        Ok(m) => match special_kind(m.file_type()) {
            Some(what) => Err(Error::OutputNotFile { path: target.to_path_buf(), what: what.into() }),
            None => Ok(()),
        },
        Err(_) if std::fs::symlink_metadata(target).is_ok() => {
            Err(Error::OutputNotFile { path: target.to_path_buf(), what: "a link to a missing file".into() })
        }
        Err(_) => Ok(()),
    }
}

/// A checked output path. Build it with [`Output::prepare`], then call
/// [`Output::commit`] with a closure that writes the file at the path it is given.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let target = dir.path().join("out.txt");
/// let out = delimit::io::Output::prepare(&target, false, &[]).unwrap();
/// out.commit(|tmp| std::fs::write(tmp, b"hello").map_err(|e| delimit::Error::Write {
///     path: tmp.to_path_buf(), source: e })).unwrap();
/// assert_eq!(std::fs::read(&target).unwrap(), b"hello");
/// // A second write is refused without --force.
/// assert!(delimit::io::Output::prepare(&target, false, &[]).is_err());
/// ```
#[derive(Debug)]
pub struct Output {
    /// The path as the user gave it (for messages).
    target: PathBuf,
    /// The real folder: canonical, links followed.
    folder: PathBuf,
    /// The real file name within it.
    name: std::ffi::OsString,
    force: bool,
    inputs: Vec<PathBuf>,
}

impl Output {
    /// Check that `target` may be written: its folder exists; it is a
    /// regular file or nothing; neither it nor a file it would bring along
    /// (shapefile sidecars) is an input of the run (`inputs`, plus every
    /// path declared or read, compared by device and inode; never, even
    /// with `force`); and none of them exists unless `force` is given.
    pub fn prepare(target: &Path, force: bool, inputs: &[&Path]) -> Result<Output> {
        // A database has no file to stage and rename: only single-layer
        // outputs go there, through `write_layer`'s one transaction.
        if super::is_database(target) {
            return Err(Error::Usage {
                option: "-o".into(),
                message: format!("`{}` is a database; this output is a file", target.display()),
                hint: Some("PG: outputs are for the -o of gaps, check, lines, progress and corridor measure; write a file here".into()),
            });
        }
        if super::is_vsi(target) {
            return Err(Error::Usage {
                option: "-o".into(),
                message: format!("`{}` is a GDAL virtual path; outputs are plain files", target.display()),
                hint: Some("write the file, then archive it if you need to".into()),
            });
        }
        if target.file_name().is_none() || target.as_os_str().to_string_lossy().ends_with('/') {
            return Err(Error::Usage {
                option: "-o".into(),
                message: format!("`{}` names no file", target.display()),
                hint: None,
            });
        }
        declare_inputs(inputs);
        refuse_special(target)?;
        // The real target: a link is followed to the file it names, so the
        // check below and the rename both act on that file.
        let real = match target.canonicalize() {
            Ok(r) => r,
            Err(_) => {
                let parent = match target.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                let parent =
                    parent.canonicalize().ok().filter(|p| p.is_dir()).ok_or(Error::OutputFolder { path: parent })?;
                parent.join(target.file_name().expect("checked above"))
            }
        };
        let folder = real.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
        let name = real.file_name().map(|n| n.to_os_string()).ok_or_else(|| Error::Usage {
            option: "-o".into(),
            message: format!("`{}` names no file", target.display()),
            hint: None,
        })?;
        let out = Output {
            target: target.to_path_buf(),
            folder,
            name,
            force,
            inputs: inputs.iter().map(|p| p.to_path_buf()).collect(),
        };
        let brought = out.brought_along();
        out.refuse_inputs(&brought)?;
        if !force && let Some(existing) = brought.iter().find(|p| std::fs::symlink_metadata(p).is_ok()) {
            return Err(Error::OutputExists { path: out.user_path(existing) });
        }
        Ok(out)
    }

    /// The final path, as given.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// The real paths a write to this target lands on: the target, and
    /// for a shapefile, its sidecars.
    fn brought_along(&self) -> Vec<PathBuf> {
        let real = self.folder.join(&self.name);
        let ext = real.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if ext == "shp" {
            companions(&real)
                .into_iter()
                .filter(|p| SHAPEFILE[..5].iter().any(|e| p.extension().is_some_and(|x| x.eq_ignore_ascii_case(e))))
                .collect()
        } else {
            vec![real]
        }
    }

    /// A real path shown as the user would recognise it: beside the target
    /// they named.
    fn user_path(&self, real: &Path) -> PathBuf {
        if real.file_name() == Some(self.name.as_os_str()) {
            return self.target.clone();
        }
        match (self.target.parent(), real.file_name()) {
            (Some(p), Some(n)) => p.join(n),
            _ => real.to_path_buf(),
        }
    }

    fn refuse_inputs(&self, landing: &[PathBuf]) -> Result<()> {
        let extra: Vec<&Path> = self.inputs.iter().map(PathBuf::as_path).collect();
        let ids = input_ids(&extra);
        for p in landing {
            if let Some(id) = id_of(p)
                && let Some((_, input)) = ids.iter().find(|(i, _)| *i == id)
            {
                return Err(Error::OutputIsInput { path: self.user_path(p), input: input.clone() });
            }
        }
        Ok(())
    }

    /// Run `write` on a temporary path with the target's file name, inside a
    /// private folder beside the target, then sync and move every file it
    /// produced (multi-file formats such as Shapefile make several) into
    /// place. Without `force` nothing that exists by then is replaced, even
    /// a file created during the run. On error nothing is left behind.
    pub fn commit<F>(self, write: F) -> Result<()>
    where
        F: FnOnce(&Path) -> Result<()>,
    {
        let write_err = |source| Error::Write { path: self.target.clone(), source };
        // Created and registered under one lock: the signal thread takes the
        // same lock before it cleans up, so a signal between the two cannot
        // leave the folder behind.
        let (tmp, _pending) = {
            let mut pending = lock(&PENDING);
            let tmp = tempfile::Builder::new().prefix(TMP_PREFIX).tempdir_in(&self.folder).map_err(write_err)?;
            pending.insert(tmp.path().to_path_buf());
            let guard = Pending(tmp.path().to_path_buf());
            (tmp, guard)
        };
        let tmp_target = tmp.path().join(&self.name);
        let wrote = write(&tmp_target);
        // A full file system fails the write whatever the writer said: GDAL
        // drivers have reported success over a file cut short (FlatGeobuf,
        // KML, GML), and others an error code with no cause.
        if file_system_full(tmp.path()) {
            let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
            return Err(Error::Write { path: self.user_path(&self.folder.join(&self.name)), source: full });
        }
        wrote.map_err(|e| match e {
            // The temporary name means nothing to the user: name the target.
            Error::Write { source, .. } => Error::Write { path: self.user_path(&self.folder.join(&self.name)), source },
            e => e,
        })?;
        // Sorted so that a failure part-way is reproducible.
        let mut produced: Vec<PathBuf> =
            std::fs::read_dir(tmp.path()).map_err(write_err)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        produced.sort();
        let landing: Vec<PathBuf> =
            produced.iter().map(|p| self.folder.join(p.file_name().expect("read_dir entries have names"))).collect();
        // Inputs read during the run (a file named inside another) count too.
        self.refuse_inputs(&landing)?;
        for (p, dest) in produced.iter().zip(&landing) {
            refuse_special(dest)?;
            std::fs::File::open(p).and_then(|f| f.sync_all()).map_err(write_err)?;
        }
        let mut placed = Vec::new();
        for (p, dest) in produced.iter().zip(&landing) {
            let moved = if self.force { std::fs::rename(p, dest) } else { rename_noreplace(p, dest) };
            if let Err(e) = moved {
                // Complete or absent: take back what this write placed.
                for d in &placed {
                    let _ = std::fs::remove_file(d);
                }
                return Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::OutputExists { path: self.user_path(dest) }
                } else {
                    write_err(e)
                });
            }
            placed.push(dest.clone());
        }
        // The renames themselves are durable once the folder is synced.
        if let Ok(d) = std::fs::File::open(&self.folder) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// Whether the file system holding `dir` has no block left for this
/// process (root may use the reserved blocks).
fn file_system_full(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return false };
    // SAFETY: an all-zero statvfs is valid; the path outlives the call.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    // SAFETY: geteuid has no preconditions.
    let free = if unsafe { libc::geteuid() } == 0 { st.f_bfree } else { st.f_bavail };
    st.f_blocks > 0 && free == 0
}

/// Rename without replacing: `renameat2(RENAME_NOREPLACE)`, or where the
/// file system lacks it, a hard link (which fails on an existing name)
/// and an unlink.
fn rename_noreplace(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (f, t) = (c(from)?, c(to)?);
    // SAFETY: both are NUL-terminated paths that outlive the call.
    let rc = unsafe { libc::renameat2(libc::AT_FDCWD, f.as_ptr(), libc::AT_FDCWD, t.as_ptr(), libc::RENAME_NOREPLACE) };
    if rc == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => {
            std::fs::hard_link(from, to)?;
            std::fs::remove_file(from)
        }
        _ => Err(err),
    }
}

/// A path in [`PENDING`] while it lives.
struct Pending(PathBuf);

impl Drop for Pending {
    fn drop(&mut self) {
        lock(&PENDING).remove(&self.0);
    }
}

/// An output folder this run creates: removed again (if still empty)
/// unless [`CreatedFolder::keep`] is called, and on SIGINT or SIGTERM.
#[derive(Debug)]
pub struct CreatedFolder(Option<PathBuf>);

impl CreatedFolder {
    /// Create `dir` (and missing parents) if it does not exist. An existing
    /// folder is left alone, before and after.
    pub fn ensure(dir: &Path) -> Result<CreatedFolder> {
        if dir.is_dir() {
            return Ok(CreatedFolder(None));
        }
        if std::fs::symlink_metadata(dir).is_ok() {
            return Err(Error::OutputNotFile { path: dir.to_path_buf(), what: "not a folder".into() });
        }
        // Under the lock the signal thread takes (as for temporary folders).
        let mut pending = lock(&PENDING);
        std::fs::create_dir_all(dir).map_err(|source| Error::Write { path: dir.to_path_buf(), source })?;
        let real = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        pending.insert(real.clone());
        drop(pending);
        Ok(CreatedFolder(Some(real)))
    }

    /// The write succeeded: the folder stays.
    pub fn keep(mut self) {
        if let Some(p) = self.0.take() {
            lock(&PENDING).remove(&p);
        }
    }
}

impl Drop for CreatedFolder {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            lock(&PENDING).remove(&p);
            let _ = std::fs::remove_dir(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(out: Output, bytes: &'static [u8]) -> Result<()> {
        out.commit(|tmp| std::fs::write(tmp, bytes).map_err(|source| Error::Write { path: tmp.into(), source }))
    }

    #[test]
    fn an_input_is_found_through_a_link_and_a_sidecar() {
        let d = tempfile::tempdir().unwrap();
        let dbf = d.path().join("in.dbf");
        std::fs::write(&dbf, b"dbf").unwrap();
        std::fs::write(d.path().join("in.shp"), b"shp").unwrap();
        std::os::unix::fs::symlink(&dbf, d.path().join("link.geojson")).unwrap();
        let shp = d.path().join("in.shp");
        // The link resolves to the input's sidecar.
        let e = Output::prepare(&d.path().join("link.geojson"), true, &[&shp]).unwrap_err();
        assert!(matches!(e, Error::OutputIsInput { .. }), "{e}");
        // A shapefile output whose .dbf is an input's.
        let e = Output::prepare(&d.path().join("in.shp"), true, &[&dbf]).unwrap_err();
        assert!(matches!(e, Error::OutputIsInput { .. }), "{e}");
        assert_eq!(std::fs::read(&dbf).unwrap(), b"dbf");
    }

    #[test]
    fn an_existing_sidecar_needs_force() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("out.dbf"), b"old").unwrap();
        let e = Output::prepare(&d.path().join("out.shp"), false, &[]).unwrap_err();
        assert!(matches!(e, Error::OutputExists { .. }), "{e}");
    }

    #[test]
    fn a_file_that_appears_during_the_run_is_not_replaced() {
        let d = tempfile::tempdir().unwrap();
        let t = d.path().join("r.html");
        let out = Output::prepare(&t, false, &[]).unwrap();
        std::fs::write(&t, b"theirs").unwrap();
        let e = write(out, b"ours").unwrap_err();
        assert!(matches!(e, Error::OutputExists { .. }), "{e}");
        assert_eq!(std::fs::read(&t).unwrap(), b"theirs");
        // No temporary folder is left.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn special_files_are_refused_even_with_force() {
        let e = Output::prepare(Path::new("/dev/null"), true, &[]).unwrap_err();
        assert!(matches!(e, Error::OutputNotFile { .. }), "{e}");
        let d = tempfile::tempdir().unwrap();
        let e = Output::prepare(d.path(), true, &[]).unwrap_err();
        assert!(matches!(e, Error::OutputNotFile { .. } | Error::Usage { .. }), "{e}");
    }

    #[test]
    fn a_link_is_followed_and_the_file_it_names_replaced() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.txt");
        std::fs::write(&real, b"old").unwrap();
        let link = d.path().join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write(Output::prepare(&link, true, &[]).unwrap(), b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
    }

    #[test]
    fn a_created_folder_goes_unless_kept() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a/b");
        drop(CreatedFolder::ensure(&f).unwrap());
        assert!(!f.exists());
        CreatedFolder::ensure(&f).unwrap().keep();
        assert!(f.is_dir());
    }
}
