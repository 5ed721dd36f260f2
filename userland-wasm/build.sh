#!/usr/bin/env bash
# Builds every game in games/ for wasm32-unknown-unknown (release profile: small, LTO, no
# unwinding) and copies each one to OUTDIR/<name>.wasm, with OUTDIR/<name>.txt holding the
# one-line description the shell's `games` command lists. <name> is the directory under games/
# (so games/2048 -> 2048.wasm although its crate is game-2048); the description is the crate's
# `description` in games/<name>/Cargo.toml.
#
#   usage: userland-wasm/build.sh OUTDIR
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
cd "$here"

names=()
packages=()
for dir in games/*/; do
    name="$(basename "$dir")"
    names+=("$name")
    packages+=(-p "game-$name")
done

# sdk-probe is test-only: built for the harness, never copied to OUTDIR. wasm-bench is the
# kernel's benchmark module: copied to OUTDIR/../bench/bench.wasm.
cargo build --release --target wasm32-unknown-unknown "${packages[@]}" -p sdk-probe -p wasm-bench

release="${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release"
for name in "${names[@]}"; do
    src="$release/game_${name//-/_}.wasm"
    cp "$src" "$out/$name.wasm"
    desc="$(sed -n 's/^description = "\(.*\)"$/\1/p' "games/$name/Cargo.toml")"
    printf '%s\n' "${desc:-$name}" > "$out/$name.txt"
    printf '%-10s %6d bytes  %s\n' "$name" "$(wc -c < "$out/$name.wasm")" "${desc:-}"
done
mkdir -p "$out/../bench"
cp "$release/wasm_bench.wasm" "$out/../bench/bench.wasm"
