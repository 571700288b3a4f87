//! The browser's WebGPU device, initialised once per worker: a second initialisation of the
//! same runtime fails ("Service already created"), so every load shares this one. wgpu's
//! device-lost callback records why the device is gone and tells [`on_lost`]'s hook.

#[cfg(feature = "webgpu")]
mod imp {
    use std::cell::RefCell;

    use burn::tensor::Device;
    use burn::tensor::wgpu::{WgpuBackend, WgpuSetup};
    use futures::FutureExt;
    use futures::future::{LocalBoxFuture, Shared};

    type Init = Shared<LocalBoxFuture<'static, Result<Device, String>>>;
    type Hook = Box<dyn Fn(String)>;

    thread_local! {
        static DEVICE: RefCell<Option<Init>> = const { RefCell::new(None) };
        static SETUP: RefCell<Option<WgpuSetup>> = const { RefCell::new(None) };
        static LOST: RefCell<Option<String>> = const { RefCell::new(None) };
        static ON_LOST: RefCell<Option<Hook>> = const { RefCell::new(None) };
    }

    /// Runs `f` with the reason when the device is lost (replacing an earlier hook).
    pub fn on_lost(f: impl Fn(String) + 'static) {
        ON_LOST.with(|h| *h.borrow_mut() = Some(Box::new(f)));
    }

    /// The device, initialising it on first use.
    pub async fn device() -> Result<Device, String> {
        if let Some(why) = lost() {
            return Err(why);
        }
        let init = DEVICE.with(|d| {
            d.borrow_mut()
                .get_or_insert_with(|| init().boxed_local().shared())
                .clone()
        });
        init.await
    }

    async fn init() -> Result<Device, String> {
        let (device, setup) = Device::wgpu_options()
            .graphics_api(WgpuBackend::WebGpu)
            .init_with_setup_async()
            .await
            .map_err(|e| format!("no WebGPU device: {e}"))?;
        // A worker is single-threaded: the callback runs on its thread, where the hook lives.
        setup.device.set_device_lost_callback(|reason, message| {
            let why = format!("the GPU device was lost ({reason:?}: {message})");
            LOST.with(|l| *l.borrow_mut() = Some(why.clone()));
            ON_LOST.with(|h| {
                if let Some(hook) = h.borrow().as_ref() {
                    hook(why);
                }
            });
        });
        SETUP.with(|s| *s.borrow_mut() = Some(setup));
        Ok(device)
    }

    /// Why the device is gone, once it is.
    pub fn lost() -> Option<String> {
        LOST.with(|l| l.borrow().clone())
    }

    /// Destroys the device, as a driver reset or a GPU taken away would (for tests).
    pub fn destroy() {
        SETUP.with(|s| {
            if let Some(setup) = s.borrow().as_ref() {
                setup.device.destroy();
            }
        });
    }
}

#[cfg(not(feature = "webgpu"))]
mod imp {
    /// Without the `webgpu` feature there is no device to have.
    pub async fn device() -> Result<burn::tensor::Device, String> {
        Err("this build has no WebGPU".to_string())
    }

    /// Never lost: never had.
    pub fn lost() -> Option<String> {
        None
    }

    /// Nothing to watch.
    pub fn on_lost(_: impl Fn(String) + 'static) {}

    /// Nothing to destroy.
    pub fn destroy() {}
}

pub use imp::{destroy, device, lost, on_lost};
