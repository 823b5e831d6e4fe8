//! Downloads (the `download` feature): each file from the first mirror that serves it whole,
//! checked against its published checksum, and written atomically: into a temporary file in the
//! destination folder, renamed into place only once verified, so an interrupted or corrupt
//! download never leaves a file that looks complete.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use md5::Md5;
use sha2::{Digest, Sha256};

use super::locate::{Checksum, Fetch, RemoteFile, Spec};

/// The URLs of `file`, one per mirror, in the order they are tried.
pub(crate) fn urls(spec: &Spec, file: &RemoteFile) -> Vec<String> {
    spec.mirrors
        .iter()
        .map(|mirror| format!("{mirror}{}", file.name))
        .collect()
}

/// Downloads into `dir` every remote file of `spec` that it does not hold yet.
pub(crate) fn fetch_all(spec: &Spec, dir: &Path, fetch: &Fetch<'_>) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    for file in spec.remote {
        if dir.join(file.name).is_file() {
            continue;
        }
        let mut failures = Vec::new();
        let mut saved = false;
        for url in urls(spec, file) {
            eprintln!("densely: downloading {url} into {}", dir.display());
            match fetch(&url).and_then(|body| save_verified(body, dir, file)) {
                Ok(_) => {
                    saved = true;
                    break;
                }
                Err(why) => failures.push(format!("{url}: {why}")),
            }
        }
        if !saved {
            return Err(failures.join("; "));
        }
    }
    Ok(())
}

