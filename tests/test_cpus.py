"""`usable_cpus`: the affinity, capped by the cgroup's CPU quota (v2 and v1, this cgroup and those
above it), whatever the files say."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from depsentry.cpus import usable_cpus

AFFINITY = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def _v2(tmp_path: Path, quotas: dict[str, str]) -> tuple[Path, Path]:
    root = tmp_path / "cgroup"
    for folder, text in quotas.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "cpu.max").write_text(text)
    membership = tmp_path / "self-cgroup"
    membership.write_text("0::/system.slice/depsentry.service\n")
    return root, membership


@pytest.mark.skipif(AFFINITY is None, reason="no CPU affinity on this platform")
@pytest.mark.parametrize(
    ("quotas", "expected"),
    [
        ({"": "max 100000"}, AFFINITY),
        ({"system.slice/depsentry.service": "150000 100000"}, 1),  # 1.5 CPUs: one busy process
        ({"system.slice/depsentry.service": "50000 100000"}, 1),  # never 0
        ({"system.slice": "100000 100000", "system.slice/depsentry.service": "max 100000"}, 1),
        ({"system.slice/depsentry.service": "not a quota"}, AFFINITY),
        ({"system.slice/depsentry.service": "100000 0"}, AFFINITY),
        ({}, AFFINITY),
    ],
)
def test_the_cgroup_v2_quota_caps_the_affinity(
    tmp_path: Path, quotas: dict[str, str], expected: int
) -> None:
    root, membership = _v2(tmp_path, quotas)
    assert usable_cpus(root, membership) == min(expected, AFFINITY or 1)


@pytest.mark.skipif(AFFINITY is None, reason="no CPU affinity on this platform")
@pytest.mark.parametrize(
    ("quota", "expected"), [("-1", AFFINITY), ("100000", 1), ("junk", AFFINITY)]
)
def test_the_cgroup_v1_quota_caps_the_affinity(tmp_path: Path, quota: str, expected: int) -> None:
    folder = tmp_path / "cgroup" / "cpu,cpuacct" / "docker" / "abc"
    folder.mkdir(parents=True)
    (folder / "cpu.cfs_quota_us").write_text(quota + "\n")
    (folder / "cpu.cfs_period_us").write_text("100000\n")
    membership = tmp_path / "self-cgroup"
    membership.write_text("12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n")
    assert usable_cpus(tmp_path / "cgroup", membership) == expected


def test_no_cgroup_to_read_is_the_affinity(tmp_path: Path) -> None:
    assert usable_cpus(tmp_path / "none", tmp_path / "none") == (AFFINITY or os.cpu_count() or 1)
    assert usable_cpus() >= 1
