"""`depsentry codemod list` and `depsentry codemod run`, in-process and as a real command."""

from __future__ import annotations

import os
import pty
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import depsentry.codemods.registry
from depsentry.cli import main
from tests.codemods import tools
from tests.paths import REPO

SAMPLES = (
    "tests.codemods.sample:FooBazCodemod",
    "tests.codemods.sample:RaisingCodemod",
    "tests.codemods.sample:SkippingCodemod",
    "tests.codemods.sample:VanishingCodemod",
)
CALL = "import foo\nfoo.bar(1)\n"
CALLED = "import foo\nfoo.baz(1)\n"


@pytest.fixture(autouse=True)
def sample_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(depsentry.codemods.registry, "CODEMODS", tools.registry(*SAMPLES))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(CALL)
    (tmp_path / "pkg" / "b.py").write_text("import os\n")
    (tmp_path / "pkg" / "c.py").write_text("import foo\ncb = foo.bar\n")
    return tmp_path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main(["codemod", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_codemod(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    header = next(line for line in lines if "name" in line)
    for column in ("package", "from -> to", "description", "options"):
        assert column in header
    row = next(line for line in lines if "foo-baz" in line)
    for cell in ("foo", "<2 -> >=2", "foo.bar() is foo.baz() in foo 2", "mode=call|keep"):
        assert cell in row
    assert any("raising" in line for line in lines)


def test_diff_is_the_default_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], tree: Path
) -> None:
    code, out, err = run_cli(capsys, "run", "foo-baz", tree)
    assert code == 0
    a = (tree / "pkg" / "a.py").as_posix()
    assert f"--- {a}\n+++ {a}\n" in out
    assert "-foo.bar(1)\n+foo.baz(1)\n" in out
    assert "+# TODO(depsentry): foo.bar is gone, use foo.baz\n" in out
    assert (tree / "pkg" / "a.py").read_text() == CALL
    assert err.splitlines()[-1] == (
        "3 files scanned, 1 skipped by pre-filter, 2 would change, 1 TODOs left, 0 failed"
    )


def test_check_exits_1_and_names_the_files(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    code, out, err = run_cli(capsys, "run", "foo-baz", "--check", tree)
    assert code == 1
    assert out == ""
    assert f"Would rewrite {tree / 'pkg' / 'a.py'}\n" in err
    assert f"Would rewrite {tree / 'pkg' / 'c.py'}\n" in err
    assert (tree / "pkg" / "a.py").read_text() == CALL


def test_check_exits_0_when_nothing_would_change(
    capsys: pytest.CaptureFixture[str], tree: Path
) -> None:
    code, _, err = run_cli(capsys, "run", "foo-baz", "--check", tree / "pkg" / "b.py")
    assert code == 0
    assert (
        err == "1 files scanned, 1 skipped by pre-filter, 0 would change, 0 TODOs left, 0 failed\n"
    )


def test_write_rewrites_in_place_keeping_the_mode(
    capsys: pytest.CaptureFixture[str], tree: Path
) -> None:
    a = tree / "pkg" / "a.py"
    a.chmod(0o700)
    code, out, err = run_cli(capsys, "run", "foo-baz", "--write", tree)
    assert code == 0
    assert out == ""
    assert f"Rewriting {a}\n" in err
    assert a.read_text() == CALLED
    assert stat.S_IMODE(a.stat().st_mode) == 0o700
    assert err.splitlines()[-1].startswith("3 files scanned, 1 skipped by pre-filter, 2 changed,")
    # A second run has nothing left to do.
    code, _, err = run_cli(capsys, "run", "foo-baz", "--check", tree)
    assert code == 0
    assert "0 would change" in err


def test_failures_exit_2_even_with_changes_under_check(
    capsys: pytest.CaptureFixture[str], tree: Path
) -> None:
    bad = tree / "pkg" / "bad.py"
    bad.write_text("import foo\nfoo.bar(\n")
    code, _, err = run_cli(capsys, "run", "foo-baz", "--check", tree)
    assert code == 2
    assert f"{bad}: cannot parse: " in err
    assert f"Would rewrite {tree / 'pkg' / 'a.py'}" in err
    assert err.splitlines()[-1].endswith("2 would change, 1 TODOs left, 1 failed")


def test_write_leaves_failed_files_untouched(
    capsys: pytest.CaptureFixture[str], tree: Path
) -> None:
    code, _, err = run_cli(capsys, "run", "raising", "--write", tree)
    assert code == 2
    assert f"{tree / 'pkg' / 'a.py'}: codemod failed: RuntimeError: boom\n" in err
    assert (tree / "pkg" / "a.py").read_text() == CALL


def test_codemod_warnings_are_shown(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    code, out, err = run_cli(capsys, "run", "skipping", tree / "pkg" / "a.py")
    assert (code, out) == (0, "")
    assert err.startswith(f"depsentry: warning: {tree / 'pkg' / 'a.py'}: generated file, skipped\n")


def test_file_that_cannot_be_written_is_a_failure(
    capsys: pytest.CaptureFixture[str], tree: Path
) -> None:
    code, _, err = run_cli(capsys, "run", "vanishing", "--write", tree / "pkg" / "a.py")
    assert code == 2
    assert f"{tree / 'pkg' / 'a.py'}: cannot write: No such file or directory\n" in err
    assert "Rewriting" not in err
    assert err.endswith("0 changed, 0 TODOs left, 1 failed\n")


def test_include_exclude_and_gitignore(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    (tree / ".gitignore").write_text("pkg/c.py\n")
    (tree / "pkg" / "d.pyw").write_text(CALL)
    code, out, err = run_cli(
        capsys,
        "run",
        "foo-baz",
        tree,
        "--include",
        "*.pyw",
        "--include",
        "*.py",
        "--exclude",
        "a.py",
    )
    assert code == 0
    assert "d.pyw" in out
    assert "a.py" not in out and "c.py" not in out
    assert err.startswith("2 files scanned")


def test_options_and_mode_shorthand(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    a = tree / "pkg" / "a.py"
    assert run_cli(capsys, "run", "foo-baz", "--check", "--mode", "keep", a)[0] == 0
    assert run_cli(capsys, "run", "foo-baz", "--check", "--option", "mode=keep", a)[0] == 0
    assert run_cli(capsys, "run", "foo-baz", "--check", "-o", "mode=call", a)[0] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["nope", "."],
            "unknown codemod 'nope'; choose from foo-baz, raising, skipping, vanishing",
        ),
        (
            ["foo-baz", "--mode", "fast", "."],
            "option 'mode' of codemod foo-baz must be one of call, keep (got 'fast')",
        ),
        (
            ["raising", "--mode", "fast", "."],
            "codemod raising has no option 'mode' (options: none)",
        ),
        (["foo-baz", "--option", "mode", "."], "--option expects KEY=VALUE, got 'mode'"),
        (["foo-baz", "missing-dir"], "missing-dir: no such file or directory"),
    ],
)
def test_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run_cli(capsys, "run", *args)
    assert code == 2
    assert out == ""
    assert err == f"depsentry: error: {message}\n"


@pytest.mark.slow
def test_real_command_runs_in_parallel(tmp_path: Path) -> None:
    """A fresh interpreter, a real process pool, and the exit code seen by a shell."""
    for i in range(20):
        (tmp_path / f"m{i}.py").write_text(CALL)
    script = textwrap.dedent(
        f"""
        import sys
        {tools.registry_script(SAMPLES)}
        from depsentry.cli import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = [sys.executable, "-c", script, "codemod", "run", "foo-baz", "--jobs", "2"]
    check = subprocess.run(
        [*args, "--check", str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert check.returncode == 1, check.stderr
    write = subprocess.run(
        [*args, "--write", str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert write.returncode == 0, write.stderr
    assert write.stderr.count("Rewriting ") == 20
    assert all((tmp_path / f"m{i}.py").read_text() == CALLED for i in range(20))


@pytest.mark.slow
def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """Over 50 files with stderr on a terminal, a bar counts them; the summary still follows."""
    for i in range(60):
        (tmp_path / f"m{i}.py").write_text("import os\n")
    script = (
        f"import sys; {tools.registry_script(SAMPLES)}; "
        "from depsentry.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "100", "TERM": "xterm"}
    args = [sys.executable, "-c", script, "codemod", "run", "foo-baz", "--check", str(tmp_path)]
    primary, secondary = pty.openpty()
    with subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=secondary, env=env) as proc:
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    os.close(primary)
    assert proc.returncode == 0
    text = seen.decode()
    assert "/60" in text
    assert "60 files scanned, 60 skipped by pre-filter" in text
