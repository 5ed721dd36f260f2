;; A memory, but not exported.
(module (memory 1) (func (export "init")) (func (export "frame")))
