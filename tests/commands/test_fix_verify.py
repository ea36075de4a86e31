"""`depsentry fix` checks every plan with uv against a loopback index of real wheels: plans that
resolve are written, blocking pins are raised to their lowest safe release, impossible bumps are
reported with the chain that blocks them and never written."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.resolver import find_uv
from tests.commands.scenario import osv_record, project, write_osv
from tests.servers.index_server import IndexFile, IndexServer

WHEEL = "py3-none-any.whl"


def wheel(name: str, version: str, *requires: str) -> IndexFile:
    return IndexFile(f"{name}-{version}-{WHEEL}", requires_dist=requires)


def projects() -> dict[str, list[IndexFile]]:
    """web 2.0 (the fix) needs tmpl>=3; legacy needs web<2; tmpl 3.0 is itself vulnerable."""
    return {
        "web": [
            wheel("web", "1.0"),
            wheel("web", "2.0", "tmpl>=3"),
            wheel("web", "2.1", "tmpl>=3"),
        ],
        "tmpl": [wheel("tmpl", "2.0"), wheel("tmpl", "3.0"), wheel("tmpl", "3.1")],
        "legacy": [wheel("legacy", "1.0", "web<2")],
        "calm": [wheel("calm", "1.0")],
    }


RECORDS = [
    osv_record("PYSEC-2099-20", "web", "2.0", "HIGH"),
    osv_record("PYSEC-2099-21", "tmpl", "3.1", "LOW", introduced="3.0"),
]


@pytest.fixture
def pypi() -> Iterator[IndexServer]:
    with IndexServer(projects()) as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return write_osv(tmp_path / "osv", RECORDS)


def fix(app: Path, db: Path, pypi: IndexServer, *extra: str) -> int:
    return main(["fix", str(app), "--osv-db", str(db), "--index-url", pypi.simple_url, *extra])


def test_a_plan_that_resolves_is_written(
    tmp_path: Path, home: Path, db: Path, pypi: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "web==1.0\ntmpl==3.1\n"})
    assert fix(app, db, pypi) == 0
    assert (app / "requirements.txt").read_text() == "web==2.0\ntmpl==3.1\n"
    err = capsys.readouterr().err
    assert "plan checked with uv (requirements.txt)" in err and "raised" not in err


def test_a_blocking_pin_is_raised_to_its_lowest_safe_compatible_release(
    tmp_path: Path, home: Path, db: Path, pypi: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # The naive plan (web 2.0 beside tmpl 2.0) cannot install; tmpl 3.0 would, but is vulnerable.
    app = project(tmp_path / "app", {"requirements.txt": "web==1.0  # the app\ntmpl==2.0\n"})
    assert fix(app, db, pypi) == 0
    assert (app / "requirements.txt").read_text() == "web==2.0  # the app\ntmpl==3.1\n"
    err = capsys.readouterr().err
    assert "requirements.txt:2: tmpl 2.0 -> 3.1" in err
    assert (
        "  raised so that the plan installs: web==2.0 depends on tmpl>=3; you require tmpl==2.0; "
        "you require web==2.0"
    ) in err.splitlines()
    # and what was written installs
    done = subprocess.run(
        [find_uv(), "pip", "compile", "requirements.txt", "--no-config", "--no-build"]
        + ["--default-index", pypi.simple_url],
        cwd=app,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_without_the_advisory_the_lowest_compatible_release_is_taken(
    tmp_path: Path, home: Path, pypi: IndexServer
) -> None:
    db = write_osv(tmp_path / "osv-web-only", RECORDS[:1] + RECORDS[:1])
    app = project(tmp_path / "app", {"requirements.txt": "web==1.0\ntmpl==2.0\n"})
    assert fix(app, db, pypi) == 0
    assert (app / "requirements.txt").read_text() == "web==2.0\ntmpl==3.0\n"


def test_an_impossible_bump_is_reported_with_its_chain_and_not_written(
    tmp_path: Path, home: Path, db: Path, pypi: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "web==1.0\nlegacy==1.0\ntmpl==3.0\n"
    app = project(tmp_path / "app", {"requirements.txt": text})
    assert fix(app, db, pypi) == 1  # web stays vulnerable: no fix that installs
    out = (app / "requirements.txt").read_text()
    assert out == "web==1.0\nlegacy==1.0\ntmpl==3.1\n"  # the other bump is still made
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "not possible" in line)
    assert line == (
        "requirements.txt:1: web 1.0 -> 2.0: security update not possible: all versions of "
        "legacy depend on web<2; you require legacy==1.0; you require web>=2.0"
    )


def test_dry_run_checks_too_and_no_verify_skips_the_check(
    tmp_path: Path,
    home: Path,
    db: Path,
    pypi: IndexServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "web==1.0\nlegacy==1.0\n"})
    assert fix(app, db, pypi, "--dry-run") == 1
    assert "security update not possible" in capsys.readouterr().err
    # --no-verify never runs uv (a broken DEPSENTRY_UV would fail) and writes the naive plan
    monkeypatch.setenv("DEPSENTRY_UV", str(tmp_path / "no-such-uv"))
    assert fix(app, db, pypi, "--no-verify") == 0
    assert (app / "requirements.txt").read_text() == "web==2.0\nlegacy==1.0\n"


def test_a_plan_uv_cannot_check_is_not_written(
    tmp_path: Path, home: Path, db: Path, pypi: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "web==1.0\ntmpl==3.1\n"})
    assert fix(app, db, pypi, "--offline") == 2  # uv's cache is empty: it cannot tell
    err = capsys.readouterr().err
    assert f"depsentry: error: {app}: cannot check the plan: a package is not in uv's cache" in err
    assert err.rstrip().endswith("; --no-verify writes it unchecked")
    assert (app / "requirements.txt").read_text() == "web==1.0\ntmpl==3.1\n"


def test_offline_works_from_uv_cache_once_warm(
    tmp_path: Path, home: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "web==1.0\ntmpl==3.1\n"})
    with IndexServer(projects()) as server:
        assert fix(app, db, server, "--dry-run") == 0
        url = server.simple_url
    capsys.readouterr()
    # the index is gone; uv answers from its cache
    code = main(["fix", str(app), "--osv-db", str(db), "--index-url", url, "--offline"])
    assert code == 0, capsys.readouterr().err
    assert (app / "requirements.txt").read_text() == "web==2.0\ntmpl==3.1\n"


def test_sdist_only_release_needs_allow_build(
    tmp_path: Path, home: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = projects()
    files["calm"] = [IndexFile("calm-1.0.tar.gz")]
    app = project(tmp_path / "app", {"requirements.txt": "web==1.0\ntmpl==3.1\ncalm==1.0\n"})
    with IndexServer(files) as server:
        assert fix(app, db, server) == 2
    err = capsys.readouterr().err
    assert "a package has only a source distribution" in err
    assert (app / "requirements.txt").read_text().startswith("web==1.0")


def test_index_credentials_reach_uv_through_its_environment_only(
    tmp_path: Path,
    home: Path,
    db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "s3cr3t-for-uv"
    record = tmp_path / "uv-calls"
    spy = tmp_path / "uv-spy"
    spy.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >> {record}\n'
        f'printf "%s\\n" "$UV_DEFAULT_INDEX" >> {record}.env\n'
        f'exec {find_uv()} "$@"\n'
    )
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("DEPSENTRY_UV", str(spy))
    monkeypatch.setenv("DEPSENTRY_INDEX_USERNAME", "alice")
    monkeypatch.setenv("DEPSENTRY_INDEX_PASSWORD", secret)
    app = project(tmp_path / "app", {"requirements.txt": "web==1.0\ntmpl==3.1\n"})
    with IndexServer(projects(), credentials=("alice", secret)) as server:
        assert fix(app, db, server) == 0, capsys.readouterr().err
        asked = [s for s in server.seen if s.path.startswith("/simple/")]
    assert asked and all(s.headers.get("authorization") for s in asked[-2:])
    assert record.read_text() and secret not in record.read_text()  # never in argv
    assert f"alice:{secret}@" in Path(f"{record}.env").read_text()
    assert secret not in capsys.readouterr().err


def test_a_conflicting_lockfile_pin_is_raised_and_relocked(
    tmp_path: Path, home: Path, db: Path, pypi: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = (
        '[[package]]\nname = "web"\nversion = "1.0"\noptional = false\npython-versions = "*"\n'
        "files = []\n\n"
        '[[package]]\nname = "tmpl"\nversion = "2.0"\noptional = false\npython-versions = "*"\n'
        'files = []\n\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\n'
        'content-hash = "0"\n'
    )
    manifest = (
        '[tool.poetry]\nname = "app"\nversion = "0"\ndescription = ""\nauthors = []\n\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nweb = "*"\n'
    )
    app = project(tmp_path / "app", {"pyproject.toml": manifest, "poetry.lock": lock})
    assert fix(app, db, pypi) == 0
    err = capsys.readouterr().err
    assert "re-lock: poetry.lock: web 1.0 -> 2.0: poetry update web" in err
    assert "re-lock: poetry.lock: tmpl 2.0 -> 3.1: poetry update tmpl" in err
    assert (app / "poetry.lock").read_text() == lock


def uv_project(root: Path, server: IndexServer, pins: str, ranges: str) -> Path:
    """A uv project locked (by real uv, against `server`) at `pins`, then declaring `ranges`."""
    head = '[project]\nname = "app"\nversion = "0.1"\nrequires-python = ">=3.11"\n'
    index = f'\n[[tool.uv.index]]\nurl = "{server.simple_url}"\ndefault = true\n'
    project(root, {"pyproject.toml": f"{head}dependencies = [{pins}]\n{index}"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env["UV_CACHE_DIR"] = str(root.parent / "uv-cache")
    subprocess.run(
        [find_uv(), "lock", "--no-build"], cwd=root, env=env, check=True, capture_output=True
    )
    (root / "pyproject.toml").write_text(f"{head}dependencies = [{ranges}]\n{index}")
    return root


def test_a_uv_project_is_checked_with_uv_lock(
    tmp_path: Path, home: Path, db: Path, pypi: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    app = uv_project(tmp_path / "app", pypi, '"web==1.0", "tmpl==2.0"', '"web", "tmpl"')
    locked = (app / "uv.lock").read_text()
    assert fix(app, db, pypi) == 0
    err = capsys.readouterr().err
    assert "re-lock: uv.lock: web 1.0 -> 2.0: uv lock --upgrade-package 'web==2.0'" in err
    assert "re-lock: uv.lock: the re-lock also moves tmpl 2.0 -> 3.1" in err
    assert "plan checked with uv (uv.lock)" in err  # pyproject.toml pins nothing here
    assert (app / "uv.lock").read_text() == locked  # lockfiles are never edited


def test_a_uv_project_whose_manifest_blocks_the_fix(
    tmp_path: Path, home: Path, db: Path, pypi: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    app = uv_project(tmp_path / "app", pypi, '"web==1.0", "tmpl==2.0"', '"web", "tmpl<3"')
    assert fix(app, db, pypi) == 1
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "not possible" in line)
    assert line.startswith("uv.lock:")
    assert "web 1.0 -> 2.0: security update not possible:" in line
    assert "web==2.0 depends on tmpl>=3; your project depends on tmpl<3" in line
    assert "re-lock: uv.lock: web" not in err
