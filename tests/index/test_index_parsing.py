"""The page parsers on their own: PEP 503 HTML, PEP 691 JSON, PyPI JSON API, and garbage."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depsentry.errors import PackageIndexError
from depsentry.index import parse_pypi_json, parse_simple_html, parse_simple_json

HTML = b"""<!DOCTYPE html>
<html><body>
<a href="https://files.example/Demo-1.0.tar.gz#sha256=ab" data-requires-python="&gt;=3.8">Demo-1.0.tar.gz</a>
<a href="/f/demo-1.0-py3-none-any.whl" data-yanked>demo-1.0-py3-none-any.whl</a>
<a href="demo-1.1.post1-py3-none-any.whl" data-yanked="bad">x</a>
<a href="demo-1.1.post1.tar.gz" data-yanked="bad">x</a>
<a href="demo-installer.exe">demo-installer.exe</a>
<a href="demo%2D2.0.zip">demo-2.0.zip</a>
<a>no href</a>
</body></html>"""


def test_html_versions_yanks_and_requires_python() -> None:
    project = parse_simple_html("Demo", HTML)
    releases = {r.version: r for r in project.releases}
    assert project.name == "demo"
    assert sorted(releases) == ["1.0", "1.1.post1", "2.0"]
    assert releases["1.0"].requires_python is None  # files disagree
    assert [f.requires_python for f in releases["1.0"].files] == [">=3.8", None]
    assert not releases["1.0"].yanked  # only one of its two files is yanked (PEP 592)
    assert releases["1.1.post1"].yanked
    assert [f.sha256 for f in releases["1.0"].files] == ["ab", None]


def test_simple_json_yank_reason_and_upload_time() -> None:
    page = {
        "meta": {"api-version": "1.1"},
        "name": "demo",
        "files": [
            {"filename": "demo-1.0.tar.gz", "yanked": "", "upload-time": "2024-01-02T03:04:05Z"},
            {
                "filename": "demo-1.1.tar.gz",
                "yanked": False,
                "requires-python": ">=3.9",
                "hashes": {"sha256": "cd"},
            },
            {"filename": "demo-1.2.tar.gz", "upload-time": "not a date"},
        ],
        "versions": ["1.0", "1.1", "1.2"],
    }
    releases = {r.version: r for r in parse_simple_json("demo", json.dumps(page).encode()).releases}
    assert releases["1.0"].yanked  # an empty reason still means yanked
    assert releases["1.0"].upload_time == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert releases["1.1"].requires_python == ">=3.9" and not releases["1.1"].yanked
    assert releases["1.2"].upload_time is None
    assert releases["1.1"].files[0].sha256 == "cd"


def test_pypi_json_skips_empty_and_invalid_releases() -> None:
    doc = {
        "info": {"name": "Demo"},
        "releases": {
            "1.0": [
                {
                    "filename": "demo-1.0.tar.gz",
                    "requires_python": "",
                    "yanked": False,
                    "upload_time_iso_8601": "2020-05-01T10:00:00.123456Z",
                },
                {
                    "filename": "demo-1.0-py3-none-any.whl",
                    "upload_time": "2020-04-01T10:00:00",
                    "digests": {"sha256": "ef"},
                },
            ],
            "1.1": [],
            "not-a-version!": [{"filename": "x.tar.gz"}],
            "2.0": [{"filename": "demo-2.0.tar.gz", "yanked": True}],
        },
    }
    releases = {r.version: r for r in parse_pypi_json("Demo", json.dumps(doc).encode()).releases}
    assert sorted(releases) == ["1.0", "2.0"]
    assert releases["1.0"].upload_time == datetime(2020, 4, 1, 10, tzinfo=UTC)
    assert releases["1.0"].requires_python is None
    assert releases["2.0"].yanked
    assert [f.sha256 for f in releases["1.0"].files] == [None, "ef"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"[]", 'no "releases" object'),
        (b'{"releases": {"1.0": {}}}', 'releases["1.0"] is not a list'),
        (b'{"releases": {"1.0": [{}]}}', 'releases["1.0"][0] has no "filename"'),
        (b"<html>", "invalid JSON"),
    ],
)
def test_pypi_json_problems(body: bytes, problem: str) -> None:
    with pytest.raises(PackageIndexError) as caught:
        parse_pypi_json("demo", body)
    assert problem in caught.value.message


@given(st.binary(max_size=300))
def test_parsers_raise_only_package_index_errors(body: bytes) -> None:
    for parse in (parse_simple_html, parse_simple_json, parse_pypi_json):
        with contextlib.suppress(PackageIndexError):
            parse("demo", body)


@given(st.text(max_size=300))
def test_html_parser_never_crashes_on_text(text: str) -> None:
    with contextlib.suppress(PackageIndexError):
        parse_simple_html("demo", f"<a href='{text}'>{text}</a>".encode())