/// Streams `body` into `dir/<file.name>`: through a temporary file in `dir` that is renamed
/// into place only when its size and checksum are the published ones, and removed otherwise.
pub(crate) fn save_verified(
    body: impl Read,
    dir: &Path,
    file: &RemoteFile,
) -> Result<PathBuf, String> {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let temp = dir.join(format!(
        ".{}.{}-{}.part",
        file.name,
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_verified(body, &temp, file).and_then(|()| {
        let target = dir.join(file.name);
        fs::rename(&temp, &target)
            .map(|()| target)
            .map_err(|err| format!("cannot rename {} into place: {err}", temp.display()))
    });
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

fn write_verified(mut body: impl Read, temp: &Path, file: &RemoteFile) -> Result<(), String> {
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(|err| format!("cannot create {}: {err}", temp.display()))?;
    let mut hasher = Hasher::new(file.checksum);
    let mut buffer = vec![0; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(format!("download interrupted after {size} bytes: {err}")),
        };
        size += n as u64;
        if size > file.size {
            return Err(format!(
                "the server sent more than the {} bytes expected",
                file.size
            ));
        }
        hasher.update(&buffer[..n]);
        out.write_all(&buffer[..n])
            .map_err(|err| format!("cannot write {}: {err}", temp.display()))?;
    }
    if size != file.size {
        return Err(format!("got {size} bytes, expected {}", file.size));
    }
    verify(file.checksum, &hasher.hex())?;
    out.sync_all()
        .map_err(|err| format!("cannot write {}: {err}", temp.display()))?;
    Ok(())
}

/// Checks a computed digest (lowercase hexadecimal) against the published one.
pub(crate) fn verify(expected: Checksum, actual: &str) -> Result<(), String> {
    let (algorithm, expected) = match expected {
        Checksum::Md5(hex) => ("MD5", hex),
        Checksum::Sha256(hex) => ("SHA-256", hex),
    };
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(format!(
            "checksum mismatch: {algorithm} {actual}, expected {expected}"
        ))
    }
}

/// A running MD5 or SHA-256.
enum Hasher {
    Md5(Md5),
    Sha256(Sha256),
}

impl Hasher {
    fn new(checksum: Checksum) -> Self {
        match checksum {
            Checksum::Md5(_) => Hasher::Md5(Md5::new()),
            Checksum::Sha256(_) => Hasher::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Md5(hasher) => hasher.update(bytes),
            Hasher::Sha256(hasher) => hasher.update(bytes),
        }
    }

    fn hex(self) -> String {
        let digest: Vec<u8> = match self {
            Hasher::Md5(hasher) => hasher.finalize().to_vec(),
            Hasher::Sha256(hasher) => hasher.finalize().to_vec(),
        };
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

/// Fetches `url` over HTTPS, following redirects and honouring the proxy environment
/// variables; a status other than 2xx is an error.
pub(crate) fn http_get(url: &str) -> Result<Box<dyn Read>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|err| err.to_string())?;
    Ok(Box::new(response.into_body().into_reader()))
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io::Cursor;

    use super::*;
    use crate::datasets::test_dir::TestDir;
    use crate::datasets::{fashion_mnist, mnist};

    fn sha256_hex(bytes: &[u8]) -> String {
        let mut hasher = Hasher::new(Checksum::Sha256(""));
        hasher.update(bytes);
        hasher.hex()
    }

    #[test]
    fn digests_match_known_vectors() {
        let mut md5 = Hasher::new(Checksum::Md5(""));
        md5.update(b"abc");
        assert_eq!(md5.hex(), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(verify(
            Checksum::Md5("900150983CD24FB0D6963F7D28E17F72"),
            "900150983cd24fb0d6963f7d28e17f72"
        )
        .is_ok());
        let err = verify(Checksum::Sha256("00"), "ff").unwrap_err();
        assert_eq!(err, "checksum mismatch: SHA-256 ff, expected 00");
    }

    fn leak(text: String) -> &'static str {
        Box::leak(text.into_boxed_str())
    }

    fn remote(name: &'static str, bytes: &[u8]) -> RemoteFile {
        RemoteFile {
            name,
            size: bytes.len() as u64,
            checksum: Checksum::Sha256(leak(sha256_hex(bytes))),
        }
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn verified_files_are_renamed_into_place_and_bad_ones_leave_nothing() {
        let dir = TestDir::new("download-atomic");
        let file = remote("data.bin", b"the right bytes");

        let err = save_verified(Cursor::new(b"the wrong bytes"), dir.path(), &file).unwrap_err();
        assert!(err.starts_with("checksum mismatch: SHA-256"), "{err}");
        let err = save_verified(Cursor::new(b"short"), dir.path(), &file).unwrap_err();
        assert_eq!(err, "got 5 bytes, expected 15");
        let err =
            save_verified(Cursor::new(b"the right bytes and more"), dir.path(), &file).unwrap_err();
        assert!(err.contains("more than the 15 bytes"), "{err}");
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))
            }
        }
        let err = save_verified(Broken, dir.path(), &file).unwrap_err();
        assert!(err.contains("interrupted after 0 bytes: reset"), "{err}");
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );

        let saved = save_verified(Cursor::new(b"the right bytes"), dir.path(), &file).unwrap();
        assert_eq!(saved, dir.path().join("data.bin"));
        assert_eq!(fs::read(&saved).unwrap(), b"the right bytes");
        assert_eq!(leftovers(dir.path()), ["data.bin"]);
    }

    #[test]
    fn mirrors_are_tried_in_order_and_every_failure_is_reported() {
        static FILES: std::sync::OnceLock<Vec<RemoteFile>> = std::sync::OnceLock::new();
        let files = FILES.get_or_init(|| vec![remote("a.gz", b"aaa"), remote("b.gz", b"bbb")]);
        let spec = Spec {
            name: "Test",
            folder: "test",
            system_dir: None,
            apt_package: None,
            layouts: &[&["a.gz", "b.gz"]],
            mirrors: &["https://one.invalid/", "https://two.invalid/x/"],
            remote: files,
        };
        assert_eq!(
            urls(&spec, &files[1]),
            ["https://one.invalid/b.gz", "https://two.invalid/x/b.gz"]
        );

        let dir = TestDir::new("download-mirrors");
        let target = dir.path().join("cache");
        let asked = RefCell::new(Vec::new());
        let flaky = |url: &str| -> Result<Box<dyn Read>, String> {
            asked.borrow_mut().push(url.to_string());
            match url {
                "https://one.invalid/a.gz" => Err("connection refused".into()),
                "https://one.invalid/b.gz" => Ok(Box::new(Cursor::new(b"xxx".to_vec()))),
                _ => Ok(Box::new(Cursor::new(
                    url.as_bytes()[url.len() - 4..url.len() - 3].repeat(3),
                ))),
            }
        };
        fetch_all(&spec, &target, &flaky).unwrap();
        assert_eq!(leftovers(&target), ["a.gz", "b.gz"]);
        assert_eq!(
            *asked.borrow(),
            [
                "https://one.invalid/a.gz",
                "https://two.invalid/x/a.gz",
                "https://one.invalid/b.gz",
                "https://two.invalid/x/b.gz",
            ]
        );
        // Files already there are not fetched again.
        fetch_all(
            &spec,
            &target,
            &|_: &str| -> Result<Box<dyn Read>, String> { panic!("nothing should be fetched") },
        )
        .unwrap();

        fs::remove_file(target.join("b.gz")).unwrap();
        let offline = |_: &str| -> Result<Box<dyn Read>, String> { Err("no network".into()) };
        let err = fetch_all(&spec, &target, &offline).unwrap_err();
        assert_eq!(
            err,
            "https://one.invalid/b.gz: no network; https://two.invalid/x/b.gz: no network"
        );
    }

    #[test]
    fn the_published_files_are_the_ones_keras_uses() {
        let fashion: Vec<String> = fashion_mnist::SPEC
            .remote
            .iter()
            .flat_map(|file| urls(&fashion_mnist::SPEC, file))
            .collect();
        assert_eq!(
            fashion[0],
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/train-images-idx3-ubyte.gz"
        );
        assert_eq!(fashion.len(), 8);
        assert!(fashion.iter().all(|url| url.starts_with("https://")));
        let mnist: Vec<String> = mnist::SPEC
            .remote
            .iter()
            .flat_map(|file| urls(&mnist::SPEC, file))
            .collect();
        assert_eq!(
            mnist,
            ["https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"]
        );
        for file in fashion_mnist::SPEC.remote.iter().chain(mnist::SPEC.remote) {
            let hex = match file.checksum {
                Checksum::Md5(hex) => {
                    assert_eq!(hex.len(), 32);
                    hex
                }
                Checksum::Sha256(hex) => {
                    assert_eq!(hex.len(), 64);
                    hex
                }
            };
            assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()), "{hex}");
        }
    }
}
