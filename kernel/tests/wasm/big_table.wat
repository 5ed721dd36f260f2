;; A table beyond the element limit.
(module (memory (export "memory") 1) (table 100000 funcref) (func (export "init")) (func (export "frame")))
