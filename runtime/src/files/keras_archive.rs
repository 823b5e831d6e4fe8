//! Keras 3's `.keras` archives: a zip of `metadata.json`, `config.json` (the model's config
//! and its `compile_config`) and `model.weights.h5` (the weights and the optimizer's
//! variables, laid out `layers/<group>/vars/<i>` and `optimizer/vars/<i>`).
//!
//! The optimizer's variables are stored by position alone: `0` is the iteration count, `1`
//! the learning rate, then each group of slots Keras 3 creates together, for every trainable
//! weight in the model's layer order (Adam: the momentum and velocity of the first kernel,
//! of its bias, ...; RMSprop: every velocity, then every momentum, ...), and Nadam's
//! `u_product` last. Which slot a position holds follows from the optimizer in
//! `compile_config`.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Write};
use std::path::Path;

use serde_json::{json, Value};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::h5::{self, Layout, NamedArray, Values};
use super::keras_config::{ArgNames, ConfigStyle};
use super::{
    file_generators, file_layers, format_error, keras_config, keras_optimizer_arrays, slot_groups,
    Contents, FileLayer, FileTensor, KerasFlavor, OptimizerState, SaveOptions,
};
use crate::error::Result;
use crate::graph::Graph;
use crate::network::Network;

/// The first bytes of a zip archive.
pub(crate) const MAGIC: &[u8; 4] = b"PK\x03\x04";
/// The archive's model config.
const CONFIG: &str = "config.json";
/// The archive's Keras version and date.
const METADATA: &str = "metadata.json";
/// The archive's weights.
const WEIGHTS: &str = "model.weights.h5";

/// Whether `bytes` start like a zip archive.
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Reads a `.keras` archive.
pub(crate) fn read(path: &Path) -> Result<Contents> {
    let file = File::open(path).map_err(|source| crate::Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let mut archive = ZipArchive::new(BufReader::new(file))
        .map_err(|e| format_error(path, format!("not a readable `.keras` archive: {e}")))?;
    let config_text = String::from_utf8(entry(path, &mut archive, CONFIG)?)
        .map_err(|_| format_error(path, format!("`{CONFIG}` is not UTF-8")))?;
    let config: Value = serde_json::from_str(&config_text)
        .map_err(|e| format_error(path, format!("`{CONFIG}` is not JSON: {e}")))?;
    let keras_version = match archive.index_for_name(METADATA) {
        Some(_) => {
            let metadata: Value = serde_json::from_slice(&entry(path, &mut archive, METADATA)?)
                .map_err(|e| format_error(path, format!("`{METADATA}` is not JSON: {e}")))?;
            metadata
                .get("keras_version")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }
        None => None,
    };
    let weights = entry(path, &mut archive, WEIGHTS)?;
    let (mut contents, layout) = read_weights(path, weights)?;
    if layout != Layout::Keras3Weights {
        return Err(format_error(
            path,
            format!("`{WEIGHTS}` is not in Keras 3's `layers/<name>/vars` layout"),
        ));
    }
    let architecture = keras_config::architecture(&config).map_err(|e| format_error(path, e))?;
    in_model_order(&mut contents.layers, &architecture.keras_layer_names());
    let compile_config = config.get("compile_config").filter(|c| c.is_object());
    let optimizer = match compile_config.and_then(|c| c.get("optimizer")) {
        Some(optimizer) if !contents.optimizer_vars.is_empty() => {
            // The optimizer's variables follow the trainable weights alone.
            let trainable: Vec<FileLayer> = contents
                .layers
                .iter()
                .map(|layer| FileLayer {
                    name: layer.name.clone(),
                    weights: (layer.weights.iter().enumerate())
                        .filter(|(k, _)| architecture.trains(&layer.name, *k))
                        .map(|(_, w)| w.clone())
                        .collect(),
                })
                .collect();
            Some(optimizer_state(
                path,
                optimizer,
                &trainable,
                &contents.optimizer_vars,
            )?)
        }
        _ => None,
    };
    Ok(Contents {
        model_config: Some(config_text),
        training_config: compile_config.map(|c| training_config(c).to_string()),
        keras_version,
        layers: contents.layers,
        optimizer,
        generators: contents.generators,
        weights_only: false,
    })
}

/// The bytes of the archive's entry `name`.
fn entry(path: &Path, archive: &mut ZipArchive<BufReader<File>>, name: &str) -> Result<Vec<u8>> {
    let mut file = archive.by_name(name).map_err(|e| {
        format_error(
            path,
            format!("the archive has no readable `{name}` (is it a Keras model?): {e}"),
        )
    })?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format_error(path, format!("`{name}` in the archive: {e}")))?;
    Ok(bytes)
}

