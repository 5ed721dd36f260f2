;; A start function that never returns: instantiation must still end, by fuel.
(module (memory (export "memory") 1) (func $s (loop $l (br $l))) (start $s) (func (export "init")) (func (export "frame")))
