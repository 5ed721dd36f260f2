;; A start function that traps.
(module (memory (export "memory") 1) (func $s unreachable) (start $s) (func (export "init")) (func (export "frame")))
