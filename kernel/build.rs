//! Links every kernel binary (the kernel and the bootable test kernels) with `linker.ld`,
//! which places the image in the top 2 GiB with page-aligned, permission-separated segments
//! as the Limine protocol requires.
//!
//! It also compiles the hand-written WebAssembly test modules in `tests/wasm/*.wat` to
//! `$OUT_DIR/<name>.wasm`, so the `wasm_*` test kernels can `include_bytes!` them: the WAT
//! source stays readable and reviewable, and no binary test data is checked in.
use std::path::Path;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    if std::env::var("TARGET").as_deref() == Ok("x86_64-rustos") {
        println!("cargo:rustc-link-arg=-T{dir}/linker.ld");
        println!("cargo:rustc-link-arg=--no-dynamic-linker");
        println!("cargo:rustc-link-arg=-zmax-page-size=0x1000");
    }
    println!("cargo:rerun-if-changed=linker.ld");
    compile_wat_tests(&Path::new(&dir).join("tests/wasm"));
}

fn compile_wat_tests(src: &Path) {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo:rerun-if-changed={}", src.display());
    let Ok(entries) = std::fs::read_dir(src) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("readable tests/wasm directory").path();
        if path.extension().is_some_and(|e| e == "wat") {
            println!("cargo:rerun-if-changed={}", path.display());
            let wasm = wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path.file_stem().expect("a .wat file has a stem");
            let dest = Path::new(&out).join(name).with_extension("wasm");
            std::fs::write(&dest, wasm).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
        }
    }
}
