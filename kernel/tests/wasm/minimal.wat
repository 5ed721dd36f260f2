;; The smallest valid game: no imports, empty init and frame.
(module (memory (export "memory") 1) (func (export "init")) (func (export "frame")))
