#!/usr/bin/env bash
# Writes rustos.iso (or another image) to a USB stick, after checking that the device is one.
#   sudo scripts/usb.sh /dev/sdX [IMAGE]        (make usb DEV=/dev/sdX [YES=1])
# Refuses unless DEV is a whole, removable or USB disk, with nothing on it mounted, not the
# disk holding the running system, and larger than the image; then asks "Type YES" (YES=1
# skips the question) and runs dd. Everything on the device is erased.
#
# For tests, what the script sees of the system can be replaced:
#   RUSTOS_USB_LSBLK=CMD       command run instead of lsblk
#   RUSTOS_USB_SYSFS=DIR       instead of /sys     (block/NAME/removable, size, device/model)
#   RUSTOS_USB_PROC=DIR        instead of /proc    (mounts, swaps)
#   RUSTOS_USB_FAKE_BLOCK="P…" paths taken as block devices (besides real ones)
#   RUSTOS_USB_EUID=N          instead of the effective user id
#   RUSTOS_USB_DRYRUN=1        print the dd and sync commands instead of running them
set -uo pipefail

SYSFS=${RUSTOS_USB_SYSFS:-/sys}
PROC=${RUSTOS_USB_PROC:-/proc}
DRYRUN=${RUSTOS_USB_DRYRUN:-0}
EUID_=${RUSTOS_USB_EUID:-$EUID}
# The system's mount points whose disk must never be written to.
SYSTEM_MOUNTS=(/ /boot /boot/efi /efi /usr /var /home "[SWAP]")

die() { echo "usb: refusing: $*" >&2; exit 1; }

lsblk_() {
  if [[ -n "${RUSTOS_USB_LSBLK:-}" ]]; then
    # shellcheck disable=SC2086  # a command line, split on purpose
    ${RUSTOS_USB_LSBLK} "$@"
  else
    lsblk "$@"
  fi
}

