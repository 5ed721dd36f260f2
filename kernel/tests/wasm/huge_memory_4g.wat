;; Asks for the whole 4 GiB address space at start.
(module (memory (export "memory") 65536) (func (export "init")) (func (export "frame")))
