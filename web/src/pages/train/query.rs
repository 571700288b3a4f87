//! The lab's settings in the URL query, one key each, as one [`LabSettings`] signal.

use convlab_digits::AugmentConfig;
use leptos::prelude::*;

use super::settings::LabSettings;
use crate::url_state::use_query_state;

/// The settings in the address bar (defaults where a key is absent or unreadable), and a
/// setter for all of them at once.
pub(super) fn use_lab_settings() -> (Signal<LabSettings>, Callback<LabSettings>) {
    let d = LabSettings::DEFAULT;
    let (data, set_data) = use_query_state("data", d.data);
    let (train, set_train) = use_query_state("n", d.train);
    let (validation, set_validation) = use_query_state("nv", d.validation);
    let (test, set_test) = use_query_state("nt", d.test);
    let (seed, set_seed) = use_query_state("seed", d.seed);
    let (optimizer, set_optimizer) = use_query_state("opt", d.optimizer);
    let (model, set_model) = use_query_state("model", d.model);
    let (depth, set_depth) = use_query_state("depth", d.depth);
    let (width, set_width) = use_query_state("width", d.width);
    let (activation, set_activation) = use_query_state("act", d.activation);
    let (bias, set_bias) = use_query_state("bias", d.bias);
    let (layer_norm, set_layer_norm) = use_query_state("ln", d.layer_norm);
    let (translate, set_translate) = use_query_state("shift", d.augment.translate);
    let (rotate, set_rotate) = use_query_state("rot", d.augment.rotate);
    let (scale, set_scale) = use_query_state("zoom", d.augment.scale);
    let (flip, set_flip) = use_query_state("flip", d.augment.flip);
    let (flip_vertical, set_flip_vertical) = use_query_state("vflip", d.augment.flip_vertical);
    let (noise, set_noise) = use_query_state("noise", d.augment.noise);
    let (learning_rate, set_learning_rate) = use_query_state("lr", d.learning_rate);
    let (batch_size, set_batch_size) = use_query_state("bs", d.batch_size);
    let (l1, set_l1) = use_query_state("l1", d.l1);
    let (l2, set_l2) = use_query_state("l2", d.l2);
    let (epochs, set_epochs) = use_query_state("ep", d.epochs);

    let settings = Signal::derive(move || LabSettings {
        data: data.get(),
        train: train.get(),
        validation: validation.get(),
        test: test.get(),
        seed: seed.get(),
        optimizer: optimizer.get(),
        model: model.get(),
        depth: depth.get(),
        width: width.get(),
        activation: activation.get(),
        bias: bias.get(),
        layer_norm: layer_norm.get(),
        augment: AugmentConfig {
            translate: translate.get(),
            rotate: rotate.get(),
            scale: scale.get(),
            flip: flip.get(),
            flip_vertical: flip_vertical.get(),
            noise: noise.get(),
        },
        learning_rate: learning_rate.get(),
        batch_size: batch_size.get(),
        l1: l1.get(),
        l2: l2.get(),
        epochs: epochs.get(),
    });
    let set = Callback::new(move |s: LabSettings| {
        set_data.run(s.data);
        set_train.run(s.train);
        set_validation.run(s.validation);
        set_test.run(s.test);
        set_seed.run(s.seed);
        set_optimizer.run(s.optimizer);
        set_model.run(s.model);
        set_depth.run(s.depth);
        set_width.run(s.width);
        set_activation.run(s.activation);
        set_bias.run(s.bias);
        set_layer_norm.run(s.layer_norm);
        set_translate.run(s.augment.translate);
        set_rotate.run(s.augment.rotate);
        set_scale.run(s.augment.scale);
        set_flip.run(s.augment.flip);
        set_flip_vertical.run(s.augment.flip_vertical);
        set_noise.run(s.augment.noise);
        set_learning_rate.run(s.learning_rate);
        set_batch_size.run(s.batch_size);
        set_l1.run(s.l1);
        set_l2.run(s.l2);
        set_epochs.run(s.epochs);
    });
    (settings, set)
}
