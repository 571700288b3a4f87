//! The ▶ Play / ❚❚ Pause of the step-by-step animations: a timer that calls the page back at a
//! fixed interval until the page says it has reached the end, is paused, or goes away.

use std::time::Duration;

use leptos::prelude::*;

/// A play/pause timer made by [`use_player`]. It is `Copy`, so closures and event handlers can
/// each hold one.
#[derive(Clone, Copy)]
pub struct Player {
    /// Whether the timer is running (to change it, use [`Player::play`] and [`Player::pause`]).
    pub playing: ReadSignal<bool>,
    set_playing: WriteSignal<bool>,
    timer: StoredValue<Option<IntervalHandle>>,
    interval: Signal<Duration>,
    on_tick: Callback<(), bool>,
    on_play: StoredValue<Option<Callback<()>>>,
    on_pause: StoredValue<Option<Callback<()>>>,
}

/// A paused player that, once playing, calls `on_tick` every `interval` until `on_tick` returns
/// `false` (the animation has reached its end). A new `interval` while playing restarts the
/// timer at the new pace. The timer stops when the calling component unmounts.
pub fn use_player(
    interval: impl Into<Signal<Duration>>,
    on_tick: impl Fn() -> bool + Send + Sync + 'static,
) -> Player {
    let (playing, set_playing) = signal(false);
    let player = Player {
        playing,
        set_playing,
        timer: StoredValue::new(None),
        interval: interval.into(),
        on_tick: Callback::new(move |()| on_tick()),
        on_play: StoredValue::new(None),
        on_pause: StoredValue::new(None),
    };
    Effect::watch(
        move || player.interval.get(),
        move |_, _, _| {
            if player.playing.get_untracked() {
                player.play();
            }
        },
        false,
    );
    // No `on_pause` here: the page's signals are going away with it.
    on_cleanup(move || player.clear_timer());
    player
}

impl Player {
    /// Runs `f` each time the player starts, before the first tick (to rewind from the end, say).
    pub fn on_play(self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_play.set_value(Some(Callback::new(move |()| f())));
        self
    }

    /// Runs `f` each time a playing player stops: paused, or at the end (not on unmount).
    pub fn on_pause(self, f: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_pause.set_value(Some(Callback::new(move |()| f())));
        self
    }

    /// Starts the timer (again, at the current interval, if it is already running).
    pub fn play(self) {
        self.clear_timer();
        if let Some(Some(f)) = self.on_play.try_get_value() {
            f.run(());
        }
        let tick = move || {
            if self.on_tick.try_run(()) == Some(false) {
                self.pause();
            }
        };
        if let Ok(handle) = set_interval_with_handle(tick, self.interval.get_untracked()) {
            self.timer.set_value(Some(handle));
            self.set_playing.set(true);
        }
    }

    /// Stops the timer; does nothing more when it was not running.
    pub fn pause(self) {
        self.clear_timer();
        if self.playing.try_get_untracked() == Some(true) {
            self.set_playing.set(false);
            if let Some(Some(f)) = self.on_pause.try_get_value() {
                f.run(());
            }
        }
    }

    /// Pauses a playing player and plays a paused one.
    pub fn toggle(self) {
        if self.playing.get_untracked() {
            self.pause();
        } else {
            self.play();
        }
    }

    fn clear_timer(self) {
        if let Some(handle) = self.timer.try_get_value().flatten() {
            handle.clear();
        }
        self.timer.try_set_value(None);
    }
}

/// The button that plays and pauses `player`, labelled for what a click will do.
#[component]
pub fn PlayButton(
    /// The player it drives.
    player: Player,
    /// `data-testid` of the button.
    testid: &'static str,
) -> impl IntoView {
    let playing = player.playing;
    view! {
        <button
            class="primary"
            data-testid=testid
            aria-pressed=move || playing.get().to_string()
            on:click=move |_| player.toggle()
        >
            {move || if playing.get() { "❚❚ Pause" } else { "▶ Play" }}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use leptos::mount::mount_to;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use web_sys::HtmlElement;

    use super::*;

    async fn sleep_ms(ms: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window()
                .unwrap()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
                .unwrap();
        });
        JsFuture::from(promise).await.unwrap();
    }

    /// Counts calls from inside the player's callbacks (which must be `Send + Sync`).
    #[derive(Clone, Default)]
    struct Counter(Arc<AtomicUsize>);

    impl Counter {
        /// Adds one and gives the new count.
        fn add(&self) -> usize {
            self.0.fetch_add(1, Ordering::SeqCst) + 1
        }
        fn get(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// Mounts `f` into a fresh element; the handle unmounts it when dropped.
    fn mount<N: IntoView + 'static>(f: impl FnOnce() -> N + 'static) -> (impl Drop, HtmlElement) {
        let document = web_sys::window().unwrap().document().unwrap();
        let root: HtmlElement = document.create_element("div").unwrap().unchecked_into();
        document.body().unwrap().append_child(&root).unwrap();
        (mount_to(root.clone(), f), root)
    }

    #[test]
    async fn plays_until_the_end_then_pauses() {
        let (ticks, plays, pauses) = (Counter::default(), Counter::default(), Counter::default());
        let (t, p, q) = (ticks.clone(), plays.clone(), pauses.clone());
        let (_app, root) = mount(move || {
            let player = use_player(Duration::from_millis(5), move || t.add() < 3)
                .on_play(move || {
                    p.add();
                })
                .on_pause(move || {
                    q.add();
                });
            view! { <PlayButton player testid="player" /> }
        });
        let button: HtmlElement = root
            .query_selector("[data-testid=player]")
            .unwrap()
            .unwrap()
            .unchecked_into();
        button.click();
        sleep_ms(100).await;
        assert_eq!(ticks.get(), 3, "the third tick reached the end");
        assert_eq!((plays.get(), pauses.get()), (1, 1));
        assert_eq!(button.get_attribute("aria-pressed").unwrap(), "false");
        assert_eq!(button.text_content().unwrap(), "▶ Play");

        button.click();
        sleep_ms(0).await;
        assert_eq!(button.get_attribute("aria-pressed").unwrap(), "true");
        assert_eq!(button.text_content().unwrap(), "❚❚ Pause");
        button.click();
        assert_eq!((plays.get(), pauses.get()), (2, 2));
        root.remove();
    }

    #[test]
    async fn a_new_interval_restarts_the_timer_and_unmounting_stops_it() {
        let ticks = Counter::default();
        let t = ticks.clone();
        let interval = RwSignal::new(Duration::from_secs(60));
        let (app, root) = mount(move || {
            let player = use_player(interval, move || {
                t.add();
                true
            });
            player.play();
        });
        sleep_ms(50).await;
        assert_eq!(ticks.get(), 0, "a minute has not passed");
        interval.set(Duration::from_millis(5));
        sleep_ms(100).await;
        assert!(ticks.get() > 0, "ticks at the new interval");
        drop(app);
        root.remove();
        let after = ticks.get();
        sleep_ms(50).await;
        assert_eq!(ticks.get(), after, "no tick after unmounting");
    }
}
