"""The monitor offers codemods: a finding whose upgrade crosses a boundary a codemod handles
carries the codemod and its command, in the JSON report, the table, the markdown, a real scan,
the daemon's findings and its digest messages."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from depsentry.codemods.upgrades import codemods_for
from depsentry.daemon.store.desired import from_outdated, from_vulnerabilities
from depsentry.models import (
    AdvisoryDbInfo,
    Outdated,
    ProjectReport,
    ScanResult,
    Severity,
    Source,
)
from depsentry.report.codemods import codemod_command, offers
from depsentry.report.json import JsonRenderer, read_report
from depsentry.report.markdown import MarkdownRenderer
from depsentry.report.table import TableRenderer
from depsentry.scan import match_dependencies, offer_codemods
from tests.report.conftest import WHEN, vuln
from tests.schema import validate_report

SOURCE = Source("requirements.txt", 1)


def _report(path: str = "app dir") -> ProjectReport:
    return ProjectReport(
        path=path,
        vulnerabilities=[
            vuln("langchain", "0.0.300", "PYSEC-2024-43", Severity.HIGH, source=SOURCE,
                 fixed_in=("0.1.11",)),
            vuln("langchain", "0.0.300", "PYSEC-2023-162", Severity.HIGH, source=SOURCE,
                 fixed_in=("0.0.308",)),
            vuln("requests", "2.19.0", "GHSA-x84v-xcm2-53pg", Severity.HIGH, source=SOURCE,
                 fixed_in=("2.20.0",)),
            vuln("langchain", "0.0.300", "PYSEC-0", Severity.LOW, source=SOURCE),  # no fix yet
        ],
        outdated=[
            Outdated("openai", "0.28.1", "1.3.0", "major", None, None, 2.0, SOURCE),
            Outdated("requests", "2.19.0", "2.32.3", "minor", None, None, 5.9, SOURCE),
        ],
    )  # fmt: skip


def _offered() -> ProjectReport:
    report = _report()
    offer_codemods(report, codemods_for)
    return report


def test_scan_marks_findings_that_cross_a_codemod_boundary() -> None:
    report = _offered()
    marks = {(v.id, v.codemods) for v in report.vulnerabilities}
    assert marks == {
        ("PYSEC-2024-43", ("langchain-imports",)),  # 0.0.300 -> 0.1.11 crosses 0.1
        ("PYSEC-2023-162", ()),  # 0.0.300 -> 0.0.308 does not
        ("GHSA-x84v-xcm2-53pg", ()),
        ("PYSEC-0", ()),
    }
    assert [o.codemods for o in report.outdated] == [("openai-v1",), ()]


class _Table:
    """A codemod table that names its packages, recording what it is asked."""

    packages = frozenset({"langchain"})

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, package: str, current: str, target: str) -> tuple[str, ...]:
        self.asked.append(package)
        return codemods_for(package, current, target)


def test_a_table_naming_its_packages_is_asked_about_those_only() -> None:
    table, report = _Table(), _report()
    offer_codemods(report, table)
    assert set(table.asked) == {"langchain"}  # requests' finding was not asked about
    assert [v.codemods for v in report.vulnerabilities] == [
        v.codemods for v in _offered().vulnerabilities
    ]
    quiet = ProjectReport(path="p", vulnerabilities=[_report().vulnerabilities[2]])
    offer_codemods(quiet, table)
    assert quiet.vulnerabilities == [_report().vulnerabilities[2]]


def test_a_plain_callable_is_asked_about_every_finding() -> None:
    asked: list[str] = []

    def hints(package: str, current: str, target: str) -> tuple[str, ...]:
        asked.append(package)
        return ()

    offer_codemods(_report(), hints)
    assert "requests" in asked


def test_offers_one_per_package_and_codemod_with_the_command() -> None:
    found = offers(_offered())
    assert [(o.package, o.name, o.current, o.target) for o in found] == [
        ("langchain", "langchain-imports", "0.0.300", "0.1.11"),
        ("openai", "openai-v1", "0.28.1", "1.3.0"),
    ]
    assert found[0].command == "depsentry codemod run langchain-imports 'app dir'"
    assert codemod_command("openai-v1", "") == "depsentry codemod run openai-v1 ."


def _result(report: ProjectReport) -> ScanResult:
    return ScanResult(WHEN, AdvisoryDbInfo("osv", 1, None), [report])


def test_json_carries_codemod_and_command_and_reads_back() -> None:
    report = _offered()
    report.outdated[0] = replace(report.outdated[0], codemods=("openai-v1", "other"))
    text = JsonRenderer().render(_result(report))
    document = json.loads(text)
    validate_report(document)
    project = document["projects"][0]
    marked = [v for v in project["vulnerabilities"] if "codemod" in v]
    assert [(v["id"], v["codemod"], v["codemod_command"]) for v in marked] == [
        ("PYSEC-2024-43", "langchain-imports", "depsentry codemod run langchain-imports 'app dir'")
    ]
    assert "codemod" not in project["outdated"][1]
    assert project["outdated"][0]["codemod_command"] == (
        "depsentry codemod run openai-v1 'app dir' && depsentry codemod run other 'app dir'"
    )
    back = read_report(text).projects[0]
    assert {v.id: v.codemods for v in back.vulnerabilities}["PYSEC-2024-43"] == (
        "langchain-imports",
    )
    assert back.outdated[0].codemods == ("openai-v1", "other")


def test_table_and_markdown_show_the_command() -> None:
    result = _result(_offered())
    table = TableRenderer(width=200).render(result)
    assert "run `depsentry codemod run langchain-imports 'app dir'`" in table
    assert "openai 0.28.1 -> 1.3.0 crosses a breaking change openai-v1 migrates" in table
    markdown = MarkdownRenderer().render(result)
    assert "- **Codemod:** langchain 0.0.300 -> 0.1.11 crosses a breaking change" in markdown
    plain = _result(_report())  # nothing offered: no codemod line
    assert "Codemod" not in TableRenderer(width=200).render(plain)
    assert "Codemod" not in MarkdownRenderer().render(plain)


def test_daemon_findings_carry_the_command_for_digests() -> None:
    report = _offered()
    views = {d.view.advisory_id: d.view for d in from_vulnerabilities(report.vulnerabilities)}
    assert views["PYSEC-2024-43"].codemod == "depsentry codemod run langchain-imports ."
    assert views["PYSEC-2023-162"].codemod is None
    updates = [d.view.codemod for d in from_outdated(report.outdated)]
    assert updates == ["depsentry codemod run openai-v1 .", None]


def test_chat_message_shows_the_codemod() -> None:
    """The rendered Slack message of a scan event says which command to run after the fix."""
    from depsentry.daemon.events import Change, ChangeKind
    from depsentry.daemon.notify.slack import SlackNotifier
    from tests.daemon.notify.samples import channel, scan_event

    view = from_vulnerabilities(_offered().vulnerabilities)[0].view
    event = scan_event((Change(ChangeKind.NEW, replace(view, key="k")),))
    payloads = SlackNotifier().build(event, channel("slack", url="https://hooks.slack.invalid/x"))
    assert any(b"depsentry codemod run langchain-imports ." in p.body for p in payloads)


class _Source:
    def __init__(self) -> None:
        self.report = _report()

    def match(self, dependencies: object) -> list[object]:
        return list(self.report.vulnerabilities)


def test_rematch_offers_codemods_too() -> None:
    source = _Source()
    plain = match_dependencies([], [source])  # type: ignore[list-item]
    assert all(not v.codemods for v in plain)
    offered = match_dependencies([], [source], codemods_for)  # type: ignore[list-item]
    assert [v.codemods for v in offered][0] == ("langchain-imports",)


def test_cli_scan_json_offers_the_codemod(tmp_path: Path) -> None:
    """A real scan of a project pinning langchain 0.0.300, on the embedded advisory snapshot."""
    (tmp_path / "requirements.txt").write_text("langchain==0.0.300\n")
    done = subprocess.run(
        [sys.executable, "-m", "depsentry.cli", "scan", ".", "--offline", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    validate_report(document)
    offered = [v for v in document["projects"][0]["vulnerabilities"] if "codemod" in v]
    assert offered and {v["codemod"] for v in offered} == {"langchain-imports"}
    assert offered[0]["codemod_command"] == "depsentry codemod run langchain-imports ."


def test_store_keeps_the_offer_for_the_digest(tmp_path: Path) -> None:
    """Recorded findings keep the command; the review digest built from the store shows it."""
    from depsentry.daemon.store import Store
    from depsentry.models import Dependency

    store = Store.open(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        report = _offered()
        report.dependencies = [Dependency("langchain", "0.0.300", True, SOURCE)]
        run_id = store.start_run("web", "/srv/web", "schedule", WHEN)
        store.record_scan("web", run_id, report, now=WHEN, duration=0.1)
        digest = store.write_digest("web", WHEN, since=None).digest
    finally:
        store.close()
    assert digest is not None
    commands = {v.advisory_id or v.package: v.codemod for v in digest.open_vulnerabilities}
    assert commands["PYSEC-2024-43"] == "depsentry codemod run langchain-imports ."
    assert {v.package: v.codemod for v in digest.outdated}["openai"] == (
        "depsentry codemod run openai-v1 ."
    )
