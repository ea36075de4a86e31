"""`-o` reports are written whole or not at all; undecodable file names never break an output."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.commands.output import write_output
from tests.commands.scenario import project, run_cli


def scan(*args: str) -> int:
    return main(["scan", *args])


def test_a_crash_mid_render_leaves_the_old_report_intact(
    tmp_path: Path, home: Path, osv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.0\n"})
    last = tmp_path / "out" / "last.json"
    last.parent.mkdir()
    assert scan(str(app), "--osv-db", str(osv), "--offline", "-f", "json", "-o", str(last)) == 1
    before = last.read_bytes()
    assert json.loads(before)["projects"][0]["vulnerabilities"]

    def half(self: object, result: object) -> Iterator[str]:
        yield "{\n"  # a first piece is written, then the renderer fails
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("depsentry.report.json.JsonRenderer.chunks", half)
    assert scan(str(app), "--osv-db", str(osv), "--offline", "-f", "json", "-o", str(last)) == 3
    assert last.read_bytes() == before
    assert sorted(p.name for p in last.parent.iterdir()) == ["last.json"]


def test_a_failing_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_output(target, "new \udcff\n")  # a lone surrogate cannot be encoded
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_an_existing_report_keeps_its_mode_and_a_new_one_follows_the_umask(
    tmp_path: Path,
) -> None:
    kept = tmp_path / "kept.json"
    kept.write_text("{}", encoding="utf-8")
    kept.chmod(0o640)
    write_output(kept, "[]\n")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "[]\n"
    old = os.umask(0o027)
    try:
        write_output(tmp_path / "new.json", "{}\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640


def test_a_symlinked_report_is_written_through_to_its_target(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "scan.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    write_output(link, "new\n")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "new\n"


def test_an_unwritable_place_is_one_line_exit_2(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.3\n"})
    out = tmp_path / "missing-dir" / "r.json"
    assert scan(str(app), "--osv-db", str(osv), "--offline", "-o", str(out)) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"depsentry: error: {out}: cannot write the report (No such file or directory)"]


def test_a_report_that_is_a_directory_is_one_line_exit_2(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = project(tmp_path / "app", {"requirements.txt": "demo==1.3\n"})
    out = tmp_path / "adir"
    out.mkdir()
    assert scan(str(app), "--osv-db", str(osv), "--offline", "-o", str(out)) == 2
    assert "is a directory" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["json", "sarif", "table", "markdown"])
def test_undecodable_file_names_are_escaped_in_every_format_on_stdout_and_in_files(
    tmp_path: Path, home: Path, osv: Path, fmt: str
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    name = os.fsdecode(b"requirements-\xff.txt")
    (app / name).write_text("demo==1.0\n", encoding="utf-8")
    args = ("scan", str(app / name), "--osv-db", str(osv), "--offline", "-f", fmt)
    shown = run_cli(*args, home=home, cwd=tmp_path, env={"COLUMNS": "200"})
    assert shown.returncode == 1, shown.stderr
    assert "Traceback" not in shown.stderr
    escaped = "requirements-%FF.txt" if fmt == "sarif" else "requirements-\\xff.txt"
    assert escaped in shown.stdout.replace("\\\\", "\\")
    out = tmp_path / f"report.{fmt}"
    written = run_cli(*args, "-o", str(out), home=home, cwd=tmp_path, env={"COLUMNS": "200"})
    assert written.returncode == 1, written.stderr
    text = out.read_text(encoding="utf-8")  # valid UTF-8
    assert escaped in text.replace("\\\\", "\\")
    if fmt == "json":
        (vuln,) = json.loads(text)["projects"][0]["vulnerabilities"]
        assert vuln["source"].endswith("requirements-\\xff.txt:1")
    if fmt == "sarif":
        location = json.loads(text)["runs"][0]["results"][0]["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("%FF.txt")


def test_sarif_paths_are_relative_to_the_repository_root(
    tmp_path: Path, home: Path, osv: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    app = project(repo / "services" / "app", {"requirements.txt": "demo==1.0\n"})
    done = run_cli(
        "scan", "app", "--osv-db", str(osv), "--offline", "-f", "sarif",
        home=home, cwd=app.parent,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    run = json.loads(done.stdout)["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.as_uri() + "/"}}
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "services/app/requirements.txt", "uriBaseId": "%SRCROOT%"}


def test_a_report_below_a_file_is_one_line(tmp_path: Path) -> None:
    from depsentry.errors import DepsentryError

    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(DepsentryError, match="cannot write the report"):
        write_output(blocker / "report.json", "{}")


def test_a_full_disk_mid_write_is_one_line_and_keeps_the_old_report(tmp_path: Path) -> None:
    from depsentry.commands.output import atomic_output
    from depsentry.errors import DepsentryError

    target = tmp_path / "last.json"
    target.write_text("old", encoding="utf-8")
    with (
        pytest.raises(DepsentryError, match="No space left on device"),
        atomic_output(target) as handle,
    ):
        handle.write("half")
        raise OSError(28, "No space left on device")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["last.json"]


@pytest.mark.parametrize("kernel", ["copies", "refuses", "stops halfway"])
def test_a_file_appended_by_the_kernel_lands_between_the_writes_around_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel: str
) -> None:
    # A split scan's second half: copy_file_range where it works, by hand from where it stopped.
    from depsentry.commands.output import append_file, atomic_output

    part = tmp_path / "part"
    middle = ("é, \\udcff and more " * 100_000).encode()  # 2 MB, not ASCII
    part.write_bytes(middle)
    real = os.copy_file_range
    calls = []

    def copy_file_range(src: int, dst: int, count: int) -> int:
        calls.append(count)
        if kernel == "refuses" or (kernel == "stops halfway" and len(calls) > 1):
            raise OSError(18, "Invalid cross-device link")
        return real(src, dst, min(count, 1000) if kernel == "stops halfway" else count)

    monkeypatch.setattr(os, "copy_file_range", copy_file_range)
    out = tmp_path / "report.json"
    with atomic_output(out) as handle:
        handle.write("head ")
        append_file(handle, part)
        handle.write(" tail\n")
    assert out.read_bytes() == b"head " + middle + b" tail\n"
    assert calls
