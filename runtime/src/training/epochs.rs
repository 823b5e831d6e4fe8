//! The batches of each epoch, as Keras's `EpochIterator` deals them: passes over data in
//! memory (shuffled per pass) or over a [`BatchSource`], cut into epochs by `steps_per_epoch`.

use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::network::Network;
use crate::source::{BatchSource, Stage};
use crate::weights::{BatchWeights, DataWeights};

/// Passes over a data set, batch by batch, each staged into a model's workspace.
pub(crate) trait Passes<N: Network> {
    /// The batches of a pass, when known.
    fn batches(&self) -> Option<usize>;
    /// Starts pass `pass`.
    fn rewind(&mut self, pass: usize) -> Result<()>;
    /// Stages the next batch of the pass and its sample weights: its number of samples, or
    /// `None` when the pass is over.
    fn next(
        &mut self,
        workspace: &mut N::Workspace,
        weights: &mut BatchWeights,
    ) -> Result<Option<usize>>;
}

/// Samples that can be read in any order: the chosen rows, `batch_size` at a time, in order
/// or shuffled anew for each pass.
pub(crate) struct Rows<'i, 't, 'w, N: Network> {
    inputs: N::Inputs<'i>,
    targets: N::Targets<'t>,
    weights: DataWeights<'w>,
    rows: Vec<usize>,
    order: Vec<usize>,
    batch_size: usize,
    /// The seed of the shuffles, if shuffled.
    shuffle: Option<u64>,
    at: usize,
}

impl<'i, 't, 'w, N: Network> Rows<'i, 't, 'w, N> {
    pub(crate) fn new(
        (inputs, targets, weights): (N::Inputs<'i>, N::Targets<'t>, DataWeights<'w>),
        rows: Vec<usize>,
        batch_size: usize,
        shuffle: Option<u64>,
    ) -> Self {
        Rows {
            inputs,
            targets,
            weights,
            order: rows.clone(),
            rows,
            batch_size,
            shuffle,
            at: 0,
        }
    }
}

impl<N: Network> Passes<N> for Rows<'_, '_, '_, N> {
    fn batches(&self) -> Option<usize> {
        Some(self.rows.len().div_ceil(self.batch_size))
    }

    fn rewind(&mut self, pass: usize) -> Result<()> {
        self.order.copy_from_slice(&self.rows);
        if let Some(seed) = self.shuffle {
            let mut rng = rand::rngs::StdRng::seed_from_u64(pass_seed(seed, pass));
            self.order.shuffle(&mut rng);
        }
        self.at = 0;
        Ok(())
    }

    fn next(
        &mut self,
        workspace: &mut N::Workspace,
        weights: &mut BatchWeights,
    ) -> Result<Option<usize>> {
        if self.at >= self.order.len() {
            return Ok(None);
        }
        let end = (self.at + self.batch_size).min(self.order.len());
        let batch = &self.order[self.at..end];
        N::stage_inputs(workspace, self.inputs, batch)?;
        N::stage_targets(workspace, self.targets, batch)?;
        self.weights.stage(weights, batch);
        self.at = end;
        Ok(Some(batch.len()))
    }
}

/// The seed of one pass's shuffle: a function of the fit's seed and the pass alone, so that a
/// resumed training shuffles as the uninterrupted one would.
pub(crate) fn pass_seed(seed: u64, pass: usize) -> u64 {
    seed ^ (pass as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A [`BatchSource`]'s batches.
pub(crate) struct Source<'s, N: Network> {
    source: Box<dyn BatchSource<N> + 's>,
    /// `0..samples` for staging, kept from batch to batch.
    rows: Vec<usize>,
    /// The model's graph, for the outputs a batch's sample weights name.
    graph: Graph,
}

impl<'s, N: Network> Source<'s, N> {
    pub(crate) fn new(source: impl BatchSource<N> + 's, graph: Graph) -> Self {
        Self::boxed(Box::new(source), graph)
    }

    pub(crate) fn boxed(source: Box<dyn BatchSource<N> + 's>, graph: Graph) -> Self {
        Source {
            source,
            rows: Vec::new(),
            graph,
        }
    }
}

impl<N: Network> Passes<N> for Source<'_, N> {
    fn batches(&self) -> Option<usize> {
        self.source.batches()
    }

    fn rewind(&mut self, pass: usize) -> Result<()> {
        self.source.rewind(pass)
    }

    fn next(
        &mut self,
        workspace: &mut N::Workspace,
        weights: &mut BatchWeights,
    ) -> Result<Option<usize>> {
        let mut stage = Stage::new(&self.graph, workspace, weights, &mut self.rows);
        if !self.source.next_batch(&mut stage)? {
            return Ok(None);
        }
        match stage.samples() {
            0 => Err(Error::Argument {
                argument: "source",
                reason: "next_batch said it handed over a batch but put none (call stage.put)"
                    .into(),
            }),
            samples => Ok(Some(samples)),
        }
    }
}

