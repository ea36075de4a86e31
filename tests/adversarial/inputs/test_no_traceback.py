"""Never a traceback (issue 9): odd types in every TOML format, broken installed metadata, a file
that cannot be stat'ed, and a reader that crashes all become one line or one skipped entry; one
crashing file never aborts a multi-file scan."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.errors import InputError
from depsentry.inputs import read_project
from depsentry.inputs.pyproject import PyprojectReader
from depsentry.models import Dependency, SkipKind, Skipped
from tests.adversarial.inputs.helpers import needs_non_root, one_error, pins, scan, skipped, write

PYPROJECT = '[project]\nname = "a"\nversion = "1"\n'


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("pyproject.toml", PYPROJECT + "dynamic = 5\n", None),
        (
            "pyproject.toml",
            '[dependency-groups]\ndev = [{include-group = ["a"]}, {include-group = 5}]\n',
            "includes a non-string",
        ),
        (
            "pyproject.toml",
            '[tool.poetry.dependencies]\ndemo = { version = "==1.0", extras = 5 }\n',
            None,
        ),
        ("Pipfile", '[packages]\ndemo = { version = "==1.0", extras = 5 }\n', None),
        (
            "Pipfile",
            '[packages]\ndemo = { version = "==1.0", markers = 5, extras = ["x", 3] }\n',
            None,
        ),
    ],
)
def test_odd_types_are_read_or_skipped_not_crashed_on(
    name: str,
    text: str,
    reason: str | None,
    tmp_path: Path,
    home: Path,
    osv: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n", name: text})
    code, report, _ = scan(app, osv, capsys)
    if reason is None:
        assert skipped(report) == [] or all(e["kind"] != "unreadable" for e in skipped(report))
    else:
        assert all(reason in e["reason"] for e in skipped(report)) and len(skipped(report)) == 2
    assert code in (0, 1)


def test_non_utf8_metadata_and_direct_url_in_an_environment(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    for name, metadata, direct_url in [
        (
            "latin-1.0",
            b"Metadata-Version: 2.1\nName: latin\nVersion: 1.0\nSummary: caf\xe9\n",
            None,
        ),
        ("calm-1.0", b"Metadata-Version: 2.1\nName: calm\nVersion: 1.0\n", b'{"url": "\xff"}'),
        ("deep-1.0", b"Metadata-Version: 2.1\nName: deep\nVersion: 1.0\n", b"[" * 5000),
    ]:
        info = site / f"{name}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_bytes(metadata)
        if direct_url is not None:
            (info / "direct_url.json").write_bytes(direct_url)
    os.mkfifo(site / "deep-1.0.dist-info" / "REQUESTED")  # only its presence is looked at
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n"})
    code, report, _ = scan(app, osv, capsys, "--environment", str(tmp_path / "venv"))
    assert code == 0
    assert sorted(pins(report)) == [("calm", "1.0"), ("deep", "1.0")]
    [entry] = skipped(report)
    assert entry["kind"] == "unreadable" and entry["requirement"] == "latin-1.0.dist-info"
    assert "metadata cannot be read: not UTF-8 text" in entry["reason"]


def test_a_fifo_as_metadata_does_not_block(tmp_path: Path) -> None:
    info = tmp_path / "site-packages" / "x-1.dist-info"
    info.mkdir(parents=True)
    os.mkfifo(info / "METADATA")
    write(tmp_path / "app", {"requirements.txt": "calm==1.0\n"})
    result = read_project(tmp_path / "app", environment=tmp_path / "site-packages")
    assert [s.kind for s in result.skipped] == [SkipKind.UNREADABLE]
    assert "not a regular file" in result.skipped[0].reason


@needs_non_root
def test_a_named_file_in_an_unsearchable_directory_is_one_line(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = write(tmp_path / "locked", {"requirements.txt": "calm==1.0\n"})
    locked.chmod(0o600)  # listable, not searchable
    try:
        code = main(["scan", str(locked / "requirements.txt"), "--osv-db", str(osv), "--offline"])
        err = capsys.readouterr().err
    finally:
        locked.chmod(0o700)
    assert code == 2
    assert "cannot read it: Permission denied" in one_error(err)


def crashing(self: PyprojectReader, path: Path) -> Iterator[Dependency | Skipped]:
    raise RuntimeError("boom: a reader bug")
    yield  # pragma: no cover


def test_a_crashing_reader_costs_its_file_only(
    tmp_path: Path,
    home: Path,
    osv: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PyprojectReader, "read", crashing)
    app = write(tmp_path / "app", {"requirements.txt": "demo==1.0\n", "pyproject.toml": PYPROJECT})
    code, report, _ = scan(app, osv, capsys)
    assert code == 1  # the requirements file was still scanned, and its finding reported
    assert pins(report) == [("demo", "1.0")]
    [entry] = skipped(report)
    assert entry["kind"] == "unreadable"
    assert "unexpected error (RuntimeError: boom: a reader bug); a depsentry bug" in entry["reason"]


def test_a_crash_in_every_file_is_one_error_and_a_named_file_crashes_as_a_bug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PyprojectReader, "read", crashing)
    app = write(tmp_path / "app", {"pyproject.toml": PYPROJECT})
    with pytest.raises(InputError, match="unexpected error"):
        read_project(app)
    with pytest.raises(RuntimeError):  # the CLI reports it as a bug, not as bad input
        read_project(app / "pyproject.toml")
