//! The whole chapter as one call: load the data, train (or load) each network, analyse it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use nn::EpochReport;

use crate::analysis::{Analysis, analyse};
use crate::data::{Data, DataDir};
use crate::error::ExperimentError;
use crate::spec::{DataKind, NetworkId, Spec};
use crate::training::{Trained, train};

/// How to run a set of specs.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Where the data lives.
    pub data_dir: DataDir,
    /// Model cache directory; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Train even when the cache holds a matching model (the result is still cached).
    pub fresh: bool,
}

/// Hooks a front end uses to show progress.
pub trait Progress {
    /// A spec starts training (not called when it comes from the cache).
    fn start(&mut self, spec: &Spec);
    /// An epoch finished.
    fn epoch(&mut self, spec: &Spec, report: &EpochReport);
    /// The spec is trained or loaded, and analysed.
    fn done(&mut self, spec: &Spec, trained: &Trained, analysis: &Analysis);
}

/// Progress that shows nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _: &Spec) {}
    fn epoch(&mut self, _: &Spec, _: &EpochReport) {}
    fn done(&mut self, _: &Spec, _: &Trained, _: &Analysis) {}
}

/// One spec, trained and looked inside.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The network and its training history.
    pub trained: Trained,
    /// What it reveals.
    pub analysis: Analysis,
}

/// Every spec of a run, trained and analysed, with the data they used.
pub struct Results {
    /// In the order the specs were given.
    pub outcomes: Vec<Outcome>,
    /// The loaded datasets.
    pub data: BTreeMap<DataKind, Data>,
    /// Wall time of the whole run.
    pub total_seconds: f64,
}

impl Results {
    /// The outcome of a chapter network, when it is part of these results.
    pub fn network(&self, id: NetworkId) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.trained.spec.id == id.id())
    }

    /// The data a spec used.
    ///
    /// # Panics
    /// If the spec's data is not part of this run (it always is for its own outcomes).
    pub fn data_of(&self, spec: &Spec) -> &Data {
        &self.data[&spec.data]
    }
}

/// Trains (or loads from the cache) and analyses every spec, loading each dataset once.
///
/// # Errors
/// The first error: missing data (with a hint saying where to put it), divergence, or IO.
pub fn train_and_analyse(
    specs: &[Spec],
    opts: &PipelineOptions,
    progress: &mut dyn Progress,
) -> Result<Results, ExperimentError> {
    let start = Instant::now();
    let mut data: BTreeMap<DataKind, Data> = BTreeMap::new();
    let mut outcomes = Vec::with_capacity(specs.len());
    for spec in specs {
        if !data.contains_key(&spec.data) {
            data.insert(spec.data.clone(), opts.data_dir.load(&spec.data)?);
        }
        let loaded = &data[&spec.data];
        let cache = opts.cache_dir.as_deref();
        let trained = if opts.fresh {
            fresh(spec, loaded, cache, progress)?
        } else {
            let mut started = false;
            train(spec, loaded, cache, &mut |r| {
                if !started {
                    started = true;
                    progress.start(spec);
                }
                progress.epoch(spec, r);
            })?
        };
        let analysis = analyse(&trained, loaded)?;
        progress.done(spec, &trained, &analysis);
        outcomes.push(Outcome { trained, analysis });
    }
    Ok(Results {
        outcomes,
        data,
        total_seconds: start.elapsed().as_secs_f64(),
    })
}

/// Trains ignoring any cached entry, then stores the result in the cache.
fn fresh(
    spec: &Spec,
    loaded: &Data,
    cache: Option<&std::path::Path>,
    progress: &mut dyn Progress,
) -> Result<Trained, ExperimentError> {
    progress.start(spec);
    let mut t = train(spec, loaded, None, &mut |r| progress.epoch(spec, r))?;
    if let Some(c) = cache {
        // Training is deterministic: storing under the key replaces an equal entry.
        crate::training::store_in(&t, c)?;
        t.from_cache = false;
    }
    Ok(t)
}
