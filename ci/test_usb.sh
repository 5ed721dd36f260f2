#!/usr/bin/env bash
# Tests scripts/usb.sh without real devices: a fake lsblk, /sys and /proc describe the disks,
# fake device nodes are plain files, and dd only runs as a dry run (RUSTOS_USB_DRYRUN=1).
# Prints "N passed, M failed"; exits non-zero when a case fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usb=$here/../scripts/usb.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/rustos-test-usb.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/dev/disk/by-id" "$T/blk" "$T/sys/block" "$T/proc" "$T/bin"

# --- the fake lsblk: answers from $T/blk/NAME/COLUMN -----------------------------------
cat >"$T/bin/lsblk" <<'EOF'
#!/usr/bin/env bash
# Understands what usb.sh asks: -ndo COL DEV, -bndo SIZE DEV, -nrpo NAME,KNAME,MOUNTPOINT DEV,
# -nrpso NAME,TYPE DEV.
dir=$(dirname "$0")/../blk
cols= inverse=0
while (( $# > 1 )); do
  case $1 in
    -*o) [[ $1 == *s* ]] && inverse=1; cols=$2; shift 2 ;;
    -*) [[ $1 == *s* ]] && inverse=1; shift ;;
    *) break ;;
  esac
done
d=$dir/$(basename "$1")
[[ -d "$d" ]] || { echo "lsblk: $1: not a block device" >&2; exit 32; }
case $cols in
  NAME,KNAME,MOUNTPOINT) cat "$d/tree" 2>/dev/null || echo "/dev/$(basename "$1") $(basename "$1") " ;;
  NAME,TYPE) (( inverse )) && cat "$d/ancestors" 2>/dev/null ;;
  *) cat "$d/$cols" 2>/dev/null || echo ;;
esac
EOF
chmod +x "$T/bin/lsblk"

# disk NAME TYPE RM TRAN SIZE MODEL: a fake device node, its lsblk answers and its /sys entry.
disk() {
  local n=$1
  : >"$T/dev/$n"
  mkdir -p "$T/blk/$n" "$T/sys/block/$n/device"
  echo "$2" >"$T/blk/$n/TYPE"
  echo "$3" >"$T/blk/$n/RM"
  echo "$4" >"$T/blk/$n/TRAN"
  echo "$5" >"$T/blk/$n/SIZE"
  echo "$6" >"$T/blk/$n/MODEL"
  echo "$3" >"$T/sys/block/$n/removable"
  echo $(( $5 / 512 )) >"$T/sys/block/$n/size"
  FAKE_BLOCK+=" $T/dev/$n"
}
FAKE_BLOCK=
G=$((1024 * 1024 * 1024))
disk sdb disk 1 usb $((16 * G)) "Cruzer Blade"          # a good USB stick
echo "SanDisk" >"$T/blk/sdb/VENDOR"; echo "4C530001" >"$T/blk/sdb/SERIAL"
printf '/dev/sdb sdb \n/dev/sdb1 sdb1 \n' >"$T/blk/sdb/tree"
disk sdb1 part 1 usb $((16 * G)) ""                     # its partition
echo sdb >"$T/blk/sdb1/PKNAME"
disk sda disk 0 sata $((500 * G)) "Samsung SSD"         # an internal disk, not mounted
disk sdc disk 0 usb $((32 * G)) "USB stick RM=0"        # USB by transport only
disk sdd disk 1 usb $((8 * G)) "Mounted stick"          # partition mounted (in /proc/mounts)
printf '/dev/sdd sdd \n/dev/sdd1 sdd1 \n' >"$T/blk/sdd/tree"
disk sde disk 1 usb $((64 * G)) "Live USB"              # holds / through LUKS+LVM
printf '/dev/sde sde \n/dev/sde1 sde1 \n/dev/sde2 sde2 \n/dev/mapper/crypt dm-0 \n/dev/mapper/vg-root dm-1 /\n' >"$T/blk/sde/tree"
mkdir -p "$T/blk/dm-1"; printf '/dev/mapper/vg-root lvm\n/dev/mapper/crypt crypt\n/dev/sde2 part\n/dev/sde disk\n' >"$T/blk/dm-1/ancestors"
disk sdf disk 1 usb $((2 * 1024 * 1024)) "Tiny"       # smaller than the image
disk sdg disk 1 usb $((4 * G)) "Swap stick"             # swap on it
printf '/dev/sdg sdg \n/dev/sdg1 sdg1 [SWAP]\n' >"$T/blk/sdg/tree"
disk sdh disk 0 "" $((2 * G)) "Card reader"             # removable only per /sys
echo 1 >"$T/sys/block/sdh/removable"
disk sdi disk 1 usb $((4 * G)) "Automounted"            # mounted per lsblk only
printf '/dev/sdi sdi \n/dev/sdi1 sdi1 /media/me/MY\\x20STICK\n' >"$T/blk/sdi/tree"
disk sdj disk 1 usb $((4 * G)) "Boot stick"             # /boot/efi on it, seen in /proc/mounts only
mkdir -p "$T/blk/sdj1"; printf '/dev/sdj1 part\n/dev/sdj disk\n' >"$T/blk/sdj1/ancestors"
disk sr0 rom 1 sata $((1 * G)) "DVD"                    # not a disk
ln -s ../../sdb "$T/dev/disk/by-id/usb-SanDisk_Cruzer_Blade-0:0"

