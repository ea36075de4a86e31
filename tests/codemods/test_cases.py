"""Every registered codemod's declared CASES: the rewrite is exact, parses, and is idempotent."""

from __future__ import annotations

import pytest

from depsentry.codemods.interface import Case, Codemod
from depsentry.codemods.registry import CODEMODS
from depsentry.errors import CodemodError
from tests.codemods import tools
from tests.codemods.sample import FooBazCodemod


def _cases() -> list[object]:
    params: list[object] = []
    for reference in CODEMODS:
        try:
            cls = CODEMODS.load(reference)
        except ModuleNotFoundError as exc:
            reason = f"{reference}: module not written yet ({exc.name})"
            params.append(
                pytest.param(None, None, id=reference, marks=pytest.mark.skip(reason=reason))
            )
        except Exception as exc:  # reported by the test below, so other entries still run
            params.append(pytest.param(None, exc, id=reference))
        else:
            params.extend(_params(cls))
    return params


def _params(cls: type[Codemod]) -> list[object]:
    return [
        pytest.param(cls, case, id=f"{cls.NAME}-{case.name or index}")
        for index, case in enumerate(cls.CASES)
    ]


def _check(cls: type[Codemod], case: Case) -> None:
    if case.after is None:
        tools.check_noop(case.before, codemod=cls, **case.options)
    else:
        tools.check_transformed(case.before, case.after, codemod=cls, **case.options)


@pytest.mark.parametrize(("cls", "case"), _cases())
def test_registered_case(cls: type[Codemod] | None, case: Case | Exception) -> None:
    if isinstance(case, Exception):
        pytest.fail(f"registry entry cannot be loaded: {case}")
    assert cls is not None
    _check(cls, case)


def test_every_registered_codemod_declares_cases() -> None:
    for reference in CODEMODS:
        try:
            cls = CODEMODS.load(reference)
        except (ModuleNotFoundError, CodemodError):
            continue  # reported by test_registered_case
        assert cls.CASES, f"{cls.NAME} declares no CASES"
        assert any(c.after is not None for c in cls.CASES), f"{cls.NAME}: no rewriting case"
        assert any(c.after is None for c in cls.CASES), f"{cls.NAME}: no no-op case"


@pytest.mark.parametrize(("cls", "case"), _params(FooBazCodemod))
def test_sample_case(cls: type[Codemod], case: Case) -> None:
    """The same machinery on the test codemod, so it is exercised before any codemod exists."""
    _check(cls, case)


def test_check_transformed_fails_on_wrong_output() -> None:
    with pytest.raises(AssertionError):
        tools.check_transformed(
            "import foo\nfoo.bar()\n", "import foo\nfoo.bar()\n", codemod=FooBazCodemod
        )


def test_check_transformed_rejects_unparsable_expectation() -> None:
    with pytest.raises(Exception, match="parse|error"):
        tools.check_transformed(
            "import foo\nfoo.bar()\n", "import foo\nfoo.baz(\n", codemod=FooBazCodemod
        )


def test_check_noop_fails_when_code_changes() -> None:
    with pytest.raises(AssertionError):
        tools.check_noop("import foo\nfoo.bar()\n", codemod=FooBazCodemod)
