;; Asks for 1000 pages (62.5 MiB) at start: over the 16 MiB limit.
(module (memory (export "memory") 1000) (func (export "init")) (func (export "frame")))
