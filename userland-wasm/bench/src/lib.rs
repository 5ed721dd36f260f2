//! The kernel's `bench wasm` module (installed as /bench/bench.wasm).
//!
//! It is an ordinary ABI v1 program, so `run /bench/bench.wasm` works too, but its `frame`
//! does one unit of benchmark work chosen by the last key pressed:
//! `l` one generation of life on a 256x256 grid (the same `life-step` code the kernel runs
//! natively), `p` a 320x200 frame drawn with one `put_pixel` call per pixel, `f` the same
//! frame drawn in guest memory and shown with one `present` call.

#![cfg_attr(target_arch = "wasm32", no_std)]

#[cfg(target_arch = "wasm32")]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

pub const LIFE_W: usize = 256;
pub const LIFE_H: usize = 256;
const FRAME_W: usize = 320;
const FRAME_H: usize = 200;

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn put_pixel(x: i32, y: i32, r: i32, g: i32, b: i32);
    fn present(ptr: i32, width: i32, height: i32);
    fn poll_key() -> i32;
}

struct State {
    mode: u8,
    tick: u32,
    grids: [[u8; LIFE_W * LIFE_H]; 2],
    current: usize,
    frame: [u32; FRAME_W * FRAME_H],
}

static mut STATE: State = State {
    mode: 0, // 0 (or 'l'): life; all-zero so the state lives in .bss, not in the file
    tick: 0,
    grids: [[0; LIFE_W * LIFE_H]; 2],
    current: 0,
    frame: [0; FRAME_W * FRAME_H],
};

fn state() -> &'static mut State {
    // SAFETY: wasm modules are single-threaded and the host never re-enters an export, so
    // this is the only live reference while an export runs.
    unsafe { &mut *core::ptr::addr_of_mut!(STATE) }
}

fn colour(x: usize, y: usize, tick: u32) -> (u8, u8, u8) {
    ((x as u32 + tick) as u8, (y as u32 * 2) as u8, (x ^ y) as u8)
}

#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn init() {
    let s = state();
    life_step::seed(&mut s.grids[0], 12345);
}

#[cfg(target_arch = "wasm32")]
#[unsafe(no_mangle)]
pub extern "C" fn frame() {
    let s = state();
    // SAFETY (all host calls): the imports are the ABI v1 functions; arguments are in range.
    loop {
        let k = unsafe { poll_key() };
        if k < 0 {
            break;
        }
        s.mode = k as u8;
    }
    s.tick = s.tick.wrapping_add(1);
    match s.mode {
        b'p' => {
            for y in 0..FRAME_H {
                for x in 0..FRAME_W {
                    let (r, g, b) = colour(x, y, s.tick);
                    unsafe { put_pixel(x as i32, y as i32, r as i32, g as i32, b as i32) };
                }
            }
        }
        b'f' => {
            for y in 0..FRAME_H {
                for x in 0..FRAME_W {
                    let (r, g, b) = colour(x, y, s.tick);
                    s.frame[y * FRAME_W + x] = (r as u32) << 16 | (g as u32) << 8 | b as u32;
                }
            }
            unsafe { present(s.frame.as_ptr() as i32, FRAME_W as i32, FRAME_H as i32) };
        }
        _ => {
            let (a, b) = s.grids.split_at_mut(1);
            let (cur, next) = if s.current == 0 {
                (&a[0], &mut b[0])
            } else {
                (&b[0], &mut a[0])
            };
            life_step::step(cur, next, LIFE_W, LIFE_H);
            s.current ^= 1;
        }
    }
}