/// What the next step of an epoch is.
pub(crate) enum Step {
    /// A batch of this many samples is staged.
    Batch(usize),
    /// The epoch is over.
    End,
    /// The pass ended before `steps_per_epoch` batches: the epoch ends early and the next
    /// starts a new pass, as Keras's does after warning that the input ran out.
    EndEarly,
}

/// Keras's `EpochIterator`: without `steps_per_epoch` each epoch is a pass over the data;
/// with it, each epoch takes that many batches and the next goes on where it stopped,
/// starting a new pass when one of known length is over.
pub(crate) struct Epochs<'p, N: Network> {
    passes: &'p mut (dyn Passes<N> + 'p),
    steps_per_epoch: Option<usize>,
    /// The number of the next pass to start.
    next_pass: usize,
    /// Whether a pass is under way.
    in_pass: bool,
    /// Batches dealt in the current pass.
    seen: usize,
    /// The batches of a pass, once one of unknown length has been counted.
    counted: Option<usize>,
}

impl<'p, N: Network> Epochs<'p, N> {
    /// Epochs over `passes`, the first pass numbered `first_pass`.
    pub(crate) fn new(
        passes: &'p mut (dyn Passes<N> + 'p),
        steps_per_epoch: Option<usize>,
        first_pass: usize,
    ) -> Self {
        Epochs {
            passes,
            steps_per_epoch,
            next_pass: first_pass,
            in_pass: false,
            seen: 0,
            counted: None,
        }
    }

    /// The batches of a pass, when known or counted.
    fn pass_batches(&self) -> Option<usize> {
        self.passes.batches().or(self.counted)
    }

    /// The batches of an epoch, when known: `steps_per_epoch`, or a pass's.
    pub(crate) fn steps(&self) -> Option<usize> {
        self.steps_per_epoch.or_else(|| self.pass_batches())
    }

    /// Starts an epoch: a new pass, unless `steps_per_epoch` goes on with one under way.
    pub(crate) fn start(&mut self) -> Result<()> {
        let exhausted = self.pass_batches().is_some_and(|b| self.seen >= b);
        if self.steps_per_epoch.is_none() || !self.in_pass || exhausted {
            self.passes.rewind(self.next_pass)?;
            self.next_pass += 1;
            self.in_pass = true;
            self.seen = 0;
        }
        Ok(())
    }

    /// Stages batch `step` of the epoch (counting from 0).
    pub(crate) fn next(
        &mut self,
        step: usize,
        workspace: &mut N::Workspace,
        weights: &mut BatchWeights,
    ) -> Result<Step> {
        if self.steps_per_epoch.is_some_and(|steps| step >= steps) {
            return Ok(Step::End);
        }
        if let Some(samples) = self.passes.next(workspace, weights)? {
            self.seen += 1;
            return Ok(Step::Batch(samples));
        }
        self.in_pass = false;
        if self.seen == 0 {
            return Err(Error::Argument {
                argument: "source",
                reason: format!(
                    "pass {} over the data held no batch: a source must hand over at least one",
                    self.next_pass - 1
                ),
            });
        }
        if self.counted.is_none() && self.passes.batches().is_none() {
            self.counted = Some(self.seen);
        }
        match self.steps_per_epoch {
            None => Ok(Step::End),
            Some(_) => Ok(Step::EndEarly),
        }
    }
}
