"""How many CPUs this process may really use: the ones it may run on (its affinity), and no more
than its cgroup's CPU quota (a container given "1.5 CPUs" by Docker, Kubernetes or systemd's
`CPUQuota=` still sees every core of the host, and two busy processes there run slower than one).

Hand-written: `os.process_cpu_count` (3.13) reads the affinity alone, and no library we use reads
the quota.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["usable_cpus"]

CGROUP = Path("/sys/fs/cgroup")


def usable_cpus(cgroup: Path = CGROUP, membership: Path = Path("/proc/self/cgroup")) -> int:
    """At least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux: no quota to read either
        return os.cpu_count() or 1
    quota = _quota(cgroup, membership)
    return max(1, min(cpus, math.floor(quota))) if quota is not None else max(cpus, 1)


def _quota(cgroup: Path, membership: Path) -> float | None:
    """The tightest CPU quota, in CPUs, of this process's cgroup and those above it (v2's
    `cpu.max`, v1's `cpu.cfs_quota_us` over `cpu.cfs_period_us`); None when there is none."""
    try:
        lines = membership.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    found: list[float] = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        if controllers == "":  # v2: one hierarchy
            found += _walk(cgroup, path, _v2)
        elif "cpu" in controllers.split(","):  # v1: the cpu controller's own hierarchy
            for name in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
                if (cgroup / name).is_dir():
                    found += _walk(cgroup / name, path, _v1)
                    break
    return min(found) if found else None


def _walk(root: Path, path: str, read: Callable[[Path], float | None]) -> list[float]:
    """The quotas of `root/path` and each folder above it, up to `root`."""
    quotas = []
    folder = root / path.strip("/")
    while True:
        quota = read(folder)
        if quota is not None:
            quotas.append(quota)
        if folder == root or root not in folder.parents:
            return quotas
        folder = folder.parent


def _v2(folder: Path) -> float | None:
    try:
        limit, period = (folder / "cpu.max").read_text(encoding="ascii").split()[:2]
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError, ZeroDivisionError):
        return None


def _v1(folder: Path) -> float | None:
    try:
        limit = int((folder / "cpu.cfs_quota_us").read_text(encoding="ascii"))
        period = int((folder / "cpu.cfs_period_us").read_text(encoding="ascii"))
        return None if limit <= 0 else limit / period
    except (OSError, ValueError, ZeroDivisionError):
        return None