# lsblk column of the device itself (not of its partitions), trimmed.
col() {
  local v
  v=$(lsblk_ -ndo "$1" "$2" 2>/dev/null | head -n1) || true
  v=${v#"${v%%[![:space:]]*}"}
  echo "${v%"${v##*[![:space:]]}"}"
}

sysattr() { [[ -r "$SYSFS/$1" ]] && head -n1 "$SYSFS/$1" | sed 's/[[:space:]]*$//'; }

is_block() {
  local p
  [[ -b "$1" ]] && return 0
  for p in ${RUSTOS_USB_FAKE_BLOCK:-}; do [[ "$1" == "$p" ]] && return 0; done
  return 1
}

# Device names (with and without /dev/, kernel names too) of DEV and everything on it:
# partitions, device-mapper and RAID holders. One per line, each as NAME MOUNTPOINT.
tree() { lsblk_ -nrpo NAME,KNAME,MOUNTPOINT "$1" 2>/dev/null; }

# Disks (basenames) under a mounted source device: lsblk -s walks from it to its disks.
disks_of() {
  local src=$1 name type
  [[ "$src" == /dev/* ]] || return 0
  while read -r name type; do
    [[ "$type" == disk ]] && basename "$name"
  done < <(lsblk_ -nrpso NAME,TYPE "$src" 2>/dev/null)
}

# Decodes the octal escapes (\040 = space) of /proc/mounts and lsblk -r (\x20).
unescape() { printf '%b' "$1"; }

# --- arguments ----------------------------------------------------------------------
dev=${1:-}
root=$(cd "$(dirname "$0")/.." && pwd)
image=${2:-$root/rustos.iso}
[[ -n "$dev" ]] || die "no device given: make usb DEV=/dev/sdX (list disks with: lsblk -o NAME,SIZE,TYPE,TRAN,RM,MODEL)"
[[ -f "$image" ]] || die "$image does not exist: build it first with 'make iso' (as yourself, not with sudo)"
[[ -e "$dev" ]] || die "$dev does not exist (list disks with: lsblk -o NAME,SIZE,TYPE,TRAN,RM,MODEL)"
real=$(readlink -f "$dev")
is_block "$real" || die "$dev is not a block device"
name=$(basename "$real")

# --- a whole disk, not a partition ---------------------------------------------------
type=$(col TYPE "$real")
if [[ "$type" == part || -e "$SYSFS/class/block/$name/partition" ]]; then
  parent=$(col PKNAME "$real")
  die "$dev is a partition: give the whole disk${parent:+ (/dev/$parent)}"
fi
[[ "$type" == disk ]] || die "$dev is not a disk (lsblk TYPE: '${type:-unknown}')"

# --- not the running system, nothing mounted -----------------------------------------
names=() mounted=()
while read -r n k m; do
  names+=("$(basename "$n")" "$(basename "$k")")
  [[ -n "${m:-}" ]] && mounted+=("$(basename "$n"):$(unescape "$m")")
done < <(tree "$real")
names+=("$name")
on_dev() {  # is device path $1 (from /proc/mounts or /proc/swaps) on DEV?
  local b r x
  [[ "$1" == /dev/* ]] || return 1
  b=$(basename "$1")
  r=$(basename "$(readlink -f "$1" 2>/dev/null || echo "$1")")
  for x in "${names[@]}"; do [[ "$x" == "$b" || "$x" == "$r" ]] && return 0; done
  return 1
}
if [[ -r "$PROC/mounts" ]]; then
  while read -r src mnt _; do
    on_dev "$src" && mounted+=("$(basename "$src"):$(unescape "$mnt")")
  done <"$PROC/mounts"
fi
if [[ -r "$PROC/swaps" ]]; then
  while read -r src _; do
    on_dev "$src" && mounted+=("$(basename "$src"):[SWAP]")
  done < <(tail -n +2 "$PROC/swaps")
fi
# The disks under /, /boot, /boot/efi and swap, found from the mounted devices' side too
# (device-mapper, LVM, RAID: lsblk -s follows them down to the disks).
system_disks=()
if [[ -r "$PROC/mounts" ]]; then
  while read -r src mnt _; do
    mnt=$(unescape "$mnt")
    for m in "${SYSTEM_MOUNTS[@]}"; do
      [[ "$mnt" == "$m" ]] && while read -r d; do system_disks+=("$d:$mnt"); done < <(disks_of "$src")
    done
  done <"$PROC/mounts"
fi
if [[ -r "$PROC/swaps" ]]; then
  while read -r src _; do
    while read -r d; do system_disks+=("$d:[SWAP]"); done < <(disks_of "$src")
  done < <(tail -n +2 "$PROC/swaps")
fi
# mounted entries are PART:MOUNTPOINT for what is on DEV; system_disks are DISK:MOUNTPOINT.
for entry in "${system_disks[@]}"; do
  [[ "${entry%%:*}" == "$name" ]] && die "$dev holds the running system (${entry#*:} is on it): it is not a USB stick to erase"
done
for entry in "${mounted[@]}"; do
  for m in "${SYSTEM_MOUNTS[@]}"; do
    [[ "${entry#*:}" == "$m" ]] && die "$dev holds the running system ($m is on it): it is not a USB stick to erase"
  done
done
if (( ${#mounted[@]} )); then
  list=$(printf '%s\n' "${mounted[@]}" | sort -u | sed 's|^\([^:]*\):\(.*\)|/dev/\1 on \2|' | paste -sd';' - | sed 's/;/; /g')
  first=${mounted[0]%%:*}
  die "$dev is in use ($list): unmount it first, e.g. 'sudo umount /dev/$first' or 'udisksctl unmount -b /dev/$first'"
fi

# --- removable or USB ----------------------------------------------------------------
rm_=$(col RM "$real") tran=$(col TRAN "$real") sys_rm=$(sysattr "block/$name/removable")
if ! [[ "$rm_" == 1 || "$sys_rm" == 1 || "$tran" == usb || "$tran" == mmc ]]; then
  die "$dev is not a removable or USB disk (removable=${rm_:-${sys_rm:-?}}, transport=${tran:-?}): an internal disk? Pick the USB stick (lsblk -o NAME,SIZE,TRAN,RM,MODEL)"
fi

# --- large enough --------------------------------------------------------------------
size=$(lsblk_ -bndo SIZE "$real" 2>/dev/null | tr -d ' ' | head -n1)
if ! [[ "$size" =~ ^[0-9]+$ ]]; then
  sectors=$(sysattr "block/$name/size")
  [[ "$sectors" =~ ^[0-9]+$ ]] && size=$(( sectors * 512 ))
fi
[[ "$size" =~ ^[0-9]+$ && "$size" -gt 0 ]] || die "cannot tell the size of $dev (no medium in the reader?)"
img_size=$(stat -Lc %s "$image")
human() { numfmt --to=iec-i --suffix=B "$1" 2>/dev/null || echo "$1 bytes"; }
(( size > img_size )) || die "$dev ($(human "$size")) is smaller than $(basename "$image") ($(human "$img_size"))"

# --- root ----------------------------------------------------------------------------
if [[ "$EUID_" != 0 && "$DRYRUN" != 1 ]]; then
  die "writing to $dev needs root: run with sudo (sudo make usb DEV=$dev, or sudo $0 $dev)"
fi

# --- confirm and write ---------------------------------------------------------------
model=$(col MODEL "$real") vendor=$(col VENDOR "$real") serial=$(col SERIAL "$real")
[[ -n "$model" ]] || model=$(sysattr "block/$name/device/model")
[[ -n "$vendor" ]] || vendor=$(sysattr "block/$name/device/vendor")
echo "usb: $dev: $(human "$size"), ${vendor:+$vendor }${model:-unknown model}${serial:+, serial $serial}${tran:+, $tran}"
echo "usb: writing $(basename "$image") ($(human "$img_size")) erases everything on it"
if [[ "${YES:-}" != 1 ]]; then
  ans=
  printf 'Type YES to erase %s: ' "$dev" >&2
  read -r ans || echo >&2
  [[ "$ans" == YES ]] || die "not confirmed (you typed '${ans}'); nothing was written"
fi
cmd=(dd "if=$image" "of=$dev" bs=4M conv=fsync status=progress)
if [[ "$DRYRUN" == 1 ]]; then
  echo "usb: dry run: ${cmd[*]}"
  echo "usb: dry run: sync"
else
  "${cmd[@]}" || { echo "usb: dd failed" >&2; exit 1; }
  sync
fi
echo "usb: done: $dev now boots RustOS. Eject it before unplugging: sudo eject $dev (or: udisksctl power-off -b $dev)"