/// Reads the archive's HDF5 weights from memory, naming the archive in errors.
fn read_weights(path: &Path, bytes: Vec<u8>) -> Result<(h5::H5Contents, Layout)> {
    if !h5::is_hdf5(&bytes) {
        return Err(format_error(
            path,
            format!("`{WEIGHTS}` is not an HDF5 file"),
        ));
    }
    h5::read_bytes(bytes, path)
}

/// Orders the layers as the model lists them (Keras 3 numbers its weight groups per class,
/// so the file's order mixes classes).
fn in_model_order(layers: &mut [FileLayer], names: &[&str]) {
    layers.sort_by_key(|layer| {
        names
            .iter()
            .position(|&name| name == layer.name)
            .unwrap_or(usize::MAX)
    });
}

/// `compile_config` as a legacy `training_config`, which names the optimizer
/// `optimizer_config`.
fn training_config(compile_config: &Value) -> Value {
    let mut config = compile_config.clone();
    if let Some(map) = config.as_object_mut() {
        if let Some(optimizer) = map.remove("optimizer") {
            map.insert("optimizer_config".into(), optimizer);
        }
    }
    config
}

/// The optimizer's state from its positional variables.
fn optimizer_state(
    path: &Path,
    config: &Value,
    layers: &[FileLayer],
    vars: &[NamedArray],
) -> Result<OptimizerState> {
    let optimizer =
        keras_config::optimizer_from_config(config).map_err(|e| format_error(path, e))?;
    let class = optimizer.keras_class_name();
    let used = optimizer.slot_names();
    let groups = slot_groups(class, &used);
    let weights: Vec<(&str, &FileTensor)> = layers
        .iter()
        .flat_map(|l| l.weights.iter().map(move |w| (l.name.as_str(), w)))
        .collect();
    let per_weight: usize = groups.iter().map(Vec::len).sum();
    let trailing = usize::from(class == "Nadam" && !groups.is_empty());
    let expected = 2 + per_weight * weights.len() + trailing;
    // An optimizer that never stepped has built no slots yet: the iteration count and the
    // learning rate alone.
    let unbuilt = vars.len() == 2;
    if vars.len() != expected && !unbuilt {
        return Err(format_error(
            path,
            format!(
                "the optimizer holds {} variables; {class} over these {} weights has {expected}",
                vars.len(),
                weights.len()
            ),
        ));
    }
    let iterations = match &vars[0].values {
        Values::I64(v) if v.len() == 1 => u64::try_from(v[0]).ok(),
        Values::F32(v) if v.len() == 1 && v[0] >= 0.0 => Some(v[0] as u64),
        _ => None,
    }
    .ok_or_else(|| {
        format_error(
            path,
            "`optimizer/vars/0` is not a non-negative iteration count",
        )
    })?;
    let mut state = OptimizerState {
        iterations,
        slots: Vec::new(),
    };
    if unbuilt {
        return Ok(state);
    }
    let mut next = vars[2..].iter();
    for group in &groups {
        for (layer, weight) in &weights {
            for slot in group {
                let var = next.next().expect("the count was checked");
                let Values::F32(values) = &var.values else {
                    return Err(format_error(
                        path,
                        format!("`{}` holds integers, not a slot", var.name),
                    ));
                };
                if var.shape != weight.shape {
                    return Err(format_error(
                        path,
                        format!(
                            "`{}` has shape {:?}, but the {slot} of layer `{layer}` weight `{}` \
                             has shape {:?}",
                            var.name, var.shape, weight.name, weight.shape
                        ),
                    ));
                }
                state.push(
                    slot,
                    FileTensor {
                        name: var.name.clone(),
                        shape: var.shape.clone(),
                        values: values.clone(),
                        integer: false,
                    },
                );
            }
        }
    }
    Ok(state)
}

// ---------------------------------------------------------------------------------------
// Writing.
// ---------------------------------------------------------------------------------------

/// The Keras version a written archive claims, the one its layout was checked against.
const KERAS_VERSION: &str = "3.15.1";

