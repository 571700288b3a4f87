//! The shell: router, navigation, light/dark theme.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::components::theme::ThemeToggle;
use crate::ml::MlContext;
use crate::pages::{
    arithmetic::ArithmeticPage, cnn::CnnPage, conv1d::Convolution1dPage, denoise::DenoisePage,
    draw::DrawPage, generate::GeneratePage, home::HomePage, interpolate::InterpolatePage,
    latent_map::LatentMapPage, not_found::NotFoundPage, pooling::PoolingPage, sobel::SobelPage,
    train::TrainPage, train_vae::TrainVaePage,
};

/// One entry of the navigation and of the landing page's map of the lecture.
pub struct PageInfo {
    pub route: &'static str,
    pub title: &'static str,
    /// The lecture slides the page turns into something to play with.
    pub slides: &'static str,
    pub summary: &'static str,
}

/// Every page, in lecture order.
pub const PAGES: &[PageInfo] = &[
    PageInfo {
        route: "/convolution-1d",
        title: "1D convolution",
        slides: "Image Filtering – Convolutions; Convolutions – 1D example",
        summary: "Slide a flipped kernel g along a signal f and watch (f ∗ g)(t) build up as the area under their product.",
    },
    PageInfo {
        route: "/sobel",
        title: "2D convolution & Sobel",
        slides: "Convolutions – 2D; Convolutions – 2D example; ANN – Image Processing",
        summary: "Gx, Gy, G = √(Gx² + Gy²) and Θ on your own images, any kernel, and every multiply-add of one output pixel.",
    },
    PageInfo {
        route: "/pooling",
        title: "Pooling",
        slides: "Image Manipulation – Other filters (max and mean pooling)",
        summary: "The 4×4 example with editable cells: max and mean pooling with any window and stride, then on an image.",
    },
    PageInfo {
        route: "/arithmetic",
        title: "Convolution arithmetic",
        slides: "Common Nomenclature (kernel, stride, padding, filters); Conv2DTranspose – An Aside",
        summary: "Kernel, stride, padding, dilation and channels as an animated grid, the output-size formula and the parameter count; forward and transposed.",
    },
    PageInfo {
        route: "/cnn",
        title: "CNN neurons",
        slides: "CNN neurons; CNN Classifiers – LeNet5 and AlexNet; ANN – Image Processing (why convolutions)",
        summary: "One neuron with its kernel, bias and activation; LeNet-5 and AlexNet layer by layer; every feature map of your drawing; dense versus convolution weights.",
    },
    PageInfo {
        route: "/train",
        title: "Training lab",
        slides: "CNN – Model Training; Quality of a fit; Over-training; Validation/Test dataset; Confusion matrix; Vanishing gradients; Regularization L1/L2; (Layer)Normalization",
        summary: "Train LeNet-5 or a deep MLP in the browser: train, validation and test curves, over-training and early stopping, 6 ≠ 9 under rotation in the confusion matrix, a learning rate too high, L1 sparsity and L2 shrinkage, gradients vanishing through sigmoids.",
    },
    PageInfo {
        route: "/draw",
        title: "Draw & encode",
        slides: "AutoEncoder – Network design; Variational AutoEncoders; CNN Classifier (LeNet-5)",
        summary: "Draw a digit: MNIST preprocessing step by step, the VAE's μ and σ on the latent map, its reconstruction and samples, LeNet-5's answer, AE beside VAE.",
    },
    PageInfo {
        route: "/interpolate",
        title: "Interpolate",
        slides: "AutoEncoder – Latent Space (9 and 4 are close); Variational AutoEncoders",
        summary: "Slide from one digit to another through the latent space, on a straight or spherical path, and see where LeNet-5 changes its mind.",
    },
    PageInfo {
        route: "/latent-map",
        title: "Latent map",
        slides: "AutoEncoder – Latent Space (random before training, structured after)",
        summary: "Encoded digits coloured by class; click anywhere to decode; the decoded manifold; untrained versus trained weights; VAE-16 through a projection.",
    },
    PageInfo {
        route: "/generate",
        title: "Generate",
        slides: "AutoEncoders – As Generative AI models; AutoEncoders – Latent Spaces",
        summary: "Sample the prior N(0, T²I), decode, and let LeNet-5 label every new digit.",
    },
    PageInfo {
        route: "/denoise",
        title: "Denoise & anomalies",
        slides: "AutoEncoder – Noise Reduction; CNN – Other Applications (anomaly detection)",
        summary: "Noise on a digit comes back clean; letters and scribbles score as anomalies against a histogram of typical digits.",
    },
    PageInfo {
        route: "/train-vae",
        title: "VAE lab",
        slides: "Variational AutoEncoders – Loss functions (BCE + KL); Latent space random before training, structured after; overly-optimized or overly-constrained models",
        summary: "Train the VAE in the browser: BCE and KL live with their formulas, β from 0 (an autoencoder) to 10 (posterior collapse), active latent units, the latent space forming epoch by epoch, the reparameterisation of one digit, AE versus VAE samples.",
    },
];

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    // The model pages share one loaded set of models; nothing loads until one of them mounts.
    provide_context(MlContext::new());
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">
                    "convlab"
                </A>
                <nav aria-label="Pages">
                    {PAGES
                        .iter()
                        .map(|p| view! { <A href=p.route>{p.title}</A> })
                        .collect_view()}
                </nav>
                <ThemeToggle />
            </header>
            <main>
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/convolution-1d") view=Convolution1dPage />
                    <Route path=path!("/sobel") view=SobelPage />
                    <Route path=path!("/pooling") view=PoolingPage />
                    <Route path=path!("/arithmetic") view=ArithmeticPage />
                    <Route path=path!("/cnn") view=CnnPage />
                    <Route path=path!("/train") view=TrainPage />
                    <Route path=path!("/draw") view=DrawPage />
                    <Route path=path!("/interpolate") view=InterpolatePage />
                    <Route path=path!("/latent-map") view=LatentMapPage />
                    <Route path=path!("/generate") view=GeneratePage />
                    <Route path=path!("/denoise") view=DenoisePage />
                    <Route path=path!("/train-vae") view=TrainVaePage />
                </Routes>
            </main>
            <footer class="footer">
                "Lecture 3: More complex Machine Learning models — convolutions, pooling and autoencoders. "
                "Everything runs in your browser; nothing is sent anywhere."
            </footer>
        </Router>
    }
}
