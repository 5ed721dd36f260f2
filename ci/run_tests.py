#!/usr/bin/env python3
"""RustOS test runner: everything `make test` runs, with one verdict.

Stages:
  host    cargo test of the no_std logic crates (and the game harness)
  kernel  bootable test kernels, each booted in QEMU through the same boot path as the ISO
  e2e     the real rustos.iso: boot, shell sessions on the PS/2 keyboard and the serial line,
          screenshots

Every guest runs under a time limit; a hung guest is killed and counted as a failure.
The last line is `N passed, M failed`; the exit status is non-zero on any failure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qemu  # noqa: E402
import scenarios  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts"


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures: list[str] = []

    def ok(self, name: str, detail: str = ""):
        self.passed += 1
        print(f"  PASS {name}" + (f"  ({detail})" if detail else ""), flush=True)

    def fail(self, name: str, why: str):
        self.failed += 1
        self.failures.append(f"{name}: {why}")
        print(f"  FAIL {name}: {why}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, **kw)


# --- host ---------------------------------------------------------------------------------

SUMMARY = re.compile(r"test result: (ok|FAILED)\. (\d+) passed; (\d+) failed")


def cargo_test(res: Results, name: str, cmd: list[str], cwd: Path = ROOT):
    t0 = time.time()
    p = subprocess.run(cmd, cwd=cwd, text=True, capture_output=True)
    out = p.stdout + p.stderr
    passed = sum(int(m.group(2)) for m in SUMMARY.finditer(out))
    failed = sum(int(m.group(3)) for m in SUMMARY.finditer(out))
    for line in out.splitlines():
        if line.startswith("test ") and line.endswith("FAILED"):
            print("    " + line)
    if p.returncode != 0 and failed == 0:
        tail = "\n".join(out.strip().splitlines()[-15:])
        res.fail(name, f"cargo exited {p.returncode}\n{tail}")
        return
    res.passed += passed
    if failed:
        res.failed += failed
        res.failures.append(f"{name}: {failed} unit tests failed")
        print(f"  FAIL {name}: {passed} passed, {failed} failed")
    else:
        print(f"  PASS {name}: {passed} unit tests ({time.time() - t0:.1f} s)", flush=True)


def stage_host(res: Results):
    print("== host unit tests", flush=True)
    cargo_test(res, "logic crates", ["cargo", "test", "--quiet"])
    # The USB writer's safety checks, against fake devices.
    t0 = time.time()
    p = run(["bash", "ci/test_usb.sh"])
    m = re.search(r"^(\d+) passed, (\d+) failed", p.stdout, re.M)
    if m and p.returncode == 0:
        res.passed += int(m.group(1))
        print(f"  PASS usb writer checks: {m.group(1)} cases ({time.time() - t0:.1f} s)", flush=True)
    else:
        res.fail("usb writer checks", (p.stdout + p.stderr)[-1500:])
    harness = ROOT / "userland-wasm" / "harness"
    games = ROOT / "build" / "games"
    if harness.is_dir() and any(games.glob("*.wasm")):
        env_cmd = ["env", f"GAMES_WASM_DIR={games}", "HARNESS_REQUIRE_GAMES=1", "cargo", "test", "--quiet", "-p", "harness"]
        cargo_test(res, "games (wasm harness)", env_cmd, cwd=ROOT / "userland-wasm")


# --- kernel -------------------------------------------------------------------------------

def build_test_kernels() -> list[tuple[str, Path]]:
    cmd = ["cargo", "test", "-p", "kernel", "--target", "x86_64-unknown-none", "--no-run",
           "--message-format=json"]
    p = run(cmd)
    if p.returncode != 0:
        raise RuntimeError("building the test kernels failed:\n" + p.stderr[-3000:])
    kernels = []
    for line in p.stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["profile"]["test"]:
            target = msg["target"]
            name = "lib" if target["kind"] == ["lib"] else target["name"]
            kernels.append((name, Path(msg["executable"])))
    return kernels


def make_iso(kernel: Path, out: Path, limine: str) -> None:
    initrd = ROOT / "build" / "initrd.tar"
    loader = ROOT / "build" / "loader.efi"
    stripped = out.with_suffix(".elf")
    p = run(["objcopy", "--strip-debug", str(kernel), str(stripped)])
    if p.returncode != 0:
        raise RuntimeError(f"objcopy failed: {p.stderr.strip()}")
    p = run(["scripts/mkiso.sh", str(out), str(stripped), str(initrd), str(loader), limine])
    stripped.unlink(missing_ok=True)
    if p.returncode != 0:
        raise RuntimeError(f"mkiso failed: {p.stderr.strip()}")


def boot_test_kernel(res: Results, name: str, iso: Path, firmware: str, timeout: float):
    log = ARTIFACTS / f"kernel-{name}-{firmware}.log"
    t0 = time.time()
    with qemu.Machine(str(iso), firmware=firmware, mem="256M", log_path=str(log)) as m:
        # Wait for QEMU to exit, but give up at once if the loader refuses the kernel.
        code = None
        deadline = time.time() + timeout
        while time.time() < deadline:
            code = m.wait_exit(0.5)
            if code is not None or "RustOS loader: error" in m.text():
                break
        out = m.text()
    took = time.time() - t0
    oks = re.findall(r"^(\S+) \.\.\. ok", out, re.M)
    label = f"kernel {name} [{firmware}]"
    if code is None:
        res.fail(label, f"hung: killed after {timeout:.0f} s (serial log: {log})")
    elif code == qemu.EXIT_SUCCESS:
        res.passed += max(len(oks), 1)
        print(f"  PASS {label}: {', '.join(oks) or 'ok'} ({took:.1f} s)", flush=True)
    else:
        tail = "\n".join(out.strip().splitlines()[-12:])
        res.fail(label, f"exit code {code}\n{tail}")


def stage_kernel(res: Results, limine: str):
    print("== in-kernel tests (bootable test kernels)", flush=True)
    try:
        kernels = build_test_kernels()
    except RuntimeError as e:
        res.fail("build test kernels", str(e))
        return
    firmwares = ["uefi"] + (["bios"] if limine else [])
    for name, exe in kernels:
        iso = ARTIFACTS / f"test-{name}.iso"
        try:
            make_iso(exe, iso, limine)
        except RuntimeError as e:
            res.fail(f"kernel {name}", str(e))
            continue
        for fw in firmwares:
            boot_test_kernel(res, name, iso, fw, timeout=120)
        iso.unlink(missing_ok=True)


# --- end to end ---------------------------------------------------------------------------

def stage_e2e(res: Results, iso: Path, limine: str, only: str | None):
    print("== end-to-end tests (the real ISO)", flush=True)
    firmwares = ["uefi"] + (["bios"] if limine else [])
    for sc in scenarios.ALL:
        if only and only not in sc.__name__:
            continue
        for fw in (firmwares if getattr(sc, "all_firmware", False) else firmwares[:1]):
            name = f"e2e {sc.__name__} [{fw}]"
            t0 = time.time()
            try:
                detail = sc(scenarios.Context(iso=str(iso), firmware=fw, artifacts=ARTIFACTS,
                                              limine=limine))
                res.ok(name, f"{time.time() - t0:.1f} s" + (f", {detail}" if detail else ""))
            except scenarios.Failure as e:
                res.fail(name, str(e))
            except Exception:  # a bug in the scenario itself is a failure too
                res.fail(name, traceback.format_exc(limit=4))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iso", default="rustos.iso")
    ap.add_argument("--limine", default="", help="Limine v8 binary release dir (also tests BIOS)")
    ap.add_argument("--only", choices=["host", "kernel", "e2e"], help="run one stage")
    ap.add_argument("--scenario", help="run only e2e scenarios whose name contains this")
    a = ap.parse_args()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    res = Results()
    t0 = time.time()
    if a.only in (None, "host"):
        stage_host(res)
    if a.only in (None, "kernel"):
        stage_kernel(res, a.limine)
    if a.only in (None, "e2e"):
        stage_e2e(res, ROOT / a.iso, a.limine, a.scenario)
    print(f"\n== done in {time.time() - t0:.0f} s; artifacts in {ARTIFACTS.relative_to(ROOT)}")
    for f in res.failures:
        print(f"  failed: {f.splitlines()[0]}")
    print(f"{res.passed} passed, {res.failed} failed")
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
