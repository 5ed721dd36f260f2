;; One module, one trap class per case. The test presses the case's key before `init`;
;; `frame` runs that case (wasm_traps test kernel). Run interactively (`run traps.wasm`),
;; it idles until a digit key is pressed, then runs that case.
(module
  (import "env" "present" (func $present (param i32 i32 i32)))
  (import "env" "print" (func $print (param i32 i32)))
  (import "env" "poll_key" (func $poll_key (result i32)))
  (import "env" "exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (global $zero (mut i32) (i32.const 0))
  (global $case (mut i32) (i32.const -1))

  (func $recurse (param $n i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))

  (func (export "init")
    (global.set $case (call $poll_key)))

  (func (export "frame")
    (if (i32.lt_s (global.get $case) (i32.const 0))
      (then (global.set $case (call $poll_key))))
    (block $done
    (block $c9 (block $c8 (block $c7 (block $c6 (block $c5
    (block $c4 (block $c3 (block $c2 (block $c1 (block $c0
      (br_table $c0 $c1 $c2 $c3 $c4 $c5 $c6 $c7 $c8 $c9 $done
        (i32.sub (global.get $case) (i32.const 48))))   ;; '0' -> case 0
    ;; '0': unreachable
    unreachable)
    ;; '1': out-of-bounds load
    (drop (i32.load (i32.const 70000)))
    br $done)
    ;; '2': integer division by zero (the divisor is a global: not constant-folded)
    (drop (i32.div_u (i32.const 7) (global.get $zero)))
    br $done)
    ;; '3': infinite recursion
    (drop (call $recurse (i32.const 0)))
    br $done)
    ;; '4': endless loop
    (loop $forever (br $forever))
    br $done)
    ;; '5': memory.grow beyond 16 MiB returns -1 (no trap); growing to exactly 16 MiB works
    (if (i32.ne (memory.grow (i32.const 300)) (i32.const -1)) (then unreachable))
    (if (i32.ne (memory.grow (i32.const 65535)) (i32.const -1)) (then unreachable))
    (if (i32.ne (memory.grow (i32.const 255)) (i32.const 1)) (then unreachable))
    (if (i32.ne (memory.size) (i32.const 256)) (then unreachable))
    (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
    ;; the whole 16 MiB is usable
    (i32.store (i32.const 16777212) (i32.const 42))
    (call $exit (i32.const 0))
    br $done)
    ;; '6': present in an endless loop: host work must be bounded too
    (loop $again
      (call $present (i32.const 0) (i32.const 2) (i32.const 2))
      (br $again))
    br $done)
    ;; '7': call_indirect through a null table entry
    (call_indirect (i32.const 1))
    br $done)
    ;; '8': out-of-bounds store just past the end
    (i32.store (i32.const 65534) (i32.const 1))
    br $done)
    ;; '9': print in an endless loop (output is capped, time is bounded)
    (loop $spam
      (call $print (i32.const 0) (i32.const 64))
      (br $spam)))
  )
)
