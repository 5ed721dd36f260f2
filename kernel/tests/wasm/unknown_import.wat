;; Imports a function that is not in ABI v1.
(module (import "env" "open" (func (param i32) (result i32))) (memory (export "memory") 1) (func (export "init")) (func (export "frame")))
