"""QEMU driver for RustOS: boots an ISO or a disk image, talks to the serial line and QMP.

Used by `make run`/`run-uefi`/`run-bios`/`run-hdd` (interactive: `python3 ci/qemu.py run
IMAGE [--firmware uefi|bios] [--mem 512M] [--accel auto|kvm|tcg]`) and by the test runner
(headless): one place knows the QEMU command line, the firmware paths, the acceleration
probe and the keyboard mapping.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

OVMF_SINGLE = ["/usr/share/ovmf/OVMF.fd", "/usr/share/qemu/OVMF.fd"]
OVMF_CODE = ["/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd"]
OVMF_VARS = ["/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/share/OVMF/OVMF_VARS.fd"]

# QEMU exits with (code << 1) | 1 when a guest writes `code` to isa-debug-exit.
EXIT_SUCCESS = 33
EXIT_FAILURE = 35


def first_existing(paths):
    for p in paths:
        if os.path.exists(p):
            return p
    return None


def firmware_args(firmware: str, workdir: str) -> list[str]:
    """QEMU arguments selecting BIOS (SeaBIOS) or UEFI (OVMF)."""
    if firmware == "bios":
        return []
    single = first_existing(OVMF_SINGLE)
    if single:
        return ["-bios", single]
    code, vars_ = first_existing(OVMF_CODE), first_existing(OVMF_VARS)
    if not code or not vars_:
        sys.exit("qemu: OVMF (UEFI firmware) not found; install the Debian package 'ovmf' (make setup)")
    vars_copy = os.path.join(workdir, "OVMF_VARS.fd")
    shutil.copy(vars_, vars_copy)
    return [
        "-drive", f"if=pflash,format=raw,unit=0,file={code},readonly=on",
        "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
    ]


def kvm_works(timeout: float = 3.0) -> bool:
    """True if QEMU can run a guest with KVM here.

    /dev/kvm existing is not enough (some VMs expose one that aborts or hangs), so this boots
    a 64 KiB stand-in BIOS whose reset vector writes to isa-debug-exit, and checks that QEMU
    exits with the guest's code in time.
    """
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    rom = bytearray(b"\xf4" * 65536)  # hlt everywhere
    # Reset vector (last 16 bytes): fwait; fninit; fwait (the x87 start-up that OVMF does
    # first, and where broken KVM set-ups fail); mov al, 0x10; out 0xf4, al; hlt
    rom[-16:-7] = b"\x9b\xdb\xe3\x9b\xb0\x10\xe6\xf4\xf4"
    with tempfile.NamedTemporaryFile(suffix=".rom") as f:
        f.write(rom)
        f.flush()
        try:
            p = subprocess.run(
                ["qemu-system-x86_64", "-accel", "kvm", "-machine", "q35", "-nodefaults",
                 "-display", "none", "-bios", f.name,
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
            return p.returncode == EXIT_SUCCESS
        except (subprocess.TimeoutExpired, OSError):
            return False


def resolve_accel(accel: str) -> str:
    """`auto` means KVM when it demonstrably works, else TCG (always works, slower)."""
    if accel != "auto":
        return accel
    return "kvm" if kvm_works() else "tcg"


def is_iso9660(path: str) -> bool:
    """True for an ISO 9660 image (its volume descriptor at byte 32769 says CD001)."""
    try:
        with open(path, "rb") as f:
            f.seek(32769)
            return f.read(5) == b"CD001"
    except OSError:
        return False


def base_args(iso: str, firmware: str, mem: str, accel: str, workdir: str) -> list[str]:
    """The common QEMU command line. `iso` is an ISO (booted as a CD) or a raw disk image
    such as `make hdd`'s (a hybrid ISO is also a valid disk, so the CD signature decides)."""
    media = (["-cdrom", iso, "-boot", "d"] if is_iso9660(iso)
             else ["-drive", f"format=raw,file={iso}"])
    return [
        "qemu-system-x86_64",
        "-machine", "q35",
        "-accel", accel,
        "-cpu", "max" if accel == "tcg" else "host",
        "-m", mem,
        *media,
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-no-reboot",
        *firmware_args(firmware, workdir),
    ]


