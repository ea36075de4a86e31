"""Every reader, fed random bytes, text and random structures, yields or raises InputError only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depsentry.errors import InputError
from depsentry.inputs import InputReader, read_project, readers
from depsentry.models import Dependency, Skipped

FILE_READERS = [reader for reader in readers() if reader.patterns]
FILE_NAMES = {
    "uv-lock": "uv.lock",
    "poetry-lock": "poetry.lock",
    "pdm-lock": "pdm.lock",
    "pylock": "pylock.toml",
    "pipfile-lock": "Pipfile.lock",
    "pyproject": "pyproject.toml",
    "pipfile": "Pipfile",
    "requirements": "requirements.txt",
}
# Keys the readers look at, so random structures reach past the first type check.
VOCABULARY = [
    "package",
    "packages",
    "name",
    "version",
    "source",
    "metadata",
    "lock-version",
    "lock_version",
    "project",
    "dependencies",
    "optional-dependencies",
    "dependency-groups",
    "include-group",
    "tool",
    "poetry",
    "group",
    "dev-dependencies",
    "git",
    "path",
    "url",
    "editable",
    "virtual",
    "registry",
    "directory",
    "vcs",
    "archive",
    "groups",
    "category",
    "markers",
    "marker",
    "develop",
    "default",
    "_meta",
    "pipfile-spec",
    "hashes",
    "extras",
    "dev-packages",
    "dynamic",
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["1.0", "==1.0", "^1.2", ".", "1", "2.1", "4.5.0", "requests==2.0", "*"]),
    st.integers(-2, 8),
    st.booleans(),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(VOCABULARY), inner, max_size=5),
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.sampled_from(VOCABULARY), values, max_size=6)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check(reader: InputReader, path: Path) -> None:
    try:
        items = list(reader.read(path))
    except InputError as exc:
        assert "\n" not in str(exc)
        assert str(path) in str(exc)
        return
    for item in items:
        assert isinstance(item, Dependency | Skipped)
        assert item.source.line is not None or reader.name == "environment"


@pytest.mark.parametrize("reader", FILE_READERS, ids=lambda r: r.name)
@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes(workdir: Path, reader: InputReader, data: bytes) -> None:
    path = workdir / FILE_NAMES[reader.name]
    path.write_bytes(data)
    check(reader, path)


@pytest.mark.parametrize("reader", FILE_READERS, ids=lambda r: r.name)
@SETTINGS
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_random_text(workdir: Path, reader: InputReader, text: str) -> None:
    path = workdir / FILE_NAMES[reader.name]
    path.write_text(text, encoding="utf-8")
    check(reader, path)


@pytest.mark.parametrize(
    "reader", [r for r in FILE_READERS if r.name != "requirements"], ids=lambda r: r.name
)
@SETTINGS
@given(document=documents)
def test_random_structures(workdir: Path, reader: InputReader, document: dict[str, Any]) -> None:
    path = workdir / FILE_NAMES[reader.name]
    if reader.name == "pipfile-lock":
        path.write_text(json.dumps(document), encoding="utf-8")
    else:
        try:
            text = tomlkit.dumps(document)
        except (TypeError, ValueError):
            return  # not representable as TOML; nothing to test
        path.write_text(text, encoding="utf-8")
    check(reader, path)


@SETTINGS
@given(
    lines=st.lists(
        st.sampled_from(
            [
                "idna==3.4",
                "a>=1",
                "-r other.txt",
                "-c other.txt",
                "-e .",
                "--hash=sha256:x",
                "b==1.* \\",
                "   --hash sha256:y",
                "# c",
                "c @ https://x/c.whl",
                "./p",
                "-i https://x",
                "d[x]==1 ; python_version<'3'",
                "??",
                "e===1.0",
                "--bogus",
                "-r",
                "f==not.a.version",
            ]
        ),
        max_size=12,
    )
)
def test_random_requirements_lines(workdir: Path, lines: list[str]) -> None:
    (workdir / "other.txt").write_text("\n".join(reversed(lines)), encoding="utf-8")
    path = workdir / "requirements.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    check(next(r for r in readers() if r.name == "requirements"), path)
    try:
        read_project(path)
    except InputError as exc:
        assert "\n" not in str(exc)
