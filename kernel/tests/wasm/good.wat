;; A well-behaved ABI v1 module that uses every import (wasm_abi test kernel).
(module
  (import "env" "put_pixel" (func $put_pixel (param i32 i32 i32 i32 i32)))
  (import "env" "fill_rect" (func $fill_rect (param i32 i32 i32 i32 i32)))
  (import "env" "present" (func $present (param i32 i32 i32)))
  (import "env" "screen_width" (func $screen_width (result i32)))
  (import "env" "screen_height" (func $screen_height (result i32)))
  (import "env" "poll_key" (func $poll_key (result i32)))
  (import "env" "time_ms" (func $time_ms (result i64)))
  (import "env" "random" (func $random (result i32)))
  (import "env" "print" (func $print (param i32 i32)))
  (import "env" "exit" (func $exit (param i32)))
  (memory (export "memory") 1 4)
  ;; A 2x2 image, little-endian 0x00RRGGBB: blue, green / red, white.
  (data (i32.const 16) "\ff\00\00\00" "\00\ff\00\00" "\00\00\ff\00" "\ff\ff\ff\00")
  (data (i32.const 64) "hello from wasm\n")
  ;; Invalid UTF-8 and a control character: must be printed lossily, not trap.
  (data (i32.const 96) "bytes \ff\fe and \1b[2J escape\n")
  (global $frames (mut i32) (i32.const 0))
  (global $last_time (mut i64) (i64.const 0))
  (global $randoms_differ (mut i32) (i32.const 0))

  (func (export "init")
    (if (i32.ne (call $screen_width) (i32.const 640)) (then unreachable))
    (if (i32.ne (call $screen_height) (i32.const 480)) (then unreachable))
    (call $print (i32.const 64) (i32.const 16))
    (call $print (i32.const 96) (i32.const 25))
    ;; Zero-length prints are valid anywhere in 0..=memory size.
    (call $print (i32.const 0) (i32.const 0))
    (call $print (i32.const 65536) (i32.const 0))
    ;; Huge rectangles clip to the screen without trapping.
    (call $fill_rect (i32.const -100) (i32.const -100)
                     (i32.const 2147483647) (i32.const 2147483647) (i32.const 0xff123456))
    (call $fill_rect (i32.const -2147483648) (i32.const 0) (i32.const 2147483647)
                     (i32.const 10) (i32.const 0xffffff))
    (call $fill_rect (i32.const 10) (i32.const 10) (i32.const 0) (i32.const 10) (i32.const 0xffffff))
    (call $fill_rect (i32.const 10) (i32.const 10) (i32.const -5) (i32.const 10) (i32.const 0xffffff))
    ;; Off-screen pixels are ignored; channels clamp to 0..=255.
    (call $put_pixel (i32.const -1) (i32.const 5) (i32.const 1) (i32.const 2) (i32.const 3))
    (call $put_pixel (i32.const 640) (i32.const 5) (i32.const 1) (i32.const 2) (i32.const 3))
    (call $put_pixel (i32.const 639) (i32.const 479) (i32.const 999) (i32.const -5) (i32.const 128))
    (global.set $last_time (call $time_ms)))

  (func (export "frame")
    (local $k i32)
    (local $t i64)
    (global.set $frames (i32.add (global.get $frames) (i32.const 1)))
    ;; time_ms never goes backwards.
    (local.set $t (call $time_ms))
    (if (i64.lt_s (local.get $t) (global.get $last_time)) (then unreachable))
    (global.set $last_time (local.get $t))
    (if (i32.ne (call $random) (call $random))
      (then (global.set $randoms_differ (i32.const 1))))
    ;; Frame 3: present the 2x2 image, then draw an overlay pixel on top.
    (if (i32.eq (global.get $frames) (i32.const 3))
      (then
        (call $present (i32.const 16) (i32.const 2) (i32.const 2))
        (call $put_pixel (i32.const 0) (i32.const 0) (i32.const 255) (i32.const 255) (i32.const 0))))
    ;; A key press ends the game with the key code as the exit code (after checking
    ;; that random() is not constant).
    (local.set $k (call $poll_key))
    (if (i32.ge_s (local.get $k) (i32.const 0))
      (then
        (if (i32.eqz (global.get $randoms_differ)) (then unreachable))
        (call $exit (local.get $k))
        unreachable)))
)
