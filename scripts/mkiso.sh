#!/usr/bin/env bash
# Builds a bootable ISO from a kernel, an initrd and limine.conf.
#   scripts/mkiso.sh OUT.iso KERNEL INITRD LOADER.efi [LIMINE_DIR]
# With a Limine v8 binary release: a hybrid BIOS+UEFI ISO, `limine bios-install`ed so it
# also boots from a USB stick. Without one: a UEFI ISO whose El Torito FAT image carries the
# built-in loader and everything it reads (a UEFI loader only sees that FAT image).
set -euo pipefail
out=$1 kernel=$2 initrd=$3 loader=$4 limine=${5:-}
root=$(dirname "$0")/..
work=$(mktemp -d "${TMPDIR:-/tmp}/rustos-iso.XXXXXX")
trap 'rm -rf "$work"' EXIT
iso=${ISO_ROOT:-$work/iso_root}
rm -rf "$iso"
mkdir -p "$iso/boot/limine" "$iso/EFI/BOOT"
cp "$kernel" "$iso/boot/kernel"
cp "$initrd" "$iso/boot/initrd.tar"
cp "${LIMINE_CONF:-$root/limine.conf}" "$iso/boot/limine/limine.conf"

if [[ -n "$limine" ]]; then
  cp "$limine"/limine-bios.sys "$limine"/limine-bios-cd.bin "$limine"/limine-uefi-cd.bin "$iso/boot/limine/"
  cp "$limine"/BOOTX64.EFI "$iso/EFI/BOOT/"
  xorriso -as mkisofs -R -r -J -b boot/limine/limine-bios-cd.bin \
    -no-emul-boot -boot-load-size 4 -boot-info-table -hfsplus \
    -apm-block-size 2048 --efi-boot boot/limine/limine-uefi-cd.bin \
    -efi-boot-part --efi-boot-image --protective-msdos-label \
    "$iso" -o "$out" 2>"$work/xorriso.log" || { cat "$work/xorriso.log" >&2; exit 1; }
  if [[ -x "$limine/limine" ]]; then
    "$limine/limine" bios-install "$out" >/dev/null 2>&1
  else
    echo "mkiso: no 'limine' host tool: the ISO boots from CD on BIOS and UEFI, but not from USB on BIOS" >&2
  fi
  echo "mkiso: $out: hybrid BIOS+UEFI ISO with Limine ($(basename "$limine"))"
else
  cp "$loader" "$iso/EFI/BOOT/BOOTX64.EFI"
  # Size the FAT image for its contents plus slack (FAT overhead, rounding).
  bytes=$(du -sb "$iso" | cut -f1)
  kib=$(( bytes * 11 / 10 / 1024 + 2048 ))
  img=$iso/boot/efiboot.img
  mkfs.fat -C -n RUSTOS "$img" "$kib" >/dev/null
  mmd -i "$img" ::/EFI ::/EFI/BOOT ::/boot ::/boot/limine
  mcopy -i "$img" "$iso/EFI/BOOT/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$img" "$iso/boot/kernel" ::/boot/kernel
  mcopy -i "$img" "$iso/boot/initrd.tar" ::/boot/initrd.tar
  mcopy -i "$img" "$iso/boot/limine/limine.conf" ::/boot/limine/limine.conf
  xorriso -as mkisofs -R -r -J --efi-boot boot/efiboot.img -efi-boot-part --efi-boot-image \
    --protective-msdos-label "$iso" -o "$out" 2>"$work/xorriso.log" || { cat "$work/xorriso.log" >&2; exit 1; }
  echo "mkiso: $out: UEFI ISO with the built-in loader (Limine not available; BIOS boot needs Limine)"
fi
