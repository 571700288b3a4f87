//! The shell: router, navigation, light/dark theme.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::components::theme::ThemeToggle;
use crate::pages::{
    arithmetic::ArithmeticPage, conv1d::Convolution1dPage, home::HomePage, not_found::NotFoundPage,
    pooling::PoolingPage, sobel::SobelPage,
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
];

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
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
                </Routes>
            </main>
            <footer class="footer">
                "Lecture 3: More complex Machine Learning models — convolutions, pooling and autoencoders. "
                "Everything runs in your browser; nothing is sent anywhere."
            </footer>
        </Router>
    }
}
