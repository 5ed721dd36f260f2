//! [`Game`] and [`export_game!`](crate::export_game!): the `init`/`frame` plumbing that every
//! game would otherwise repeat.
//!
//! The host calls two exports: `init()` once, then `frame()` about 60 times a second. Every game
//! does the same in them: keep its state and a [`Screen`] in statics, start a round in `init`,
//! and in `frame` read the clock, feed the pending keys to the game, step it, draw it and
//! present the picture. A game implements [`Game`]; `export_game!(MyGame);` writes the rest.

use crate::{Key, Screen, poll_key, time_ms};

/// A game the SDK can drive from the host's `init` and `frame` calls: see
/// [`export_game!`](crate::export_game!).
///
/// All times are the host clock in milliseconds ([`time_ms`]), read once per frame.
pub trait Game {
    /// The state before `init` runs. A `const` because it initialises a `static` (no allocator);
    /// every non-zero byte of it is stored in the `.wasm` file.
    const INITIAL: Self;

    /// Starts a new round. The SDK calls it once from `init`; games usually call it again on
    /// Enter or R.
    fn restart(&mut self, now_ms: i64);

    /// Handles one key press. Esc never arrives (the host ends the game on Esc).
    fn key(&mut self, key: Key, now_ms: i64);

    /// Advances the game to `now_ms`; called every frame after the keys. The default does
    /// nothing, for games that only change on key presses.
    fn update(&mut self, now_ms: i64) {
        let _ = now_ms;
    }

    /// Draws the whole picture; the SDK presents it afterwards.
    fn draw(&self, screen: &mut Screen, now_ms: i64);
}

/// One frame: reads the clock, passes every pending key to [`Game::key`], then calls
/// [`Game::update`] and [`Game::draw`] and presents `screen`. The `frame()` that
/// [`export_game!`](crate::export_game!) writes calls it; a game rarely needs it directly.
pub fn run_frame<G: Game>(game: &mut G, screen: &mut Screen) {
    let now = time_ms();
    while let Some(key) = poll_key() {
        game.key(key, now);
    }
    game.update(now);
    game.draw(screen, now);
    screen.present(); // one host call per frame, scaled to fit the screen
}

/// Exports the `init()` and `frame()` functions the host calls, driving the [`Game`] type given.
///
/// ```
/// use rustos_sdk::prelude::*;
///
/// /// Counts key presses.
/// struct Counter {
///     presses: u32,
/// }
///
/// impl Game for Counter {
///     const INITIAL: Self = Counter { presses: 0 };
///
///     fn restart(&mut self, _now: i64) {
///         self.presses = 0;
///     }
///
///     fn key(&mut self, _key: Key, _now: i64) {
///         self.presses += 1;
///     }
///
///     fn draw(&self, c: &mut Screen, _now: i64) {
///         c.clear(0x000000);
///         let mut t = TextBuf::<16>::new();
///         let _ = write!(t, "{}", self.presses);
///         c.text_centered(96, t.as_str(), 0xffffff, 1);
///     }
/// }
///
/// rustos_sdk::export_game!(Counter);
/// # fn main() {}
/// ```
///
/// It keeps the game and a [`Screen`](crate::Screen) in two private statics (the screen starts
/// all black, i.e. all zero bytes, so it costs nothing in the file), calls
/// [`Game::restart`] from `init()` and [`run_frame`] from `frame()`. Use it once per game crate.
#[macro_export]
macro_rules! export_game {
    ($game:ty) => {
        const _: () = {
            static GAME: $crate::Global<$game> =
                $crate::Global::new(<$game as $crate::Game>::INITIAL);
            static SCREEN: $crate::Global<$crate::Screen> =
                $crate::Global::new($crate::Screen::new());

            #[unsafe(no_mangle)]
            pub extern "C" fn init() {
                GAME.with(|g| $crate::Game::restart(g, $crate::time_ms()));
            }

            #[unsafe(no_mangle)]
            pub extern "C" fn frame() {
                GAME.with(|g| SCREEN.with(|c| $crate::run_frame(g, c)));
            }
        };
    };
}
