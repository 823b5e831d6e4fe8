//! The command line and what each command does.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};
use densely::dynamic::{AnySamples, Parts};
use densely::files::{KerasFlavor, SaveOptions};
use densely::plot::PlotOptions;
use densely::prelude::*;
use densely::{numpy, DynamicModel};

/// A model file's summary, declaration, conversion, predictions and plot, for Keras's `.h5`
/// and `.keras` files and densely's own, whatever their architecture.
#[derive(Debug, Parser)]
#[command(name = "densely", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prints Keras's summary table of the model in FILE.
    Summary {
        /// A model file: .h5, .keras or densely's native format.
        file: PathBuf,
    },
    /// Prints the `model!` declaration that matches the model in FILE.
    Declaration {
        /// A model file.
        file: PathBuf,
        /// The struct's name (by default the model's name, in CamelCase).
        #[arg(long)]
        name: Option<String>,
    },
    /// Writes the model in FILE to OUTPUT, in the format OUTPUT's extension names: .h5 or
    /// .hdf5 for Keras's HDF5 layout, .keras for Keras 3's archive, any other for densely's
    /// native format. Weights, losses, the optimizer and its state come along.
    Convert {
        /// The model file to read.
        file: PathBuf,
        /// The file to write; it is replaced whole or not at all.
        output: PathBuf,
        /// The optimizer layout of an .h5 file: keras2 (tf-keras, every slot) or keras3.
        #[arg(long, value_enum, default_value_t = Flavor::Keras2)]
        flavor: Flavor,
        /// Leaves the optimizer and its state out.
        #[arg(long)]
        without_optimizer: bool,
    },
    /// Predicts the samples of INPUTS (.npy files, one per model input, samples first) and
    /// writes each output as a float32 .npy file, or prints them.
    Predict {
        /// A model file.
        file: PathBuf,
        /// One .npy file per input of the model, in its input order.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Where to write the predictions: OUT.npy for a single output, OUT_NAME.npy for
        /// each of several, NAME the output's name. Without it, they are printed as
        /// comma-separated rows.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Samples per batch.
        #[arg(long, default_value_t = 32)]
        batch_size: usize,
    },
    /// Draws the model's graph to OUTPUT: .png, .svg or .dot by its extension.
    Plot {
        /// A model file.
        file: PathBuf,
        /// The picture to write.
        output: PathBuf,
        /// Shows each layer's input and output shapes.
        #[arg(long)]
        show_shapes: bool,
        /// Shows the activation of Dense and Activation layers.
        #[arg(long)]
        show_activations: bool,
        /// The resolution of a PNG.
        #[arg(long, default_value_t = 96)]
        dpi: u32,
    },
}

/// The optimizer layout of an `.h5` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Flavor {
    /// tf-keras's layout, which restores every slot.
    Keras2,
    /// Keras 3's layout.
    Keras3,
}

impl Cli {
    /// Runs the command.
    pub fn run(self) -> densely::Result<()> {
        match self.command {
            Command::Summary { file } => {
                densely::load_model(&file)?.summary();
                Ok(())
            }
            Command::Declaration { file, name } => {
                let text = match name {
                    Some(name) => densely::files::declaration_as(&file, &name)?,
                    None => densely::files::declaration(&file)?,
                };
                print!("{text}");
                Ok(())
            }
            Command::Convert {
                file,
                output,
                flavor,
                without_optimizer,
            } => {
                let model = densely::load_model(&file)?;
                let flavor = match flavor {
                    Flavor::Keras2 => KerasFlavor::Keras2,
                    Flavor::Keras3 => KerasFlavor::Keras3,
                };
                let options = SaveOptions::default()
                    .keras_flavor(flavor)
                    .include_optimizer(!without_optimizer);
                model.save_with(&output, options)
            }
            Command::Predict {
                file,
                inputs,
                output,
                batch_size,
            } => predict(&file, &inputs, output.as_deref(), batch_size),
            Command::Plot {
                file,
                output,
                show_shapes,
                show_activations,
                dpi,
            } => {
                let options = PlotOptions::default()
                    .show_shapes(show_shapes)
                    .show_layer_activations(show_activations)
                    .dpi(dpi);
                densely::load_model(&file)?.plot_model(&output, options)
            }
        }
    }
}

/// `densely predict`: the model's predictions for the samples of the `.npy` files.
fn predict(
    file: &Path,
    inputs: &[PathBuf],
    output: Option<&Path>,
    batch_size: usize,
) -> densely::Result<()> {
    let mut model: DynamicModel = densely::load_model(file)?;
    let arrays = inputs
        .iter()
        .map(|path| numpy::load(path)?.to_array())
        .collect::<densely::Result<Vec<_>>>()?;
    let parts: Vec<&dyn AnySamples> = arrays.iter().map(|a| a as &dyn AnySamples).collect();
    let predictions = model.predict_batched(Parts::from_slice(&parts), batch_size)?;
    let names = model.output_names();
    match output {
        Some(path) if predictions.len() == 1 => numpy::save(path, &predictions[0]),
        Some(path) => {
            for (name, prediction) in names.iter().zip(&predictions) {
                numpy::save(per_output(path, name), prediction)?;
            }
            Ok(())
        }
        None => {
            for (name, prediction) in names.iter().zip(&predictions) {
                if predictions.len() > 1 {
                    println!("# {name}");
                }
                let width: usize = prediction.shape()[1..].iter().product();
                for row in prediction.values().chunks(width.max(1)) {
                    let cells: Vec<String> = row.iter().map(f32::to_string).collect();
                    println!("{}", cells.join(","));
                }
            }
            Ok(())
        }
    }
}

/// `out.npy` with an output's name: `out_main_output.npy`.
fn per_output(path: &Path, name: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_else(|| "npy".into());
    path.with_file_name(format!("{stem}_{name}.{extension}"))
}
