"""read_project/discover: discovery, lockfile-wins merging, dedupe, notes, and bad inputs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs import discover, read_project
from depsentry.inputs.project import NO_LOCK_NOTE
from depsentry.models import Dependency, SkipKind, Source
from tests.paths import INPUTS

DATA = INPUTS


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pins(deps: list[Dependency]) -> list[tuple[str, str, bool, str]]:
    return [(d.name, d.version, d.direct, str(d.source)) for d in deps]


def test_uv_project_lock_wins_and_dedupes() -> None:
    project = read_project(DATA / "uv_lock" / "good")
    assert project.inputs == ["pyproject.toml", "uv.lock"]
    assert project.notes == []
    assert pins(project.dependencies) == [
        ("certifi", "2026.10.18", False, "uv.lock:6"),
        ("charset-normalizer", "3.5.2", False, "uv.lock:15"),
        ("click", "8.5.1", True, "uv.lock:24"),
        ("idna", "3.20", False, "uv.lock:63"),
        ("iniconfig", "2.0.0", True, "uv.lock:72"),
        ("pyyaml", "6.0.1", True, "uv.lock:81"),
        ("requests", "2.31.0", True, "uv.lock:90"),
        ("urllib3", "2.8.0", False, "uv.lock:105"),
    ]
    # Click>=8.1 is declared unpinned but the lock pins it: not reported as skipped.
    assert project.skipped == []


def test_poetry_project_direct_flags_from_pyproject() -> None:
    project = read_project(DATA / "poetry_lock" / "good")
    assert project.inputs == ["poetry.lock", "pyproject.toml"]
    assert pins(project.dependencies) == [
        ("black", "23.7.0", True, "poetry.lock:4"),
        ("certifi", "2023.7.22", False, "poetry.lock:14"),
        ("jinja2", "3.1.2", True, "poetry.lock:24"),
        ("markupsafe", "2.1.3", False, "poetry.lock:40"),
        ("pytest", "7.4.0", True, "poetry.lock:74"),
        ("requests", "2.31.0", True, "poetry.lock:63"),
        ("tomli", "2.0.1", True, "poetry.lock:82"),
    ]
    assert [(s.kind, s.name, str(s.source)) for s in project.skipped] == [
        (SkipKind.URL, "mylib", "poetry.lock:48"),
        (SkipKind.URL, "mylib", "pyproject.toml:11"),
        (SkipKind.EDITABLE, "localpkg", "pyproject.toml:12"),
    ]


def test_pipfile_project() -> None:
    project = read_project(DATA / "pipfile_lock" / "good")
    assert project.inputs == ["Pipfile", "Pipfile.lock"]
    assert pins(project.dependencies) == [
        ("django", "4.2.1", True, "Pipfile.lock:19"),
        ("pytest", "7.4.0", True, "Pipfile.lock:44"),
        ("sqlparse", "0.4.4", False, "Pipfile.lock:28"),
    ]
    assert project.dependencies[0].groups == ("default",)


def test_requirements_only_project_keeps_ranges_skipped_and_notes_it(tmp_path: Path) -> None:
    write(tmp_path, "requirements/base.txt", "idna==3.4\nrequests>=2\n")
    write(tmp_path, "requirements/dev.txt", "-r base.txt\npytest==8.0.0\n")
    write(tmp_path, "requirements.txt", "-r requirements/base.txt\nIDNA==3.4\n")
    project = read_project(tmp_path)
    assert project.notes == [NO_LOCK_NOTE]
    assert project.inputs == ["requirements.txt", "requirements/base.txt", "requirements/dev.txt"]
    # idna==3.4 appears in two files: reported once (the first file read).
    assert pins(project.dependencies) == [
        ("idna", "3.4", True, "requirements/base.txt:1"),
        ("pytest", "8.0.0", True, "requirements/dev.txt:2"),
    ]
    assert [(s.kind, s.name, str(s.source)) for s in project.skipped] == [
        (SkipKind.UNPINNED, "requests", "requirements/base.txt:2"),
    ]


def test_unreferenced_constraints_file_acts_as_a_lock(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "flask>=2\n")
    write(tmp_path, "constraints.txt", "flask==2.3.2\nwerkzeug==2.3.7\n")
    project = read_project(tmp_path)
    assert pins(project.dependencies) == [
        ("flask", "2.3.2", True, "constraints.txt:1"),
        ("werkzeug", "2.3.7", False, "constraints.txt:2"),
    ]
    assert project.skipped == []
    assert project.notes == []


def test_referenced_constraints_file_is_not_read_on_its_own(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "-c constraints.txt\nflask\n")
    write(tmp_path, "constraints.txt", "flask==2.3.2\nwerkzeug==2.3.7\n")
    project = read_project(tmp_path)
    assert pins(project.dependencies) == [("flask", "2.3.2", True, "constraints.txt:1")]
    assert project.inputs == ["constraints.txt", "requirements.txt"]
    assert project.notes == [NO_LOCK_NOTE]


def test_mutually_including_files_are_both_read_without_duplicates(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "idna==3.4\n-r requirements-dev.txt\n")
    write(tmp_path, "requirements-dev.txt", "pytest==8.0.0\n-r requirements.txt\n")
    project = read_project(tmp_path)
    assert [d.name for d in project.dependencies] == ["idna", "pytest"]
    cycles = [s for s in project.skipped if "include cycle" in s.reason]
    assert [str(s.source) for s in cycles] == ["requirements-dev.txt:2", "requirements.txt:2"]


def test_discover_prunes_environments_vcs_and_hidden_dirs(tmp_path: Path) -> None:
    for hidden in (
        ".venv",
        "venv",
        "node_modules",
        ".git",
        ".hidden",
        "__pycache__",
        ".tox",
        ".nox",
        "lib/site-packages",
    ):
        write(tmp_path, f"{hidden}/requirements.txt", "idna==3.4\n")
    write(tmp_path, "requirements.txt", "")
    write(tmp_path, "requirements/prod.txt", "")
    write(tmp_path, "docs/notes.txt", "")
    write(tmp_path, "services/api/pyproject.toml", "")
    write(tmp_path, "services/api/uv.lock", "")
    write(tmp_path, "pylock.prod.toml", "")
    write(tmp_path, "Pipfile", "")
    assert [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)] == [
        "Pipfile",
        "pylock.prod.toml",
        "requirements.txt",
        "requirements/prod.txt",
        "services/api/pyproject.toml",
        "services/api/uv.lock",
    ]


def test_one_broken_file_among_good_ones_is_skipped_unreadable(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "requirements.txt", "idna==3.4\n")
    write(tmp_path, "poetry.lock", '[[package]\nname = "x"\n')
    project = read_project(tmp_path)
    assert [d.name for d in project.dependencies] == ["idna"]
    (broken,) = project.skipped
    assert broken.kind is SkipKind.UNREADABLE
    assert broken.requirement == "poetry.lock"
    assert broken.source == Source("poetry.lock", 1)
    assert broken.reason.startswith("invalid TOML")  # the source names the file and line
    assert "\n" not in broken.reason
    assert any("invalid TOML" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert project.notes == [NO_LOCK_NOTE]  # the broken lock does not count


def test_every_input_broken_raises_the_first_error(tmp_path: Path) -> None:
    write(tmp_path, "poetry.lock", "[[package]\n")
    write(tmp_path, "pyproject.toml", "[project\n")
    with pytest.raises(InputError) as info:
        read_project(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'poetry.lock'}:1: invalid TOML")


def test_named_broken_file_raises(tmp_path: Path) -> None:
    path = write(tmp_path, "uv.lock", "version = 9\n")
    with pytest.raises(InputError, match="unsupported uv.lock version 9"):
        read_project(path)


def test_directory_without_inputs_raises(tmp_path: Path) -> None:
    write(tmp_path, "README.md", "hi")
    with pytest.raises(InputError) as info:
        read_project(tmp_path)
    message = str(info.value)
    assert message == (
        f"{tmp_path}: no dependency files found (looked for requirements*.txt, constraints*.txt, "
        "requirements/*.txt, pyproject.toml, Pipfile, uv.lock, poetry.lock, pdm.lock, pylock.toml, "
        "pylock.*.toml, Pipfile.lock)"
    )


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        read_project(tmp_path / "nope")


def test_single_file_is_read_alone_relative_to_its_folder(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "idna==3.4\n")
    path = write(tmp_path, "deps/prod.in", "requests==2.31.0\n")
    project = read_project(path)
    assert project.root == path.parent
    assert project.inputs == ["prod.in"]
    assert pins(project.dependencies) == [("requests", "2.31.0", True, "prod.in:1")]


@pytest.mark.parametrize(
    ("source", "name"),
    [
        (DATA / "uv_lock" / "good" / "uv.lock", "app.lock"),
        (DATA / "poetry_lock" / "good" / "poetry.lock", "poetry-old.lock"),
        (DATA / "pdm_lock" / "good" / "pdm.lock", "pdm-copy.lock"),
        (DATA / "pylock" / "good" / "pylock.toml", "lock.toml"),
        (DATA / "pipfile_lock" / "good" / "Pipfile.lock", "pipenv.json"),
        (DATA / "pyproject" / "good" / "pyproject.toml", "project.toml"),
        (DATA / "pipfile" / "good" / "Pipfile", "Pipfile.toml"),
    ],
)
def test_named_file_with_unknown_name_is_sniffed(tmp_path: Path, source: Path, name: str) -> None:
    shutil.copy(source, tmp_path / name)
    renamed = read_project(tmp_path / name)
    original = read_project(source)
    assert [(d.name, d.version, d.source.line) for d in renamed.dependencies] == [
        (d.name, d.version, d.source.line)
        for d in original.dependencies
        if d.source.path == source.name
    ]


def test_environment_pins_win_over_ranges(tmp_path: Path) -> None:
    project_dir = tmp_path / "proj"
    write(project_dir, "requirements.txt", "requests>=2\nflask>=2\n")
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    (site,) = {p.resolve() for p in env.glob("lib*/python*/site-packages")}
    for name, version, requested in (("requests", "2.31.0", True), ("urllib3", "2.0.7", False)):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
        )
        if requested:
            (info / "REQUESTED").write_text("", encoding="utf-8")
    project = read_project(project_dir, environment=env)
    assert project.notes == []
    assert project.inputs[0] == "requirements.txt"
    assert project.inputs[1] == str(env)
    assert [(d.name, d.version, d.direct) for d in project.dependencies] == [
        ("requests", "2.31.0", True),
        ("urllib3", "2.0.7", False),
    ]
    # flask is declared but not installed: it stays an unpinned skip
    assert [(s.kind, s.name) for s in project.skipped] == [(SkipKind.UNPINNED, "flask")]
    assert project.dependencies[0].source.path.endswith("requests-2.31.0.dist-info/METADATA")


def test_environment_alone_is_enough(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    info = site / "idna-3.4.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: idna\nVersion: 3.4\n", encoding="utf-8"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    project = read_project(empty, environment=site)
    assert [(d.name, d.version) for d in project.dependencies] == [("idna", "3.4")]


def test_constraints_file_named_directly_is_read_as_requirements(tmp_path: Path) -> None:
    path = write(tmp_path, "constraints.txt", "flask==2.3.2\n")
    project = read_project(path)
    assert pins(project.dependencies) == [("flask", "2.3.2", True, "constraints.txt:1")]
    assert project.notes == [NO_LOCK_NOTE]


def test_invalid_lock_entries_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path, "uv.lock", 'version = 1\n\n[[package]]\nname = "a"\nversion = "nope"\n')
    project = read_project(tmp_path)
    assert [(s.kind, str(s.source)) for s in project.skipped] == [(SkipKind.INVALID, "uv.lock:4")]
    assert any("uv.lock:4: invalid version: 'nope'" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("pyproject", "expected"),
    [
        (
            '[project]\nname = "x"\nrequires-python = ">=3.11"\ndependencies = ["six==1.16.0"]\n',
            ">=3.11",
        ),
        ('[tool.poetry.dependencies]\npython = "^3.10"\nsix = "1.16.0"\n', ">=3.10,<4"),
        ('[project]\nname = "x"\ndependencies = ["six==1.16.0"]\n', None),
    ],
)
def test_requires_python_comes_from_the_top_level_pyproject(
    tmp_path: Path, pyproject: str, expected: str | None
) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    assert read_project(tmp_path).requires_python == expected


def test_requirements_only_project_has_no_requires_python(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n", encoding="utf-8")
    assert read_project(tmp_path).requires_python is None
