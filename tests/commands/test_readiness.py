"""`depsentry readiness` end to end, against a loopback index serving wheels with and without
cp314 (real wheel file names; Requires-Python as the index reports it)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from depsentry.cli import main
from depsentry.report.readiness import json_schema
from tests.commands.scenario import project
from tests.paths import DATA
from tests.servers.index_server import IndexFile, IndexServer

OLD = datetime(2024, 1, 1, tzinfo=UTC)


def wheel(name: str, requires_python: str | None = None) -> IndexFile:
    return IndexFile(name, requires_python=requires_python, upload_time=OLD)


INDEX = {
    # 3.12.0 has cp313 wheels only; 3.13.0 adds cp314: a minor step.
    "aiohttp": [
        wheel("aiohttp-3.12.0-cp313-cp313-manylinux_2_17_x86_64.whl"),
        wheel("aiohttp-3.13.0-cp313-cp313-manylinux_2_17_x86_64.whl"),
        wheel("aiohttp-3.13.0-cp314-cp314-manylinux_2_17_x86_64.whl"),
        wheel("aiohttp-3.13.1-cp314-cp314-manylinux_2_17_x86_64.whl"),
    ],
    # A patch step.
    "frozenlist": [
        wheel("frozenlist-1.5.0-cp313-cp313-win_amd64.whl"),
        wheel("frozenlist-1.5.1-cp314-cp314-win_amd64.whl"),
    ],
    # A major step (2.0 is the first with cp314).
    "fastcore": [
        wheel("fastcore-1.9.0-cp313-cp313-macosx_11_0_arm64.whl"),
        wheel("fastcore-2.0.0-cp314-cp314-macosx_11_0_arm64.whl"),
    ],
    "six": [wheel("six-1.16.0-py2.py3-none-any.whl"), wheel("six-1.17.0-py2.py3-none-any.whl")],
    "cryptography": [wheel("cryptography-44.0.0-cp39-abi3-manylinux_2_28_x86_64.whl")],
    # cp314 and free-threaded cp314t wheels.
    "threaded": [
        wheel("threaded-1.0-cp314-cp314-manylinux_2_17_x86_64.whl"),
        wheel("threaded-1.0-cp314-cp314t-manylinux_2_17_x86_64.whl"),
    ],
    # Requires-Python excludes 3.14: no release supports it.
    "oldlib": [wheel("oldlib-1.0-py3-none-any.whl", requires_python="<3.14")],
    # Wheels for older CPythons only, even in the newest release.
    "stuck": [
        wheel("stuck-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
        wheel("stuck-1.1-cp313-cp313-manylinux_2_17_x86_64.whl"),
    ],
    # Only an sdist.
    "srconly": [IndexFile("srconly-1.0.tar.gz", upload_time=OLD)],
}

REQUIREMENTS = "\n".join(
    [
        "aiohttp==3.12.0",
        "frozenlist==1.5.0",
        "fastcore==1.9.0",
        "six==1.16.0",
        "cryptography==44.0.0",
        "threaded==1.0",
        "oldlib==1.0",
        "stuck==1.0",
        "srconly==1.0",
        "private-pkg==0.1",  # on no index: unknown
        "",
    ]
)


@pytest.fixture
def index() -> Iterator[IndexServer]:
    with IndexServer(INDEX) as server:
        yield server


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return project(tmp_path / "app", {"requirements.txt": REQUIREMENTS})


def readiness(out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["readiness", *args, "-f", "json", "-o", str(out)])
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    if data:
        schema = json_schema()
        errors = list(
            Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(data)
        )
        assert not errors, errors
    return code, data


def rows(data: dict[str, Any], project_index: int = 0) -> dict[str, dict[str, Any]]:
    return {r["package"]: r for r in data["projects"][project_index]["dependencies"]}


def test_the_matrix_for_python_3_14(
    app: Path, home: Path, index: IndexServer, tmp_path: Path
) -> None:
    code, data = readiness(
        tmp_path / "r.json", str(app), "--python", "3.14", "--index-url", index.simple_url
    )
    assert code == 0
    assert data["schema"] == "depsentry.readiness/1" and data["python"] == "3.14"
    found = rows(data)
    short = {
        name: (r["supported"], r["lowest"], r["target"], r["step"], r["verdict_text"])
        for name, r in found.items()
    }
    assert short == {
        "aiohttp": (False, "3.13.0", "3.13.0", "minor", "upgrade to 3.13.0"),
        "cryptography": (True, "44.0.0", "44.0.0", None, "ready"),
        "fastcore": (False, "2.0.0", "2.0.0", "major", "upgrade to 2.0.0"),
        "frozenlist": (False, "1.5.1", "1.5.1", "patch", "upgrade to 1.5.1"),
        "oldlib": (False, None, None, None, "blocked: no release yet"),
        "private-pkg": (None, None, None, None, "unknown"),
        "six": (True, "1.16.0", "1.16.0", None, "ready"),
        "srconly": (False, None, "1.0", None, "builds from source only"),
        "stuck": (False, None, None, None, "blocked: no release yet"),
        "threaded": (True, "1.0", "1.0", None, "ready"),
    }
    assert found["cryptography"]["support"] == "abi3 wheel"
    assert found["six"]["support"] == "pure-Python wheel"
    assert found["threaded"]["support"] == "cp314 wheel"
    assert found["aiohttp"]["support"] == "no 3.14 wheel"
    assert found["oldlib"]["support"] == "requires Python <3.14"
    assert found["srconly"]["support"] == "sdist only"
    assert found["six"]["source"] == "requirements.txt:4"
    # Free-threaded: a cp314t wheel or pure Python; abi3 is not the free-threaded ABI.
    assert found["threaded"]["free_threaded"] is True
    assert found["six"]["free_threaded"] is True
    assert found["cryptography"]["free_threaded"] is False
    assert found["stuck"]["free_threaded"] is None
    assert data["summary"] == (
        "Python 3.14: 3 of 10 ready; 3 need an upgrade; blocked: oldlib, stuck; "
        "builds from source only: srconly; unknown: private-pkg"
    )
    assert data["projects"][0]["summary"] == data["summary"].removeprefix("Python 3.14: ")


def test_the_free_threaded_target(
    app: Path, home: Path, index: IndexServer, tmp_path: Path
) -> None:
    code, data = readiness(
        tmp_path / "r.json", str(app), "--python", "3.14t", "--index-url", index.simple_url
    )
    assert code == 0
    found = rows(data)
    assert found["threaded"]["verdict"] == "ready"
    assert found["threaded"]["support"] == "cp314t wheel"
    assert found["six"]["verdict"] == "ready"
    assert found["cryptography"]["verdict"] == "blocked"  # abi3 only: no free-threaded wheel


def test_table_and_markdown(
    app: Path, home: Path, index: IndexServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = [str(app), "--python", "3.14", "--index-url", index.simple_url]
    assert main(["readiness", *args]) == 0
    out, err = capsys.readouterr()
    assert "Python 3.14 readiness" in out and "Supports 3.14" in out
    assert "upgrade to 3.13.0" in out and "builds from source only" in out
    assert out.rstrip().endswith(
        "Python 3.14: 3 of 10 ready; 3 need an upgrade; blocked: oldlib, stuck; "
        "builds from source only: srconly; unknown: private-pkg"
    )
    assert "ready" not in err  # the table carries the summary; stderr stays quiet
    assert main(["readiness", *args, "-f", "markdown"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("## Python 3.14 readiness\n")
    lines = out.splitlines()
    assert (
        "| aiohttp | 3.12.0 | no: no 3.14 wheel | 3.13.0 | minor | upgrade to 3.13.0 | no |"
        in lines
    )
    assert (
        "| oldlib | 1.0 | no: requires Python &lt;3.14 | \\- | \\- | blocked: no release yet | \\- |"
        in lines
    )
    assert err.startswith("Python 3.14: 3 of 10 ready")


def test_the_index_cache_answers_offline(app: Path, home: Path, tmp_path: Path) -> None:
    with IndexServer(INDEX) as server:
        url = server.simple_url
        code, online = readiness(
            tmp_path / "a.json", str(app), "--python", "3.14", "--index-url", url
        )
        assert code == 0
        asked = server.count()
    assert asked > 0
    code, offline = readiness(
        tmp_path / "b.json", str(app), "--python", "3.14", "--index-url", url, "--offline"
    )
    assert code == 0
    back, before = rows(offline), rows(online)
    # A name the index never listed is unknown either way (the reason says offline).
    assert back.pop("private-pkg")["verdict"] == before.pop("private-pkg")["verdict"] == "unknown"
    assert back == before


def test_each_project_of_a_tree_gets_its_own_matrix(home: Path, tmp_path: Path) -> None:
    tree = tmp_path / "mono"
    shutil.copytree(DATA / "monorepo", tree)
    index = {
        "idna": [wheel("idna-2.7-py2.py3-none-any.whl")],
        "requests": [wheel("requests-2.19.0-py2.py3-none-any.whl")],
        "pytest": [wheel("pytest-7.4.0-py3-none-any.whl")],
        "sphinx": [wheel("sphinx-7.2.6-py3-none-any.whl", requires_python=">=3.9")],
        "flask": [wheel("flask-2.2.5-py3-none-any.whl")],
        "jinja2": [wheel("jinja2-3.1.2-py3-none-any.whl")],
        "django": [wheel("django-3.2-py3-none-any.whl", requires_python=">=3.6,<3.11")],
    }
    with IndexServer(index) as server:
        code, data = readiness(
            tmp_path / "r.json", str(tree), "--python", "3.14", "--index-url", server.simple_url,
            "--exclude", "docs/",
        )  # fmt: skip
    assert code == 0
    assert [(p["project"], p["summary"]) for p in data["projects"]] == [
        (".", "3 of 3 ready"),
        ("examples/demo", "2 of 2 ready"),
        ("tests/fixtures/x", "0 of 1 ready; blocked: django"),
    ]
    assert data["summary"] == "Python 3.14: 5 of 6 ready; blocked: django"


def test_an_unreadable_project_is_exit_2(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["readiness", str(tmp_path / "nowhere"), "--python", "3.14", "--offline"]) == 2
    assert "no such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize("target", ["3", "3.14.1", "py3.14", "3.x"])
def test_a_bad_target_is_refused(
    home: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["readiness", ".", "--python", target]) == 2
    assert "is not a Python version X.Y" in capsys.readouterr().err


def test_a_broken_project_among_good_ones_is_reported_and_exit_2(
    home: Path, tmp_path: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path / "tree", {"requirements.txt": "six==1.16.0\n"})
    project(root / "broken", {"uv.lock": "version = 99\n"})
    code, data = readiness(
        tmp_path / "r.json", str(root), "--python", "3.14", "--index-url", index.simple_url
    )
    assert code == 2
    assert [(p["project"], p["error"] is None) for p in data["projects"]] == [
        (".", True),
        ("broken", False),
    ]
    assert "depsentry: error:" in capsys.readouterr().err


def test_an_unwritable_output_is_one_line(
    app: Path, home: Path, index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing-dir" / "r.json"
    args = ["readiness", str(app), "--python", "3.14", "--index-url", index.simple_url]
    assert main([*args, "-o", str(out)]) == 2
    assert "cannot write the report" in capsys.readouterr().err
