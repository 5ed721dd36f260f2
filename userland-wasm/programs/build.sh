#!/usr/bin/env bash
# Builds every RustOS program for wasm32-wasip1 (release: small, LTO, panic=abort).
#
#   usage: userland-wasm/programs/build.sh [OUTDIR]
#
# With OUTDIR, copies the /bin commands there as OUTDIR/<name>.wasm (the build packs OUTDIR
# into the ramdisk as /bin). The last line printed is `RELEASE_DIR=<dir>`, where every built
# .wasm is (the harness reads it to find the test programs). Exits with status 3, saying so,
# when the wasm32-wasip1 target is not installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# A target directory of its own (inside the shared one when there is one), so this build
# never waits on the lock of a cargo command that is running it.
export CARGO_TARGET_DIR="${PROGRAMS_TARGET_DIR:-${CARGO_TARGET_DIR:+$CARGO_TARGET_DIR/wasip1}}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"

toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$here/../../rust-toolchain.toml")
if ! rustup +"$toolchain" target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
    echo "programs: the wasm32-wasip1 target is not installed (run 'make setup' or 'rustup target add wasm32-wasip1')" >&2
    exit 3
fi

cargo build --quiet --release --target wasm32-wasip1 --manifest-path "$here/Cargo.toml"
release="$CARGO_TARGET_DIR/wasm32-wasip1/release"

if [ $# -ge 1 ]; then
    mkdir -p "$1"
    for name in hello wc grep sort head tail sha256sum base64 find rhai; do
        cp "$release/$name.wasm" "$1/$name.wasm"
        printf '%-10s %8d bytes\n' "$name" "$(wc -c < "$1/$name.wasm")"
    done
fi
echo "RELEASE_DIR=$release"
