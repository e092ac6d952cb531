//! Files that hold patients' records (the database and its `-wal`/`-shm`, backups, archived
//! prescriptions, exports and reports) are created readable by their owner only: on Unix 0600
//! files and 0700 folders, set when they are created rather than left to the umask. SQLite
//! gives a database's `-wal` and `-shm` the mode of the database file itself, so creating
//! that file 0600 covers them.
//!
//! Windows has no modes: files created under the user's profile (the default database's
//! folder) inherit its ACL (the user, SYSTEM and Administrators), so nothing is set there.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents, each readable by the owner only. Folders that are
/// already there are left as they are (see [`tighten`]).
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates a new file for writing (refused when one is there), readable by the owner only.
pub fn create_new(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().write(true).create_new(true)).open(path)
}

/// Creates or truncates a file for writing; a file it creates is readable by the owner only.
pub fn create(path: &Path) -> io::Result<File> {
    private(OpenOptions::new().write(true).create(true).truncate(true)).open(path)
}

fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}

/// Takes group and other access away from a file or folder made by an earlier version (or
/// copied in with a wider mode). Best effort: a file owned by someone else, or on read-only
/// media, stays as it is (the records still open; its owner decided).
pub fn tighten(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return;
        };
        let mode = meta.permissions().mode();
        if meta.file_type().is_symlink() || mode & 0o077 == 0 {
            return;
        }
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700));
    }
    #[cfg(not(unix))]
    let _ = path;
}