# Characters to QMP qcodes: (qcode, shift).
_QCODES = {c: (c, False) for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
_QCODES.update({c.upper(): (c, True) for c in "abcdefghijklmnopqrstuvwxyz"})
_QCODES.update({
    " ": ("spc", False), "\n": ("ret", False), "\t": ("tab", False),
    "-": ("minus", False), "_": ("minus", True), "=": ("equal", False), "+": ("equal", True),
    ".": ("dot", False), ">": ("dot", True), ",": ("comma", False), "<": ("comma", True),
    "/": ("slash", False), "?": ("slash", True), ";": ("semicolon", False), ":": ("semicolon", True),
    "'": ("apostrophe", False), '"': ("apostrophe", True), "[": ("bracket_left", False),
    "]": ("bracket_right", False), "{": ("bracket_left", True), "}": ("bracket_right", True),
    "\\": ("backslash", False), "|": ("backslash", True), "`": ("grave_accent", False),
    "~": ("grave_accent", True), "!": ("1", True), "@": ("2", True), "#": ("3", True),
    "$": ("4", True), "%": ("5", True), "^": ("6", True), "&": ("7", True), "*": ("8", True),
    "(": ("9", True), ")": ("0", True),
})


class Machine:
    """A headless QEMU running an ISO, with serial and QMP attached over Unix sockets."""

    def __init__(self, iso: str, firmware: str = "uefi", mem: str = "512M", accel: str = "tcg",
                 extra: list[str] | None = None, log_path: str | None = None):
        self.workdir = tempfile.mkdtemp(prefix="rustos-qemu-")
        self.serial_path = os.path.join(self.workdir, "serial.sock")
        self.qmp_path = os.path.join(self.workdir, "qmp.sock")
        self.log_path = log_path
        args = base_args(iso, firmware, mem, accel, self.workdir) + [
            "-display", "none",
            "-chardev", f"socket,id=ser0,path={self.serial_path},server=on,wait=off",
            "-serial", "chardev:ser0",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            *(extra or []),
        ]
        self.args = args
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.output = bytearray()
        self._lock = threading.Lock()
        self._closed = False
        self.serial = self._connect(self.serial_path)
        self.qmp = self._connect(self.qmp_path)
        self._qmp_file = self.qmp.makefile("rwb")
        self._qmp_read()  # greeting
        self.qmp_cmd("qmp_capabilities")
        self._reader = threading.Thread(target=self._read_serial, daemon=True)
        self._reader.start()

    def _connect(self, path: str) -> socket.socket:
        deadline = time.time() + 15
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                    raise RuntimeError(f"QEMU did not start: {out.strip()}")
                time.sleep(0.05)

    def _read_serial(self):
        log = open(self.log_path, "wb") if self.log_path else None
        try:
            while True:
                try:
                    data = self.serial.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                with self._lock:
                    self.output.extend(data)
                if log:
                    log.write(data)
                    log.flush()
        finally:
            if log:
                log.close()

    # --- serial -----------------------------------------------------------------------

    def text(self) -> str:
        with self._lock:
            return self.output.decode("utf-8", errors="replace")

    def text_since(self, mark: int) -> str:
        """Output after a `mark()`, decoded (marks are byte offsets)."""
        with self._lock:
            return self.output[mark:].decode("utf-8", errors="replace")

    def mark(self) -> int:
        """Position in the output, to wait only for what comes after it."""
        with self._lock:
            return len(self.output)

    def wait_for(self, pattern: str, timeout: float = 60.0, since: int = 0) -> re.Match | None:
        """Waits until `pattern` (a regex) appears in the serial output after `since`."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                text = self.output[since:].decode("utf-8", errors="replace")
            m = rx.search(text)
            if m:
                return m
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the reader drain
                with self._lock:
                    text = self.output[since:].decode("utf-8", errors="replace")
                return rx.search(text)
            time.sleep(0.05)
        return None

    def write_serial(self, data: bytes | str, delay: float = 0.0):
        if isinstance(data, str):
            data = data.encode()
        if delay <= 0:
            self.serial.sendall(data)
            return
        for b in data:
            self.serial.sendall(bytes([b]))
            time.sleep(delay)

    # --- QMP --------------------------------------------------------------------------

    def _qmp_read(self) -> dict:
        while True:
            line = self._qmp_file.readline()
            if not line:
                raise RuntimeError("QMP connection closed")
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    def qmp_cmd(self, cmd: str, **arguments) -> dict:
        msg = {"execute": cmd}
        if arguments:
            msg["arguments"] = arguments
        self._qmp_file.write(json.dumps(msg).encode() + b"\n")
        self._qmp_file.flush()
        reply = self._qmp_read()
        if "error" in reply:
            raise RuntimeError(f"QMP {cmd}: {reply['error']}")
        return reply.get("return", {})

    def send_key(self, *qcodes: str, hold_ms: int = 30):
        """Presses keys together (e.g. send_key('ctrl', 'c')) on the PS/2 keyboard."""
        keys = [{"type": "qcode", "data": q} for q in qcodes]
        self.qmp_cmd("send-key", keys=keys, **{"hold-time": hold_ms})

    def press_now(self, *qcodes: str):
        """Presses keys together and releases them (in reverse order) at once, through QMP
        `input-send-event`: the scancodes go straight to the emulated keyboard, without the
        timed queue `send-key` uses (which drops keys when more than about 200 wait in it).
        The keyboard itself holds 16 bytes; a guest that does not read them in time loses
        the rest, as with a real keyboard."""
        def event(q: str, down: bool) -> dict:
            return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": q}}}
        events = [event(q, True) for q in qcodes] + [event(q, False) for q in reversed(qcodes)]
        self.qmp_cmd("input-send-event", events=events)

    def type_text(self, text: str, delay: float = 0.03):
        """Types text on the emulated PS/2 keyboard."""
        for ch in text:
            if ch not in _QCODES:
                raise ValueError(f"no key for {ch!r}")
            code, shift = _QCODES[ch]
            if shift:
                self.send_key("shift", code)
            else:
                self.send_key(code)
            time.sleep(delay)

    def screendump(self, path: str):
        """Saves the screen; PNG when the name ends in .png (QEMU >= 7.1), else PPM."""
        path = os.path.abspath(path)
        if path.endswith(".png"):
            self.qmp_cmd("screendump", filename=path, format="png")
        else:
            self.qmp_cmd("screendump", filename=path)
        # The file is written asynchronously on some versions.
        deadline = time.time() + 5
        while time.time() < deadline and not (os.path.exists(path) and os.path.getsize(path) > 0):
            time.sleep(0.05)

    # --- lifetime ---------------------------------------------------------------------

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self._closed:
            return
        self._closed = True
        if self.proc.poll() is None:
            try:
                self.qmp_cmd("quit")
            except Exception:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for s in (self.serial, self.qmp):
            try:
                s.close()
            except OSError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_ppm(path: str) -> tuple[int, int, bytes]:
    """Reads a binary PPM (P6) as (width, height, RGB bytes)."""
    data = Path(path).read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            while data[pos:pos + 1] not in (b"\n", b""):
                pos += 1
            continue
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(data[start:pos])
    if fields[0] != b"P6":
        raise ValueError("not a P6 PPM")
    w, h = int(fields[1]), int(fields[2])
    return w, h, data[pos + 1:pos + 1 + w * h * 3]


def screen_summary(path: str) -> dict:
    """Counts colours on a screenshot: how much is not background, how many colours."""
    w, h, rgb = read_ppm(path)
    counts: dict[bytes, int] = {}
    step = 3 * 2  # sample every other pixel: plenty for a verdict, twice as fast
    for i in range(0, len(rgb) - 2, step):
        px = rgb[i:i + 3]
        counts[px] = counts.get(px, 0) + 1
    total = sum(counts.values())
    bg, bg_count = max(counts.items(), key=lambda kv: kv[1]) if counts else (b"", 0)
    return {
        "width": w, "height": h, "colours": len(counts),
        "background": bg.hex(), "non_background_fraction": (total - bg_count) / max(total, 1),
    }


def run_interactive(iso: str, firmware: str, mem: str, accel: str):
    """`make run`: a window when there is a display, else serial on this terminal."""
    if not os.path.isfile(iso):
        sys.exit(f"run: {iso}: no such image (make iso, or make hdd)")
    workdir = tempfile.mkdtemp(prefix="rustos-run-")
    if firmware == "auto":
        firmware = "uefi"
    accel = resolve_accel(accel)
    print(f"run: QEMU acceleration: {accel}" + (" (KVM not usable here)" if accel == "tcg" else ""))
    args = base_args(iso, firmware, mem, accel, workdir)
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        args += ["-serial", "stdio"]
        print("run: QEMU window open; the serial console is mirrored here")
    else:
        args += ["-display", "none", "-serial", "mon:stdio"]
        print("run: no display: headless, serial console on this terminal (quit: Ctrl-A then X)")
    print("run: " + " ".join(args))
    try:
        os.execvp(args[0], args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Boot a RustOS ISO or disk image in QEMU")
    ap.add_argument("mode", choices=["run"])
    ap.add_argument("iso", help="rustos.iso or a raw disk image such as rustos.hdd")
    ap.add_argument("--firmware", default="auto", choices=["auto", "uefi", "bios"])
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--accel", default="auto", help="auto (KVM if it works, else TCG), kvm or tcg")
    a = ap.parse_args()
    run_interactive(a.iso, a.firmware, a.mem, a.accel)
