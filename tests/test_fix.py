"""Planning and applying `depsentry fix` bumps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from depsentry.advisories.interface import AdvisorySource
from depsentry.errors import InputError
from depsentry.fix import apply_bumps, plan_fixes
from depsentry.models import (
    AdvisoryDbInfo,
    Dependency,
    ProjectReport,
    Severity,
    Source,
    Vulnerability,
)


class TableSource(AdvisorySource):
    """A stand-in advisory source: (package, affected range, fixed versions, id) rows."""

    name = "table"

    def __init__(self, rows: Sequence[tuple[str, str, tuple[str, ...], str]]) -> None:
        self.rows = rows

    def match(self, dependencies: Sequence[Dependency]) -> list[Vulnerability]:
        found = []
        for dep in dependencies:
            for package, affected, fixed, vid in self.rows:
                if dep.name == package and SpecifierSet(affected).contains(dep.version):
                    above = tuple(f for f in fixed if SpecifierSet(f">{dep.version}").contains(f))
                    found.append(
                        Vulnerability(
                            package=package,
                            version=dep.version,
                            id=vid,
                            aliases=(),
                            severity=Severity.HIGH,
                            cvss=None,
                            fixed_in=above[:1],
                            summary="",
                            source=dep.source,
                        )
                    )
        return found

    def info(self) -> AdvisoryDbInfo:
        return AdvisoryDbInfo(source="table", records=len(self.rows), updated=None)


SOURCE = TableSource(
    [
        ("flask", "<2.2.5", ("2.2.5",), "VULN-1"),
        ("flask", "<2.0", ("2.0",), "VULN-2"),
        # The first fix of VULN-3 is itself vulnerable to VULN-4: fix must step twice.
        ("jinja2", "<2.11", ("2.11",), "VULN-3"),
        ("jinja2", ">=2.11,<2.11.3", ("2.11.3",), "VULN-4"),
        ("pyyaml", "<99", (), "VULN-NOFIX"),
        ("openai", "<1.5", ("1.5.0",), "VULN-5"),
    ]
)


def report_for(
    tmp_path: Path, pins: dict[str, str], name: str = "requirements.txt"
) -> ProjectReport:
    lines = [f"{package}=={version}\n" for package, version in pins.items()]
    (tmp_path / name).write_text("# app\n" + "".join(lines), encoding="utf-8")
    deps = [
        Dependency(name=p, version=v, direct=True, source=Source(name, i + 2))
        for i, (p, v) in enumerate(pins.items())
    ]
    report = ProjectReport(path=str(tmp_path), dependencies=deps)
    report.vulnerabilities = SOURCE.match(deps)
    return report


def test_plan_takes_the_highest_lowest_fix(tmp_path: Path) -> None:
    report = report_for(tmp_path, {"flask": "1.0"})
    [bump] = plan_fixes(report, SOURCE)
    assert (bump.package, bump.current, bump.target) == ("flask", "1.0", "2.2.5")
    assert set(bump.fixes) == {"VULN-1", "VULN-2"}


def test_plan_rechecks_the_fix_version(tmp_path: Path) -> None:
    report = report_for(tmp_path, {"jinja2": "2.10"})
    [bump] = plan_fixes(report, SOURCE)
    assert bump.target == "2.11.3"


def test_unfixable_vulnerability_is_reported_not_bumped(tmp_path: Path) -> None:
    report = report_for(tmp_path, {"pyyaml": "5.3"})
    assert plan_fixes(report, SOURCE) == []


def test_latest_goes_past_the_lowest_fix(tmp_path: Path) -> None:
    report = report_for(tmp_path, {"flask": "1.0", "six": "1.0"})
    bumps = plan_fixes(report, SOURCE, latest={"flask": "3.0.0", "six": "1.16.0"})
    assert {(b.package, b.target) for b in bumps} == {("flask", "3.0.0"), ("six", "1.16.0")}


def test_codemod_hint_is_attached(tmp_path: Path) -> None:
    report = report_for(tmp_path, {"openai": "0.28.1"})

    def hints(package: str, current: str, target: str) -> tuple[str, ...]:
        return ("openai-v1",) if package == "openai" and current.startswith("0.") else ()

    [bump] = plan_fixes(report, SOURCE, codemod_hints=hints)
    assert bump.codemods == ("openai-v1",)


def test_apply_writes_requirements_and_names_relock(tmp_path: Path) -> None:
    report = report_for(tmp_path, {"flask": "1.0", "jinja2": "2.10"})
    locked = Dependency("flask", "1.0", True, Source("uv.lock", 7))
    report.vulnerabilities += SOURCE.match([locked])
    bumps = plan_fixes(report, SOURCE)
    outcome = apply_bumps(bumps, root=tmp_path, write=False)
    assert "-flask==1.0\n-jinja2==2.10\n+flask==2.2.5\n+jinja2==2.11.3\n" in outcome.diff
    assert (tmp_path / "requirements.txt").read_text().count("flask==1.0") == 1  # dry run
    assert outcome.relock == [
        f"uv.lock: flask 1.0 -> 2.2.5: uv lock --upgrade-package 'flask==2.2.5' (in {tmp_path})"
    ]

    apply_bumps(bumps, root=tmp_path, write=True)
    assert (tmp_path / "requirements.txt").read_text() == "# app\nflask==2.2.5\njinja2==2.11.3\n"


def test_candidates_are_rechecked_against_every_source(tmp_path: Path) -> None:
    # The first source knows flask 2.2.5 fixes VULN-1; the second knows 2.2.5 is still affected
    # by VULN-9 (fixed in 2.3.2): the plan must not stop at what the first source says.
    report = report_for(tmp_path, {"flask": "1.0"})
    second = TableSource([("flask", "<2.3.2", ("2.3.2",), "VULN-9")])
    [bump] = plan_fixes(report, [SOURCE, second])
    assert bump.target == "2.3.2"
    [only_first] = plan_fixes(report, SOURCE)
    assert only_first.target == "2.2.5"


def test_a_failed_write_puts_back_the_files_already_written(tmp_path: Path) -> None:
    """All or nothing: the second file cannot be written (the file size limit, a real EFBIG),
    so the first, already replaced, gets its old text back."""
    import resource
    import signal

    (tmp_path / "a.txt").write_text("flask==1.0\n")
    padding = "# " + "x" * 4000 + "\n"
    (tmp_path / "b.txt").write_text(padding + "jinja2==2.10\n")
    deps = [
        Dependency("flask", "1.0", True, Source("a.txt", 1)),
        Dependency("jinja2", "2.10", True, Source("b.txt", 2)),
    ]
    report = ProjectReport(path=str(tmp_path), dependencies=deps)
    report.vulnerabilities = SOURCE.match(deps)
    bumps = plan_fixes(report, SOURCE)
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(padding) + 13, old_limit[1]))
    try:
        with pytest.raises(InputError, match="b.txt: cannot write"):
            apply_bumps(bumps, root=tmp_path, write=True)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert (tmp_path / "a.txt").read_text() == "flask==1.0\n"
    assert (tmp_path / "b.txt").read_text() == padding + "jinja2==2.10\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]
