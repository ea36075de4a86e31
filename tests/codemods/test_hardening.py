"""Hostile and broken trees (issue 9): the run never writes outside, hangs, crashes or loses data.

Each test is a reproducer: symlinks out of the tree, FIFOs, devices and sockets named *.py,
huge and deeply nested files, a worker that segfaults or hangs, files that change or cannot be
read or written, names that are not UTF-8. The CLI is run in-process (exit codes 0/1/2, one
line per problem, never a traceback); the permission cases run as an unprivileged user.
"""

from __future__ import annotations

import os
import pickle
import socket
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from io import StringIO
from pathlib import Path

import pytest

import depsentry.codemods.registry
from depsentry.cli import main
from depsentry.codemods.files import SourceFile, Stamp, find_files, read_bytes, write_back
from depsentry.codemods.runner import Outcome, process_file, run, validate_options
from depsentry.errors import CodemodError
from tests.codemods import tools
from tests.codemods.sample import CrashingCodemod, FooBazCodemod, SleepingCodemod

SAMPLES = (
    "tests.codemods.sample:FooBazCodemod",
    "tests.codemods.sample:CrashingCodemod",
    "tests.codemods.sample:SleepingCodemod",
    "tests.codemods.sample:TouchingCodemod",
)
CALL = "import foo\nfoo.bar(1)\n"
CALLED = "import foo\nfoo.baz(1)\n"
OPTIONS = {"mode": "call"}


@pytest.fixture(autouse=True)
def sample_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(depsentry.codemods.registry, "CODEMODS", tools.registry(*SAMPLES))


def cli(*args: str | Path) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["codemod", *map(str, args)])
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


def results(codemod: type, root: Path, **kwargs: object) -> dict[str, object]:
    files = find_files([root])
    found = run(codemod, files, validate_options(codemod, {}), **kwargs)  # type: ignore[arg-type]
    return {os.fsdecode(r.path.relative_to(root)): r for r in found}


# -- symlinks -----------------------------------------------------------------------------------


def test_write_never_follows_a_symlink_out_of_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text(CALL)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.py").symlink_to(outside)
    (tree / "own.py").write_text(CALL)
    code, _, err = cli("run", "foo-baz", "--write", tree)
    assert code == 0
    assert outside.read_text() == CALL
    assert (tree / "own.py").read_text() == CALLED
    assert f"{tree / 'link.py'}: skipped: symlink to {outside}, outside {tree}\n" in err
    assert err.splitlines()[-1].endswith(", 1 skipped")


def test_a_symlinked_directory_out_of_the_tree_is_reported_not_walked(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.py").write_text(CALL)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "vendor").symlink_to(tmp_path / "elsewhere")
    code, out, err = cli("run", "foo-baz", "--write", tree)
    assert (code, out) == (0, "")
    assert (tmp_path / "elsewhere" / "x.py").read_text() == CALL
    assert f"{tree / 'vendor'}: skipped: symlink to {tmp_path / 'elsewhere'}, outside {tree}" in err


def test_a_symlink_inside_the_tree_is_written_through_once(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text(CALL)
    (tmp_path / "alias.py").symlink_to("real.py")
    code, _, err = cli("run", "foo-baz", "--write", tmp_path)
    assert code == 0
    assert (tmp_path / "alias.py").is_symlink()
    assert (tmp_path / "real.py").read_text() == CALLED
    assert err.count("Rewriting ") == 1
    assert f"{tmp_path / 'alias.py'}: skipped: same file as {tmp_path / 'real.py'}" in err


def test_an_explicit_symlink_out_of_the_current_directory_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secret.py").write_text(CALL)
    work = tmp_path / "work"
    work.mkdir()
    (work / "x.py").symlink_to(tmp_path / "secret.py")
    monkeypatch.chdir(work)
    code, _, err = cli("run", "foo-baz", "--write", "x.py")
    assert code == 0
    assert (tmp_path / "secret.py").read_text() == CALL
    assert "x.py: skipped: symlink to" in err


def test_write_back_refuses_a_symlink_that_leads_out_by_the_time_it_writes(tmp_path: Path) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "real.py").write_text(CALL)
    link = tmp_path / "tree" / "link.py"
    link.symlink_to("real.py")
    _, stamp = read_bytes(tmp_path / "tree" / "real.py")
    link.unlink()
    (tmp_path / "outside.py").write_text(CALL)
    link.symlink_to(tmp_path / "outside.py")
    source = SourceFile(link, tmp_path / "tree", tree=tmp_path / "tree")
    with pytest.raises(CodemodError, match="not written: the symlink now leads outside"):
        write_back(source, CALLED, stamp)
    assert (tmp_path / "outside.py").read_text() == CALL


# -- files that must not be read ----------------------------------------------------------------


def test_fifo_device_and_socket_named_py_are_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock.py"))
    (tmp_path / "ok.py").write_text(CALL)
    try:
        code, out, err = cli("run", "foo-baz", "--check", tmp_path)
    finally:
        server.close()
    assert code == 1
    for name in ("pipe.py", "zero.py", "sock.py"):
        assert f"{tmp_path / name}: skipped: not a regular file\n" in err
    assert f"Would rewrite {tmp_path / 'ok.py'}" in err


def test_read_bytes_never_blocks_on_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "p.py")
    with pytest.raises(Exception, match="not a regular file"):
        read_bytes(tmp_path / "p.py")


