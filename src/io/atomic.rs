//! Output that is complete or absent: every write goes to a temporary folder
//! beside the target and is renamed into place only when it succeeded.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

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
    target: PathBuf,
    folder: PathBuf,
}

impl Output {
    /// Check that `target` may be written: its folder exists, it is not one
    /// of `inputs` (never, even with `force`), and it does not exist unless
    /// `force` is given.
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
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(Error::OutputFolder { path: folder });
        }
        if target.file_name().is_none() {
            return Err(Error::Usage {
                option: "-o".into(),
                message: format!("`{}` names no file", target.display()),
                hint: None,
            });
        }
        if let Ok(t) = target.canonicalize()
            && inputs.iter().any(|i| i.canonicalize().is_ok_and(|i| i == t))
        {
            return Err(Error::OutputIsInput { path: target.to_path_buf() });
        }
        if target.exists() && !force {
            return Err(Error::OutputExists { path: target.to_path_buf() });
        }
        Ok(Output { target: target.to_path_buf(), folder })
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.target
    }

    /// Run `write` on a temporary path with the target's file name, inside a
    /// fresh folder beside the target, then move every file it produced
    /// (multi-file formats such as Shapefile make several) into place. On
    /// error nothing is left behind.
    pub fn commit<F>(self, write: F) -> Result<()>
    where
        F: FnOnce(&Path) -> Result<()>,
    {
        let write_err = |source| Error::Write { path: self.target.clone(), source };
        let tmp = tempfile::Builder::new().prefix(".delimit-tmp-").tempdir_in(&self.folder).map_err(write_err)?;
        let name = self.target.file_name().expect("checked in prepare");
        let tmp_target = tmp.path().join(name);
        write(&tmp_target)?;
        // Sorted so that a failure part-way is reproducible.
        let mut produced: Vec<PathBuf> =
            std::fs::read_dir(tmp.path()).map_err(write_err)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        produced.sort();
        for p in produced {
            let dest = self.folder.join(p.file_name().expect("read_dir entries have names"));
            std::fs::rename(&p, &dest).map_err(write_err)?;
        }
        Ok(())
    }
}
