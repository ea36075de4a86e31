"""pyproject.toml: PEP 621, PEP 735 groups, Poetry tables; lines found by scanning the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs.pyproject import PyprojectReader
from depsentry.models import Dependency, SkipKind, Skipped, Source
from tests.paths import INPUTS

DATA = INPUTS


def read(path: Path) -> list[Dependency | Skipped]:
    return list(PyprojectReader().read(path))


def test_pep621_extras_and_dependency_groups() -> None:
    path = DATA / "pyproject" / "good" / "pyproject.toml"
    src = str(path)
    assert read(path) == [
        Dependency("httpx", "0.27.0", True, Source(src, 9), specifier="==0.27.0"),
        Skipped(
            "Pydantic[email]>=2,<3",
            "not pinned to an exact version (<3,>=2)",
            Source(src, 10),
            SkipKind.UNPINNED,
            name="pydantic",
            specifier="<3,>=2",
        ),
        Dependency(
            "tomli",
            "2.0.1",
            True,
            Source(src, 11),
            markers='python_version < "3.11"',
            specifier="==2.0.1",
        ),
        Skipped(
            "rich",
            "no version specifier",
            Source(src, 12),
            SkipKind.UNPINNED,
            name="rich",
            specifier="",
        ),
        Skipped(
            "mylib @ git+https://github.com/example/mylib.git@v1",
            "VCS requirement (git), not from a package index",
            Source(src, 13),
            SkipKind.URL,
            name="mylib",
        ),
        Dependency("pyyaml", "6.0.1", True, Source(src, 17), specifier="==6.0.1", groups=("yaml",)),
        Skipped(
            "orjson~=3.9",
            "not pinned to an exact version (~=3.9)",
            Source(src, 18),
            SkipKind.UNPINNED,
            name="orjson",
            specifier="~=3.9",
        ),
        Dependency("pytest", "8.0.0", True, Source(src, 21), specifier="==8.0.0", groups=("test",)),
        Dependency(
            "coverage",
            "7.4.0",
            True,
            Source(src, 21),
            extras=("toml",),
            specifier="==7.4.0",
            groups=("test",),
        ),
        Dependency("ruff", "0.3.0", True, Source(src, 22), specifier="==0.3.0", groups=("dev",)),
        Skipped(
            "{include-group = 'nope'}",
            "includes unknown dependency group 'nope'",
            Source(src, 22),
            SkipKind.INVALID,
        ),
    ]


def test_poetry_tables() -> None:
    path = DATA / "poetry_lock" / "good" / "pyproject.toml"
    src = str(path)
    assert read(path) == [
        Skipped(
            "requests>=2.31,<3",
            "not pinned to an exact version (^2.31)",
            Source(src, 9),
            SkipKind.UNPINNED,
            name="requests",
            specifier="<3,>=2.31",
        ),
        Dependency("jinja2", "3.1.2", True, Source(src, 10), extras=("i18n",), specifier="==3.1.2"),
        Skipped(
            "mylib = {git = 'https://github.com/example/mylib.git'}",
            "git dependency, not from a package index",
            Source(src, 11),
            SkipKind.URL,
            name="mylib",
        ),
        Skipped(
            "localpkg = {path = '../localpkg'}",
            "editable path dependency, not from a package index",
            Source(src, 12),
            SkipKind.EDITABLE,
            name="localpkg",
        ),
        Dependency("tomli", "2.0.1", True, Source(src, 13), specifier="==2.0.1"),
        Skipped(
            "tomli>=2.0,<3",
            "not pinned to an exact version (^2.0)",
            Source(src, 13),
            SkipKind.UNPINNED,
            name="tomli",
            specifier="<3,>=2.0",
        ),
        Skipped(
            "pytest>=7.4,<7.5",
            "not pinned to an exact version (~7.4)",
            Source(src, 19),
            SkipKind.UNPINNED,
            name="pytest",
            specifier="<7.5,>=7.4",
        ),
        Dependency("black", "23.7.0", True, Source(src, 20), specifier="==23.7.0", groups=("dev",)),
    ]


def test_poetry_dev_dependencies_subtables_and_markers(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        "[tool.poetry]\nname = 'x'\n\n"
        "[tool.poetry.dev-dependencies]\nmypy = '1.5.1'\nflake8 = '*'\n\n"
        "[tool.poetry.dependencies.numpy]\nversion = '=1.26.0'\nmarkers = 'sys_platform == \"linux\"'\n",
        encoding="utf-8",
    )
    src = str(path)
    assert read(path) == [
        Dependency(
            "numpy",
            "1.26.0",
            True,
            Source(src, 8),
            markers='sys_platform == "linux"',
            specifier="==1.26.0",
        ),
        Dependency("mypy", "1.5.1", True, Source(src, 5), specifier="==1.5.1", groups=("dev",)),
        Skipped(
            "flake8",
            "no version specifier",
            Source(src, 6),
            SkipKind.UNPINNED,
            name="flake8",
            specifier="",
        ),
    ]


def test_poetry_union_constraint_is_unpinned_without_specifier(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.poetry.dependencies]\nfoo = '^1.0 || ^2.0'\n", encoding="utf-8")
    (item,) = read(path)
    assert isinstance(item, Skipped)
    assert (item.kind, item.name, item.specifier, item.source.line) == (
        SkipKind.UNPINNED,
        "foo",
        None,
        2,
    )


def test_dynamic_dependencies_are_reported_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(
        "[project]\nname = 'x'\ndynamic = ['dependencies', 'version']\n", encoding="utf-8"
    )
    assert read(path) == [
        Skipped(
            "[project].dependencies",
            "declared dynamic; the build backend computes them, not read",
            Source(str(path), 3),
            SkipKind.OTHER,
        )
    ]


def test_pyproject_without_dependencies_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    assert read(path) == []


def test_inline_project_table_falls_back_to_a_line(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('project = { name = "x", dependencies = ["idna==3.4"] }\n', encoding="utf-8")
    assert read(path) == [Dependency("idna", "3.4", True, Source(str(path), 1), specifier="==3.4")]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("pyproject-broken.toml", ":1: invalid TOML: "),
        ("pyproject-not-array.toml", ":3: [project].dependencies is not an array"),
    ],
)
def test_malformed_pyproject_is_one_line_error(name: str, message: str) -> None:
    path = DATA / "pyproject" / "bad" / name
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value).startswith(f"{path}{message}")
    assert "\n" not in str(info.value)


def test_wrong_types_in_tables_are_errors_not_tracebacks(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool]\npoetry = 3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"\[tool.poetry\] is not a table"):
        read(path)
