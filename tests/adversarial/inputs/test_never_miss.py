"""Never miss a vulnerability silently (issue 9): byte-order marks as pip reads them, directories
that cannot be listed, a named file that is not a dependency file, constraint markers, and one
pin written two ways (PEP 440 equality)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.inputs import read_project
from tests.adversarial.inputs.helpers import needs_non_root, one_error, pins, scan, skipped, write
from tests.paths import REPO


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_a_byte_order_mark_keeps_line_1(
    bom: bytes,
    encoding: str,
    tmp_path: Path,
    home: Path,
    osv: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = "demo==1.0\ncalm==1.0\n"
    app = write(tmp_path / "app", {"requirements.txt": bom + text.encode(encoding)})
    code, report, _ = scan(app, osv, capsys)
    assert code == 1  # demo 1.0 on line 1 is vulnerable
    assert sorted(pins(report)) == [("calm", "1.0"), ("demo", "1.0")]
    assert skipped(report) == []


def test_a_byte_order_mark_in_toml_and_json_inputs(tmp_path: Path) -> None:
    bom = codecs.BOM_UTF8
    write(
        tmp_path,
        {
            "pyproject.toml": bom
            + b'[project]\nname = "a"\nversion = "1"\ndependencies = ["demo==1.0"]\n',
            "Pipfile.lock": bom
            + b'{"_meta": {"pipfile-spec": 6}, "default": {"calm": {"version": "==1.0"}}}',
        },
    )
    result = read_project(tmp_path)
    assert sorted(d.name for d in result.dependencies) == ["calm", "demo"]
    assert result.skipped == []


@needs_non_root
def test_a_subdirectory_that_cannot_be_listed_is_skipped_with_a_warning(
    tmp_path: Path,
    home: Path,
    osv: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = write(
        tmp_path / "app",
        {"requirements.txt": "calm==1.0\n", "services/api/requirements.txt": "demo==1.0\n"},
    )
    (app / "services").chmod(0o000)
    try:
        code, report, _ = scan(app, osv, capsys)
    finally:
        (app / "services").chmod(0o755)
    assert code == 0
    [entry] = skipped(report)
    assert entry["kind"] == "unreadable" and entry["requirement"] == "services"
    assert (
        "cannot list this directory (Permission denied); its files are not read" in entry["reason"]
    )
    assert "cannot list this directory" in caplog.text


@needs_non_root
def test_an_unreadable_input_is_skipped_with_a_warning(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n", "Pipfile": "[packages]\n"})
    (app / "Pipfile").chmod(0o000)
    code, report, _ = scan(app, osv, capsys)
    assert code == 0
    assert "permission denied" in skipped(report)[0]["reason"]


def test_only_unlistable_directories_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same branch as under an unprivileged user, for root: os.walk's error is reported."""
    import depsentry.inputs.project as project

    real_walk = project.os.walk

    def walk(top: str, onerror: object = None, **kwargs: object) -> object:
        assert callable(onerror)
        onerror(PermissionError(13, "Permission denied", str(top)))
        return iter(())

    write(tmp_path, {"requirements.txt": "calm==1.0\n"})
    monkeypatch.setattr(project.os, "walk", walk)
    with pytest.raises(project.InputError, match="cannot list this directory"):
        read_project(tmp_path)
    monkeypatch.setattr(project.os, "walk", real_walk)


def test_scanning_a_readme_is_an_error_not_a_clean_result(
    home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(REPO / "README.md"), "--osv-db", str(osv), "--offline"]) == 2
    line = one_error(capsys.readouterr().err)
    assert "README.md:" in line and "not a dependency file: no pinned requirement" in line


def test_a_named_file_of_unpinned_names_is_still_a_requirements_file(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, {"deps.txt": "calm\ndemo>=1\n"}) / "deps.txt"
    assert main(["scan", str(path), "--osv-db", str(osv), "--offline"]) == 0


def test_constraint_pins_honour_their_markers(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(
        tmp_path / "app",
        {
            "requirements.txt": "demo\n-c constraints/pins.txt\n",
            "constraints/pins.txt": (
                'demo==1.0; python_version<"3.8"\ndemo==1.3; python_version>="3.8"\n'
            ),
        },
    )
    code, report, _ = scan(app, osv, capsys)
    assert pins(report) == [("demo", "1.3")]  # this interpreter is 3.8 or later
    assert code == 0


def test_a_constraint_whose_marker_fails_everywhere_pins_nothing(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"requirements.txt": "demo\n-c c.txt\n", "c.txt": 'demo==1.0; python_version<"2"\n'},
    )
    result = read_project(tmp_path)
    assert result.dependencies == [] and result.skipped[0].kind.value == "unpinned"


def test_a_manifest_pin_and_an_equal_lock_pin_are_one_dependency(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(
        tmp_path / "app",
        {
            "requirements.txt": "demo==1.0\n",
            "uv.lock": 'version = 1\n[[package]]\nname = "demo"\nversion = "1.0.0"\n'
            'source = { registry = "https://pypi.org/simple" }\n',
        },
    )
    code, report, _ = scan(app, osv, capsys)
    assert code == 1
    assert pins(report) == [("demo", "1.0.0")]  # the lock's spelling, reported once
    vulns = report["projects"][0]["vulnerabilities"] if report else []
    assert [v["id"] for v in vulns] == ["PYSEC-2099-7"]
