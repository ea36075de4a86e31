"""A realistic scan result shared by the report tests: two projects with findings, one empty."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from depsentry.models import (
    AdvisoryDbInfo,
    Dependency,
    Outdated,
    ProjectReport,
    ScanResult,
    Severity,
    SkipKind,
    Skipped,
    Source,
    Violation,
    Vulnerability,
)

WHEN = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)


def vuln(
    package: str,
    version: str,
    id: str,
    severity: Severity,
    *,
    source: Source,
    cvss: float | None = None,
    aliases: tuple[str, ...] = (),
    fixed_in: tuple[str, ...] = (),
    summary: str = "",
    **extra: object,
) -> Vulnerability:
    return Vulnerability(
        package=package,
        version=version,
        id=id,
        aliases=aliases,
        severity=severity,
        cvss=cvss,
        fixed_in=fixed_in,
        summary=summary or f"{id} affects {package}",
        source=source,
        **extra,  # type: ignore[arg-type]
    )


def make_result() -> ScanResult:
    web_req = Source("services/web/requirements.txt", 3)
    web_django = Source("services/web/requirements.txt", 7)
    api_lock = Source("services/api/poetry.lock", 120)
    web = ProjectReport(
        path="services/web",
        inputs=["services/web/requirements.txt", "services/web/pyproject.toml"],
        dependencies=[
            Dependency("requests", "2.19.0", True, web_req),
            Dependency("django", "3.2.0", True, web_django, markers='python_version >= "3.8"'),
            Dependency("urllib3", "1.24.1", False, Source("services/web/requirements.txt", 12)),
        ],
        vulnerabilities=[
            # Deliberately out of order: every report sorts.
            vuln(
                "urllib3",
                "1.24.1",
                "PYSEC-2019-133",
                Severity.HIGH,
                source=Source("services/web/requirements.txt", 12),
                cvss=7.5,
                aliases=("GHSA-mh33-7rrq-662w", "CVE-2019-11324"),
                fixed_in=("1.24.2",),
            ),
            vuln(
                "django",
                "3.2.0",
                "PYSEC-2021-98",
                Severity.CRITICAL,
                source=web_django,
                cvss=9.8,
                aliases=("CVE-2021-33203",),
                fixed_in=("3.2.4", "3.1.12", "2.2.24"),
                summary="Potential directory traversal | via admindocs <script>",
                published=datetime(2021, 6, 8, 18, 15, tzinfo=UTC),
            ),
            vuln(
                "requests",
                "2.19.0",
                "GHSA-x84v-xcm2-53pg",
                Severity.HIGH,
                source=web_req,
                aliases=("CVE-2018-18074", "PYSEC-2018-28"),
                fixed_in=("2.20.0",),
                summary="Insecure *credential* handling in `requests`",
                reported_by=("osv", "pip-audit"),
            ),
        ],
        outdated=[
            Outdated(
                "requests",
                "2.19.0",
                "2.32.3",
                "minor",
                datetime(2018, 6, 14, tzinfo=UTC),
                datetime(2024, 5, 29, tzinfo=UTC),
                5.958,
                web_req,
            )
        ],
        violations=[
            Violation(
                "security-fix",
                "django",
                "PYSEC-2021-98",
                date(2026, 11, 1),
                True,
                "django 3.2.0 has a critical fix (3.2.4) due 2026-11-01",
            )
        ],
        skipped=[
            Skipped(
                "mylib @ git+https://example.invalid/mylib.git",
                "URL requirement",
                Source("services/web/requirements.txt", 15),
                SkipKind.URL,
                name="mylib",
            )
        ],
        notes=["flask resolved from a range: >=2"],
    )
    api = ProjectReport(
        path="services/api",
        inputs=["services/api/poetry.lock"],
        dependencies=[
            Dependency("requests", "2.19.0", True, api_lock),
            Dependency("pyyaml", "5.3", True, Source("services/api/poetry.lock", 80)),
            Dependency("jinja2", "2.10", False, Source("services/api/poetry.lock", 40)),
        ],
        vulnerabilities=[
            vuln(
                "requests",
                "2.19.0",
                "GHSA-x84v-xcm2-53pg",
                Severity.HIGH,
                source=api_lock,
                aliases=("CVE-2018-18074", "PYSEC-2018-28"),
                fixed_in=("2.20.0",),
                summary="Insecure *credential* handling in `requests`",
            ),
            vuln(
                "pyyaml",
                "5.3",
                "PYSEC-2020-96",
                Severity.MEDIUM,
                source=Source("services/api/poetry.lock", 80),
                fixed_in=("5.4",),
            ),
            vuln(
                "jinja2",
                "2.10",
                "PYSEC-2019-217",
                Severity.LOW,
                source=Source("services/api/poetry.lock", 40),
                fixed_in=("2.10.1",),
            ),
            vuln(
                "jinja2",
                "2.10",
                "MAL-2026-1",
                Severity.UNKNOWN,
                source=Source("services/api/poetry.lock"),
                malicious=True,
            ),
        ],
    )
    empty = ProjectReport(
        path="tools/empty",
        inputs=["tools/empty/requirements.txt"],
        dependencies=[Dependency("idna", "3.7", True, Source("tools/empty/requirements.txt", 1))],
    )
    return ScanResult(
        generated_at=WHEN,
        advisory_db=AdvisoryDbInfo(
            source="osv:/var/lib/depsentry/osv",
            records=2662,
            updated=datetime(2026, 11, 21, 23, 59, 1, tzinfo=UTC),
            warnings=("advisory database is 25 hours old",),
        ),
        projects=[web, api, empty],
    )


@pytest.fixture
def result() -> ScanResult:
    return make_result()


@pytest.fixture
def empty_result() -> ScanResult:
    return ScanResult(
        generated_at=WHEN,
        advisory_db=AdvisoryDbInfo("osv", 10, None),
        projects=[
            ProjectReport(
                path=".",
                dependencies=[
                    Dependency("idna", "3.7", True, Source("requirements.txt", 1)),
                    Dependency("six", "1.16.0", True, Source("requirements.txt", 2)),
                ],
            )
        ],
    )


SingleFactory = Callable[..., ScanResult]


@pytest.fixture
def single() -> SingleFactory:
    """A factory: one project with one vulnerability; keyword arguments replace its fields."""

    def build(**changes: Any) -> ScanResult:
        base = vuln(
            "idna",
            "3.6",
            "GHSA-jjg7-2v4v-x38h",
            Severity.MEDIUM,
            source=Source("requirements.txt", 3),
            aliases=("CVE-2024-3651", "PYSEC-2024-60"),
            fixed_in=("3.7",),
            summary="Denial of service via resource consumption",
        )
        return ScanResult(
            generated_at=WHEN,
            advisory_db=AdvisoryDbInfo("osv", 1, None),
            projects=[ProjectReport(path=".", vulnerabilities=[replace(base, **changes)])],
        )

    return build
