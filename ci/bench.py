#!/usr/bin/env python3
"""`make bench`: boots RustOS in QEMU and collects every benchmark figure.

Host-side figures (boot wall time, key rate) are measured here; in-kernel figures come
from the shell's `bench` command as `BENCH name value unit` lines. Results are printed as a
table and written to build/bench.json; BENCHMARKS.md explains each figure and its method.
Nothing here fails on a timing: a benchmark only reports.
"""

from __future__ import annotations

import argparse
import os
import json
import platform
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qemu  # noqa: E402
from scenarios import PROMPT, boot_phases  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_LINE = re.compile(r"^BENCH (\S+) (\S+) (\S+)", re.M)


def run_cmd(m: qemu.Machine, line: str, timeout: float = 300) -> str:
    mark = m.mark()
    m.write_serial(line + "\r")
    if not m.wait_for(PROMPT, timeout=timeout, since=mark):
        raise RuntimeError(f"no prompt after {line!r}")
    return m.text_since(mark)


def boot_times(iso: str, runs: int) -> dict:
    """Boot time, host wall clock and guest (kernel entry -> `RustOS ready`), median of
    `runs` boots, with the phases of the median boot. The guest figure is measured with the
    guest's RAM allocated up front (`-mem-prealloc`): QEMU otherwise backs guest RAM on
    first touch, which costs the host a page fault per new 2 MiB (milliseconds on this VM),
    a cost real hardware does not have and that depends on which RAM the kernel uses (what
    the firmware touched before is free). The figure as QEMU starts by default is reported
    too (`boot_guest_lazy_ms_median`)."""
    results = {}
    for label, extra in (("", ["-mem-prealloc"]), ("_lazy", [])):
        wall, guest = [], []
        for _ in range(runs):
            t0 = time.time()
            with qemu.Machine(iso, extra=extra) as m:
                found = m.wait_for(r"RustOS ready \(([\d.]+) ms after kernel entry\)", timeout=120)
                if not found:
                    raise RuntimeError("did not boot")
                wall.append(time.time() - t0)
                guest.append((float(found.group(1)), boot_phases(m.text())))
        wall.sort()
        guest.sort(key=lambda g: g[0])
        median, phases = guest[len(guest) // 2]
        results[f"boot_guest{label}_ms_median"] = (median, "ms")
        results[f"boot_guest{label}_ms_min"] = (guest[0][0], "ms")
        if label:
            # Host wall time as QEMU starts by default (preallocation itself takes time).
            results["boot_wall_s_median"] = (wall[len(wall) // 2], "s")
            results["boot_wall_s_min"] = (wall[0], "s")
        else:
            for name, ms in phases.items():
                key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
                results[f"boot_phase_{key}_ms"] = (ms, "ms")
    return results


def key_rate(m: qemu.Machine, read_counters=None, name: str = "key_rate_lossless") -> dict:
    """Sends bursts of keys at rising rates; the best rate with nothing lost."""
    read_counters = read_counters or counters
    results = {}
    best = 0.0
    for interval_ms in (20, 10, 5, 2, 1, 0):
        before = read_counters(m)
        n = 200
        t0 = time.time()
        for _ in range(n):
            m.qmp_cmd("send-key", keys=[{"type": "qcode", "data": "a"}], **{"hold-time": 1})
            if interval_ms:
                time.sleep(interval_ms / 1000)
        took = time.time() - t0
        time.sleep(1.0)
        after = read_counters(m)
        got = after[0] - before[0]
        dropped = after[1] - before[1]
        rate = n / took
        results[f"keys_{interval_ms}ms"] = (rate, "keys/s sent", got, dropped)
        if got >= 2 * n and dropped == 0:
            best = max(best, rate)
    return {name: (best, "keys/s")}, results


def counters(m: qemu.Machine) -> tuple[int, int]:
    mark = m.mark()
    m.write_serial("\x03")  # cancel whatever was typed
    m.wait_for(PROMPT, timeout=30, since=mark)
    out = run_cmd(m, "bench keys")
    rec = re.search(r"BENCH scancodes_received (\S+)", out)
    drop = re.search(r"BENCH scancodes_dropped (\S+)", out)
    return int(float(rec.group(1))), int(float(drop.group(1)))


def usb_counters(m: qemu.Machine) -> tuple[int, int]:
    """Key events the USB keyboards delivered to the input layer, and those dropped."""
    mark = m.mark()
    m.write_serial("\x03")
    m.wait_for(PROMPT, timeout=30, since=mark)
    out = run_cmd(m, "bench keys")
    rec = re.search(r"BENCH usb_key_events_received (\S+)", out)
    drop = re.search(r"BENCH usb_key_events_dropped (\S+)", out)
    return int(float(rec.group(1))), int(float(drop.group(1)))


def usb_keys(iso: str) -> tuple[dict, dict]:
    """The same typing and bursts on a USB keyboard (qemu-xhci + usb-kbd), where QMP's
    keys go instead of to PS/2."""
    figures = {}
    extra = ["-device", "qemu-xhci,id=xhci", "-device", "usb-kbd,bus=xhci.0"]
    with qemu.Machine(iso, mem="1G", extra=extra,
                      log_path=str(ROOT / "build" / "bench-usb-serial.log")) as m:
        m.wait_for(r"RustOS ready", timeout=120)
        m.wait_for(PROMPT, timeout=30)
        if not m.wait_for(r"usb: keyboard on port", timeout=30):
            raise RuntimeError("no USB keyboard")
        mark = m.mark()
        m.type_text("echo the quick brown fox jumps over the lazy dog\n", delay=0.05)
        if not m.wait_for(r"lazy dog\r\n\S*" + PROMPT, timeout=60, since=mark):
            raise RuntimeError("line typed on USB not echoed")
        out = run_cmd(m, "bench keys")
        for name, value, unit in BENCH_LINE.findall(out):
            if name.startswith("usb_key_echo"):
                figures[name] = (float(value), unit)
        best, detail = key_rate(m, usb_counters, "usb_key_rate_lossless")
        figures.update(best)
    return figures, detail


def disk_figures(iso: str) -> dict:
    """Sequential throughput of each disk kind on a blank image, the load of a FAT volume
    holding a 10 MiB file into RAM (`cp` from a disk), and `dd` of the same files on the
    host as the baseline."""
    import shutil
    import subprocess
    import tempfile
    figures: dict = {}
    if not shutil.which("mkfs.fat") or not shutil.which("mcopy"):
        print("bench: disk figures skipped (mkfs.fat or mcopy missing)")
        return figures
    mib = 32
    with tempfile.TemporaryDirectory(prefix="rustos-bench-") as tmp:
        tmp = Path(tmp)
        blank_v, blank_s, blank_n = tmp / "virtio.img", tmp / "sata.img", tmp / "nvme.img"
        for img in (blank_v, blank_s, blank_n):
            with open(img, "wb") as f:
                f.truncate(64 << 20)
        vol = tmp / "vol.img"
        subprocess.run(["mkfs.fat", "-C", "-F", "32", str(vol), str(64 * 1024)], check=True, capture_output=True)
        ten = tmp / "ten.bin"
        ten.write_bytes(os.urandom(10 << 20))
        subprocess.run(["mcopy", "-i", str(vol), str(ten), "::ten.bin"], check=True, capture_output=True)
        extra = ["-drive", f"if=none,id=bv,format=raw,file={blank_v}", "-device", "virtio-blk-pci,drive=bv",
                 "-drive", f"if=none,id=bs,format=raw,file={blank_s}", "-device", "ide-hd,drive=bs,bus=ide.1",
                 "-drive", f"if=none,id=bn,format=raw,file={blank_n}", "-device", "nvme,serial=bench,drive=bn",
                 "-drive", f"if=none,id=fv,format=raw,file={vol}", "-device", "virtio-blk-pci,drive=fv"]
        with qemu.Machine(iso, mem="1G", extra=extra) as m:
            m.wait_for(r"RustOS ready", timeout=120)
            m.wait_for(PROMPT, timeout=30)
            out = run_cmd(m, "bench disk", timeout=600)
            for name, value, unit in BENCH_LINE.findall(out):
                figures[name] = (float(value), unit)
            for note in re.findall(r"^\s*(disk: .*)$", out, re.M):
                print(f"bench: {note}")
        # The host baseline: the same amount through dd on the same kind of file.
        def dd(args: list[str]) -> float:
            t0 = time.time()
            subprocess.run(["dd", *args], check=True, capture_output=True)
            return time.time() - t0
        scratch = tmp / "dd.img"
        t_w = dd([f"if={ten}", f"of={scratch}", "bs=1M", f"count={mib}", "iflag=fullblock", "conv=fsync"])
        written_mib = scratch.stat().st_size / (1 << 20)
        t_r = dd([f"if={vol}", "of=/dev/null", "bs=1M", f"count={mib}"])
        figures["host_dd_write_mib_s"] = (written_mib / t_w, "MiB/s")
        figures["host_dd_read_mib_s"] = (mib / t_r, "MiB/s")
        for name, (value, _) in list(figures.items()):
            found = re.fullmatch(r"disk_cp_to_ram_(\w+)_ms", name)
            if found:
                rate = 10 / (value / 1000)
                figures[f"disk_cp_to_ram_{found.group(1)}_mib_s"] = (rate, "MiB/s")
                figures[f"disk_cp_to_ram_{found.group(1)}_over_host_dd"] = (rate / figures["host_dd_read_mib_s"][0], "x")
            found = re.fullmatch(r"disk_(\w+?)_seq_(write|read)_mib_s", name)
            if found:
                kind, op = found.groups()
                figures[f"disk_{kind}_{op}_over_host_dd"] = (value / figures[f"host_dd_{op}_mib_s"][0], "x")
    return figures


def interpreter_baseline(figures: dict) -> None:
    """The kernel's Life step in wasm against the same step in a Linux process running the
    kernel's wasm-host and wasmi (tools/wasm-bench-host) under `qemu-x86_64`, the same TCG
    emulator without the emulated machine; and the same comparison for the native step.
    Fastest samples on both sides (the ones least disturbed by other load on the host)."""
    import shutil
    import subprocess
    emulator = shutil.which("qemu-x86_64")
    wasm = ROOT / "build" / "bench" / "bench.wasm"
    if not emulator or not wasm.is_file():
        print("bench: interpreter baseline skipped (needs qemu-x86_64 from qemu-user, and build/bench/bench.wasm)")
        return
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    subprocess.run(["cargo", "build", "--quiet", "-p", "wasm-bench-host"], cwd=ROOT, check=True)
    out = subprocess.run([emulator, str(target / "debug" / "wasm-bench-host"), str(wasm), "15"],
                         check=True, capture_output=True, text=True).stdout
    for name, value, unit in BENCH_LINE.findall(out):
        figures[name] = (float(value), unit)
    for kind in ("wasm", "native"):
        kernel = figures.get(f"life_step_256x256_{kind}_min_ms")
        process = figures.get(f"process_life_step_{kind}_min_ms")
        if kernel and process and process[0] > 0:
            figures[f"life_{kind}_kernel_over_process"] = (kernel[0] / process[0], "x")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="rustos.iso")
    ap.add_argument("--boots", type=int, default=3)
    a = ap.parse_args()
    iso = str(ROOT / a.iso)
    figures: dict[str, tuple[float, str]] = {}
    print("bench: boot time", flush=True)
    figures.update(boot_times(iso, a.boots))
    with qemu.Machine(iso, mem="1G", log_path=str(ROOT / "build" / "bench-serial.log")) as m:
        m.wait_for(r"RustOS ready", timeout=120)
        m.wait_for(PROMPT, timeout=30)
        print("bench: keystroke latency (typing on the PS/2 keyboard)", flush=True)
        mark = m.mark()
        m.type_text("echo the quick brown fox jumps over the lazy dog\n", delay=0.05)
        if not m.wait_for(r"lazy dog\r\n\S*" + PROMPT, timeout=60, since=mark):
            raise RuntimeError("typed line not echoed")
        print("bench: in-kernel benchmarks", flush=True)
        out = run_cmd(m, "bench all", timeout=600)
        for name, value, unit in BENCH_LINE.findall(out):
            figures[name] = (float(value), unit)
        print("bench: key rate", flush=True)
        best, detail = key_rate(m)
        figures.update(best)
        # (The PS/2 machine has no USB keyboard: drop its empty USB counters.)
        for name in ("usb_key_events_received", "usb_key_events_dropped"):
            figures.pop(name, None)
        games_out = run_cmd(m, "games")
        for game in re.findall(r"^\s*(\w+)\s", games_out, re.M):
            if game in ("snake", "tetris", "2048", "life", "breakout"):
                mark = m.mark()
                m.write_serial(f"play {game}\r")
                time.sleep(4)
                m.send_key("esc")
                m.wait_for(PROMPT, timeout=30, since=mark)
                text = m.text_since(mark)
                ft = re.search(r"frame_median_ms=([\d.]+) frame_worst_ms=([\d.]+)", text)
                if ft:
                    figures[f"wasm_{game}_frame_median_ms"] = (float(ft.group(1)), "ms")
                    figures[f"wasm_{game}_frame_worst_ms"] = (float(ft.group(2)), "ms")
                tick = re.search(r"tick_worst_ms=([\d.]+)", text)
                if tick:
                    # The worst frame plus its copy to video memory: one 60 Hz tick's work.
                    figures[f"wasm_{game}_tick_worst_ms"] = (float(tick.group(1)), "ms")
    print("bench: the interpreter as a Linux process under qemu-x86_64", flush=True)
    interpreter_baseline(figures)
    print("bench: disks (virtio-blk, AHCI, NVMe; FAT volume to RAM)", flush=True)
    figures.update(disk_figures(iso))
    print("bench: USB keystroke latency and key rate (qemu-xhci + usb-kbd)", flush=True)
    usb_figures, usb_detail = usb_keys(iso)
    figures.update(usb_figures)
    print(f"\n{'figure':40} {'value':>14}  unit")
    for name, (value, unit) in figures.items():
        print(f"{name:40} {value:14.3f}  {unit}")
    print("\nkey bursts (rate sent, scancodes received, dropped by the kernel):")
    for name, (rate, _, got, dropped) in detail.items():
        print(f"  {name:12} {rate:8.1f} keys/s  {got:5d} scancodes  {dropped} dropped")
    print("\nUSB key bursts (rate sent, key events received, dropped by the kernel):")
    for name, (rate, _, got, dropped) in usb_detail.items():
        print(f"  {name:12} {rate:8.1f} keys/s  {got:5d} events     {dropped} dropped")
    result = {
        "machine": {"host": platform.node(), "cpu": platform.processor() or platform.machine(),
                    "qemu": "TCG (software emulation)"},
        "figures": {k: {"value": v, "unit": u} for k, (v, u) in figures.items()},
    }
    out_path = ROOT / "build" / "bench.json"
    out_path.parent.mkdir(exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2))
    print(f"\nwritten to {out_path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
