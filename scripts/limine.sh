#!/usr/bin/env bash
# Finds a Limine v8 binary release and prints its directory (nothing if there is none).
# Order: $LIMINE_DIR, then ./limine (a checkout), then a shallow clone of the v8.x-binary
# branch into ./limine. The host tool `limine` is built from limine.c when missing.
# Limine is never stored in this repository; it is fetched at build time.
set -uo pipefail
cd "$(dirname "$0")/.."

LIMINE_URL=${LIMINE_URL:-https://github.com/limine-bootloader/limine.git}
LIMINE_BRANCH=${LIMINE_BRANCH:-v8.x-binary}
REQUIRED=(limine-bios.sys limine-bios-cd.bin limine-uefi-cd.bin BOOTX64.EFI)

complete() {
  local d=$1 f
  for f in "${REQUIRED[@]}"; do [[ -f "$d/$f" ]] || return 1; done
}

host_tool() {
  local d=$1
  if [[ ! -x "$d/limine" && -f "$d/limine.c" ]] && command -v cc >/dev/null; then
    cc -O2 -std=c99 -o "$d/limine" "$d/limine.c" >/dev/null 2>&1 || true
  fi
}

if [[ -n "${LIMINE_DIR:-}" ]]; then
  if complete "$LIMINE_DIR"; then
    host_tool "$LIMINE_DIR"
    echo "$LIMINE_DIR"
    exit 0
  fi
  echo "limine: LIMINE_DIR=$LIMINE_DIR lacks one of: ${REQUIRED[*]}" >&2
  exit 1
fi
if [[ ! -d limine && "${LIMINE_FETCH:-1}" == 1 ]] && command -v git >/dev/null; then
  GIT_TERMINAL_PROMPT=0 timeout 60 git clone -q --depth=1 --branch="$LIMINE_BRANCH" \
    "$LIMINE_URL" limine >/dev/null 2>&1 || rm -rf limine
fi
if [[ -d limine ]] && complete limine; then
  host_tool limine
  echo "$PWD/limine"
fi
exit 0
