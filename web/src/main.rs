//! Entry point of the browser app: install the panic hook and mount [`convlab_web::App`].

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(convlab_web::App);
}
