//! Reading numbers back from the device, asynchronously: the only way that works on WebGPU in
//! a browser (a synchronous read panics there). Natively, `block_on` these.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::kind::Basic;
use burn::tensor::{Device, Element, Tensor, TensorData};

/// The values of `tensor` as plain numbers, in one transfer; `what` names them in an error
/// ("the loss", "the weights").
pub async fn read_values<E: Element, K: Basic, const D: usize>(
    tensor: Tensor<D, K>,
    what: &str,
) -> Result<Vec<E>, String> {
    tensor
        .into_data_async()
        .await
        .map_err(|err| format!("cannot read {what} back from the device: {err:?}"))?
        .convert::<E>()
        .try_into_vec::<E>()
        .map_err(|err| format!("{what} read back have an unexpected type: {err:?}"))
}

/// A copy of `model` on the CPU (`flex`), its parameters read back from the device in one
/// transfer: what a model trained on WebGPU needs before it can be saved (saving reads its
/// tensors synchronously). A parameter that is not a finite number is refused, naming it.
pub async fn copy_to_cpu<M: Module>(model: &M) -> Result<M, String> {
    let (names, values) = read_parameters(model, |_| true, "the parameters").await?;
    let mut place = Place {
        device: Device::flex(),
        values,
        at: 0,
        names: names.into_iter(),
        bad: None,
    };
    let copy = model.clone().map(&mut place);
    if let Some(bad) = place.bad {
        return Err(bad);
    }
    if place.at != place.values.len() {
        return Err(format!(
            "the model's parameters changed while being copied ({} of {} values placed)",
            place.at,
            place.values.len()
        ));
    }
    Ok(copy)
}

/// The float parameters of `model` whose path (`["conv1", "weight"]`) `keep` accepts, one
/// after another, read back in one transfer, with their names (`conv1.weight`).
pub(crate) async fn read_parameters<M: Module>(
    model: &M,
    keep: fn(&[String]) -> bool,
    what: &str,
) -> Result<(Vec<String>, Vec<f32>), String> {
    let mut flat = Gather {
        keep,
        path: Vec::new(),
        names: Vec::new(),
        parts: Vec::new(),
    };
    model.visit(&mut flat);
    if flat.parts.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let values = read_values(Tensor::cat(flat.parts, 0), what).await?;
    Ok((flat.names, values))
}

struct Gather {
    keep: fn(&[String]) -> bool,
    path: Vec<String>,
    names: Vec<String>,
    parts: Vec<Tensor<1>>,
}

impl ModuleVisitor for Gather {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !(self.keep)(&self.path) {
            return;
        }
        let w = param.val();
        let count = w.shape().num_elements();
        self.names.push(self.path.join("."));
        self.parts.push(w.reshape([count]));
    }
}

struct Place {
    device: Device,
    values: Vec<f32>,
    at: usize,
    names: std::vec::IntoIter<String>,
    bad: Option<String>,
}

impl ModuleMapper for Place {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let name = self.names.next().unwrap_or_default();
        param.map(|tensor| {
            let shape = tensor.shape();
            let end = self.at + shape.num_elements();
            let Some(values) = self.values.get(self.at..end) else {
                self.bad.get_or_insert_with(|| {
                    format!("the parameters read back are fewer than {name} needs")
                });
                return tensor;
            };
            self.at = end;
            if values.iter().any(|v| !v.is_finite()) {
                self.bad
                    .get_or_insert_with(|| format!("{name} holds a value that is not a number"));
            }
            Tensor::from_data(TensorData::new(values.to_vec(), shape), &self.device)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convlab_model::LeNet5Config;
    use futures::executor::block_on;

    #[test]
    fn the_copy_gives_the_same_outputs_and_saves() {
        let _serial = crate::test_support::serial();
        let device = Device::flex();
        device.seed(3);
        let net = LeNet5Config::new().init(&device);
        let copy = block_on(copy_to_cpu(&net)).unwrap();
        let images = Tensor::<4>::random(
            [2, 1, 28, 28],
            burn::tensor::Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let a: Vec<f32> = block_on(read_values(net.forward(images.clone()), "a")).unwrap();
        let b: Vec<f32> = block_on(read_values(copy.forward(images), "b")).unwrap();
        assert_eq!(a, b);
        assert_eq!(copy.num_params(), net.num_params());
        let bytes = copy.into_record().into_bytes().unwrap();
        assert!(bytes.len() > 4 * 61_706);
    }

    #[test]
    fn a_nan_is_refused_by_name() {
        let _serial = crate::test_support::serial();
        let device = Device::flex();
        let net = LeNet5Config::new().init(&device);
        let mut poison = Poison;
        let net = net.map(&mut poison);
        let err = block_on(copy_to_cpu(&net)).unwrap_err();
        assert!(err.contains("conv1.weight"), "{err}");
    }

    /// Makes every parameter NaN; the error names the first.
    struct Poison;

    impl ModuleMapper for Poison {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|t| t.mul_scalar(f32::NAN))
        }
    }
}
