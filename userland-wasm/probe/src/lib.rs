//! A test-only wasm module (not a game, never installed): it lets the harness check SDK paths
//! that a well-behaved game never takes — the panic handler, `exit`, long `print`s — end to end
//! under wasmi. Keys: `p` panics, `e` exits with code 7, `t` prints 5000 bytes, `s` logs the
//! screen size; any key is echoed to the log.

// no_std on the real target; on the host it links std so workspace-wide commands build it.
#![cfg_attr(target_arch = "wasm32", no_std)]

use rustos_sdk::prelude::*;
use rustos_sdk::{Canvas, log, screen_size};

static CANVAS: Global<Canvas<64, 40>> = Global::new(Canvas::new());

#[unsafe(no_mangle)]
pub extern "C" fn init() {
    log!("probe: init at {} ms\n", time_ms());
}

#[unsafe(no_mangle)]
pub extern "C" fn frame() {
    while let Some(key) = poll_key() {
        log!("probe: key {:?}\n", key);
        match key {
            Key::Char('p') => panic!("probe panic {}", 42),
            Key::Char('e') => exit(7),
            Key::Char('t') => {
                for _ in 0..50 {
                    print(
                        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
                    );
                }
            }
            Key::Char('s') => {
                let (w, h) = screen_size();
                log!("probe: screen {w}x{h}\n");
            }
            _ => {}
        }
    }
    CANVAS.with(|c| {
        c.clear(0x202020);
        c.text(1, 1, "OK", 0xffffff, 1);
        c.present();
    });
}
