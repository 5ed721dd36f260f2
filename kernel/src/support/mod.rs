//! What is not part of the running system itself: built-in benchmarks, the in-kernel test
//! framework, and leaving QEMU from a test kernel.
pub mod bench;
pub mod qemu;
pub mod testing;
