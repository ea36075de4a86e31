"""The small guards behind the reproducers, each branch once: dangling links, names the system
refuses, directories where a file is expected, the bounded echo, the digit cap on short versions."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs import read_project
from depsentry.inputs.common import excerpt, locked_entry, version_problem
from depsentry.inputs.files import read_input
from depsentry.inputs.poetry_constraint import to_pep440
from depsentry.inputs.project import _bounded
from depsentry.models import SkipKind, Skipped, Source
from tests.adversarial.inputs.helpers import write


def test_a_dangling_symlink_named_like_an_input_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "calm==1.0\n"})
    (tmp_path / "requirements-dev.txt").symlink_to(tmp_path / "gone.txt")
    [entry] = read_project(tmp_path).skipped
    assert entry.kind is SkipKind.UNREADABLE and "no such file" in entry.reason


def test_a_name_the_system_refuses_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read it: File name too long"):
        read_project(tmp_path / ("x" * 300))


def test_an_include_naming_a_directory_is_unreadable(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "calm==1.0\n-r sub\n", "sub/x.txt": ""})
    [entry] = read_project(tmp_path).skipped
    assert "is a directory, expected a file" in entry.reason
    with pytest.raises(InputError, match="is a directory"):
        read_input(tmp_path / "sub")


def test_a_short_version_with_a_long_number_is_invalid() -> None:
    entry = locked_entry("demo", "1." + "7" * 40, Source("uv.lock", 3))
    assert isinstance(entry, Skipped) and entry.kind is SkipKind.INVALID
    assert entry.reason.startswith("invalid version: a number longer than 32 digits")
    assert version_problem("20240101.1") is None
    assert to_pep440("^" + "1" * 5000) is None


def test_every_skipped_entry_is_bounded_and_printable() -> None:
    item = Skipped("\x1b[2J" + "r" * 1000, "why " * 200, Source("x", 1), SkipKind.INVALID)
    bounded = _bounded(item)
    assert len(bounded.requirement) <= 160 and bounded.requirement.startswith("\\x1b[2J")
    assert len(bounded.reason) <= 303 and bounded.reason.endswith("...")
    short = Skipped("fine", "ok", Source("x", 1))
    assert _bounded(short) is short
    assert excerpt("a'b\n") == "a'b\\n"


def test_a_requires_python_with_a_huge_number_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    huge = "9" * 5000
    write(
        tmp_path,
        {
            "pyproject.toml": f'[project]\nname = "a"\nversion = "1"\nrequires-python = ">=3.{huge}"\n'
            'dependencies = ["calm==1.0"]\n'
        },
    )
    result = read_project(tmp_path)
    assert result.requires_python is None and [d.name for d in result.dependencies] == ["calm"]
    assert "requires-python ignored: a number longer than 32 digits" in caplog.text


def test_a_pipfile_version_that_is_no_specifier_is_invalid_not_a_new_name(tmp_path: Path) -> None:
    write(tmp_path, {"Pipfile": '[packages]\ndemo = "latest"\ncalm = { version = "1.0" }\n'})
    result = read_project(tmp_path)
    assert [(d.name, d.version) for d in result.dependencies] == [("calm", "1.0")]
    [entry] = result.skipped
    assert entry.name == "demo" and entry.reason == "version is not a version specifier"
