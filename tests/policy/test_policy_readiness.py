"""Python readiness from wheel file names and Requires-Python (built as the index reports them)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from policy_builders import NOW, days_ago, releases

from depsentry.models import Source
from depsentry.models.readiness import ReadinessRow
from depsentry.models.releases import ProjectReleases
from depsentry.policy import compatible_wheel, readiness_problem
from depsentry.policy.readiness import assess

OLD = days_ago(100)


@pytest.mark.parametrize(
    ("filename", "ready"),
    [
        ("aiohttp-3.13.0-cp314-cp314-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", True),
        ("aiohttp-3.13.0-cp314-cp314-win_amd64.whl", True),
        ("aiohttp-3.13.0-cp313-cp313-manylinux_2_17_x86_64.whl", False),
        ("aiohttp-3.13.0-cp314-cp314t-manylinux_2_17_x86_64.whl", False),  # free-threaded only
        ("cryptography-46.0.0-cp311-abi3-manylinux_2_34_x86_64.whl", True),
        (
            "cryptography-46.0.0-cp315-abi3-manylinux_2_34_x86_64.whl",
            False,
        ),  # abi3 from a newer CPython
        ("requests-2.32.3-py3-none-any.whl", True),
        ("six-1.16.0-py2.py3-none-any.whl", True),
        ("oldlib-1.0-py2-none-any.whl", False),
        ("weird-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl", False),
        ("not-a-wheel.whl", False),
    ],
)
def test_compatible_wheel(filename: str, ready: bool):
    assert compatible_wheel(filename, "3.14") is ready


def test_no_wheel_for_the_target_yet():
    project = releases(
        "aiohttp",
        ("3.12.0", ["aiohttp-3.12.0-cp312-cp312-manylinux_2_17_x86_64.whl"], ">=3.9", OLD),
        (
            "3.13.0",
            ["aiohttp-3.13.0-cp313-cp313-manylinux_2_17_x86_64.whl", "aiohttp-3.13.0.tar.gz"],
            ">=3.9",
            OLD,
        ),
    )
    assert (
        readiness_problem(project, "3.14", now=NOW)
        == "aiohttp has no 3.14 wheel yet (latest 3.13.0)"
    )
    assert readiness_problem(project, "3.13", now=NOW) is None


def test_a_cp314_wheel_makes_it_ready():
    project = releases(
        "aiohttp",
        (
            "3.13.0",
            [
                "aiohttp-3.13.0-cp313-cp313-manylinux_2_17_x86_64.whl",
                "aiohttp-3.13.0-cp314-cp314-musllinux_1_2_aarch64.whl",
            ],
            ">=3.9",
            OLD,
        ),
    )
    assert readiness_problem(project, "3.14", now=NOW) is None


def test_abi3_and_pure_python_are_ready():
    abi3 = releases(
        "cryptography", ("46.0.0", ["cryptography-46.0.0-cp311-abi3-win_amd64.whl"], ">=3.8", OLD)
    )
    pure = releases("requests", ("2.32.3", ["requests-2.32.3-py3-none-any.whl"], ">=3.8", OLD))
    assert readiness_problem(abi3, "3.14", now=NOW) is None
    assert readiness_problem(pure, "3.14", now=NOW) is None


def test_requires_python_that_excludes_the_target():
    project = releases("numpy", ("1.26.4", ["numpy-1.26.4-py3-none-any.whl"], ">=3.9,<3.14", OLD))
    assert (
        readiness_problem(project, "3.14", now=NOW)
        == "numpy 1.26.4 requires Python <3.14,>=3.9 (excludes 3.14)"
    )


def test_sdist_only_is_taken_as_ready():
    project = releases("tiny", ("1.0", ["tiny-1.0.tar.gz"], None, OLD))
    assert readiness_problem(project, "3.14", now=NOW) is None


def test_judges_the_latest_release_old_enough_for_the_cool_down():
    project = releases(
        "aiohttp",
        ("3.13.0", ["aiohttp-3.13.0-cp313-cp313-manylinux_2_17_x86_64.whl"], ">=3.9", OLD),
        (
            "3.13.1",
            ["aiohttp-3.13.1-cp314-cp314-manylinux_2_17_x86_64.whl"],
            ">=3.9",
            NOW - timedelta(days=2),
        ),
    )
    assert readiness_problem(project, "3.14", now=NOW) is None
    assert (
        readiness_problem(project, "3.14", now=NOW, min_age=timedelta(days=7))
        == "aiohttp has no 3.14 wheel yet (latest 3.13.0)"
    )


def test_prereleases_are_not_the_latest_release():
    project = releases(
        "aiohttp",
        ("3.13.0", ["aiohttp-3.13.0-cp313-cp313-manylinux_2_17_x86_64.whl"], ">=3.9", OLD),
        ("4.0.0a1", ["aiohttp-4.0.0a1-cp314-cp314-manylinux_2_17_x86_64.whl"], ">=3.9", OLD),
    )
    assert (
        readiness_problem(project, "3.14", now=NOW)
        == "aiohttp has no 3.14 wheel yet (latest 3.13.0)"
    )


def test_no_releases_says_nothing():
    assert readiness_problem(releases("ghost"), "3.14", now=NOW) is None


def test_a_broken_requires_python_says_nothing_either_way():
    project = releases("odd", ("1.0", ["odd-1.0-py3-none-any.whl"], ">=3.x", OLD))
    assert readiness_problem(project, "3.14", now=NOW) is None


# The readiness report's per-dependency judgement (`assess`).

HERE = Source("requirements.txt", 1)


def judge(
    project: ProjectReleases | None, version: str, python: str = "3.14", **kw: Any
) -> ReadinessRow:
    return assess(project.name if project else "x", version, project, python, source=HERE, **kw)


def test_assess_skips_yanked_and_pre_releases_when_proposing_an_upgrade() -> None:
    project = releases(
        "lib",
        ("1.0", ["lib-1.0-cp313-cp313-win_amd64.whl"], None, OLD),
        ("1.1rc1", ["lib-1.1rc1-cp314-cp314-win_amd64.whl"], None, OLD),
        ("1.1", ["lib-1.1-cp314-cp314-win_amd64.whl"], None, OLD),
        ("1.2", ["lib-1.2-cp314-cp314-win_amd64.whl"], None, OLD),
        ("bogus!", ["lib-bogus.whl"], None, OLD),
    )
    yanked = replace(project.releases[2], yanked=True)
    project = replace(
        project, releases=(project.releases[0], project.releases[1], yanked, *project.releases[3:])
    )
    row = judge(project, "1.0")
    assert (row.verdict, row.target, row.lowest, row.step) == ("upgrade", "1.2", "1.2", "minor")
    assert row.verdict_text == "upgrade to 1.2"


def test_assess_a_pin_the_index_does_not_list_can_still_be_upgraded() -> None:
    project = releases("lib", ("2.0", ["lib-2.0-py3-none-any.whl"], None, OLD))
    row = judge(project, "1.0")
    assert (row.support, row.verdict, row.target, row.step) == (
        "not on the index",
        "upgrade",
        "2.0",
        "major",
    )
    assert judge(project, "3.0").verdict == "blocked"


def test_assess_a_later_sdist_is_building_from_source() -> None:
    project = releases(
        "lib",
        ("1.0", ["lib-1.0-cp313-cp313-win_amd64.whl"], None, OLD),
        ("1.1", ["lib-1.1-cp313-cp313-win_amd64.whl", "lib-1.1.tar.gz"], None, OLD),
    )
    row = judge(project, "1.0")
    assert (row.verdict, row.target, row.support) == ("source-only", "1.1", "no 3.14 wheel")
    assert judge(project, "1.1").support == "no 3.14 wheel; sdist only"
    assert row.verdict_text == "builds from source only"


def test_assess_unknowns() -> None:
    assert judge(None, "1.0", failure="HTTP 500").support == "HTTP 500"
    assert judge(None, "1.0").support == "not on the index"
    project = releases("lib", ("1.0", [], None, OLD))
    row = judge(project, "1.0")
    assert (row.verdict, row.supported, row.support) == ("unknown", None, "no files listed")
    assert judge(project, "not a version").support == "not a PEP 440 version"
