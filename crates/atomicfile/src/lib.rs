//! Whole files or none: the one way this workspace writes a file.
//!
//! A reader of our outputs (a figure, a checkpoint, a cache entry, a download) must never see
//! half a file, whatever happens to the writer: an error, a full disk, Ctrl-C, `kill -9`. So
//! every file is written into a temporary file in the target's own directory, flushed to disk,
//! and renamed onto the target, which replaces it in one step.
//!
//! - [`write()`]: a whole byte buffer to a path.
//! - [`AtomicFile`]: the same for data that streams in (a decompression, a download); nothing
//!   appears at the target until [`AtomicFile::commit`], and dropping it removes the temporary.
//! - [`AtomicDir`]: a directory filled under a temporary name and renamed into place whole (an
//!   extracted archive).
//! - [`abandon_all`]: for an interrupt handler, removes every temporary this process has in
//!   flight, so that exiting right after leaves only whole files. Temporaries of a process that
//!   was killed outright are removed by the next process that writes into the same directory
//!   (see [`is_temporary`]).
//!
//! Temporaries are named `.{target}.{pid}.{random}.tmp`: hidden, recognisable, and carrying the
//! writer's process id so that a later process can tell an abandoned one from one in flight.
//! Files get the permissions `File::create` would give them (`0o666` less the umask), not the
//! private `0o600` of a bare temporary file.
//!
//! The crate knows nothing of what is written: no formats, no paths of ours. It does not create
//! missing directories (the caller decides where output may go) and does not sync the directory
//! after the rename: after a power cut the target holds the old or the new content, both whole.
//!
//! # Example
//! ```
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("summary.json");
//! atomicfile::write(&path, b"{\"accuracy\": 0.91}\n")?;
//! assert_eq!(std::fs::read(&path)?, b"{\"accuracy\": 0.91}\n");
//!
//! // Streaming: the target appears only when the writer commits.
//! use std::io::Write;
//! let mut out = atomicfile::AtomicFile::create(dir.path().join("big.bin"))?;
//! out.write_all(&[1, 2, 3])?;
//! assert!(!dir.path().join("big.bin").exists());
//! out.commit()?;
//! assert_eq!(std::fs::read(dir.path().join("big.bin"))?, [1, 2, 3]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use tempfile::{NamedTempFile, TempDir};

/// A file (or directory) could not be written to `path`.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {kind}", path.display())]
#[non_exhaustive]
pub struct Error {
    /// The target we were asked to write.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// What went wrong while writing (see [`Error`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No temporary could be created in the target's directory (it is missing or not
    /// writable).
    #[error("cannot create a temporary file in its directory: {0}")]
    CreateTemp(io::Error),
    /// Writing or syncing the temporary failed (for example, the disk is full).
    #[error("writing the temporary file failed: {0}")]
    Write(io::Error),
    /// The finished temporary could not be renamed onto the target.
    #[error("cannot move the finished file into place: {0}")]
    Persist(io::Error),
    /// [`abandon_all`] was called: the process is shutting down and writes nothing more.
    #[error("the process is shutting down")]
    ShuttingDown,
}

impl Error {
    fn new(path: &Path, kind: ErrorKind) -> Self {
        Error {
            path: path.to_path_buf(),
            kind,
        }
    }
}

/// For callers whose error types carry an [`io::Error`]: keeps the OS error's kind and this
/// error's message.
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match &e.kind {
            ErrorKind::CreateTemp(io) | ErrorKind::Write(io) | ErrorKind::Persist(io) => io.kind(),
            ErrorKind::ShuttingDown => io::ErrorKind::Interrupted,
        };
        io::Error::new(kind, e)
    }
}

/// Length of the random part of a temporary's name.
const RAND_LEN: usize = 6;
/// At most this many characters of the target's name go into a temporary's name, so the name
/// stays well below file-system limits.
const MAX_STEM: usize = 64;

