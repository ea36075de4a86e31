"""Runner, files, pool, registry and interface branches, in this process (workers are not traced)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import libcst.matchers as m
import pytest

import depsentry.codemods.registry
from depsentry.codemods import files, pool
from depsentry.codemods.files import SkippedFile, SourceFile, find_files, read_bytes, write_back
from depsentry.codemods.interface import with_todos
from depsentry.codemods.openai_v1 import INFO
from depsentry.codemods.registry import CodemodInfo, all_infos, describe
from depsentry.codemods.runner import Outcome, process_file, transform_source
from depsentry.errors import CodemodError
from tests.codemods import tools
from tests.codemods.sample import FooBazCodemod, SkippingCodemod

CALL = "import foo\nfoo.bar(1)\n"
OPTIONS = {"mode": "call"}


def _process(data: bytes, codemod: type = FooBazCodemod) -> object:
    return process_file(codemod, OPTIONS, SourceFile(Path("m.py"), Path(".")), data)


@pytest.mark.parametrize(
    ("data", "outcome", "error"),
    [
        (b"import foo\nfoo.bar(\n", Outcome.FAILED, "m.py: cannot parse: "),
        (b"import foo\nx = 1\n", Outcome.UNCHANGED, ""),
        (b"import foo\nx = '\xff'\n", Outcome.FAILED, "m.py: not UTF-8 (invalid start byte)"),
        (
            b"import foo\nx = " + b"(" * 300 + b")" * 300 + b"\n",
            Outcome.FAILED,
            "m.py: cannot parse: line 2",
        ),
        (
            b"import foo\nx = " + b"-" * 5000 + b"1\n",
            Outcome.FAILED,
            "m.py: cannot parse: nested too deeply",
        ),
    ],
    ids=["unparsable", "unchanged", "latin-1", "300-parentheses", "5000-minus"],
)
def test_process_file_outcomes(data: bytes, outcome: Outcome, error: str) -> None:
    result = _process(data)
    assert result.outcome is outcome  # type: ignore[attr-defined]
    assert result.error.startswith(error)  # type: ignore[attr-defined]


def test_skip_file_with_stubs_returns_the_source() -> None:
    code = CALL + "\n\ndef unrelated():\n    return 1\n"
    assert transform_source(SkippingCodemod, code, OPTIONS) == (code, ("generated file, skipped",))


def test_newer_syntax_than_this_python_still_goes_through_libcst() -> None:
    # CPython 3.11 refuses `type X = ...` (3.12); libcst parses it, so the file is still handled.
    code = "import foo\ntype Alias = int\nfoo.bar(1)\n"
    output, _ = transform_source(FooBazCodemod, code, OPTIONS)
    assert output == code.replace("foo.bar", "foo.baz")


def test_output_checked_by_libcst_when_python_cannot_read_the_input() -> None:
    from tests.codemods.sample import BrokenOutputCodemod

    with pytest.raises(CodemodError, match="rewrite would not parse"):
        transform_source(BrokenOutputCodemod, "import foo\ntype A = int\nfoo.bar()\n", OPTIONS)


# -- files --------------------------------------------------------------------------------------


def test_a_symlink_loop_is_skipped_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "loop.py").symlink_to("loop.py")
    [found] = find_files([tmp_path])
    assert found.skip.startswith("cannot read: Too many levels of symbolic links")


def test_a_gitignore_that_is_a_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".gitignore")
    (tmp_path / "a.py").write_text(CALL)
    assert [f.path.name for f in find_files([tmp_path])] == ["a.py"]


def test_a_directory_that_disappears_is_reported(tmp_path: Path) -> None:
    include = files._globs(files.DEFAULT_INCLUDE)
    [skipped] = files._walk(tmp_path / "gone", include, files._globs([]))
    assert skipped.skip == "cannot list directory: No such file or directory"


def test_a_file_that_is_bigger_than_it_says_is_cut_off() -> None:
    # /proc files report size 0: the cap must hold for what is actually read.
    with pytest.raises(SkippedFile, match="larger than 10 bytes"):
        read_bytes(Path("/proc/self/status"), 10)


def test_the_current_directory_gone_bounds_a_named_file_by_its_own_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.py").write_text(CALL)
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    [found] = find_files([tmp_path / "a.py"])
    assert found.tree == tmp_path and not found.skip


def test_write_back_refuses_a_target_that_is_no_longer_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(CALL)
    _, stamp = read_bytes(path)
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(CodemodError, match="not written: no longer a regular file"):
        write_back(SourceFile(path, tmp_path), CALL, stamp)
    path.unlink()
    with pytest.raises(CodemodError, match="cannot write: No such file or directory"):
        write_back(SourceFile(path, tmp_path), CALL, stamp)


def test_a_failed_write_leaves_the_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.py"
    path.write_text(CALL)
    _, stamp = read_bytes(path)

    def refuse(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "fchmod", refuse)
    with pytest.raises(CodemodError, match="cannot write: Permission denied"):
        write_back(SourceFile(path, tmp_path), "new\n", stamp)
    assert path.read_text() == CALL
    assert os.listdir(tmp_path) == ["a.py"]


# -- pool ---------------------------------------------------------------------------------------


def _same(items: list[int]) -> list[object]:
    return list(items)


def test_workers_that_die_before_any_work_end_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    real = pool._start

    def dead(*args: object) -> pool._Worker:
        worker = real(*args)  # type: ignore[arg-type]
        worker.process.kill()
        worker.process.join()
        worker.conn.close()
        return worker

    monkeypatch.setattr(pool, "_start", dead)
    with pytest.raises(CodemodError, match="worker processes keep dying at start"):
        list(pool.map_chunks(_same, [[1]], 1, lambda item, reason: reason))


def test_stopping_early_stops_the_busy_workers() -> None:
    results: Iterator[list[object]] = pool.map_chunks(_slow, [[1], [2], [3]], 2, str)
    assert next(results) == [1]
    results.close()  # the busy worker is killed, not waited for


def _slow(items: list[int]) -> list[object]:
    if items != [1]:
        import time

        time.sleep(30)
    return list(items)


# -- registry and interface ---------------------------------------------------------------------


def test_describe_reads_the_light_info_of_a_package() -> None:
    info = describe("openai-v1")
    assert info == INFO.__class__(**{**INFO.__dict__, "reference": info.reference})
    assert info.reference == "depsentry.codemods.openai_v1:OpenAIV1Codemod"
    assert info.load().NAME == "openai-v1"


def test_loading_something_that_is_no_codemod_is_an_error() -> None:
    info = CodemodInfo("x", "p", "<1", ">=1", "d", ("x",), {}, "tests.codemods.sample:todo_comment")
    with pytest.raises(CodemodError, match="not a Codemod subclass"):
        info.load()


def test_all_infos_leaves_out_a_missing_module(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    entries = tools.registry(
        "tests.codemods.not_written_yet:X", "tests.codemods.sample:FooBazCodemod"
    )
    monkeypatch.setattr(depsentry.codemods.registry, "CODEMODS", entries)
    with caplog.at_level(logging.WARNING, logger="depsentry.codemods"):
        assert [info.NAME for info in all_infos()] == ["foo-baz"]
    assert "not_written_yet:X is registered but its module is missing" in caplog.text


def test_the_package_reexports_the_interface_lazily() -> None:
    import depsentry.codemods as package

    assert package.Codemod.__name__ == "Codemod"
    with pytest.raises(AttributeError):
        package.no_such_name  # noqa: B018


class Decorated(FooBazCodemod):
    """Matcher decorators and an attribute hook: the slower, general visit path."""

    NAME = "decorated"
    CASES = ()
    seen: list[str] = []

    @m.leave(m.Name("foo"))
    def mark(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        self.seen.append("leave")
        return updated_node

    def visit_Call_func(self, node: cst.Call) -> None:
        self.seen.append("attribute")


def test_matcher_decorators_and_attribute_hooks_still_run() -> None:
    Decorated.seen.clear()
    output, _ = transform_source(Decorated, CALL, OPTIONS)
    assert output == "import foo\nfoo.baz(1)\n"
    assert "leave" in Decorated.seen and "attribute" in Decorated.seen


def test_decorators_found_per_class_also_after_an_undecorated_parent_ran() -> None:
    """The search for matcher decorators is skipped for a class that had none, never for a
    subclass that adds some."""
    for _ in range(2):  # the second instance of each class takes the cached answer
        assert transform_source(FooBazCodemod, CALL, OPTIONS)[0] == "import foo\nfoo.baz(1)\n"
        Decorated.seen.clear()
        assert transform_source(Decorated, CALL, OPTIONS)[0] == "import foo\nfoo.baz(1)\n"
        assert "leave" in Decorated.seen
    assert FooBazCodemod.__dict__.get("_no_matchers") is True
    assert not Decorated.__dict__.get("_no_matchers")


def test_with_todos_on_a_node_without_leading_lines() -> None:
    node = cst.Name("x")
    assert with_todos(node, ["message"]) is node
