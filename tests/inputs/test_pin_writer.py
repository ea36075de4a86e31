"""Writing bumped pins back: only the version (and stale hashes) change."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depsentry.errors import InputError
from depsentry.inputs.pin_writer import bump_pyproject, bump_requirements

REQUIREMENTS = """\
# web stack
Flask==1.0 ; python_version >= "3"  # web
jinja2==2.10 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
requests[socks]==2.19.1
-r other.txt
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bump_keeps_comment_markers_and_case(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", REQUIREMENTS)
    result = bump_requirements(path, "flask", "1.0", "2.2.5")
    assert result.text.splitlines()[1] == 'Flask==2.2.5 ; python_version >= "3"  # web'
    assert result.text.replace("2.2.5", "1.0", 1) == REQUIREMENTS


def test_bump_with_extras(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", REQUIREMENTS)
    result = bump_requirements(path, "requests", "2.19.1", "2.31.0")
    assert "requests[socks]==2.31.0\n" in result.text


def test_hashes_removed_with_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", REQUIREMENTS)
    result = bump_requirements(path, "jinja2", "2.10", "2.11.3")
    assert "jinja2==2.11.3\nrequests" in result.text
    assert "--hash" not in result.text
    assert len(result.warnings) == 1 and "jinja2" in result.warnings[0]


def test_hashes_refreshed(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", REQUIREMENTS)
    result = bump_requirements(path, "jinja2", "2.10", "2.11.3", hashes=["c1", "c2"])
    assert (
        "jinja2==2.11.3 \\\n    --hash=sha256:c1 \\\n    --hash=sha256:c2\nrequests" in result.text
    )
    assert result.warnings == ()


def test_line_selects_the_logical_line(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "six==1.0\nsix==1.0 ; python_version < '3'\n")
    result = bump_requirements(path, "six", "1.0", "1.16.0", line=2)
    assert result.text == "six==1.0\nsix==1.16.0 ; python_version < '3'\n"


def test_missing_pin_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "six==1.0\n")
    with pytest.raises(InputError, match=r"requirements.txt: no pin flask==1.0"):
        bump_requirements(path, "flask", "1.0", "2.0")


def test_prefix_of_another_version_is_not_bumped(tmp_path: Path) -> None:
    path = write(tmp_path, "requirements.txt", "six==1.10\n")
    with pytest.raises(InputError):
        bump_requirements(path, "six", "1.1", "1.16.0")


PYPROJECT = """\
[project]
name = "x"
dependencies = [
  "flask==1.0",  # web
  'jinja2==2.10 ; python_version >= "3.8"',
  "requests>=2",
]

[project.optional-dependencies]
yaml = ["pyyaml==5.3"]

[dependency-groups]
dev = ["pytest==7.0.0"]

[tool.poetry.dependencies]
django = "2.2.0"  # old
pillow = { version = "==8.1.0", extras = ["x"] }
"""


@pytest.mark.parametrize(
    ("name", "old", "new", "expected_line"),
    [
        ("flask", "1.0", "2.2.5", '  "flask==2.2.5",  # web'),
        ("jinja2", "2.10", "2.11.3", "  'jinja2==2.11.3 ; python_version >= \"3.8\"',"),
        ("pyyaml", "5.3", "5.4", 'yaml = ["pyyaml==5.4"]'),
        ("pytest", "7.0.0", "8.0.0", 'dev = ["pytest==8.0.0"]'),
        ("django", "2.2.0", "4.2.1", 'django = "4.2.1"  # old'),
        ("pillow", "8.1.0", "10.0.1", 'pillow = { version = "==10.0.1", extras = ["x"] }'),
    ],
)
def test_pyproject_bump_is_format_preserving(
    tmp_path: Path, name: str, old: str, new: str, expected_line: str
) -> None:
    path = write(tmp_path, "pyproject.toml", PYPROJECT)
    text = bump_pyproject(path, name, old, new).text
    before, after = PYPROJECT.splitlines(), text.splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert [b for _, b in changed] == [expected_line]


def test_pyproject_range_is_not_an_exact_pin(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", PYPROJECT)
    with pytest.raises(InputError, match="no exact pin requests==2"):
        bump_pyproject(path, "requests", "2", "3")


def test_broken_pyproject_is_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", "[project\n")
    with pytest.raises(InputError) as info:
        bump_pyproject(path, "x", "1", "2")
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcz=-_.[]#;\\ \n\"'0123456789", max_size=80))
def test_requirements_bump_never_crashes(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("req") / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    try:
        result = bump_requirements(path, "abc", "1", "2")
    except InputError:
        return
    # The only change is the one version: same length ("1" -> "2"), one character apart.
    assert len(result.text) == len(text)
    assert sum(a != b for a, b in zip(text, result.text, strict=True)) == 1
