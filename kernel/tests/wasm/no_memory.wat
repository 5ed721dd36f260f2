;; No memory at all.
(module (func (export "init")) (func (export "frame")))