def test_a_file_over_the_size_cap_is_skipped_with_the_cap_named(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text(CALL + "# padding\n" * 200)
    (tmp_path / "small.py").write_text(CALL)
    code, _, err = cli("run", "foo-baz", "--check", "--max-file-size", "1kB", tmp_path)
    assert code == 1
    assert f"{tmp_path / 'big.py'}: skipped: larger than 1 kB (--max-file-size)\n" in err
    assert f"Would rewrite {tmp_path / 'small.py'}" in err


@pytest.mark.parametrize("value", ["lots", "0", "12XB", "-5"])
def test_a_bad_size_is_a_usage_error(tmp_path: Path, value: str) -> None:
    code, _, err = cli("run", "foo-baz", "--max-file-size", value, tmp_path)
    assert code == 2
    assert "--max-file-size" in err and len(err.strip().splitlines()) <= 4


# -- files libcst cannot take -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "x = " + "(" * 5000 + "1" + ")" * 5000,
            "cannot parse: line 2: too many nested parentheses",
        ),
        ("x = " + "a." * 20000 + "b", "cannot parse: nested too deeply for Python's own parser"),
        ("x = y" + "[0]" * 20000, "cannot parse: nested too deeply for Python's own parser"),
    ],
    ids=["5000-parentheses", "20000-attributes", "20000-subscripts"],
)
def test_nesting_that_crashes_or_hangs_libcst_is_one_failed_file(
    tmp_path: Path, code: str, message: str
) -> None:
    (tmp_path / "deep.py").write_text("import foo\n" + code + "\n")
    (tmp_path / "ok.py").write_text(CALL)
    got = results(FooBazCodemod, tmp_path, jobs=2)
    assert got["deep.py"].error == f"{tmp_path / 'deep.py'}: {message}"  # type: ignore[attr-defined]
    assert got["ok.py"].outcome is Outcome.CHANGED  # type: ignore[attr-defined]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_crash_costs_that_file_only(tmp_path: Path, jobs: int) -> None:
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text(CALL)
    (tmp_path / "m17.py").write_text(CALL + "# crash here\n")
    got = results(CrashingCodemod, tmp_path, jobs=jobs)
    assert got["m17.py"].outcome is Outcome.FAILED  # type: ignore[attr-defined]
    assert got["m17.py"].error == (  # type: ignore[attr-defined]
        f"{tmp_path / 'm17.py'}: the worker process died (SIGSEGV)"
    )
    changed = [name for name, r in got.items() if r.outcome is Outcome.CHANGED]  # type: ignore[attr-defined]
    assert len(changed) == 39


def test_a_worker_crash_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CALL)
    (tmp_path / "b.py").write_text(CALL + "# crash\n")
    code, _, err = cli("run", "crashing", "--check", tmp_path)
    assert code == 2
    assert f"{tmp_path / 'b.py'}: the worker process died (SIGSEGV)\n" in err
    assert f"Would rewrite {tmp_path / 'a.py'}" in err


@pytest.mark.slow
def test_a_file_that_hangs_its_worker_times_out(tmp_path: Path) -> None:
    # The deadline leaves a loaded machine time for the ordinary file.
    (tmp_path / "a.py").write_text(CALL)
    (tmp_path / "b.py").write_text(CALL + "# hang\n")
    code, _, err = cli("run", "sleeping", "--check", "--timeout", "8", tmp_path)
    assert code == 2
    assert f"{tmp_path / 'b.py'}: took longer than 8 s\n" in err
    assert f"Would rewrite {tmp_path / 'a.py'}" in err


def test_the_sleeping_codemod_runs_normally_without_a_hang(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CALL)
    assert results(SleepingCodemod, tmp_path, timeout=5)["a.py"].outcome is Outcome.CHANGED  # type: ignore[attr-defined]


# -- writing back -------------------------------------------------------------------------------


def test_a_file_edited_during_the_run_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CALL)
    code, _, err = cli("run", "touching", "--write", tmp_path)
    assert code == 2
    assert f"{tmp_path / 'a.py'}: not written: it changed on disk while being rewritten" in err
    assert (tmp_path / "a.py").read_text() == CALL + "# edited meanwhile\n"


