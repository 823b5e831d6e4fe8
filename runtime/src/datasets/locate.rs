//! Where a data set's files are looked for, in order, and the error that says how to get them.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable naming a folder of data sets (or of one data set's files).
pub const DATA_ENV: &str = "DENSELY_DATA";

/// What a data set is and where it comes from.
#[cfg_attr(not(feature = "download"), allow(dead_code))]
pub(crate) struct Spec {
    /// Its name in messages: "Fashion-MNIST".
    pub name: &'static str,
    /// Its folder under `$DENSELY_DATA` and the cache: "fashion-mnist".
    pub folder: &'static str,
    /// The folder a system package installs it in, if any.
    pub system_dir: Option<&'static str>,
    /// The Debian package that installs it there, if any.
    pub apt_package: Option<&'static str>,
    /// The sets of files it can be read from: a folder holding every file of one is complete.
    pub layouts: &'static [&'static [&'static str]],
    /// The base URLs it can be downloaded from, tried in order.
    pub mirrors: &'static [&'static str],
    /// The files downloaded from them.
    pub remote: &'static [RemoteFile],
}

/// A file to download, with what it must be.
#[cfg_attr(not(feature = "download"), allow(dead_code))]
pub(crate) struct RemoteFile {
    /// Its name, on the mirrors and on disk.
    pub name: &'static str,
    /// Its size in bytes.
    pub size: u64,
    /// Its published checksum.
    pub checksum: Checksum,
}

/// A published checksum, as lowercase hexadecimal.
#[cfg_attr(not(feature = "download"), allow(dead_code))]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Checksum {
    Md5(&'static str),
    Sha256(&'static str),
}

/// Fetches a URL: its body, or why it could not.
pub(crate) type Fetch<'a> = dyn Fn(&str) -> std::result::Result<Box<dyn Read>, String> + 'a;

/// A folder to look in and why it is looked in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub dir: PathBuf,
    pub why: String,
}

/// The folders to look in, in order, and the cache folder downloads go to.
#[derive(Clone, Debug)]
pub(crate) struct Places {
    pub list: Vec<Place>,
    pub cache: Option<PathBuf>,
}

/// The places for `spec` given the environment `var` and the system folder `system_dir`:
/// `$DENSELY_DATA/<folder>`, `$DENSELY_DATA`, the user cache folder, then the system folder.
pub(crate) fn places(
    spec: &Spec,
    var: &dyn Fn(&str) -> Option<OsString>,
    system_dir: Option<&Path>,
) -> Places {
    let set = |name: &str| {
        var(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    let mut list = Vec::new();
    if let Some(data) = set(DATA_ENV) {
        list.push(Place {
            dir: data.join(spec.folder),
            why: format!("${DATA_ENV}/{}", spec.folder),
        });
        list.push(Place {
            dir: data,
            why: format!("${DATA_ENV}"),
        });
    }
    let cache = set("XDG_CACHE_HOME")
        .filter(|dir| dir.is_absolute())
        .or_else(|| set("HOME").map(|home| home.join(".cache")))
        .or_else(|| set("LOCALAPPDATA"))
        .map(|root| root.join("densely").join(spec.folder));
    if let Some(cache) = &cache {
        list.push(Place {
            dir: cache.clone(),
            why: "the user cache folder".into(),
        });
    }
    if let Some(system) = system_dir {
        list.push(Place {
            dir: system.to_path_buf(),
            why: match spec.apt_package {
                Some(package) => format!("where Debian's package {package} installs it"),
                None => "the system folder".into(),
            },
        });
    }
    Places { list, cache }
}

/// The places of this process's environment.
pub(crate) fn default_places(spec: &Spec) -> Places {
    places(
        spec,
        &|name| std::env::var_os(name),
        spec.system_dir.map(Path::new),
    )
}

/// How files are fetched when no folder has them: over HTTP with the `download` feature, not at
/// all without it.
pub(crate) fn default_fetch() -> Option<&'static Fetch<'static>> {
    #[cfg(feature = "download")]
    {
        Some(&super::download::http_get)
    }
    #[cfg(not(feature = "download"))]
    {
        None
    }
}

/// `dir/name`, or `dir/name` without its `.gz` for a file that was decompressed, if either exists.
pub(crate) fn resolve(dir: &Path, name: &str) -> Option<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        return Some(path);
    }
    let plain = dir.join(name.strip_suffix(".gz")?);
    plain.is_file().then_some(plain)
}

