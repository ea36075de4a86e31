"""The sub-file pre-filter: which statements become stubs, and that the result is the same."""

from __future__ import annotations

import ast
import re

import libcst as cst
import pytest
from libcst.codemod import CodemodContext

from depsentry.codemods.openai_v1 import OpenAIV1Codemod
from depsentry.codemods.runner import transform_source
from depsentry.codemods.subtrees import ReducedSource, reduce_source
from tests.codemods.sample import FooBazCodemod, StubTouchingCodemod

PADDING = '''

def unrelated(x):
    """Mentions nothing the codemod cares about."""
    return {"choices": [x]}["choices"][0]


class Repository:
    def get(self, key):
        return self.items[key]


@decorator(1)
async def fetch(url):
    return await get(url)
'''


def _reduce(code: str) -> ReducedSource | None:
    return reduce_source(code, ast.parse(code), ("openai",))


def _stubbed(code: str) -> list[str]:
    reduced = _reduce(code)
    if reduced is None:
        return []
    top_level = re.compile(r"^(?:async def|def|class) (\w+)", re.MULTILINE)
    return [name for text in reduced.originals for name in top_level.findall(text)]


def test_irrelevant_functions_and_classes_become_stubs() -> None:
    assert _stubbed("import openai\n\nmodels = openai.Model.list()\n" + PADDING) == [
        "unrelated",
        "Repository",
        "fetch",
    ]


def test_a_name_bound_by_a_relevant_statement_makes_its_users_relevant() -> None:
    code = (
        "import openai\n\n\ndef ask():\n    return openai.ChatCompletion.create(model='m')\n\n\n"
        "def show():\n    print(ask()['choices'])\n\n\ndef other():\n    pass\n"
    )
    assert _stubbed(code) == ["other"]


def test_aliases_and_module_level_names_are_followed() -> None:
    code = (
        "from openai import ChatCompletion as CC\n\nclient = CC\n\n\n"
        "def use():\n    return client.create(model='m')\n\n\ndef unrelated():\n    pass\n"
    )
    assert _stubbed(code) == ["unrelated"]


def test_a_star_import_of_a_relevant_module_turns_the_reduction_off() -> None:
    assert _reduce("from openai import *\n" + PADDING) is None


def test_nothing_to_stub_means_no_reduction() -> None:
    assert _reduce("import openai\nopenai.Model.list()\n") is None


@pytest.mark.parametrize(
    "code",
    [
        "import openai\n" + PADDING,
        ("import openai\n" + PADDING).replace("\n", "\r\n"),
        "import openai\n\n\ndef f():\n    return 1\n    # a comment the body ends with\n\n# between\nx = 1\n",
    ],
    ids=["lf", "crlf", "comments"],
)
def test_restore_gives_back_the_original_text(code: str) -> None:
    reduced = _reduce(code)
    assert reduced is not None
    assert reduced.marker in reduced.text
    assert reduced.restore(reduced.text) == code


@pytest.mark.parametrize(
    "code",
    ["import openai\n\ndef f():\n    return 1", "import openai\n\x0c\ndef f():\n    return 1\n"],
    ids=["no-final-newline", "form-feed"],
)
def test_text_it_cannot_map_line_by_line_is_not_reduced(code: str) -> None:
    assert _reduce(code) is None


def test_a_stub_left_out_of_the_output_means_no_restore() -> None:
    reduced = _reduce("import openai\n" + PADDING)
    assert reduced is not None
    assert reduced.stubs == (f"unrelated = Repository = fetch = ...  {reduced.marker}0\n",)
    assert reduced.restore(reduced.text.replace(reduced.stubs[0], "")) is None
    renamed = reduced.stubs[0].replace("fetch", "fetched")
    assert reduced.restore(reduced.text.replace(reduced.stubs[0], renamed)) is None


@pytest.mark.parametrize("case", OpenAIV1Codemod.CASES, ids=[c.name for c in OpenAIV1Codemod.CASES])
def test_every_case_is_the_same_with_unrelated_code_around_it(case: object) -> None:
    """With padding that gets stubbed, the runner's output equals libcst's full-module run."""
    before = case.before + PADDING  # type: ignore[attr-defined]
    options = dict(case.options)  # type: ignore[attr-defined]
    full = OpenAIV1Codemod(CodemodContext(), **options).transform_module(cst.parse_module(before))
    fast, _ = transform_source(OpenAIV1Codemod, before, options)
    assert fast == full.code


def test_a_codemod_that_changes_a_stub_is_run_on_the_whole_module() -> None:
    code = "import foo\nfoo.bar()\nx = 1\n\n\ndef helper():\n    return 1\n"
    output, _ = transform_source(StubTouchingCodemod, code, {"mode": "call"})
    assert output == "import foo\nfoo.baz()\nrenamed_x = 1\n\n\ndef helper():\n    return 1\n"


def test_a_codemod_that_drops_a_stub_is_run_on_the_whole_module() -> None:
    class Dropping(FooBazCodemod):
        def leave_Assign(
            self, original_node: cst.Assign, updated_node: cst.Assign
        ) -> cst.RemovalSentinel:
            return cst.RemovalSentinel.REMOVE

    code = "import foo\nfoo.bar()\n\n\ndef helper():\n    return 1\n"
    output, _ = transform_source(Dropping, code, {"mode": "call"})
    assert output == "import foo\nfoo.baz()\n\n\ndef helper():\n    return 1\n"


def test_a_codemod_that_reports_positions_gets_the_whole_module() -> None:
    from libcst.metadata import PositionProvider

    lines = []

    class Positions(FooBazCodemod):
        METADATA_DEPENDENCIES = (*FooBazCodemod.METADATA_DEPENDENCIES, PositionProvider)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            lines.append(self.get_metadata(PositionProvider, node).start.line)

    code = "import foo\nfoo.bar()\n\n\ndef helper():\n    x = 1\n    return x\n\n\ndef g():\n    pass\n"
    transform_source(Positions, code, {"mode": "call"})
    assert lines == [5, 10]


@pytest.mark.parametrize(("opt_in", "seen"), [(True, ["g"]), (False, ["helper", "g"])])
def test_only_a_codemod_that_opts_in_gets_stubs(opt_in: bool, seen: list[str]) -> None:
    names: list[str] = []

    class Counting(FooBazCodemod):
        SUBTREES = opt_in

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            names.append(node.name.value)

    code = "import foo\nfoo.bar()\n\n\ndef helper():\n    return 1\n\n\ndef g():\n    return foo.bar()\n"
    transform_source(Counting, code, {"mode": "call"})
    assert names == seen
