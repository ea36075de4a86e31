"""Never hang, never exhaust memory (issue 9): only regular files are read (FIFO, device, socket),
and every input has caps with clear messages: file size, `-r` depth, TOML/JSON nesting, version
and number length, the same in every format."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import pytest

from depsentry.cli import main
from depsentry.errors import InputError
from depsentry.inputs import files, read_project
from depsentry.inputs.files import read_input
from depsentry.models import SkipKind
from tests.adversarial.inputs.helpers import one_error, pins, scan, skipped, write

NOT_REGULAR = "not a regular file (a FIFO, device or socket); not read"


def test_a_fifo_named_like_an_input_is_skipped_not_waited_on(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n-r extra.txt\n"})
    os.mkfifo(app / "requirements-dev.txt")
    os.mkfifo(app / "extra.txt")
    code, report, _ = scan(app, osv, capsys)
    assert code == 0 and pins(report) == [("calm", "1.0")]
    reasons = {entry["source"]: entry["reason"] for entry in skipped(report)}
    assert NOT_REGULAR in reasons["requirements-dev.txt"]
    assert NOT_REGULAR in reasons["requirements.txt:2"]


def test_a_socket_named_like_an_input_is_skipped(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(tmp_path / "a", {"requirements.txt": "calm==1.0\n"})  # short: AF_UNIX paths
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(app / "Pipfile"))
        code, report, _ = scan(app, osv, capsys)
    assert code == 0
    assert NOT_REGULAR in skipped(report)[0]["reason"]


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_named_directly_or_included_is_not_read(
    target: str, tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", target, "--osv-db", str(osv), "--offline"]) == 2
    assert one_error(capsys.readouterr().err).endswith(f"{target}: {NOT_REGULAR}")
    app = write(tmp_path / "app", {"requirements.txt": f"calm==1.0\n-r {target}\n-r zero.txt\n"})
    (app / "zero.txt").symlink_to(target)
    code, report, _ = scan(app, osv, capsys)
    assert code == 0
    assert [e["source"] for e in skipped(report)] == ["requirements.txt:2", "requirements.txt:3"]


def test_a_named_fifo_is_an_error(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / "requirements.txt")
    assert main(["scan", str(tmp_path / "requirements.txt"), "--osv-db", str(osv)]) == 2
    assert NOT_REGULAR in one_error(capsys.readouterr().err)


def test_a_fifo_swapped_in_after_the_stat_does_not_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "requirements.txt"
    os.mkfifo(fifo)
    real_stat = os.stat

    def looks_regular(path: object, *args: object, **kwargs: object) -> os.stat_result:
        result = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if os.fspath(path) == str(fifo):  # type: ignore[call-overload]
            fields = list(result)
            fields[0] = stat.S_IFREG | 0o644
            return os.stat_result(fields)
        return result

    monkeypatch.setattr(files.os, "stat", looks_regular)
    with pytest.raises(InputError, match="not a regular file"):
        read_input(fifo)  # O_NONBLOCK open, then fstat: no writer needed to return


def test_input_size_cap_default_and_configurable(
    tmp_path: Path,
    home: Path,
    osv: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert files.max_input_bytes() == 50_000_000
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n", "Pipfile": "#" * 2000})
    monkeypatch.setenv("DEPSENTRY_MAX_INPUT_MB", "0.001")
    code, report, _ = scan(app, osv, capsys)
    assert code == 0
    [entry] = skipped(report)
    assert (
        "larger than the input size cap of 0.001 MB; not read (set DEPSENTRY_MAX_INPUT_MB"
        in (entry["reason"])
    )
    monkeypatch.setenv("DEPSENTRY_MAX_INPUT_MB", "lots")
    assert main(["scan", str(app), "--osv-db", str(osv), "--offline"]) == 2
    assert "DEPSENTRY_MAX_INPUT_MB must be a positive number" in one_error(capsys.readouterr().err)


def test_a_file_that_grows_past_the_cap_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, {"requirements.txt": "a==1\n" * 100}) / "requirements.txt"
    monkeypatch.setattr(files, "max_input_bytes", lambda: 100)
    real_fstat = os.fstat
    monkeypatch.setattr(
        files.os,
        "fstat",
        lambda fd: os.stat_result((*list(real_fstat(fd))[:6], 10, *list(real_fstat(fd))[7:])),
    )
    with pytest.raises(InputError, match="larger than the input size cap"):
        read_input(path)


def test_a_400_deep_include_chain_stops_at_the_depth_cap(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = {f"r{i}.txt": f"-r r{i + 1}.txt\n" for i in range(400)}
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n-r r0.txt\n", **chain})
    code, report, _ = scan(app, osv, capsys)
    assert code == 0 and pins(report) == [("calm", "1.0")]
    [entry] = skipped(report)
    assert entry["reason"] == "includes nested deeper than 32 files; r31.txt not read"


TOML_INPUTS = ["pyproject.toml", "Pipfile", "poetry.lock", "uv.lock", "pylock.toml", "pdm.lock"]


@pytest.mark.parametrize("name", [*TOML_INPUTS, "Pipfile.lock"])
def test_deep_nesting_is_one_skipped_entry_in_every_format(
    name: str, tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = ("[" * 1000) if name == "Pipfile.lock" else "a = " + "[" * 1000
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n", name: deep})
    code, report, _ = scan(app, osv, capsys)
    assert code == 0
    [entry] = skipped(report)
    assert entry["kind"] == "unreadable"
    assert "nested too deeply to parse" in entry["reason"]


HUGE = "1" * 5000
HUGE_VERSION_FILES = {
    "requirements.txt": f"demo=={HUGE}\n",
    "pyproject.toml": f'[project]\nname = "a"\nversion = "1"\ndependencies = ["demo=={HUGE}", "demo>={HUGE}", "demo; python_version > \'{HUGE}\'"]\n',
    "Pipfile": f'[packages]\ndemo = "=={HUGE}"\n',
    "poetry.lock": f'[metadata]\nlock-version = "2.0"\n[[package]]\nname = "demo"\nversion = "{HUGE}"\n',
    "uv.lock": f'version = 1\n[[package]]\nname = "demo"\nversion = "{HUGE}"\nsource = {{ registry = "https://pypi.org/simple" }}\n',
    "pylock.toml": f'lock-version = "1.0"\ncreated-by = "x"\n[[packages]]\nname = "demo"\nversion = "{HUGE}"\n',
    "pdm.lock": f'[metadata]\nlock_version = "4.5.0"\n[[package]]\nname = "demo"\nversion = "{HUGE}"\n',
    "Pipfile.lock": json.dumps(
        {"_meta": {"pipfile-spec": 6}, "default": {"demo": {"version": f"=={HUGE}"}}}
    ),
}


@pytest.mark.parametrize("name", sorted(HUGE_VERSION_FILES))
def test_a_5000_digit_version_is_refused_in_every_format(
    name: str, tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(
        tmp_path / "app", {"requirements-base.txt": "calm==1.0\n", name: HUGE_VERSION_FILES[name]}
    )
    code, report, err = scan(app, osv, capsys)
    assert code == 0, err
    assert pins(report) == [("calm", "1.0")]
    entries = skipped(report)
    # A file with nothing else in it is unreadable as a whole; else its entries are invalid.
    assert entries and all(e["kind"] in ("invalid", "unreadable") for e in entries)
    assert all(HUGE[:100] not in e["requirement"] + e["reason"] for e in entries)
    assert "Exceeds the limit" not in err


def test_a_5000_digit_version_in_an_environment_is_refused(tmp_path: Path) -> None:
    info = tmp_path / "site-packages" / "demo-1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: demo\nVersion: {HUGE}\n")
    write(tmp_path / "app", {"requirements.txt": "calm==1.0\n"})
    result = read_project(tmp_path / "app", environment=tmp_path / "site-packages")
    assert [d.name for d in result.dependencies] == ["calm"]
    assert [s.kind for s in result.skipped] == [SkipKind.INVALID]
    assert "longer than 128 characters" in result.skipped[0].reason


@pytest.mark.parametrize("name", ["pyproject.toml", "Pipfile.lock"])
def test_a_5000_digit_number_anywhere_in_toml_or_json_is_one_line(
    name: str, tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = f'{{"_meta": {{"pipfile-spec": {HUGE}}}}}' if name.endswith(".lock") else f"x = {HUGE}\n"
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n", name: text})
    code, report, _ = scan(app, osv, capsys)
    assert code == 0
    assert "a number of thousands of digits; refused" in skipped(report)[0]["reason"]
    assert main(["scan", str(app / name), "--osv-db", str(osv), "--offline"]) == 2
    assert "a number of thousands of digits" in one_error(capsys.readouterr().err)


def test_an_over_long_name_in_a_plain_pin_is_skipped_with_the_cap(tmp_path: Path) -> None:
    # `name==1.0` takes a fast path past packaging's parser: the name cap must hold there too.
    long = "a" * 201
    app = write(tmp_path / "app", {"requirements.txt": f"calm==1.0\n{long}==1.0\n"})
    project = read_project(app)
    assert [(d.name, d.version) for d in project.dependencies] == [("calm", "1.0")]
    (entry,) = project.skipped
    assert entry.kind is SkipKind.INVALID and "a name longer than 200 characters" in entry.reason
