//! `VaeConfig::init_seeded` draws the same weights whatever is used first. Alone in its own
//! test binary: Burn's CPU generator is shared by the threads of a process, and the unit tests
//! running beside it would draw from it between the seed and the draws.
#![allow(clippy::unwrap_used)]

use burn::tensor::{Device, Tensor};
use convlab_model::VaeConfig;

#[test]
fn seeded_weights_do_not_depend_on_the_order_of_use() {
    let device = Device::flex();
    let config = VaeConfig::new().with_latent_dim(2);
    let z = Tensor::<2>::from_data([[0.5f32, -1.0]], &device);
    let a = config.init_seeded(7, &device);
    let b = config.init_seeded(7, &device);
    // `a` decodes first, `b` encodes first: the same weights all the same.
    let decoded = a.decode(z.clone());
    let _ = b.encode(Tensor::zeros([1, 1, 28, 28], &device));
    let off: f32 = (decoded - b.decode(z)).abs().max().into_scalar();
    assert_eq!(off, 0.0);
    let other = config.init_seeded(8, &device);
    assert_ne!(
        a.decoder.fc.weight.val().into_data(),
        other.decoder.fc.weight.val().into_data()
    );
}
