"""deploy/systemd: the unit's exposure score from Debian's real `systemd-analyze`, and its shape."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.paths import REPO

UNIT = REPO / "deploy" / "systemd" / "depsentry.service"
MAX_EXPOSURE = 2.0
ANALYZE = shutil.which("systemd-analyze")


def directives(unit: Path) -> dict[str, list[str]]:
    """KEY -> every value it is given (systemd units repeat keys), comments dropped."""
    out: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def exposure(unit: Path) -> tuple[float, str]:
    if ANALYZE is None:
        pytest.skip("systemd-analyze is not installed (scripts/test installs Debian's systemd)")
    proc = subprocess.run(
        [ANALYZE, "security", "--offline=yes", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", proc.stdout)
    if found is None:
        pytest.skip(f"systemd-analyze security --offline=yes could not run: {proc.stderr[-500:]}")
    return float(found.group(1)), proc.stderr


def test_exposure_score_is_at_most_2(tmp_path: Path) -> None:
    score, warnings = exposure(UNIT)
    assert score <= MAX_EXPOSURE, f"exposure {score} > {MAX_EXPOSURE}"
    # Every directive was understood: a typo would be ignored silently, and lower the hardening.
    assert not re.search(r"Unknown|Failed to parse|Invalid|ignoring", warnings), warnings


def test_an_unhardened_unit_scores_badly(tmp_path: Path) -> None:
    """Control: the same check fails for a unit without the hardening (so the one above can fail)."""
    bare = tmp_path / "depsentry.service"
    bare.write_text("[Service]\nType=notify\nExecStart=/opt/depsentry/bin/depsentry daemon run\n")
    score, _ = exposure(bare)
    assert score > 5.0


def test_the_unit_runs_the_daemon_as_the_brief_says() -> None:
    d = directives(UNIT)
    assert d["Type"] in (["notify"], ["notify-reload"])
    if d["Type"] == ["notify"]:
        assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]  # the daemon reloads on SIGHUP
    assert d["ExecStart"] == [
        "/opt/depsentry/bin/depsentry daemon run --config /etc/depsentry/depsentry.toml"
    ]
    assert d["DynamicUser"] == ["yes"] and d["StateDirectory"] == ["depsentry"]
    assert d["Restart"] == ["on-failure"] and d["WatchdogSec"] == ["60s"]
    assert "token:/etc/depsentry/credentials/token" in d["LoadCredential"]
    assert d["NoNewPrivileges"] == ["yes"] and d["CapabilityBoundingSet"] == [""]
    assert "AF_UNIX" in d["RestrictAddressFamilies"][0]  # the notify socket is AF_UNIX
    # The drop-in for systemd >= 253 switches to notify-reload and clears ExecReload.
    drop_in = directives(UNIT.parent / "notify-reload.conf")
    assert drop_in == {"Type": ["notify-reload"], "ExecReload": [""]}


def test_the_example_config_matches_the_unit() -> None:
    config = tomllib.loads((UNIT.parent / "depsentry.toml").read_text())
    d = directives(UNIT)
    credentials = {c.split(":", 1)[0] for c in d["LoadCredential"]}
    assert config["daemon"]["state_dir"] == "/var/lib/depsentry"
    assert config["daemon"]["listen"] == "127.0.0.1:8787"
    assert config["daemon"]["token_file"] == "/run/credentials/depsentry.service/token"
    assert "token" in credentials
    for channel in config["channel"]:
        assert channel["url_file"].startswith("/run/credentials/depsentry.service/")
        assert "url" not in channel  # secrets never in the config
    names = {c["name"] for c in config["channel"]}
    for project in config["project"]:
        assert set(project["channels"]) <= names and project["path"].startswith("/srv/")
