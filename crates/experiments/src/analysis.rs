//! What a trained network reveals on the chapter's splits: predictions, confusion matrices, top
//! samples, mistakes and weight templates.

use datasets::{Loaded, Split};
use introspect::{
    ClassMeans, ConfusionMatrix, Mistake, Ml4aOptions, Ml4aSummary, OutputBars, Predictions,
    Summary, SummaryMeta, TemplateScores, Templates, TopSamples, select_mistakes, template_scores,
};

use datasets::Feed;

use crate::data::predict;
use crate::error::ExperimentError;
use crate::training::Trained;

/// How many samples per confusion cell the summaries keep: all the demo pages show.
pub const SUMMARY_TOPS: usize = 24;

/// One network evaluated on one split.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// Which split.
    pub split: Split,
    /// Dataset index of the split's first sample (sample `i` of the split is dataset image
    /// `first_index + i` of its file).
    pub first_index: usize,
    /// Probabilities and predictions of every sample.
    pub predictions: Predictions,
    /// Counts, rows = actual.
    pub confusion: ConfusionMatrix,
    /// Every cell's samples by confidence.
    pub tops: TopSamples,
    /// Two understandable and two glaring mistakes, by the stated rule.
    pub mistakes: Vec<Mistake>,
}

impl Evaluated {
    /// Accuracy in `0..=1` (0 for an empty split).
    pub fn accuracy(&self) -> f64 {
        self.confusion.accuracy().unwrap_or(0.0)
    }
}

/// A trained network, looked inside.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The chapter's held-out split.
    pub held_out: Evaluated,
    /// The official test set.
    pub test: Evaluated,
    /// The first layer's units as images.
    pub templates: Templates,
    /// For a 1-layer net, each output template against each class mean of the train split.
    pub template_scores: Option<TemplateScores>,
    /// For a 2-layer net, each output unit's weights over the hidden units.
    pub bars: Option<OutputBars>,
    /// Class names.
    pub classes: Vec<String>,
}

/// Evaluates `trained` on the held-out and test splits of `data` and reads its weights.
///
/// # Errors
/// An introspection error when a label lies outside the network's classes.
pub fn analyse(trained: &Trained, data: &Loaded) -> Result<Analysis, ExperimentError> {
    let eval = |split| -> Result<Evaluated, ExperimentError> {
        let feed = Feed::new(data.view(split), &trained.spec.input_scaling);
        let predictions = predict(&feed, &trained.model)?;
        let confusion = ConfusionMatrix::from_predictions(&predictions);
        let tops = TopSamples::from_predictions(&predictions);
        let mistakes = select_mistakes(&predictions, 2, 2);
        Ok(Evaluated {
            split,
            first_index: feed.view().range().start,
            predictions,
            confusion,
            tops,
            mistakes,
        })
    };
    let held_out = eval(Split::HeldOut)?;
    let test = eval(Split::Test)?;
    let train = data.view(Split::Train);
    let s = train.shape();
    let layers = trained.model.layers();
    let templates = Templates::from_weight(&layers[0].weight, s);
    let (template_scores, bars) = if layers.len() == 1 {
        let means = ClassMeans::from_u8_rows(train.num_classes(), s.len(), train.iter())?;
        (Some(template_scores(&templates, &means)), None)
    } else {
        (
            None,
            Some(OutputBars::from_weight(&layers[layers.len() - 1].weight)),
        )
    };
    Ok(Analysis {
        held_out,
        test,
        templates,
        template_scores,
        bars,
        classes: train.classes().to_vec(),
    })
}

/// Our summary of one evaluation (JSON with metadata).
pub fn summary(trained: &Trained, ev: &Evaluated, classes: &[String]) -> Summary {
    let meta = SummaryMeta {
        dataset: trained.spec.data.name().to_string(),
        split: ev.split.name().to_string(),
        model: trained.spec.id.clone(),
        seed: trained.spec.init_seed,
        first_index: ev.first_index,
        classes: classes.to_vec(),
    };
    Summary::new(
        meta,
        &ev.confusion,
        &ev.tops,
        ev.mistakes.clone(),
        SUMMARY_TOPS,
    )
}

/// The same evaluation in the schema the original ml4a demo pages read.
pub fn ml4a_summary(ev: &Evaluated) -> Ml4aSummary {
    Ml4aSummary::new(
        &ev.confusion,
        &ev.tops,
        Ml4aOptions {
            max_tops: SUMMARY_TOPS,
            index_offset: ev.first_index,
        },
    )
}
