//! What a burst reports of the weights themselves: their histogram and how many are (nearly)
//! zero, for the L1/L2 section of the training lab.

use convlab_learn::WeightSummary;
use convlab_protocol::WeightStats;

/// Bins of the weights' histogram.
const WEIGHT_BINS: usize = 41;

/// The histogram (symmetric around 0, as wide as the largest finite weight) and the counts.
pub(super) fn weight_stats(summary: &WeightSummary) -> WeightStats {
    let values = &summary.values;
    let reach = values
        .iter()
        .fold(
            0.0f32,
            |m, w| if w.is_finite() { m.max(w.abs()) } else { m },
        )
        .max(1e-6);
    let mut bins = vec![0u32; WEIGHT_BINS];
    for w in values.iter().filter(|w| w.is_finite()) {
        let at = ((w + reach) / (2.0 * reach) * WEIGHT_BINS as f32) as usize;
        bins[at.min(WEIGHT_BINS - 1)] += 1;
    }
    let count = |within: f32| values.iter().filter(|w| w.abs() <= within).count() as u32;
    WeightStats {
        count: values.len() as u32,
        zero: count(0.0),
        tiny: count(1e-3),
        lo: -reach,
        hi: reach,
        bins,
    }
}
