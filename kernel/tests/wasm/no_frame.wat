;; No frame export.
(module (memory (export "memory") 1) (func (export "init")))
