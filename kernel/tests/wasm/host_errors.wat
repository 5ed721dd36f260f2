;; Host calls with bad arguments: each must trap with a message naming the call
;; (wasm_traps test kernel). The case is chosen by a key pressed before `init`.
(module
  (import "env" "present" (func $present (param i32 i32 i32)))
  (import "env" "print" (func $print (param i32 i32)))
  (import "env" "poll_key" (func $poll_key (result i32)))
  (memory (export "memory") 1)
  (global $case (mut i32) (i32.const -1))
  (func (export "init")
    (global.set $case (call $poll_key)))
  (func (export "frame")
    (block $done
    (block $c6 (block $c5 (block $c4 (block $c3 (block $c2 (block $c1 (block $c0
      (br_table $c0 $c1 $c2 $c3 $c4 $c5 $c6 $done
        (i32.sub (global.get $case) (i32.const 48))))
    ;; '0': negative pointer
    (call $present (i32.const -4) (i32.const 2) (i32.const 2))
    br $done)
    ;; '1': zero width
    (call $present (i32.const 0) (i32.const 0) (i32.const 200))
    br $done)
    ;; '2': buffer runs past the end of memory (320*200*4 > 64 KiB)
    (call $present (i32.const 0) (i32.const 320) (i32.const 200))
    br $done)
    ;; '3': width beyond MAX_PRESENT_DIM
    (call $present (i32.const 0) (i32.const 4097) (i32.const 1))
    br $done)
    ;; '4': print longer than MAX_PRINT_LEN
    (call $print (i32.const 0) (i32.const 4097))
    br $done)
    ;; '5': print range outside memory
    (call $print (i32.const 65530) (i32.const 10))
    br $done)
    ;; '6': negative print length
    (call $print (i32.const 0) (i32.const -1))
    br $done))
)
