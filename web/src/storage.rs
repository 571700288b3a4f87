//! The browser's `localStorage`, for what a user would hate to lose (a drawing, the theme).
//! Storage can be missing or full (private windows, quotas): then nothing is kept, and
//! nothing fails.

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// The text stored under `key`, if any.
pub fn load(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

/// Stores `value` under `key` (an empty value removes it); a full or missing storage is
/// ignored.
pub fn save(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = if value.is_empty() {
            s.remove_item(key)
        } else {
            s.set_item(key, value)
        };
    }
}
