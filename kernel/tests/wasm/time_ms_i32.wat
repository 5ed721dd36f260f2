;; time_ms returning i32 instead of i64.
(module (import "env" "time_ms" (func (result i32))) (memory (export "memory") 1) (func (export "init")) (func (export "frame")))