/// Whether `dir` holds every file of a layout of `spec`; if not, what it lacks.
fn probe(spec: &Spec, dir: &Path) -> std::result::Result<(), String> {
    if !dir.is_dir() {
        return Err("no such folder".into());
    }
    let mut best: Option<(Vec<&str>, usize)> = None;
    for layout in spec.layouts {
        let missing: Vec<&str> = layout
            .iter()
            .copied()
            .filter(|name| resolve(dir, name).is_none())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let present = layout.len() - missing.len();
        if best.as_ref().is_none_or(|(_, most)| present > *most) {
            best = Some((missing, present));
        }
    }
    match best {
        Some((missing, present)) if present > 0 => Err(format!("lacks {}", missing.join(", "))),
        _ => Err("holds none of the files".into()),
    }
}

/// The first place holding a complete layout of `spec`; else, with `fetch`, the cache folder
/// after downloading the files into it; else an error listing the places and how to get the data.
pub(crate) fn find(spec: &Spec, places: &Places, fetch: Option<&Fetch<'_>>) -> Result<PathBuf> {
    let mut looked = Vec::new();
    for place in &places.list {
        match probe(spec, &place.dir) {
            Ok(()) => return Ok(place.dir.clone()),
            Err(lack) => looked.push(format!(
                "  - {} ({}): {lack}",
                place.dir.display(),
                place.why
            )),
        }
    }
    #[cfg(feature = "download")]
    let download_failure = match (fetch, &places.cache) {
        (Some(fetch), Some(cache)) => match super::download::fetch_all(spec, cache, fetch) {
            Ok(()) => return Ok(cache.clone()),
            Err(why) => Some(format!(
                "Downloading into {} failed: {why}",
                cache.display()
            )),
        },
        (Some(_), None) => Some(
            "No download was tried: there is no cache folder to save it in (neither \
             XDG_CACHE_HOME nor HOME is set)."
                .to_string(),
        ),
        (None, _) => None,
    };
    #[cfg(not(feature = "download"))]
    let download_failure: Option<String> = {
        let _ = fetch; // nothing can be downloaded without the feature
        None
    };
    Err(not_found(spec, places, &looked, download_failure))
}

