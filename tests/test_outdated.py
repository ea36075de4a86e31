"""find_outdated and resolve_unpinned over hand-built index answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from packaging.version import Version

from depsentry.index import IndexFailure
from depsentry.models import Dependency, SkipKind, Skipped, Source
from depsentry.models.releases import DistFile, ProjectReleases, Release
from depsentry.outdated import find_outdated, is_breaking, resolve_unpinned, update_type

SRC = Source("requirements.txt", 3)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def rel(
    version: str,
    when: datetime | None = None,
    *,
    yanked: bool = False,
    requires_python: str | None = None,
) -> Release:
    dist = DistFile(f"demo-{version}.tar.gz", requires_python, yanked, when)
    return Release(version, when, yanked, requires_python, (dist,))


def day(year: int, month: int = 1, d: int = 1) -> datetime:
    return datetime(year, month, d, tzinfo=UTC)


DEMO = ProjectReleases(
    "demo",
    (
        rel("1.0", day(2021)),
        rel("1.1", day(2022), requires_python=">=3.9"),
        rel("2.0", day(2023), yanked=True),
        rel("2.1b1", day(2023, 6)),
        rel("1.0.5", day(2024)),  # a backport released after 1.1
    ),
)


def dep(version: str, name: str = "demo") -> Dependency:
    return Dependency(name=name, version=version, direct=True, source=SRC)


def test_latest_skips_yanked_and_prereleases() -> None:
    result = find_outdated([dep("1.0")], {"demo": DEMO}, now=NOW)
    [finding] = result.outdated
    assert finding.latest == "1.1"
    assert finding.update_type == "minor"
    assert finding.current_released == day(2021) and finding.latest_released == day(2022)
    assert finding.libyears == pytest.approx(365 / 365.25, abs=1e-3)
    assert finding.source == SRC
    assert result.project_libyears == finding.libyears


def test_prerelease_in_use_allows_prerelease_latest() -> None:
    [finding] = find_outdated([dep("2.0a1")], {"demo": DEMO}, now=NOW).outdated
    assert finding.latest == "2.1b1"


def test_python_filter_by_version_and_by_range() -> None:
    assert find_outdated([dep("1.0")], {"demo": DEMO}, python="3.8").outdated[0].latest == "1.0.5"
    assert find_outdated([dep("1.0")], {"demo": DEMO}, python=">=3.8").outdated[0].latest == "1.0.5"
    assert find_outdated([dep("1.0")], {"demo": DEMO}, python=">=3.10").outdated[0].latest == "1.1"
    assert find_outdated([dep("1.0")], {"demo": DEMO}, python="3.12").outdated[0].latest == "1.1"


def test_libyears_never_negative_and_zero_without_dates() -> None:
    [finding] = find_outdated([dep("1.0.5")], {"demo": DEMO}, now=NOW).outdated
    assert finding.latest == "1.1" and finding.libyears == 0.0  # 1.1 is older than 1.0.5
    undated = ProjectReleases("demo", (rel("1.0"), rel("1.1", day(2022))))
    [finding] = find_outdated([dep("1.0")], {"demo": undated}, now=NOW).outdated
    assert finding.current_released is None and finding.libyears == 0.0


def test_up_to_date_and_newer_than_index_are_not_findings() -> None:
    assert find_outdated([dep("1.1"), dep("3.0")], {"demo": DEMO}, now=NOW).outdated == []


def test_min_release_age_holds_back_fresh_and_undated_releases() -> None:
    project = ProjectReleases(
        "demo", (rel("1.0", day(2024)), rel("1.1", NOW - timedelta(days=10)), rel("1.2", None))
    )
    cool = find_outdated(
        [dep("1.0")], {"demo": project}, now=NOW, min_release_age=timedelta(days=3)
    )
    assert cool.outdated[0].latest == "1.1"
    cold = find_outdated(
        [dep("1.0")], {"demo": project}, now=NOW, min_release_age=timedelta(days=30)
    )
    assert cold.outdated == []
    assert find_outdated([dep("1.0")], {"demo": project}, now=NOW).outdated[0].latest == "1.2"


def test_failed_lookups_are_unavailable_not_errors() -> None:
    answers: dict[str, ProjectReleases | IndexFailure] = {
        "demo": DEMO,
        "private": IndexFailure("private", "not found on pypi.org", "not-found"),
        "flaky": IndexFailure("flaky", "https://idx/simple/flaky/: HTTP 503", "unavailable"),
    }
    deps = [dep("1.0"), dep("1.0", "private"), dep("2.0", "flaky"), dep("1.0", "never-asked")]
    result = find_outdated(deps, answers, now=NOW)
    assert [o.package for o in result.outdated] == ["demo"]
    kinds = {s.name: (s.kind, s.reason) for s in result.unavailable}
    assert kinds["private"] == (SkipKind.NOT_FOUND, "not found on pypi.org")
    assert kinds["flaky"] == (SkipKind.OTHER, "https://idx/simple/flaky/: HTTP 503")
    assert kinds["never-asked"][0] is SkipKind.OTHER
    assert result.unavailable[0].requirement == "private==1.0"


def test_invalid_version_in_use_is_unavailable() -> None:
    result = find_outdated([dep("not.a.version!")], {"demo": DEMO}, now=NOW)
    assert result.outdated == [] and "not PEP 440" in result.unavailable[0].reason


def test_project_libyears_sum_counts_each_pin_once() -> None:
    other = ProjectReleases("other", (rel("1.0", day(2020)), rel("2.0", day(2022))))
    deps = [dep("1.0"), dep("1.0"), dep("1.0", "other")]
    result = find_outdated(deps, {"demo": DEMO, "other": other}, now=NOW)
    assert len(result.outdated) == 3
    assert result.project_libyears == pytest.approx((365 + 731) / 365.25, abs=1e-3)


@pytest.mark.parametrize(
    ("current", "latest", "kind", "breaking"),
    [
        ("1.2.3", "2.0", "major", True),
        ("1.2.3", "1.3.0", "minor", False),
        ("1.2.3", "1.2.4", "patch", False),
        ("1.2", "1.2.0.1", "other", False),
        ("1.2.3", "1.2.3.post1", "other", False),
        ("0.4.1", "0.5.0", "minor", True),  # SemVer §4: 0.x minor bumps may break
        ("0.4.1", "0.4.2", "patch", False),
        ("2024.1", "1!1.0", "major", True),
    ],
)
def test_update_type(current: str, latest: str, kind: str, breaking: bool) -> None:
    assert update_type(Version(current), Version(latest)) == kind
    assert is_breaking(Version(current), Version(latest)) is breaking


def unpinned(name: str, spec: str, kind: SkipKind = SkipKind.UNPINNED) -> Skipped:
    return Skipped(
        requirement=f"{name}{spec}",
        reason="unpinned",
        source=SRC,
        kind=kind,
        name=name,
        specifier=spec,
    )


def test_resolve_unpinned_picks_what_a_fresh_install_gets() -> None:
    answers: dict[str, ProjectReleases | IndexFailure] = {
        "demo": DEMO,
        "gone": IndexFailure("gone", "not found on pypi.org", "not-found"),
    }
    skipped = [
        unpinned("Demo", ">=1,<2"),
        unpinned("demo", ">=2"),  # 2.0 is yanked; only the pre-release 2.1b1 is left
        unpinned("demo", ">=5"),
        unpinned("gone", ">=1"),
        unpinned("demo", "", SkipKind.URL),
    ]
    resolved, left = resolve_unpinned(skipped, answers)
    assert [(d.name, d.version, d.pinned, d.specifier) for d in resolved] == [
        ("demo", "1.1", False, ">=1,<2"),
        ("demo", "2.1b1", False, ">=2"),
    ]
    assert resolved[0].source == SRC and resolved[0].direct
    assert [(s.kind, s.reason) for s in left] == [
        (SkipKind.UNPINNED, "no release on the index matches >=5"),
        (SkipKind.NOT_FOUND, "not found on pypi.org"),
        (SkipKind.URL, "unpinned"),
    ]


def test_resolve_unpinned_keeps_the_groups() -> None:
    from dataclasses import replace

    from depsentry.inputs.common import entry_from_requirement

    entry = entry_from_requirement("demo>=1,<2", SRC, groups=("dev",))
    assert isinstance(entry, Skipped) and entry.groups == ("dev",)
    resolved, _ = resolve_unpinned(
        [replace(unpinned("demo", ">=1,<2"), groups=("dev",))], {"demo": DEMO}
    )
    assert [(d.version, d.groups) for d in resolved] == [("1.1", ("dev",))]


def test_resolve_unpinned_respects_python() -> None:
    resolved, _ = resolve_unpinned([unpinned("demo", "<2")], {"demo": DEMO}, python="3.8")
    assert resolved[0].version == "1.0.5"


def test_invalid_specifiers_and_python_are_handled(caplog: pytest.LogCaptureFixture) -> None:
    _, left = resolve_unpinned([unpinned("demo", ">=>1")], {"demo": DEMO})
    assert left[0].reason == "invalid specifier '>=>1'"
    result = find_outdated([dep("1.0")], {"demo": DEMO}, python="three", now=NOW)
    assert result.outdated[0].latest == "1.1"  # no Python filter applied
    assert "invalid Python version or range 'three'" in caplog.text
    broken = ProjectReleases("demo", (rel("1.0"), rel("1.2", requires_python=">=>3")))
    assert find_outdated([dep("1.0")], {"demo": broken}, python="3.8").outdated[0].latest == "1.2"
