//! Temporary directories for tests, removed when dropped: the tests used to
//! leave one per run in the system temp directory.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// A fresh, empty directory under the system temp directory (so no
/// `apolint.toml` of the project is above it), deleted with its contents
/// when dropped. Derefs to its canonical path, so file URIs built from it
/// compare equal to the ones a server builds.
pub struct TempDir {
    _guard: tempfile::TempDir,
    path: PathBuf,
}

impl TempDir {
    /// A new directory whose name starts with `apolint-{prefix}-`.
    pub fn new(prefix: &str) -> TempDir {
        let guard = tempfile::Builder::new()
            .prefix(&format!("apolint-{prefix}-"))
            .tempdir()
            .expect("create temp dir");
        let path = guard.path().canonicalize().expect("canonical temp dir");
        TempDir {
            _guard: guard,
            path,
        }
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<OsStr> for TempDir {
    fn as_ref(&self) -> &OsStr {
        self.path.as_os_str()
    }
}