def test_hard_links_stay_one_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CALL)
    os.link(tmp_path / "a.py", tmp_path / "other_name")
    assert cli("run", "foo-baz", "--write", tmp_path / "a.py")[0] == 0
    assert (tmp_path / "other_name").read_text() == CALLED
    assert os.stat(tmp_path / "a.py").st_ino == os.stat(tmp_path / "other_name").st_ino


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_owner_and_mode_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(CALL)
    os.chown(path, 65534, 65534)
    path.chmod(0o640)
    assert cli("run", "foo-baz", "--write", path)[0] == 0
    info = os.stat(path)
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)
    assert path.read_text() == CALLED


def test_a_read_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(CALL)
    path.chmod(0o444)
    code, _, err = cli("run", "foo-baz", "--write", path)
    assert code == 2
    assert f"{path}: not written: the file is read-only\n" in err
    assert path.read_text() == CALL


def test_a_stale_stamp_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(CALL)
    stamp = Stamp(1, 2, 3, 4)
    with pytest.raises(CodemodError, match="changed on disk"):
        write_back(SourceFile(path, tmp_path), CALLED, stamp)


# -- names and permissions ----------------------------------------------------------------------


def test_a_name_that_is_not_utf8_is_escaped_everywhere(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.py")
    (tmp_path / name).write_text(CALL)
    code, out, err = cli("run", "foo-baz", tmp_path)
    assert code == 0
    assert f"--- {tmp_path}/caf\\xe9.py\n+++ {tmp_path}/caf\\xe9.py\n" in out
    code, _, err = cli("run", "foo-baz", "--write", tmp_path)
    assert code == 0
    assert f"Rewriting {tmp_path}/caf\\xe9.py\n" in err
    assert (tmp_path / name).read_text() == CALLED


def _as_unprivileged(function: Callable[[], object]) -> object:
    """Run `function` as `nobody` in a forked child (as itself when not root).

    The child cannot read the interpreter's own files under /root: a warm-up run first imports
    everything a run imports lazily.
    """
    if os.geteuid() != 0:
        return function()
    with tempfile.TemporaryDirectory() as warm:
        (Path(warm) / "a.py").write_text(CALL)
        cli("run", "foo-baz", "--check", warm)
    file = SourceFile(Path(warm) / "a.py", Path(warm))
    process_file(FooBazCodemod, OPTIONS, file, (CALL + "\n\ndef unrelated():\n    pass\n").encode())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            result: object = function()
        except BaseException as exc:
            result = exc
        with os.fdopen(write, "wb") as out:
            pickle.dump(result, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as data:
        result = pickle.load(data)
    os.waitpid(pid, 0)
    if isinstance(result, BaseException):
        raise result
    return result


@pytest.fixture
def shared_tree() -> Iterator[Path]:
    """A directory an unprivileged user can enter (pytest's tmp_path is private to root)."""
    root = Path(tempfile.mkdtemp(prefix="depsentry-perm-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        for path in sorted(root.rglob("*"), reverse=True):
            path.chmod(0o700)
            path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
        root.rmdir()


def test_unreadable_file_and_unlistable_directory_are_reported(shared_tree: Path) -> None:
    (shared_tree / "secret.py").write_text(CALL)
    (shared_tree / "secret.py").chmod(0o000)
    (shared_tree / "closed").mkdir()
    (shared_tree / "closed" / "inner.py").write_text(CALL)
    (shared_tree / "closed").chmod(0o000)
    (shared_tree / "ok.py").write_text(CALL)
    (shared_tree / "ok.py").chmod(0o666)
    code, _, err = _as_unprivileged(lambda: cli("run", "foo-baz", "--check", shared_tree))  # type: ignore[misc]
    assert code == 2
    assert f"{shared_tree / 'secret.py'}: cannot read: Permission denied\n" in err
    assert f"{shared_tree / 'closed'}: skipped: cannot list directory: Permission denied\n" in err
    assert f"Would rewrite {shared_tree / 'ok.py'}" in err


def test_a_file_we_may_not_write_is_refused_not_replaced(shared_tree: Path) -> None:
    (shared_tree / "theirs.py").write_text(CALL)
    (shared_tree / "theirs.py").chmod(0o644)
    code, _, err = _as_unprivileged(lambda: cli("run", "foo-baz", "--write", shared_tree))  # type: ignore[misc]
    assert code == 2
    assert f"{shared_tree / 'theirs.py'}: not written: the file is read-only\n" in err
    assert (shared_tree / "theirs.py").read_text() == CALL


def test_python_path_is_importable_by_the_forked_child() -> None:
    # The unprivileged cases fork after everything they need is imported.
    assert "depsentry.codemods.pool" in sys.modules
