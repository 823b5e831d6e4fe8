//! Writing files so that a crash never leaves a half-written one in place of a good one.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` through a temporary file in the same folder, synced and then
/// renamed over `path`: readers see the old file or the new one, never a mix, and on any
/// failure the old file stays as it was. As Keras does, missing folders of `path` are created.
/// A symbolic link is followed: its target is replaced and the link stays a link. A file that
/// is replaced keeps its permission bits. After the rename the folder is synced too, and
/// temporary files that killed processes left beside `path` are removed. Errors name `path`
/// as given, never the temporary file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// Like [`write_atomically`], with `write` filling the temporary file.
pub fn write_atomically_with(
    path: &Path,
    write: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<()> {
    let io_error = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let target = follow_links(path).map_err(io_error)?;
    if let Some(folder) = target.parent().filter(|f| !f.as_os_str().is_empty()) {
        create_folders(folder).map_err(io_error)?;
    }
    let permissions = fs::metadata(&target).ok().map(|m| m.permissions());
    let temporary = temporary_path(&target);
    let result = File::create(&temporary)
        .and_then(|mut file| {
            write(&mut file)?;
            if let Some(permissions) = permissions {
                file.set_permissions(permissions)?;
            }
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temporary, &target));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
        return result.map_err(io_error);
    }
    sync_folder(&target);
    remove_stale_temporaries(&target);
    Ok(())
}

/// Creates `folder` and its missing parents; a file in the way is named in the error.
fn create_folders(folder: &Path) -> std::io::Result<()> {
    fs::create_dir_all(folder).map_err(|error| match folder.ancestors().find(|a| a.is_file()) {
        Some(file) => {
            std::io::Error::other(format!("`{}` is a file, not a folder", file.display()))
        }
        None => error,
    })
}

/// The file `path` names once symbolic links are followed (a link to a missing file names
/// that file, which the save then creates, as Python's `open` does).
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(folder) if link.is_relative() => folder.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other(
        "symbolic links that lead to each other in a loop",
    ))
}

/// What an I/O error means, in words: the operating system's description without its error
/// number, plain words for the common cases.
pub(crate) fn in_words(error: &std::io::Error) -> String {
    use std::io::ErrorKind as Kind;
    let words = match error.kind() {
        Kind::NotFound => "no such file or folder",
        Kind::PermissionDenied => "permission denied",
        Kind::AlreadyExists => "it already exists",
        Kind::IsADirectory => "it is a folder, not a file",
        Kind::NotADirectory => "a part of the path is a file, not a folder",
        Kind::StorageFull => "the disk is full",
        Kind::QuotaExceeded => "the disk quota is exceeded",
        Kind::ReadOnlyFilesystem => "the file system is read-only",
        Kind::FileTooLarge => "the file is too large for the file system",
        Kind::InvalidFilename => "the name is too long or not allowed",
        Kind::DirectoryNotEmpty => "the folder is not empty",
        _ => "",
    };
    if !words.is_empty() && error.raw_os_error().is_some() {
        return words.to_owned();
    }
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Makes the rename durable where the platform allows (best effort: the new file is in
/// place whatever happens here).
fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent() {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        if let Ok(folder) = File::open(folder) {
            let _ = folder.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Removes the `.NAME.PID.tmp` (and `.NAME.PID.ANYTHING.tmp`) files beside `path` of
/// processes that no longer run (a save killed half way leaves one). Only where `/proc`
/// tells which processes run.
fn remove_stale_temporaries(path: &Path) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let pid = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tmp"))
            .and_then(|rest| rest.split('.').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !proc.join(pid.to_string()).exists() {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

/// A name beside `path` for its temporary file: `.NAME.PID.tmp` in the same folder, so the
/// rename stays within one file system.
pub fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = std::env::temp_dir().join(format!("densely-io-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("file.txt");
        write_atomically(&path, b"old").unwrap();
        let failed = write_atomically_with(&path, |file| {
            file.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.unwrap_err().to_string().contains("disk full"));
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert!(!temporary_path(&path).exists());
        write_atomically(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn temporaries_of_dead_processes_are_removed_and_others_kept() {
        let dir = std::env::temp_dir().join(format!("densely-io-stale-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("model.h5");
        // No process has a pid this high (Linux caps them at 2^22); pid 1 always runs.
        let dead = dir.join(".model.h5.4294967295.tmp");
        let alive = dir.join(".model.h5.1.tmp");
        let other = dir.join(".other.h5.4294967295.tmp");
        let dead_scratch = dir.join(".model.h5.4294967295.build7.tmp");
        for stale in [&dead, &alive, &other, &dead_scratch] {
            fs::write(stale, b"half").unwrap();
        }
        write_atomically(&path, b"new").unwrap();
        assert!(!dead.exists() && !dead_scratch.exists());
        assert!(alive.exists() && other.exists());
        assert_eq!(fs::read(&path).unwrap(), b"new");
        fs::remove_dir_all(&dir).unwrap();
    }
}
