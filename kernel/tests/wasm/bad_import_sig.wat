;; present with the wrong signature.
(module (import "env" "present" (func (param i32 i32))) (memory (export "memory") 1) (func (export "init")) (func (export "frame")))
