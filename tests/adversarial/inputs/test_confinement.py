"""A scanned repository makes depsentry read nothing outside it (issue 9): `-r`/`-c` includes that
leave the project (absolute, `..`, through a symlink) and inputs symlinked out are refused with a
skipped entry naming the include, never its content; a line that is not a requirement is echoed
only as a short escaped prefix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from depsentry.errors import InputError
from depsentry.inputs import read_project
from depsentry.inputs.requirements import read_tree
from depsentry.models import SkipKind
from tests.adversarial.inputs.helpers import (
    CANARY,
    leaks,
    pins,
    scan,
    skipped,
    watching_opens,
    write,
)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file beside the project that looks like requirements and holds a secret."""
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text(f"demo==1.0\nAPI_TOKEN={CANARY}\n")
    return secret


@pytest.mark.parametrize(
    "include",
    [
        "-r /proc/self/environ",
        "-r /etc/shadow",
        "-c /etc/passwd",
        "-r ../outside/secret.txt",
        "--requirement=../../{rel}/outside/secret.txt",
        "-r {abs}/outside/secret.txt",
        "-c ../outside/secret.txt",
    ],
)
def test_an_include_leaving_the_project_is_refused_and_never_read(
    include: str,
    tmp_path: Path,
    outside: Path,
    home: Path,
    osv: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEPSENTRY_TEST_SECRET", CANARY)  # what /proc/self/environ would hand out
    line = include.format(rel=str(tmp_path).lstrip("/"), abs=tmp_path)
    app = write(tmp_path / "app", {"requirements.txt": f"calm==1.0\n{line}\n"})
    code, report, err = scan(app, osv, capsys)
    assert code == 0  # demo==1.0 in the secret file is not scanned either
    assert CANARY not in json.dumps(report) + err + caplog.text
    assert pins(report) == [("calm", "1.0")]
    [entry] = skipped(report)
    assert entry["kind"] == "unreadable" and entry["source"] == "requirements.txt:2"
    assert "is outside the project; refused, not read" in entry["reason"]
    assert line.split(maxsplit=1)[-1].split("=")[-1][:150] in entry["reason"]  # names it
    assert "requirements.txt:2: included file" in caplog.text  # warned, too


def test_an_include_symlinked_out_of_the_project_is_refused(
    tmp_path: Path, outside: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n-r base.txt\n"})
    (app / "base.txt").symlink_to(outside)
    code, report, err = scan(app, osv, capsys)
    assert CANARY not in json.dumps(report) + err
    assert pins(report) == [("calm", "1.0")]
    assert "included file base.txt is outside the project" in skipped(report)[0]["reason"]


def test_an_input_symlinked_out_of_the_project_is_skipped(
    tmp_path: Path, outside: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(tmp_path / "app", {"requirements.txt": "calm==1.0\n"})
    (app / "requirements-dev.txt").symlink_to(outside)
    (app / "sub").mkdir()
    (app / "sub" / "pyproject.toml").symlink_to("/etc/passwd")
    code, report, err = scan(app, osv, capsys)
    assert code == 0 and CANARY not in json.dumps(report) + err
    assert "root:" not in json.dumps(report) + err
    reasons = {entry["requirement"]: entry["reason"] for entry in skipped(report)}
    assert set(reasons) == {"requirements-dev.txt", "sub/pyproject.toml"}
    assert all("a symlink to outside the project; refused" in r for r in reasons.values())


def test_includes_inside_the_project_still_work_through_symlinks_and_subdirectories(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = write(
        tmp_path / "app",
        {
            "requirements.txt": "-r requirements/dev.txt\n",
            "requirements/dev.txt": "-r ../shared/base.txt\n-c ../constraints/pins.txt\nmed\n",
            "shared/real.txt": "calm==1.0\n",
            "constraints/pins.txt": "med==2.0\n",
        },
    )
    (app / "shared" / "base.txt").symlink_to("real.txt")
    code, report, _ = scan(app, osv, capsys)
    assert code == 0
    assert sorted(pins(report)) == [("calm", "1.0"), ("med", "2.0")]


def test_a_named_file_confines_its_includes_to_its_directory_unless_given_a_root(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"base.txt": "calm==1.0\n", "docs/requirements.txt": "-r ../base.txt\n"})
    named = tmp_path / "docs" / "requirements.txt"
    with pytest.raises(
        InputError, match=r"nothing readable; .* \.\./base\.txt is outside the project"
    ):
        read_tree(named)
    tree = read_tree(named, root=tmp_path)
    assert [item.name for item in tree.items] == ["calm"]
    assert [d.name for d in read_project(named, root=tmp_path).dependencies] == ["calm"]
    (tmp_path / "docs" / "requirements.txt").write_text("calm==1.0\n-r ../base.txt\n")
    [entry] = read_project(named).skipped
    assert entry.kind is SkipKind.UNREADABLE and "outside the project" in entry.reason


def test_a_line_that_is_not_a_requirement_is_echoed_as_a_short_escaped_prefix(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret_line = f"export TOKEN=\x1b[31m{CANARY}{'x' * 200}"
    app = write(tmp_path / "app", {"requirements.txt": f"calm==1.0\n{secret_line}\n"})
    code, report, err = scan(app, osv, capsys)
    [entry] = skipped(report)
    assert entry["kind"] == "invalid"
    assert entry["requirement"] == "export TOKEN=\\x1b[31mCANARY-5e3cr3t-d0-not-..."
    assert "\x1b" not in json.dumps(report, ensure_ascii=False) + err
    assert CANARY not in json.dumps(report) + err and "x" * 50 not in err


def test_every_format_echoes_long_values_shortened(
    tmp_path: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = "q" * 5000
    app = write(
        tmp_path / "app",
        {
            "requirements.txt": "calm==1.0\n",
            "pyproject.toml": f'[tool.poetry.dependencies]\nx = "{long}"\nz = {{ version = 5 }}\n',
            "Pipfile": f'[packages]\ny = {{ version = "{long}" }}\n',
        },
    )
    code, report, err = scan(app, osv, capsys)
    assert code == 0
    text = json.dumps(report)
    assert long[:400] not in text and long[:400] not in err
    assert len(skipped(report)) == 3


def test_no_file_outside_the_project_is_opened(
    tmp_path: Path, outside: Path, home: Path, osv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The guard, not one case: an audit hook records every open during a hostile scan."""
    app = write(
        tmp_path / "app",
        {
            "requirements.txt": "-r ../outside/secret.txt\n-c /etc/passwd\ncalm==1.0\n",
            "requirements/x.txt": f"-r {outside}\n",
            "pyproject.toml": '[project]\nname = "a"\nversion = "1"\ndependencies = []\n',
        },
    )
    (app / "poetry.lock").symlink_to(outside)
    (app / "sub").mkdir()
    (app / "sub" / "requirements.txt").symlink_to(outside.parent)
    with watching_opens() as opened:
        scan(app, osv, capsys)
    assert any(p.endswith("requirements.txt") for p in opened)  # the hook does see opens
    assert leaks(opened, outside.parent) == []


def test_fix_checks_see_includes_that_reach_up_inside_the_project(tmp_path: Path) -> None:
    from depsentry.fix_verify import install_sets

    write(
        tmp_path,
        {
            "requirements/dev.txt": "-r ../base.txt\n-r /etc/passwd\nmed==2.0\n",
            "base.txt": "calm==1.0\n",
        },
    )
    [found] = install_sets(tmp_path, ["requirements/dev.txt"])
    assert sorted(str(pin.name) for pin in found.pins) == ["calm", "med"]


def test_pip_audit_resolution_never_hands_pip_a_file_whose_include_was_refused(
    tmp_path: Path, outside: Path
) -> None:
    """pip reads -r/-c includes itself: a tree with a refused include is not given to it."""
    from depsentry.advisories.pip_audit_source import PipAuditSource
    from depsentry.inputs.project import NO_LOCK_NOTE
    from depsentry.models import ProjectReport
    from depsentry.scan import ScanOptions, _pip_audit_transitive

    app = tmp_path / "app"
    app.mkdir()
    (app / "requirements.txt").write_text(f"calm==1.0\n-r {outside}\n")
    inputs = read_project(app)
    assert any("outside the project" in s.reason for s in inputs.skipped)

    class Spy(PipAuditSource):
        def audit_requirements_file(self, path: Path) -> list[object]:  # type: ignore[override]
            raise AssertionError(f"pip was given {path}")

    report = ProjectReport(
        path=str(app), inputs=list(inputs.inputs), dependencies=list(inputs.dependencies),
        skipped=list(inputs.skipped), notes=[NO_LOCK_NOTE],
    )  # fmt: skip
    _pip_audit_transitive(report, [Spy()], ScanOptions(paths=[app], pip_audit_resolve=True))
    assert report.vulnerabilities == []
    assert any("pip-audit resolution skipped" in note for note in report.notes)
