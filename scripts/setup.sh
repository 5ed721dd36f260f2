#!/usr/bin/env bash
# Installs what building and running RustOS needs, and says what it does.
#   scripts/setup.sh          install what is missing (Debian packages need root)
#   scripts/setup.sh --check  only report what is missing (exit 1 if anything is)
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

# command -> Debian package
declare -A PKG=(
  [qemu-system-x86_64]=qemu-system-x86
  [qemu-x86_64]=qemu-user
  [xorriso]=xorriso
  [mcopy]=mtools
  [mkfs.fat]=dosfstools
  [python3]=python3
  [tar]=tar
  [cc]=gcc
  [git]=git
  [objcopy]=binutils
)
missing_pkgs=()
for cmd in "${!PKG[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && ! [[ -x "/usr/sbin/$cmd" || -x "/sbin/$cmd" ]]; then
    missing_pkgs+=("${PKG[$cmd]}")
  fi
done
if ! [[ -f /usr/share/ovmf/OVMF.fd || -f /usr/share/OVMF/OVMF_CODE_4M.fd || -f /usr/share/OVMF/OVMF_CODE.fd ]]; then
  missing_pkgs+=(ovmf)
fi

toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
need_toolchain=0
if ! command -v rustup >/dev/null 2>&1; then
  echo "setup: rustup is not installed; install it from the Rust project's site (rustup.rs), then run 'make setup' again" >&2
  exit 1
fi
if ! rustup toolchain list | grep -q "^$toolchain"; then
  need_toolchain=1
else
  installed_targets=$(rustup +"$toolchain" target list --installed 2>/dev/null || true)
  for t in wasm32-unknown-unknown wasm32-wasip1; do
    grep -qx "$t" <<<"$installed_targets" || need_toolchain=1
  done
  rustup +"$toolchain" component list --installed 2>/dev/null | grep -q '^rust-src' || need_toolchain=1
fi

if (( check_only )); then
  (( ${#missing_pkgs[@]} == 0 && need_toolchain == 0 )) && exit 0
  exit 1
fi

if (( ${#missing_pkgs[@]} )); then
  # shellcheck disable=SC2207
  uniq_pkgs=($(printf '%s\n' "${missing_pkgs[@]}" | sort -u))
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${uniq_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${uniq_pkgs[@]}" >/dev/null
  else
    echo "setup: missing packages: ${uniq_pkgs[*]}" >&2
    echo "setup: install them with: sudo apt-get install ${uniq_pkgs[*]}  (or your system's equivalent)" >&2
    exit 1
  fi
fi

if (( need_toolchain )); then
  echo "setup: installing the pinned Rust toolchain $toolchain (rust-src for the kernel's own target, wasm32-unknown-unknown, wasm32-wasip1)"
  rustup toolchain install
fi
echo "setup: everything RustOS needs is installed"