/// Writes `model` as a `.keras` archive that `keras.models.load_model` loads in Keras 3,
/// compiled with its optimizer state when it has one (and `options` keep it).
pub(crate) fn write<N: Network>(model: &N, path: &Path, options: &SaveOptions) -> Result<()> {
    let graph = model.graph();
    let sequential = graph.is_sequential();
    let model_config =
        keras_config::model_config(graph, ArgNames::Keras3, model.training_state().frozen());
    let mut config = json!({
        "module": if sequential { "keras" } else { "keras.src.models.functional" },
        "class_name": model_config["class_name"],
        "config": model_config["config"],
        "registered_name": if sequential { Value::Null } else { json!("Functional") },
        "build_config": { "input_shape": Value::Null },
    });
    let state = model.training_state();
    let optimizer = state.optimizer().filter(|_| options.include_optimizer);
    let layers = file_layers(model, true);
    let names = super::trainable_weight_names(model);
    let trainable = super::trainable_layers(&layers, &names);
    let mut optimizer_vars = None;
    if let Some(optimizer) = optimizer {
        let training = keras_config::training_config(graph, state, ConfigStyle::Keras3)
            .expect("a compiled model has a training config");
        config["compile_config"] = compile_config(training);
        let mut saved = super::optimizer_state(optimizer, &trainable, &names);
        if saved.slots.is_empty() {
            // Not stepped yet: Keras 3 wants every slot, and a fresh slot is zeros.
            saved.slots = zero_slots(&optimizer.slot_names(), &trainable);
        }
        let arrays =
            keras_optimizer_arrays(graph, optimizer, &saved, &trainable, KerasFlavor::Keras3);
        let name = optimizer
            .config()
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(
                || optimizer.keras_class_name().to_lowercase(),
                str::to_owned,
            );
        optimizer_vars = Some((name, arrays));
    }
    let groups = weight_groups(graph, &layers);
    let weights = h5::build_keras3_weights(
        path,
        &keras_config::snake_case(&graph.name),
        &groups,
        optimizer_vars
            .as_ref()
            .map(|(name, arrays)| (name.as_str(), arrays.as_slice())),
        &file_generators(model),
    )?;
    let metadata = json!({ "keras_version": KERAS_VERSION, "date_saved": date_saved() });
    let entries = [
        (METADATA, metadata.to_string().into_bytes()),
        (CONFIG, config.to_string().into_bytes()),
        (WEIGHTS, weights),
    ];
    crate::io::write_atomically(path, &zip_bytes(path, &entries)?)
}

/// Each of `slots` as zeros for every weight of `layers`.
fn zero_slots(slots: &[&str], layers: &[FileLayer]) -> Vec<(String, Vec<FileTensor>)> {
    slots
        .iter()
        .map(|slot| {
            let zeros = layers
                .iter()
                .flat_map(|l| &l.weights)
                .map(|w| FileTensor {
                    name: w.name.clone(),
                    shape: w.shape.clone(),
                    values: vec![0.0; w.values.len()],
                    integer: false,
                })
                .collect();
            ((*slot).to_owned(), zeros)
        })
        .collect()
}

/// A `training_config` as Keras 3's `compile_config`: the optimizer under `optimizer`, with
/// the module Keras 3 finds it in, and compile's other arguments at their defaults.
fn compile_config(training: Value) -> Value {
    let mut config = training;
    let map = config
        .as_object_mut()
        .expect("a training config is an object");
    if let Some(mut optimizer) = map.remove("optimizer_config") {
        optimizer["module"] = json!("keras.optimizers");
        optimizer["registered_name"] = Value::Null;
        map.insert("optimizer".into(), optimizer);
    }
    map.insert("weighted_metrics".into(), Value::Null);
    map.insert("run_eagerly".into(), json!(false));
    map.insert("steps_per_execution".into(), json!(1));
    map.insert("jit_compile".into(), json!(false));
    config
}

/// Each layer's group in Keras 3's weights: its class in snake case, numbered per class in
/// the model's layer order (`dense`, `dense_1`, `input_layer`, ...).
fn weight_groups<'a>(graph: &Graph, layers: &'a [FileLayer]) -> Vec<h5::Keras3Group<'a>> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    layers
        .iter()
        .map(|layer| {
            let class = graph
                .nodes
                .iter()
                .find(|node| node.name == layer.name)
                .map_or("Layer", |node| node.kind.keras_class_name());
            let stem = keras_config::snake_case(class);
            let count = match counts.iter_mut().find(|(s, _)| *s == stem) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    counts.push((stem.clone(), 0));
                    0
                }
            };
            let group = if count == 0 {
                stem
            } else {
                format!("{stem}_{count}")
            };
            h5::Keras3Group { group, layer }
        })
        .collect()
}

/// A zip archive of `entries`, stored uncompressed as Keras stores them.
fn zip_bytes(path: &Path, entries: &[(&str, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let fail = |e: &dyn std::fmt::Display| format_error(path, format!("writing the archive: {e}"));
    for (name, bytes) in entries {
        writer.start_file(*name, options).map_err(|e| fail(&e))?;
        writer.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(writer.finish().map_err(|e| fail(&e))?.into_inner())
}

/// Now as Keras writes `date_saved`: `2026-11-29@06:02:29` (UTC).
fn date_saved() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}@{:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The calendar date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_786), (2026, 11, 29));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn training_configs_become_compile_configs_and_back() {
        let training = json!({
            "loss": "mse",
            "optimizer_config": {"class_name": "SGD", "config": {"learning_rate": 0.01}},
        });
        let compile = compile_config(training.clone());
        assert_eq!(compile["optimizer"]["module"], "keras.optimizers");
        assert!(compile.get("optimizer_config").is_none());
        let back = training_config(&compile);
        assert_eq!(back["optimizer_config"]["class_name"], "SGD");
        assert_eq!(back["loss"], "mse");
    }
}