cat >"$T/proc/mounts" <<'EOF'
/dev/mapper/vg-root / ext4 rw,relatime 0 0
/dev/sdj1 /boot/efi vfat rw 0 0
proc /proc proc rw 0 0
/dev/sdd1 /media/me/DATA vfat rw 0 0
EOF
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/sdg1 partition 1048572 0 -2\n' >"$T/proc/swaps"

iso=$T/rustos.iso
head -c $((3 * 1024 * 1024)) /dev/zero >"$iso"

# --- cases -------------------------------------------------------------------------------
passed=0 failed=0
# check NAME WANT_RC WANT_TEXT [VAR=VALUE ...] -- ARGS...   (stdin: /dev/null unless INPUT set)
check() {
  local name=$1 want_rc=$2 want=$3; shift 3
  local envs=()
  while [[ $# -gt 0 && $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  local out rc
  out=$(env RUSTOS_USB_LSBLK="$T/bin/lsblk" RUSTOS_USB_SYSFS="$T/sys" RUSTOS_USB_PROC="$T/proc" \
        RUSTOS_USB_FAKE_BLOCK="$FAKE_BLOCK" RUSTOS_USB_DRYRUN=1 RUSTOS_USB_EUID=0 YES= \
        "${envs[@]}" bash "$usb" "$@" 2>&1 <<<"${INPUT:-}")
  rc=$?
  if [[ ( $want_rc == 0 && $rc == 0 ) || ( $want_rc != 0 && $rc != 0 ) ]] && grep -qF -- "$want" <<<"$out"; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name (exit $rc, wanted $want_rc and '$want'):"; sed 's/^/     /' <<<"$out"
  fi
  if [[ $want_rc != 0 ]] && grep -q "dry run: dd" <<<"$out"; then
    failed=$((failed + 1)); echo "FAIL $name: refused but still ran dd"
  fi
}

check "no device given"           1 "no device given"              -- ""
check "device does not exist"     1 "does not exist"               -- "$T/dev/sdz" "$iso"
check "/dev/null: not block"      1 "not a block device"           -- /dev/null "$iso"
check "regular file: not block"   1 "not a block device"           -- "$iso" "$iso"
check "partition"                 1 "is a partition"               -- "$T/dev/sdb1" "$iso"
check "partition names its disk"  1 "(/dev/sdb)"                   -- "$T/dev/sdb1" "$iso"
check "not a disk (DVD drive)"    1 "not a disk"                   -- "$T/dev/sr0" "$iso"
check "non-removable disk"        1 "not a removable or USB disk"  -- "$T/dev/sda" "$iso"
check "mounted (/proc/mounts)"    1 "/dev/sdd1 on /media/me/DATA"  -- "$T/dev/sdd" "$iso"
check "mounted (lsblk)"           1 "/media/me/MY STICK"           -- "$T/dev/sdi" "$iso"
check "system disk (/ via LVM)"   1 "running system (/ is on it)"  -- "$T/dev/sde" "$iso"
check "system disk (/boot/efi)"   1 "running system (/boot/efi"    -- "$T/dev/sdj" "$iso"
check "system disk (swap)"        1 "running system ([SWAP]"       -- "$T/dev/sdg" "$iso"
check "smaller than the image"    1 "is smaller than rustos.iso"   -- "$T/dev/sdf" "$iso"
check "image missing"             1 "build it first with 'make iso'" -- "$T/dev/sdb" "$T/missing.iso"
check "not root"                  1 "run with sudo"  RUSTOS_USB_EUID=1000 RUSTOS_USB_DRYRUN=0 -- "$T/dev/sdb" "$iso"
check "not confirmed (no input)"  1 "not confirmed"                -- "$T/dev/sdb" "$iso"
INPUT=yes check "not confirmed ('yes')" 1 "not confirmed"         -- "$T/dev/sdb" "$iso"
check "YES=1 dry run writes"      0 "dry run: dd if=$iso of=$T/dev/sdb bs=4M conv=fsync status=progress" YES=1 -- "$T/dev/sdb" "$iso"
check "shows size and model"      0 "16GiB, SanDisk Cruzer Blade, serial 4C530001" YES=1 -- "$T/dev/sdb" "$iso"
check "then syncs"                0 "dry run: sync"  YES=1         -- "$T/dev/sdb" "$iso"
check "says how to eject"         0 "eject $T/dev/sdb"  YES=1      -- "$T/dev/sdb" "$iso"
INPUT=YES check "typed YES"       0 "dry run: dd"                  -- "$T/dev/sdb" "$iso"
check "asks the question"         1 "Type YES to erase $T/dev/sdb" -- "$T/dev/sdb" "$iso"
check "USB by transport (RM=0)"   0 "dry run: dd"    YES=1         -- "$T/dev/sdc" "$iso"
check "removable per /sys only"   0 "dry run: dd"    YES=1         -- "$T/dev/sdh" "$iso"
check "by-id symlink resolves"    0 "of=$T/dev/disk/by-id/usb-SanDisk_Cruzer_Blade-0:0" YES=1 -- "$T/dev/disk/by-id/usb-SanDisk_Cruzer_Blade-0:0" "$iso"

echo "$passed passed, $failed failed"
(( failed == 0 ))