/// The error for a data set found nowhere: where it was looked for and every way to get it.
fn not_found(
    spec: &Spec,
    places: &Places,
    looked: &[String],
    download_failure: Option<String>,
) -> Error {
    let mut text = String::from("the data set was not found. Looked in:\n");
    if looked.is_empty() {
        text.push_str("  (no folder: neither DENSELY_DATA nor HOME is set)\n");
    }
    for line in looked {
        text.push_str(line);
        text.push('\n');
    }
    if let Some(failure) = download_failure {
        text.push_str(&failure);
        text.push('\n');
    }
    text.push_str("To get it, do one of:\n");
    if let Some(package) = spec.apt_package {
        text.push_str(&format!(
            "  - on Debian or Ubuntu, install it: sudo apt-get install {package}\n"
        ));
    }
    let layouts: Vec<String> = spec
        .layouts
        .iter()
        .map(|layout| layout.join(", "))
        .collect();
    text.push_str(&format!(
        "  - put {} in a folder `{}` and set {DATA_ENV} to the folder holding it (or to that \
         folder itself)\n",
        layouts.join(" (or else ") + &")".repeat(layouts.len() - 1),
        spec.folder,
    ));
    let cache = places.cache.as_ref().map_or_else(
        || format!("~/.cache/densely/{}", spec.folder),
        |dir| dir.display().to_string(),
    );
    let mirror = spec.mirrors.first().copied().unwrap_or_default();
    if cfg!(feature = "download") {
        text.push_str(&format!(
            "  - run it again with network access: densely's `download` feature (on) then saves \
             the files from {mirror} into {cache}"
        ));
    } else {
        text.push_str(&format!(
            "  - enable densely's `download` feature (on by default; `features = [\"download\"]` \
             in Cargo.toml) so that the files are fetched from {mirror} into {cache}"
        ));
    }
    Error::Format {
        path: spec.name.to_string(),
        reason: text,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::datasets::{fashion_mnist, mnist};

    fn env(pairs: &[(&str, &Path)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_os_str().to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn places_are_data_env_then_cache_then_system() {
        let vars = env(&[
            ("DENSELY_DATA", Path::new("/data")),
            ("XDG_CACHE_HOME", Path::new("/xdg")),
            ("HOME", Path::new("/home/me")),
        ]);
        let spec = &fashion_mnist::SPEC;
        let found = places(
            spec,
            &vars,
            Some(Path::new("/usr/share/datasets/fashion-mnist")),
        );
        let dirs: Vec<&Path> = found.list.iter().map(|place| place.dir.as_path()).collect();
        assert_eq!(
            dirs,
            [
                Path::new("/data/fashion-mnist"),
                Path::new("/data"),
                Path::new("/xdg/densely/fashion-mnist"),
                Path::new("/usr/share/datasets/fashion-mnist"),
            ]
        );
        assert_eq!(
            found.cache.as_deref(),
            Some(Path::new("/xdg/densely/fashion-mnist"))
        );

        let home_only = env(&[
            ("HOME", Path::new("/home/me")),
            ("DENSELY_DATA", Path::new("")),
        ]);
        let found = places(&mnist::SPEC, &home_only, None);
        let dirs: Vec<&Path> = found.list.iter().map(|place| place.dir.as_path()).collect();
        assert_eq!(dirs, [Path::new("/home/me/.cache/densely/mnist")]);
        assert_eq!(default_places(&mnist::SPEC).list.len() + 1, {
            let fashion = default_places(&fashion_mnist::SPEC);
            assert_eq!(
                fashion.list.last().map(|place| place.dir.clone()),
                Some(PathBuf::from("/usr/share/datasets/fashion-mnist"))
            );
            fashion.list.len()
        });
    }

    #[test]
    fn probe_reports_what_a_folder_lacks() {
        let dir = crate::datasets::test_dir::TestDir::new("probe");
        let spec = &fashion_mnist::SPEC;
        assert_eq!(
            probe(spec, &dir.path().join("nope")).unwrap_err(),
            "no such folder"
        );
        assert_eq!(
            probe(spec, dir.path()).unwrap_err(),
            "holds none of the files"
        );
        dir.write("train-images-idx3-ubyte.gz", b"");
        dir.write("train-labels-idx1-ubyte", b""); // decompressed files count too
        assert_eq!(
            probe(spec, dir.path()).unwrap_err(),
            "lacks t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"
        );
        dir.write("t10k-images-idx3-ubyte.gz", b"");
        dir.write("t10k-labels-idx1-ubyte.gz", b"");
        assert_eq!(probe(spec, dir.path()), Ok(()));
        assert_eq!(
            resolve(dir.path(), "train-labels-idx1-ubyte.gz"),
            Some(dir.path().join("train-labels-idx1-ubyte"))
        );

        let npz_only = crate::datasets::test_dir::TestDir::new("probe-npz");
        npz_only.write("mnist.npz", b"");
        assert_eq!(probe(&mnist::SPEC, npz_only.path()), Ok(()));
    }
}
