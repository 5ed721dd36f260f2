;; frame takes a parameter.
(module (memory (export "memory") 1) (func (export "init")) (func (export "frame") (param i32)))
