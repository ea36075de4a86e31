"""The codemod runner: file discovery, pre-filter, failures, parallel runs, atomic writes."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

import pytest

from depsentry.codemods.files import SourceFile, find_files, write_atomically
from depsentry.codemods.runner import (
    FileResult,
    Mode,
    Outcome,
    Summary,
    process_file,
    run,
    transform_source,
    validate_options,
)
from depsentry.errors import CodemodError
from tests.codemods.sample import (
    BadEscapeCodemod,
    BrokenOutputCodemod,
    FooBazCodemod,
    RaisingCodemod,
    SkippingCodemod,
)

CALL = "import foo\nfoo.bar(1)\n"
CALLED = "import foo\nfoo.baz(1)\n"
OPTIONS = {"mode": "call"}


def write(root: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")


def names(files: list[SourceFile], root: Path) -> list[str]:
    return [f.path.relative_to(root).as_posix() for f in files]


def results(codemod: type, root: Path, *, jobs: int = 1, **kwargs: str) -> dict[str, FileResult]:
    files = find_files([root])
    options = validate_options(codemod, kwargs)
    return {r.path.relative_to(root).as_posix(): r for r in run(codemod, files, options, jobs=jobs)}


# -- finding files ------------------------------------------------------------------------------


def test_gitignore_at_root_and_nested_with_negation(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".gitignore": "build/\n*_pb2.py\n",
            "a.py": "",
            "build/gen.py": "",
            "api_pb2.py": "",
            "pkg/.gitignore": "local.py\n!keep_pb2.py\n",
            "pkg/local.py": "",
            "pkg/keep_pb2.py": "",
            "pkg/mod.py": "",
            "other/local.py": "",
        },
    )
    found = names(find_files([tmp_path]), tmp_path)
    assert found == ["a.py", "other/local.py", "pkg/keep_pb2.py", "pkg/mod.py"]


def test_gitignore_above_the_given_directory_applies_up_to_the_repository(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "ignored.py\n", "repo/.gitignore": "gen/\n"})
    (tmp_path / "repo" / ".git").mkdir()
    write(tmp_path / "repo", {"src/gen/x.py": "", "src/ignored.py": "", "src/ok.py": ""})
    # The outer .gitignore is outside the repository, so ignored.py is kept.
    assert names(find_files([tmp_path / "repo" / "src"]), tmp_path / "repo" / "src") == [
        "ignored.py",
        "ok.py",
    ]


def test_always_skipped_directories(tmp_path: Path) -> None:
    skipped = [".git", ".venv", "venv", "node_modules", "__pycache__", "lib/site-packages"]
    write(tmp_path, {f"{d}/x.py": "" for d in skipped} | {"src/x.py": ""})
    assert names(find_files([tmp_path]), tmp_path) == ["src/x.py"]


def test_include_and_exclude(tmp_path: Path) -> None:
    write(
        tmp_path, {"a.py": "", "a.pyi": "", "notes.txt": "", "tests/t.py": "", "src/m_test.py": ""}
    )
    assert names(find_files([tmp_path], exclude=["tests/", "*_test.py"]), tmp_path) == ["a.py"]
    assert names(find_files([tmp_path], include=["*.pyi", "*.txt"]), tmp_path) == [
        "a.pyi",
        "notes.txt",
    ]


def test_explicit_files_are_always_processed(tmp_path: Path) -> None:
    write(tmp_path, {".gitignore": "*.py\n", "x.py": "", "script": ""})
    explicit = [tmp_path / "x.py", tmp_path / "script"]
    assert [f.path for f in find_files(explicit, exclude=["x.py"])] == sorted(explicit)
    assert find_files([tmp_path]) == []


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CodemodError, match="no such file or directory") as info:
        find_files([tmp_path / "nope"])
    assert str(tmp_path / "nope") in str(info.value)


def test_each_file_is_listed_once_in_order(tmp_path: Path) -> None:
    write(tmp_path, {"b.py": "", "a/c.py": ""})
    files = find_files([tmp_path, tmp_path / "b.py", tmp_path / "a"])
    assert names(files, tmp_path) == ["a/c.py", "b.py"]


# -- transforming -------------------------------------------------------------------------------


def test_prefilter_skips_files_without_the_needle(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": CALL, "b.py": "import os\n", "c.py": "not python at all (\n"})
    got = results(FooBazCodemod, tmp_path)
    assert got["a.py"].outcome is Outcome.CHANGED
    assert got["a.py"].output == CALLED
    # c.py does not parse, but it is never parsed: the pre-filter rules it out first.
    assert got["b.py"].outcome is got["c.py"].outcome is Outcome.PREFILTERED


def test_unparsable_file_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": "import foo\nfoo.bar(\n", "good.py": CALL})
    got = results(FooBazCodemod, tmp_path)
    assert got["bad.py"].outcome is Outcome.FAILED
    assert got["bad.py"].error.startswith(f"{tmp_path / 'bad.py'}: cannot parse: ")
    assert "\n" not in got["bad.py"].error
    assert got["good.py"].outcome is Outcome.CHANGED


def test_codemod_that_raises_is_a_failure_of_that_file(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": CALL})
    got = results(RaisingCodemod, tmp_path)
    assert got["a.py"].outcome is Outcome.FAILED
    assert got["a.py"].error == f"{tmp_path / 'a.py'}: codemod failed: RuntimeError: boom"


def test_output_that_does_not_parse_is_a_failure(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "import foo\nfoo.bar()\n"})
    got = results(BrokenOutputCodemod, tmp_path, mode="call")
    assert got["a.py"].outcome is Outcome.FAILED
    assert ": rewrite would not parse: " in got["a.py"].error


def test_output_that_libcst_parses_but_python_rejects_is_a_failure() -> None:
    with pytest.raises(CodemodError, match="rewrite would not parse: line 2: "):
        transform_source(BadEscapeCodemod, "import foo\nfoo.bar()\n", OPTIONS)


def test_input_python_already_rejects_is_not_blamed_on_the_codemod() -> None:
    source = 'import foo\nfoo.bar()\nx = "\\N{nope}"\n'
    output, _ = transform_source(BadEscapeCodemod, source, OPTIONS)
    assert output == source.replace("foo.bar()", 'foo.bar("\\N{no such name}")')


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"latin.py": "import foo\ns = 'café'\n".encode("latin-1")})
    got = results(FooBazCodemod, tmp_path)
    assert got["latin.py"].outcome is Outcome.FAILED
    assert (
        got["latin.py"].error == f"{tmp_path / 'latin.py'}: not UTF-8 (invalid continuation byte)"
    )


def test_bom_and_crlf_are_kept(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "\ufeffimport foo\r\nfoo.bar(1)\r\n", "b.py": "\ufeffimport foo\n"})
    got = results(FooBazCodemod, tmp_path)
    assert got["a.py"].output == "\ufeffimport foo\r\nfoo.baz(1)\r\n"
    assert got["b.py"].outcome is Outcome.UNCHANGED


def test_todos_are_counted_as_new_occurrences(tmp_path: Path) -> None:
    old_todo = "# TODO(depsentry): an older one\n"
    write(tmp_path, {"a.py": f"import foo\n{old_todo}x = 1\ncb = foo.bar\ncb2 = foo.bar\n"})
    got = results(FooBazCodemod, tmp_path)
    assert got["a.py"].todos == 2
    assert got["a.py"].output.count("# TODO(depsentry): foo.bar is gone") == 2


def test_options_reach_the_codemod(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": CALL})
    assert results(FooBazCodemod, tmp_path, mode="keep")["a.py"].outcome is Outcome.UNCHANGED


def test_module_name_is_given_to_the_codemod(tmp_path: Path) -> None:
    seen = []

    class Spy(FooBazCodemod):
        def visit_Module(self, node: object) -> bool:
            seen.append((self.context.full_module_name, self.context.full_package_name))
            return True

    write(tmp_path, {"pkg/__init__.py": "", "pkg/mod.py": CALL})
    process_file(Spy, OPTIONS, SourceFile(tmp_path / "pkg/mod.py", tmp_path), CALL.encode())
    assert seen == [("pkg.mod", "pkg")]


def test_parallel_run_equals_serial_run(tmp_path: Path) -> None:
    files = {f"m{i:02}.py": CALL.replace("1", str(i)) for i in range(30)}
    files |= {"bad.py": "import foo\nfoo.bar(\n", "other.py": "import os\n"}
    write(tmp_path, files)
    serial = results(FooBazCodemod, tmp_path, jobs=1)
    parallel = results(FooBazCodemod, tmp_path, jobs=2)
    assert list(parallel.items()) == list(serial.items())
    assert sum(r.outcome is Outcome.CHANGED for r in parallel.values()) == 30


def test_diff_is_unified_and_names_the_file() -> None:
    result = FileResult(Path("pkg/a.py"), Outcome.CHANGED, CALL, CALLED)
    assert result.diff() == (
        "--- pkg/a.py\n+++ pkg/a.py\n@@ -1,2 +1,2 @@\n import foo\n-foo.bar(1)\n+foo.baz(1)\n"
    )


def test_diff_marks_a_missing_final_newline() -> None:
    result = FileResult(Path("a.py"), Outcome.CHANGED, "x = 1", "x = 2")
    assert result.diff().endswith(
        "-x = 1\n\\ No newline at end of file\n+x = 2\n\\ No newline at end of file\n"
    )


# -- options, summary, writing ------------------------------------------------------------------


def test_validate_options_fills_defaults_and_rejects_bad_ones() -> None:
    assert validate_options(FooBazCodemod, {}) == {"mode": "call"}
    with pytest.raises(
        CodemodError,
        match=r"^option 'mode' of codemod foo-baz must be one of call, keep \(got 'x'\)$",
    ):
        validate_options(FooBazCodemod, {"mode": "x"})
    with pytest.raises(
        CodemodError, match=r"^codemod foo-baz has no option 'color' \(options: mode\)$"
    ):
        validate_options(FooBazCodemod, {"color": "red"})


def test_summary_line_and_exit_codes() -> None:
    summary = Summary()
    summary.add(FileResult(Path("a"), Outcome.PREFILTERED))
    summary.add(FileResult(Path("b"), Outcome.CHANGED, todos=2))
    summary.add(FileResult(Path("c"), Outcome.UNCHANGED))
    assert summary.line(Mode.CHECK) == (
        "3 files scanned, 1 skipped by pre-filter, 1 would change, 2 TODOs left, 0 failed"
    )
    assert summary.line(Mode.WRITE).startswith(
        "3 files scanned, 1 skipped by pre-filter, 1 changed,"
    )
    assert (summary.exit_code(Mode.DIFF), summary.exit_code(Mode.CHECK)) == (0, 1)
    summary.add(FileResult(Path("d"), Outcome.FAILED, error="d: cannot parse"))
    assert (summary.exit_code(Mode.DIFF), summary.exit_code(Mode.CHECK)) == (2, 2)


def test_write_atomically_keeps_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text("old\n")
    path.chmod(0o751)
    write_atomically(path, "new ✓\n")
    assert path.read_bytes() == "new ✓\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert os.listdir(tmp_path) == ["tool.py"]


def test_write_atomically_writes_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real.py").write_text("old\n")
    (tmp_path / "link.py").symlink_to("real.py")
    write_atomically(tmp_path / "link.py", "new\n")
    assert (tmp_path / "link.py").is_symlink()
    assert (tmp_path / "real.py").read_text() == "new\n"


def test_write_atomically_cleans_up_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(path, "\udcff")  # a lone surrogate cannot be encoded
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["a.py"]


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    got = results(FooBazCodemod, tmp_path)
    assert got["gone.py"].outcome is Outcome.FAILED
    assert got["gone.py"].error == f"{tmp_path / 'gone.py'}: cannot read: No such file or directory"


def test_skip_file_leaves_the_file_unchanged_and_keeps_warnings(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": CALL})
    got = results(SkippingCodemod, tmp_path)
    assert got["a.py"].outcome is Outcome.UNCHANGED
    assert got["a.py"].warnings == ("generated file, skipped",)