/// What this process has in flight, and where it has already swept.
struct Registry {
    /// Temporaries (files and directories) created and not yet renamed or removed.
    live: BTreeSet<PathBuf>,
    /// Directories already cleared of abandoned temporaries by this process.
    swept: BTreeSet<PathBuf>,
    /// Set by [`abandon_all`]: nothing more is created or renamed.
    closing: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    live: BTreeSet::new(),
    swept: BTreeSet::new(),
    closing: false,
});

fn registry() -> MutexGuard<'static, Registry> {
    // A panic elsewhere while holding the lock leaves the sets consistent (each operation is
    // one insert or remove), so a poisoned lock is still usable.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// The directory a target lives in (`.` for a bare file name).
fn parent_dir(target: &Path) -> &Path {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The start of a temporary's name for `target`: `.{target}.{pid}.`.
fn temp_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .chars()
                .take(MAX_STEM)
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "out".to_string());
    format!(".{name}.{}.", std::process::id())
}

/// A builder for temporaries named `{prefix}{random}.tmp`, created with the permissions a plain
/// create would give.
fn builder(prefix: &str, is_dir: bool) -> tempfile::Builder<'_, 'static> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix).suffix(".tmp").rand_bytes(RAND_LEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if is_dir { 0o777 } else { 0o666 };
        b.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = is_dir;
    b
}

/// Removes abandoned temporaries from `dir` the first time this process writes there.
fn sweep_once(dir: &Path) {
    let key = dir.to_path_buf();
    if !registry().swept.insert(key) {
        return;
    }
    let _ = remove_abandoned(dir);
}

/// Creates the temporary (file or directory) for `target` beside it and registers it, so an
/// interrupt can remove it; refused after [`abandon_all`].
fn create_registered<T>(
    target: &Path,
    is_dir: bool,
    make: impl FnOnce(&tempfile::Builder<'_, 'static>, &Path) -> std::io::Result<T>,
    path_of: impl FnOnce(&T) -> &Path,
) -> Result<T, Error> {
    let dir = parent_dir(target);
    sweep_once(dir);
    let mut reg = registry();
    if reg.closing {
        return Err(Error::new(target, ErrorKind::ShuttingDown));
    }
    // Created under the lock, so an interrupt never misses a temporary that exists.
    let tmp = make(&builder(&temp_prefix(target), is_dir), dir)
        .map_err(|e| Error::new(target, ErrorKind::CreateTemp(e)))?;
    reg.live.insert(path_of(&tmp).to_path_buf());
    Ok(tmp)
}

/// The writer's process id, when `name` is the name of one of our temporaries.
fn writer_pid(name: &OsStr) -> Option<u32> {
    let rest = name.to_str()?.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (rest, rand) = rest.rsplit_once('.')?;
    let (stem, pid) = rest.rsplit_once('.')?;
    let well_formed = !stem.is_empty()
        && rand.len() == RAND_LEN
        && rand.bytes().all(|b| b.is_ascii_alphanumeric())
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit());
    if well_formed { pid.parse().ok() } else { None }
}

/// Whether `name` is the name of a temporary this crate writes (`.{target}.{pid}.{random}.tmp`):
/// a file that is not, or not yet, one of our outputs.
pub fn is_temporary(name: &OsStr) -> bool {
    writer_pid(name).is_some()
}

/// Whether process `pid` is running; `None` when this system cannot tell (no `/proc`).
fn process_alive(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new("/proc").join(pid.to_string()).exists())
}

