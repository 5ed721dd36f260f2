//! Leaving QEMU from inside the guest, for test kernels (`isa-debug-exit` at port 0xf4).
//! QEMU exits with status `(code << 1) | 1`: 33 for success, 35 for failure.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    Success = 0x10,
    Failed = 0x11,
}

/// Exits QEMU; on a real machine (no debug-exit device) it halts instead.
pub fn exit(code: ExitCode) -> ! {
    use x86_64::instructions::port::Port;
    // SAFETY: port 0xf4 is the isa-debug-exit device in our QEMU runs; on other machines
    // nothing decodes it and the write is ignored.
    unsafe { Port::new(0xf4).write(code as u32) };
    crate::halt_forever()
}
