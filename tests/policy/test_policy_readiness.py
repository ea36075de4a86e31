"""Python readiness from wheel file names and Requires-Python (built as the index reports them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from policy_builders import NOW, days_ago, releases

from depsentry.policy import compatible_wheel, readiness_problem

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
