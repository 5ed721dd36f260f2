#!/usr/bin/env python3
"""RustOS test runner: everything `make test` runs, with one verdict.

Stages:
  host    cargo test of the no_std logic crates (and the game harness)
  kernel  bootable test kernels, each booted in QEMU through the same boot path as the ISO
  e2e     the real rustos.iso: boot, shell sessions on the PS/2 keyboard and the serial line,
          screenshots

Every guest runs under a time limit; a hung guest is killed and counted as a failure.
The last line is `N passed, M failed`; the exit status is non-zero on any failure.

Usage (`make test` runs everything; build first with `make iso`):
  python3 ci/run_tests.py [--iso rustos.iso] [--limine DIR]      all stages
  python3 ci/run_tests.py --only e2e --filter hostile_input       one stage, matching tests
  python3 ci/run_tests.py --only kernel --filter page_fault
  python3 ci/run_tests.py --list                                  the e2e scenarios
--filter SUBSTRING keeps the test kernels and e2e scenarios whose name contains it (repeat it
to keep several); the host stage ignores it (use `cargo test -p CRATE NAME` there).

Scenarios marked `pending` (they wait for a kernel fix, see scenarios.py) are listed as
SKIP and not counted; RUSTOS_TEST_PENDING=1 runs them like the others.
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
        self.selected = 0  # test kernels and scenarios that passed a --filter
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
    if harness.is_dir():
        # The harness tests the built games: without them it would test nothing.
        if not any(games.glob("*.wasm")):
            res.fail("games (wasm harness)", f"no games in {games.relative_to(ROOT)}: "
                     "build them first (`make games`; `make test` and `make test-host` do)")
            return
        env_cmd = ["env", f"GAMES_WASM_DIR={games}", "HARNESS_REQUIRE_GAMES=1", "cargo", "test", "--quiet", "-p", "harness"]
        cargo_test(res, "games (wasm harness)", env_cmd, cwd=ROOT / "userland-wasm")


# --- kernel -------------------------------------------------------------------------------

def build_test_kernels() -> list[tuple[str, Path]]:
    flags = run(["make", "-s", "--no-print-directory", "kernel-cargo-flags"]).stdout.split()
    cmd = ["cargo", "test", "-p", "kernel", *flags, "--no-run", "--message-format=json"]
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
    label = f"kernel {name} [{firmware}]"
    if code is None:
        res.fail(label, f"hung: killed after {timeout:.0f} s (serial log: {log})")
        return
    verdict, oks = kernel_verdict(code, out)
    if verdict is None:
        res.passed += len(oks)
        print(f"  PASS {label}: {', '.join(oks) or 'no tests'} ({took:.1f} s)", flush=True)
    else:
        tail = "\n".join(out.strip().splitlines()[-12:])
        res.fail(label, f"{verdict}\n{tail}")


def kernel_verdict(code: int, out: str) -> tuple[str | None, list[str]]:
    """Judges a test kernel's run: (None, tests passed) or (why it failed, tests passed).

    A pass needs the success exit code AND results on serial: one `NAME ... ok` line per
    test, none `FAILED`, as many as a `running N tests` line announced. A kernel that exits
    successfully having printed nothing tested nothing (or exited early): that fails. The
    only run without `ok` lines that passes is an explicit `test result: ok. 0 passed`."""
    oks = re.findall(r"^(\S+) \.\.\. ok\b", out, re.M)
    if code != qemu.EXIT_SUCCESS:
        return f"exit code {code}", oks
    if re.search(r"\.\.\. FAILED", out):
        return "a test printed FAILED although the kernel exited with success", oks
    announced = re.search(r"^running (\d+) tests?\r?$", out, re.M)
    if announced and int(announced.group(1)) != len(oks):
        return f"announced {announced.group(1)} tests but {len(oks)} reported ok", oks
    if not oks and not re.search(r"^test result: ok\. 0 passed", out, re.M):
        return "exited with success but printed no test result", oks
    return None, oks


def selected(name: str, filters: list[str]) -> bool:
    return not filters or any(f in name for f in filters)


def stage_kernel(res: Results, limine: str, filters: list[str]):
    print("== in-kernel tests (bootable test kernels)", flush=True)
    try:
        kernels = build_test_kernels()
    except RuntimeError as e:
        res.fail("build test kernels", str(e))
        return
    firmwares = ["uefi"] + (["bios"] if limine else [])
    for name, exe in kernels:
        if not selected(name, filters):
            continue
        res.selected += 1
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

def stage_e2e(res: Results, iso: Path, limine: str, filters: list[str]):
    print("== end-to-end tests (the real ISO)", flush=True)
    firmwares = ["uefi"] + (["bios"] if limine else [])
    run_pending = os.environ.get("RUSTOS_TEST_PENDING") == "1"
    for sc in scenarios.ALL:
        if not selected(sc.__name__, filters):
            continue
        res.selected += 1
        pending = getattr(sc, "pending", None)
        if pending and not run_pending:
            print(f"  SKIP e2e {sc.__name__}: pending ({pending}); RUSTOS_TEST_PENDING=1 runs it",
                  flush=True)
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
    ap.add_argument("--filter", "--scenario", action="append", default=[], dest="filters",
                    metavar="SUBSTRING",
                    help="run only the test kernels and e2e scenarios whose name contains this "
                         "(repeatable)")
    ap.add_argument("--list", action="store_true", help="list the e2e scenarios and exit")
    a = ap.parse_args()
    if a.list:
        for sc in scenarios.ALL:
            pending = getattr(sc, "pending", None)
            doc = (sc.__doc__ or "").strip().splitlines()[0]
            print(f"{sc.__name__:28} {doc}" + (f"  [pending: {pending}]" if pending else ""))
        return 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    res = Results()
    t0 = time.time()
    if a.only in (None, "host"):
        stage_host(res)
    if a.only in (None, "kernel"):
        stage_kernel(res, a.limine, a.filters)
    if a.only in (None, "e2e"):
        stage_e2e(res, ROOT / a.iso, a.limine, a.filters)
    if a.filters and a.only != "host" and res.selected == 0:
        res.fail("--filter", f"no test matches {a.filters}")
    print(f"\n== done in {time.time() - t0:.0f} s; artifacts in {ARTIFACTS.relative_to(ROOT)}")
    for f in res.failures:
        print(f"  failed: {f.splitlines()[0]}")
    print(f"{res.passed} passed, {res.failed} failed")
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
