#!/usr/bin/env bash
# Builds a bootable raw disk image (for `dd` to a USB stick or an SD card, or for a VM disk).
#   scripts/mkhdd.sh OUT.hdd KERNEL INITRD LOADER.efi [LIMINE_DIR]
# Layout: GPT, one FAT32 EFI System Partition from 1 MiB to 1 MiB before the end, holding
#   EFI/BOOT/BOOTX64.EFI, boot/kernel, boot/initrd.tar, boot/limine/limine.conf
#   (+ boot/limine/limine-bios.sys with Limine), and HDD_FREE_MIB (default 128) MiB free
#   for files saved from RustOS.
# With a Limine v8 binary release, BOOTX64.EFI is Limine's and `limine bios-install` puts
# Limine's BIOS stages in the MBR and the GPT gap, so the image boots on BIOS and UEFI.
# Without one, BOOTX64.EFI is the built-in loader and the image boots on UEFI only.
# Needs no root, loop device or mount: python3 writes the GPT, mkfs.fat --offset makes the
# file system in place and mtools (-i IMAGE@@OFFSET) copies the files into it.
set -euo pipefail
if (( $# < 4 )); then
  echo "usage: $0 OUT.hdd KERNEL INITRD LOADER.efi [LIMINE_DIR]" >&2
  exit 2
fi
out=$1 kernel=$2 initrd=$3 loader=$4 limine=${5:-}
root=$(dirname "$0")/..
conf=$root/limine.conf

efi=$loader
if [[ -n "$limine" ]]; then
  for f in BOOTX64.EFI limine-bios.sys; do
    [[ -f "$limine/$f" ]] || { echo "mkhdd: $limine/$f missing (not a Limine v8 binary release?)" >&2; exit 1; }
  done
  efi=$limine/BOOTX64.EFI
fi
for f in "$kernel" "$initrd" "$efi" "$conf"; do
  [[ -f "$f" ]] || { echo "mkhdd: $f missing" >&2; exit 1; }
done

MIB=$((1024 * 1024))
# Contents, plus a quarter and 8 MiB of slack (FAT, directories, room to replace files),
# plus HDD_FREE_MIB (default 128) free for the user's files: RustOS mounts this partition
# (/mnt/sata0p1, /mnt/usb0p1, ...), so what is saved there survives a reboot. The whole
# disk is at least 64 MiB: 1 MiB of GPT + partition + 1 MiB (backup GPT). The image file
# is sparse: the free space costs no room on the build machine.
free_mib=${HDD_FREE_MIB:-128}
[[ "$free_mib" =~ ^[0-9]+$ ]] || { echo "mkhdd: HDD_FREE_MIB must be a number of MiB" >&2; exit 2; }
files=("$kernel" "$initrd" "$efi" "$conf")
[[ -n "$limine" ]] && files+=("$limine/limine-bios.sys")
bytes=$(cat "${files[@]}" | wc -c)
part_mib=$(( (bytes * 5 / 4 + MIB - 1) / MIB + 8 + free_mib ))
(( part_mib < 62 )) && part_mib=62
disk_mib=$(( part_mib + 2 ))

rm -f "$out"
truncate -s "${disk_mib}M" "$out"

# GPT: protective MBR, primary header and 128 entries at LBA 1-33, backup at the end.
python3 - "$out" "$part_mib" <<'EOF'
import struct, sys, uuid, zlib

path, part_mib = sys.argv[1], int(sys.argv[2])
SECTOR = 512
with open(path, "r+b") as f:
    f.seek(0, 2)
    total = f.tell() // SECTOR
    first = 2048                                  # 1 MiB
    last = first + part_mib * 2048 - 1            # inclusive
    n_entries, entry_size = 128, 128
    array_sectors = n_entries * entry_size // SECTOR   # 32
    assert last <= total - 34, "partition overlaps the backup GPT"

    esp_type = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
    name = "EFI System".encode("utf-16-le").ljust(72, b"\0")
    entry = struct.pack("<16s16sQQQ72s", esp_type.bytes_le, uuid.uuid4().bytes_le,
                        first, last, 0, name)
    entries = entry.ljust(n_entries * entry_size, b"\0")
    entries_crc = zlib.crc32(entries)
    disk_guid = uuid.uuid4().bytes_le

    def header(my_lba, alt_lba, entries_lba):
        fields = [b"EFI PART", 0x00010000, 92, 0, 0, my_lba, alt_lba,
                  34, total - 34, disk_guid, entries_lba, n_entries, entry_size, entries_crc]
        fmt = "<8sIIIIQQQQ16sQIII"
        crc = zlib.crc32(struct.pack(fmt, *fields))
        fields[3] = crc
        return struct.pack(fmt, *fields).ljust(SECTOR, b"\0")

    # Protective MBR: one 0xEE partition covering the disk (capped at 2^32-1 sectors).
    mbr = bytearray(SECTOR)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff",
                               1, min(total - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    f.seek(0)
    f.write(mbr)
    f.write(header(1, total - 1, 2))
    f.write(entries)
    f.seek((total - 1 - array_sectors) * SECTOR)
    f.write(entries)
    f.write(header(total - 1, 1, total - 1 - array_sectors))
EOF

# FAT32 in the partition (block count in KiB; hidden sectors = the partition's start).
# (mkfs.fat warns that the file is larger than the partition: that is the point, so keep quiet.)
mkfs.fat -F 32 -n RUSTOS -h 2048 --offset 2048 "$out" $(( part_mib * 1024 )) >"$out.log" 2>&1 ||
  { cat "$out.log" >&2; rm -f "$out.log"; exit 1; }
rm -f "$out.log"
export MTOOLS_SKIP_CHECK=1
img="$out@@1M"
mmd -i "$img" ::/EFI ::/EFI/BOOT ::/boot ::/boot/limine
mcopy -i "$img" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$img" "$kernel" ::/boot/kernel
mcopy -i "$img" "$initrd" ::/boot/initrd.tar
mcopy -i "$img" "$conf" ::/boot/limine/limine.conf

if [[ -n "$limine" ]]; then
  mcopy -i "$img" "$limine/limine-bios.sys" ::/boot/limine/limine-bios.sys
fi
free_bytes=$(mdir -i "$img" ::/ 2>/dev/null | sed -n 's/^[^0-9]*\([0-9][0-9 ]*\) bytes free.*/\1/p' | tr -d ' ')
echo "mkhdd: ${free_bytes:+$(( free_bytes / MIB )) MiB free for files in the partition (HDD_FREE_MIB=$free_mib)}"

if [[ -n "$limine" ]]; then
  if [[ -x "$limine/limine" ]]; then
    # Limine v8 embeds its BIOS stage 2 in the GPT (the gap before the partition at 1 MiB).
    "$limine/limine" bios-install "$out" >"$out.log" 2>&1 || { cat "$out.log" >&2; rm -f "$out.log"; exit 1; }
    rm -f "$out.log"
    echo "mkhdd: $out: ${disk_mib} MiB GPT disk image, BIOS+UEFI with Limine ($(basename "$limine"))"
  else
    echo "mkhdd: no 'limine' host tool in $limine: $out boots on UEFI only (BIOS needs 'limine bios-install')" >&2
    echo "mkhdd: $out: ${disk_mib} MiB GPT disk image, UEFI with Limine ($(basename "$limine"))"
  fi
else
  echo "mkhdd: $out: ${disk_mib} MiB GPT disk image, UEFI-only (built-in loader; BIOS boot needs Limine)"
fi
