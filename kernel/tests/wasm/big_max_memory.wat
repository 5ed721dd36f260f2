;; A maximum above the limit is fine as long as the start size is within it.
(module (memory (export "memory") 2 65536) (func (export "init")) (func (export "frame")))
