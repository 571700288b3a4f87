//! What one step of the animation does: the sentence under the picture, and the cells it
//! highlights in the value grids.

use convlab_kernels::conv2d::multiply_adds;
use convlab_kernels::transposed::stamp_targets;

use super::settings::Layer;
use crate::url_state::format_number;

/// One sentence about the current step.
pub(super) fn step_text(layer: &Layer, step: usize) -> String {
    let s = layer.settings;
    let total = layer.steps();
    let channels = if s.channels_in > 1 {
        format!(
            " (one input channel; the layer adds this up over all {} channels and adds a bias)",
            s.channels_in
        )
    } else {
        String::new()
    };
    if s.transposed {
        let i = s.input;
        let (row, col) = (step / i, step % i);
        let x = layer.input[(row, col)];
        let hits = stamp_targets(
            &layer.kernel,
            s.transposed_params(),
            (layer.size(), layer.size()),
            (row, col),
        )
        .len();
        let all = s.kernel * s.kernel;
        let cropped = match all - hits {
            0 => String::new(),
            1 => ", 1 more is cropped away by the padding".to_string(),
            n => format!(", {n} more are cropped away by the padding"),
        };
        let cells = if hits == 1 { "cell" } else { "cells" };
        format!(
            "Step {} of {total}: input cell (row {}, column {}) = {} adds {} × kernel to {hits} output {cells}{cropped}{channels}.",
            step + 1,
            row + 1,
            col + 1,
            format_number(x),
            format_number(x),
        )
    } else {
        let o = layer.size();
        let (row, col) = (step / o, step % o);
        let value = layer.output[(row, col)];
        let sum = match multiply_adds(&layer.input, &layer.kernel, s.forward_params(), (row, col)) {
            Ok(terms) if terms.len() <= 9 => terms
                .iter()
                .map(|t| {
                    format!(
                        "{}·{}",
                        format_number(t.input_value),
                        format_number(t.weight)
                    )
                })
                .collect::<Vec<_>>()
                .join(" + "),
            Ok(terms) => format!("the sum of {} products", terms.len()),
            Err(e) => e.to_string(),
        };
        format!(
            "Step {} of {total}: output cell (row {}, column {}) = {sum} = {}{channels}.",
            step + 1,
            row + 1,
            col + 1,
            format_number(value),
        )
    }
}

/// The output cells the step writes: one forward, the kernel's stamp transposed.
pub(super) fn output_cells(layer: &Layer, step: usize) -> Vec<(usize, usize)> {
    let s = layer.settings;
    if s.transposed {
        let i = s.input;
        stamp_targets(
            &layer.kernel,
            s.transposed_params(),
            layer.output.shape(),
            (step / i, step % i),
        )
        .into_iter()
        .map(|(cell, _)| cell)
        .collect()
    } else {
        vec![(step / layer.size(), step % layer.size())]
    }
}

/// The input cells the step reads: the kernel's taps forward (not those on the padding), one
/// transposed.
pub(super) fn input_cells(layer: &Layer, step: usize) -> Vec<(usize, usize)> {
    let s = layer.settings;
    if s.transposed {
        vec![(step / s.input, step % s.input)]
    } else {
        let cell = (step / layer.size(), step % layer.size());
        multiply_adds(&layer.input, &layer.kernel, s.forward_params(), cell)
            .map(|terms| {
                terms
                    .into_iter()
                    .filter(|t| t.input_pos.0 >= 0 && t.input_pos.1 >= 0)
                    .map(|t| (t.input_pos.0 as usize, t.input_pos.1 as usize))
                    .filter(|&(r, c)| r < layer.input.rows() && c < layer.input.cols())
                    .collect()
            })
            .unwrap_or_default()
    }
}