/// Removes from `dir` every temporary (see [`is_temporary`]) whose writer process no longer
/// runs: what a killed process left behind. Temporaries of running processes, this one's
/// included, are left alone, and nothing is removed on systems without `/proc`, where a
/// writer's liveness cannot be checked. Returns how many were removed.
///
/// Writes call this once per directory and process, so callers rarely need to. Liveness is
/// judged on this machine: do not share an output directory between machines that write to it
/// at the same time.
///
/// # Errors
/// When `dir` cannot be listed; failures to remove single entries are skipped.
pub fn remove_abandoned(dir: &Path) -> io::Result<usize> {
    let own = std::process::id();
    let mut removed = 0;
    for entry in fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let Some(pid) = writer_pid(&name) else {
            continue;
        };
        if pid == own || process_alive(pid) != Some(false) {
            continue;
        }
        let path = entry.path();
        let gone = if entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes every temporary file and directory this process has in flight and makes every
/// later create or commit fail with [`ErrorKind::ShuttingDown`]; returns how many were removed.
///
/// Call it from the thread that handles an interrupt (not from an async signal handler: it
/// takes a lock), then exit: the targets then hold whole files only, old or new. A commit in
/// progress finishes first, so its target is whole too.
pub fn abandon_all() -> usize {
    let mut reg = registry();
    reg.closing = true;
    let live = std::mem::take(&mut reg.live);
    let mut removed = 0;
    for path in live {
        let gone = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Writes `bytes` to `path` whole: into a temporary in the same directory, synced, then renamed
/// onto `path`.
///
/// # Errors
/// An [`Error`] naming `path` when the directory is missing or not writable, the write fails,
/// or the rename fails; `path` is then untouched and no temporary is left.
pub fn write(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), Error> {
    let path = path.as_ref();
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(|e| Error::new(path, ErrorKind::Write(e)))?;
    file.commit()?;
    Ok(())
}

/// A file being written: a temporary beside its target, renamed onto the target by
/// [`commit`](AtomicFile::commit). Dropped without a commit, it removes the temporary and leaves
/// the target as it was.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: Option<NamedTempFile>,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `target`.
    ///
    /// # Errors
    /// [`ErrorKind::CreateTemp`] when no file can be created in the target's directory.
    pub fn create(target: impl AsRef<Path>) -> Result<AtomicFile, Error> {
        let target = target.as_ref();
        let tmp = create_registered(target, false, |b, dir| b.tempfile_in(dir), |t| t.path())?;
        Ok(AtomicFile {
            tmp: Some(tmp),
            target: target.to_path_buf(),
        })
    }

    /// The path this file will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    fn tmp(&mut self) -> &mut NamedTempFile {
        self.tmp.as_mut().expect("present until commit or drop")
    }

    /// Syncs the content to disk and renames the temporary onto the target, replacing what was
    /// there. Returns the file, open for reading and writing, so the caller can read back what
    /// it wrote without racing anyone who replaces the target later.
    ///
    /// # Errors
    /// [`ErrorKind::Write`] when syncing fails, [`ErrorKind::Persist`] when the rename fails,
    /// [`ErrorKind::ShuttingDown`] after [`abandon_all`]; the temporary is removed and the
    /// target is left as it was.
    pub fn commit(mut self) -> Result<File, Error> {
        let tmp = self.tmp.take().expect("present until commit or drop");
        let temp_path = tmp.path().to_path_buf();
        let target = self.target.clone();
        let result = (|| {
            tmp.as_file()
                .sync_all()
                .map_err(|e| Error::new(&target, ErrorKind::Write(e)))?;
            let mut reg = registry();
            if reg.closing {
                return Err(Error::new(&target, ErrorKind::ShuttingDown));
            }
            let persisted = tmp.persist(&target);
            reg.live.remove(&temp_path);
            persisted.map_err(|e| Error::new(&target, ErrorKind::Persist(e.error)))
        })();
        if result.is_err() {
            // The temporary is gone (dropped with the failed persist); forget it.
            registry().live.remove(&temp_path);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.tmp().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let path = tmp.path().to_path_buf();
            drop(tmp);
            registry().live.remove(&path);
        }
    }
}

/// A directory being filled: a temporary directory beside its target, renamed onto the target
/// by [`commit`](AtomicDir::commit), so readers see all of it or none. Files inside it need no
/// renaming of their own. Dropped without a commit, it is removed with its content.
#[derive(Debug)]
pub struct AtomicDir {
    tmp: Option<TempDir>,
    target: PathBuf,
}

impl AtomicDir {
    /// Starts filling `target`.
    ///
    /// # Errors
    /// [`ErrorKind::CreateTemp`] when no directory can be created beside the target.
    pub fn create(target: impl AsRef<Path>) -> Result<AtomicDir, Error> {
        let target = target.as_ref();
        let tmp = create_registered(target, true, |b, dir| b.tempdir_in(dir), |t| t.path())?;
        Ok(AtomicDir {
            tmp: Some(tmp),
            target: target.to_path_buf(),
        })
    }

    /// The temporary directory to fill.
    pub fn path(&self) -> &Path {
        self.tmp
            .as_ref()
            .expect("present until commit or drop")
            .path()
    }

    /// The path the directory will have once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the filled directory onto the target. The target must not exist or be an empty
    /// directory (a rename does not merge directories).
    ///
    /// # Errors
    /// [`ErrorKind::Persist`] when the rename fails (for example, the target is a non-empty
    /// directory), [`ErrorKind::ShuttingDown`] after [`abandon_all`]; the temporary directory is
    /// removed and the target left as it was.
    pub fn commit(mut self) -> Result<(), Error> {
        let tmp = self.tmp.take().expect("present until commit or drop");
        let temp_path = tmp.path().to_path_buf();
        let mut reg = registry();
        let result = if reg.closing {
            Err(Error::new(&self.target, ErrorKind::ShuttingDown))
        } else {
            fs::rename(&temp_path, &self.target)
                .map_err(|e| Error::new(&self.target, ErrorKind::Persist(e)))
        };
        reg.live.remove(&temp_path);
        drop(reg);
        match result {
            Ok(()) => {
                // Renamed: nothing left at the temporary path to clean up.
                let _ = tmp.keep();
                Ok(())
            }
            Err(e) => {
                drop(tmp);
                Err(e)
            }
        }
    }
}

impl Drop for AtomicDir {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let path = tmp.path().to_path_buf();
            drop(tmp);
            registry().live.remove(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_replaces_leaving_only_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write(&path, b"first").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn nothing_appears_before_commit_and_a_drop_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(&[7; 1000]).unwrap();
        assert!(!path.exists());
        let temps = names(dir.path());
        assert_eq!(temps.len(), 1);
        assert!(is_temporary(OsStr::new(&temps[0])), "{temps:?}");
        assert!(temps[0].starts_with(".big.bin."), "{temps:?}");
        drop(f);
        assert!(names(dir.path()).is_empty());
        assert!(!registry().live.iter().any(|p| p.starts_with(dir.path())));
    }

    #[test]
    fn commit_returns_the_written_file() {
        use std::io::{Read, Seek, SeekFrom};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        let mut f = AtomicFile::create(&path).unwrap();
        assert_eq!(f.target(), path);
        f.write_all(b"abc").unwrap();
        let mut file = f.commit().unwrap();
        file.seek(SeekFrom::Start(0)).unwrap();
        let mut back = String::new();
        file.read_to_string(&mut back).unwrap();
        assert_eq!(back, "abc");
        assert_eq!(names(dir.path()), ["c"]);
    }

    #[test]
    fn a_missing_directory_names_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/fig.png");
        let err = write(&path, b"x").unwrap_err();
        assert_eq!(err.path, path);
        assert!(matches!(err.kind, ErrorKind::CreateTemp(_)), "{err}");
        assert!(err.to_string().contains("fig.png"), "{err}");
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_failed_rename_leaves_the_target_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory where the file should go: the rename cannot replace it.
        let path = dir.path().join("t");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), b"x").unwrap();
        let err = write(&path, b"new").unwrap_err();
        assert!(matches!(err.kind, ErrorKind::Persist(_)), "{err}");
        assert_eq!(names(dir.path()), ["t"]);
        assert_eq!(names(&path), ["inside"]);
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_those_of_a_plain_create() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        File::create(&plain).unwrap();
        write(dir.path().join("ours"), b"x").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("ours")), mode(&plain));
        let d = AtomicDir::create(dir.path().join("d")).unwrap();
        d.commit().unwrap();
        fs::create_dir(dir.path().join("plain-dir")).unwrap();
        assert_eq!(
            mode(&dir.path().join("d")),
            mode(&dir.path().join("plain-dir"))
        );
    }

    #[test]
    fn directories_appear_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("extracted");
        let d = AtomicDir::create(&target).unwrap();
        fs::write(d.path().join("a"), b"1").unwrap();
        fs::write(d.path().join("b"), b"2").unwrap();
        assert!(!target.exists());
        assert_eq!(d.target(), target);
        d.commit().unwrap();
        assert_eq!(names(&target), ["a", "b"]);
        assert_eq!(names(dir.path()), ["extracted"]);

        // Onto a non-empty directory the rename fails, and the temporary goes away.
        let again = AtomicDir::create(&target).unwrap();
        fs::write(again.path().join("c"), b"3").unwrap();
        let err = again.commit().unwrap_err();
        assert!(matches!(err.kind, ErrorKind::Persist(_)), "{err}");
        assert_eq!(names(dir.path()), ["extracted"]);

        // Dropped unfinished: removed with its content.
        let dropped = AtomicDir::create(dir.path().join("other")).unwrap();
        fs::write(dropped.path().join("x"), b"x").unwrap();
        drop(dropped);
        assert_eq!(names(dir.path()), ["extracted"]);
    }

    fn check(name: &str, pid: Option<u32>) {
        assert_eq!(writer_pid(OsStr::new(name)), pid, "{name}");
    }

    #[test]
    fn temporary_names() {
        check(".fig.png.123.aB3xZ9.tmp", Some(123));
        check(".a.b.c.7.000000.tmp", Some(7));
        check("fig.png.123.aB3xZ9.tmp", None);
        check(".fig.png.123.aB3xZ.tmp", None);
        check(".fig.png.123.aB3xZ9.tm", None);
        check(".fig.png.12a.aB3xZ9.tmp", None);
        check(".fig.png..aB3xZ9.tmp", None);
        check("..123.aB3xZ9.tmp", None);
        check(".fig.png.+12.aB3xZ9.tmp", None);
        check("fig.png", None);
        check(".tmpAbC123", None);
    }

    #[test]
    fn abandoned_temporaries_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // Linux caps process ids at 2^22, so 4,000,000,000 names a writer that cannot be alive.
        let dead = ".fig.png.4000000000.aaaaaa.tmp";
        let ours = format!(".fig.png.{}.bbbbbb.tmp", std::process::id());
        for n in [dead, ours.as_str(), "fig.png", ".other"] {
            fs::write(dir.path().join(n), b"").unwrap();
        }
        fs::create_dir(dir.path().join(".d.4000000000.cccccc.tmp")).unwrap();
        fs::write(dir.path().join(".d.4000000000.cccccc.tmp/x"), b"").unwrap();
        let removed = remove_abandoned(dir.path()).unwrap();
        if process_alive(1).is_some() {
            assert_eq!(removed, 2);
            let mut want = vec![".other".to_string(), ours, "fig.png".to_string()];
            want.sort();
            assert_eq!(names(dir.path()), want);
        } else {
            assert_eq!(removed, 0, "without /proc nothing is removed");
        }
    }

    #[test]
    fn a_first_write_into_a_directory_sweeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".x.4000000000.aaaaaa.tmp");
        fs::write(&dead, b"half").unwrap();
        write(dir.path().join("x"), b"whole").unwrap();
        assert_eq!(dead.exists(), process_alive(1).is_none());
    }
}
