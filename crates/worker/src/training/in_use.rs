//! Networks trained in the labs that answer the model pages in place of the shipped ones: the
//! classifier lab's LeNet-5 (for [`Request::Classify`]) and the VAE lab's VAE (for every
//! request naming the shipped VAE of the same latent size: VAE-2 or VAE-16). Each is a copy of
//! the run's weights when it was put in use, kept after the run ends, and answers only on the
//! backend it was trained on.
//!
//! [`Request::Classify`]: convlab_protocol::Request::Classify

use std::cell::RefCell;
use std::rc::Rc;

use convlab_model::{CpuDecoder, LeNet5, Vae};
use convlab_protocol::{Backend, VaeChoice};

/// The VAE lab's VAE in a shipped one's place.
#[derive(Clone)]
pub struct VaeInUse {
    pub vae: Vae,
    /// Its decoder laid out for the CPU, on the CPU backend.
    pub cpu_decoder: Option<Rc<CpuDecoder>>,
}

thread_local! {
    static CLASSIFIER: RefCell<Option<(Backend, LeNet5)>> = const { RefCell::new(None) };
    static VAE: RefCell<Option<(Backend, VaeChoice, VaeInUse)>> = const { RefCell::new(None) };
}

/// The trained LeNet-5 put in use on `backend`, if one is.
pub fn classifier(backend: Backend) -> Option<LeNet5> {
    CLASSIFIER.with(|u| {
        u.borrow()
            .as_ref()
            .filter(|(b, _)| *b == backend)
            .map(|(_, net)| net.clone())
    })
}

/// Puts `net` in the shipped LeNet-5's place on `backend`; `None` puts the shipped one back.
pub(super) fn set_classifier(net: Option<(Backend, LeNet5)>) {
    CLASSIFIER.with(|u| *u.borrow_mut() = net);
}

/// The trained VAE in `which`'s place on `backend`, if one is.
pub fn vae(backend: Backend, which: VaeChoice) -> Option<VaeInUse> {
    VAE.with(|u| {
        u.borrow()
            .as_ref()
            .filter(|(b, w, _)| *b == backend && *w == which)
            .map(|(_, _, vae)| vae.clone())
    })
}

/// The shipped VAE a trained one of `latent` units takes the place of.
pub fn vae_choice(latent: usize) -> Result<VaeChoice, String> {
    match latent {
        2 => Ok(VaeChoice::Vae2),
        16 => Ok(VaeChoice::Vae16),
        _ => Err(format!(
            "a VAE with a latent size of {latent} has no shipped VAE to stand in for: the app \
             ships VAE-2 and VAE-16"
        )),
    }
}

/// Puts `vae` in the shipped VAE of its latent size's place on `backend`; `None` puts the
/// shipped ones back.
pub(super) fn set_vae(vae: Option<(Backend, Vae)>) -> Result<(), String> {
    let entry = match vae {
        None => None,
        Some((backend, vae)) => {
            let which = vae_choice(vae.latent_dim())?;
            let cpu_decoder = (backend == Backend::Cpu)
                .then(|| CpuDecoder::new(&vae.decoder).map(Rc::new))
                .flatten();
            Some((backend, which, VaeInUse { vae, cpu_decoder }))
        }
    };
    VAE.with(|u| *u.borrow_mut() = entry);
    Ok(())
}
