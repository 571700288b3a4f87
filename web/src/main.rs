//! Entry point of the browser app: install the panic hook and mount [`convlab_web::App`].

fn main() {
    convlab_web::panic_notice::install();
    leptos::mount::mount_to_body(convlab_web::App);
}
