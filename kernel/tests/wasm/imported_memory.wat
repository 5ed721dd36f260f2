;; Imports its memory instead of defining it.
(module (import "env" "memory" (memory 1)) (export "memory" (memory 0)) (func (export "init")) (func (export "frame")))
