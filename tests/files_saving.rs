//! Saving respects the user's files and speaks their language: missing folders are created,
//! links stay links, permission bits are kept, errors name the path the user gave in words,
//! and a failed save leaves the previous file byte for byte.

mod files_common;

use std::path::Path;

use densely::prelude::*;
use files_common::*;

const FORMATS: [&str; 3] = ["h5", "keras", "densely"];

fn compiled(seed: u64) -> SmallMlp {
    let mut model = SmallMlp::with_seed(seed);
    model.compile(Adam::default(), []);
    model
}

/// An error message a user can act on: it names `path` as given, and holds no error
/// number, temporary file, address or sentinel value.
fn assert_plain(message: &str, path: &Path) {
    assert!(
        message.contains(&path.display().to_string()),
        "{message:?} does not name {}",
        path.display()
    );
    for noise in ["os error", "errno", ".tmp", "0x", "18446744073709551615"] {
        assert!(!message.contains(noise), "{message:?} contains {noise:?}");
    }
}

#[test]
fn missing_folders_are_created_as_keras_creates_them() {
    let dir = scratch("save-folders");
    for format in FORMATS {
        let path = dir.join(format!("runs/{format}/deeper/model.{format}"));
        compiled(1).save(&path).unwrap();
        assert!(SmallMlp::load(&path).is_ok(), "{}", path.display());
    }
    let functional = dir.join("functional/deeper/wide_deep.keras");
    WideAndDeep::new().save(&functional).unwrap();
    assert!(WideAndDeep::load(&functional).is_ok());
    let weights = dir.join("weights/only/model.weights.h5");
    compiled(1).save_weights(&weights).unwrap();
    SmallMlp::new().load_weights(&weights).unwrap();
}

#[test]
fn a_path_through_a_file_is_an_error_in_words() {
    let dir = scratch("save-through-file");
    std::fs::write(dir.join("plain"), b"a file, not a folder").unwrap();
    for format in FORMATS {
        let path = dir.join(format!("plain/model.{format}"));
        let message = compiled(1).save(&path).unwrap_err().to_string();
        assert_plain(&message, &path);
        assert!(message.contains("not a folder"), "{message}");
    }
}

#[test]
fn a_folder_in_the_way_is_an_error_in_words_and_stays() {
    let dir = scratch("save-onto-folder");
    for format in FORMATS {
        let path = dir.join(format!("model.{format}"));
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"kept").unwrap();
        let message = compiled(1).save(&path).unwrap_err().to_string();
        assert_plain(&message, &path);
        assert!(message.contains("folder"), "{message}");
        assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"kept");
    }
}

#[cfg(unix)]
#[test]
fn saving_over_a_link_writes_its_target_and_keeps_the_link() {
    let dir = scratch("save-symlink");
    for format in FORMATS {
        let target = dir.join(format!("real/model.{format}"));
        compiled(1).save(&target).unwrap();
        let link = dir.join(format!("latest.{format}"));
        // A relative link, resolved from the link's folder.
        std::os::unix::fs::symlink(format!("real/model.{format}"), &link).unwrap();
        let newer = compiled(2);
        newer.save(&link).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(weights(&SmallMlp::load(&target).unwrap()), weights(&newer));
        assert_ne!(weights(&newer), weights(&compiled(1)));
    }
    // A link to a file not yet there: the file is created where the link points.
    let dangling = dir.join("next.h5");
    std::os::unix::fs::symlink(dir.join("later/next.h5"), &dangling).unwrap();
    compiled(3).save(&dangling).unwrap();
    assert!(dir.join("later/next.h5").is_file());
    // Links in a loop are an error, not a hang.
    std::os::unix::fs::symlink(dir.join("loop-b.h5"), dir.join("loop-a.h5")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop-a.h5"), dir.join("loop-b.h5")).unwrap();
    let message = compiled(1)
        .save(dir.join("loop-a.h5"))
        .unwrap_err()
        .to_string();
    assert!(message.contains("loop"), "{message}");
}

#[cfg(unix)]
#[test]
fn saving_over_a_file_keeps_its_permission_bits() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("save-permissions");
    for (format, mode) in FORMATS.into_iter().zip([0o600, 0o640, 0o664]) {
        let path = dir.join(format!("model.{format}"));
        compiled(1).save(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        compiled(2).save(&path).unwrap();
        let kept = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(kept, mode, "{format}: {kept:o} instead of {mode:o}");
        assert_eq!(
            weights(&SmallMlp::load(&path).unwrap()),
            weights(&compiled(2))
        );
    }
}

/// Whether this process runs as root (who may write anywhere), from the owner of
/// `/proc/self`.
#[cfg(target_os = "linux")]
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// The read-only case, as the user who runs it: a save into a folder the user may not write
/// fails with "permission denied" naming the path, and the file there stays byte for byte.
#[cfg(target_os = "linux")]
fn read_only_folder_case(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for format in FORMATS {
        let folder = dir.join(format!("locked-{format}"));
        let path = folder.join(format!("model.{format}"));
        compiled(1).save(&path).unwrap();
        let before = std::fs::read(&path).unwrap();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
        let message = compiled(2).save(&path).unwrap_err().to_string();
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_plain(&message, &path);
        assert!(message.contains("permission denied"), "{message}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "{format} changed");
        let left: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
        assert_eq!(
            left.len(),
            1,
            "{format}: something was left beside the file"
        );
    }
}

/// What the child process of `a_save_into_a_read_only_folder_fails_and_keeps_the_file`
/// runs, as an ordinary user.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "run by a_save_into_a_read_only_folder_fails_and_keeps_the_file"]
fn read_only_folder_as_this_user() {
    if let Some(dir) = std::env::var_os("DENSELY_READ_ONLY_DIR") {
        assert!(!is_root(), "the child runs as root");
        read_only_folder_case(Path::new(&dir));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_save_into_a_read_only_folder_fails_and_keeps_the_file() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = scratch("save-read-only");
    if !is_root() {
        read_only_folder_case(&dir);
        return;
    }
    // Root writes anywhere: run the case as the unprivileged user `nobody` (65534), from a
    // copy of this test program that user may execute.
    const NOBODY: u32 = 65534;
    let open = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    open(&dir, 0o755);
    let exe = dir.join("tests");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    open(&exe, 0o755);
    let work = dir.join("work");
    std::fs::create_dir(&work).unwrap();
    std::os::unix::fs::chown(&work, Some(NOBODY), Some(NOBODY)).unwrap();
    let output = std::process::Command::new(&exe)
        .args(["--exact", "read_only_folder_as_this_user", "--ignored"])
        .env("DENSELY_READ_ONLY_DIR", &work)
        .env("TMPDIR", &work)
        .current_dir(&work)
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "as nobody: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
