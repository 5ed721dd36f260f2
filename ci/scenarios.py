"""End-to-end scenarios: each boots the real ISO in QEMU and checks what a user would see.

A scenario is a function taking a Context and returning a short detail string; it raises
Failure with a clear reason. Add new ones to ALL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import qemu

BOOT_TIMEOUT = 120  # seconds; a UEFI boot under TCG takes ~5-10 s


class Failure(Exception):
    pass


@dataclass
class Context:
    iso: str
    firmware: str
    artifacts: Path
    limine: str

    def machine(self, name: str, mem: str = "512M", extra: list[str] | None = None) -> qemu.Machine:
        log = self.artifacts / f"e2e-{name}-{self.firmware}.log"
        return qemu.Machine(self.iso, firmware=self.firmware, mem=mem, extra=extra, log_path=str(log))


def expect(m: qemu.Machine, pattern: str, what: str, timeout: float = 20, since: int = 0):
    found = m.wait_for(pattern, timeout=timeout, since=since)
    if not found:
        tail = "\n".join(m.text()[since:].strip().splitlines()[-15:])
        raise Failure(f"{what}: /{pattern}/ not seen within {timeout:.0f} s; serial tail:\n{tail}")
    return found


def boot(m: qemu.Machine):
    expect(m, r"RustOS ready", "boot", timeout=BOOT_TIMEOUT)


def boots_and_draws(ctx: Context) -> str:
    """The ISO boots to `RustOS ready`, and text is drawn on the framebuffer."""
    with ctx.machine("boot") as m:
        boot(m)
        shot = ctx.artifacts / f"boot-{ctx.firmware}.ppm"
        m.screendump(str(shot))
        m.screendump(str(ctx.artifacts / f"boot-{ctx.firmware}.png"))
        s = qemu.screen_summary(str(shot))
        if s["non_background_fraction"] < 0.002 or s["colours"] < 3:
            raise Failure(f"the screen looks empty: {s}")
        for line in ("gdt:", "idt:", "memory:"):
            if line not in m.text():
                raise Failure(f"boot log lacks the '{line}' stage line")
        return f"{s['width']}x{s['height']}, {s['non_background_fraction']:.1%} text pixels"


boots_and_draws.all_firmware = True


def boots_with_64m(ctx: Context) -> str:
    """A small machine (64 MiB) boots."""
    with ctx.machine("mem64", mem="64M") as m:
        boot(m)
        heap = expect(m, r"memory: heap (\d+) KiB", "heap line")
        return f"heap {heap.group(1)} KiB"


def boots_with_4g(ctx: Context) -> str:
    """A large machine (4 GiB, memory above 4 GiB in the map) boots."""
    with ctx.machine("mem4g", mem="4G") as m:
        boot(m)
        usable = expect(m, r"memory: (\d+) MiB usable", "memory line")
        if int(usable.group(1)) < 3500:
            raise Failure(f"only {usable.group(1)} MiB usable of 4 GiB")
        return f"{usable.group(1)} MiB usable"


ALL = [boots_and_draws, boots_with_64m, boots_with_4g]
