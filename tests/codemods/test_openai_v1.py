"""Edge cases of the openai-v1 codemod beyond its declared CASES (which test_cases.py runs)."""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import partial
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext

from depsentry.codemods.interface import TODO_PREFIX, Case
from depsentry.codemods.openai_v1 import OpenAIV1Codemod
from depsentry.codemods.openai_v1.cases import HEAD, helper
from depsentry.codemods.runner import transform_source
from depsentry.errors import CodemodError

from . import tools

check_transformed = partial(tools.check_transformed, codemod="openai-v1")
check_noop = partial(tools.check_noop, codemod="openai-v1")

PROGRAMS = Path(__file__).parent / "behaviour" / "programs"


def _migrate(source: str, **options: str) -> str:
    codemod = OpenAIV1Codemod(CodemodContext(), **options)
    return codemod.transform_module(cst.parse_module(source)).code


@pytest.mark.parametrize("case", OpenAIV1Codemod.CASES, ids=[c.name for c in OpenAIV1Codemod.CASES])
def test_declared_case_without_the_runner(case: Case) -> None:
    """The CASES hold through libcst's own entry point too, not only through the runner."""
    output = _migrate(case.before, **case.options)
    assert output == (case.before if case.after is None else case.after)
    assert _migrate(output, **case.options) == output


def test_every_rule_group_has_rewrites_and_noops() -> None:
    names = [case.name for case in OpenAIV1Codemod.CASES]
    assert sum(case.after is None for case in OpenAIV1Codemod.CASES) >= 8
    assert len(names) == len(set(names)), "case names are unique"
    assert any(case.options.get("mode") == "global" for case in OpenAIV1Codemod.CASES)


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(CodemodError, match="mode"):
        transform_source(OpenAIV1Codemod, "import openai\n", {"mode": "both"})


@pytest.mark.parametrize("mode", ["instance", "global"])
@pytest.mark.parametrize("program", sorted(p.name for p in PROGRAMS.glob("*.py")))
def test_behaviour_programs_migrate_cleanly(program: str, mode: str) -> None:
    """No v0 name is left, nothing needs a TODO, and a second run changes nothing."""
    output = _migrate((PROGRAMS / program).read_text(), mode=mode)
    code = ast.unparse(ast.parse(output).body[1:])  # without the docstring, which names v0 calls
    for v0_name in (
        "ChatCompletion",
        "Completion.",
        "Embedding",
        "openai.error",
        "acreate",
        "api_base",
    ):
        assert v0_name not in code
    assert TODO_PREFIX not in output
    assert _migrate(output, mode=mode) == output


def test_helper_is_defined_before_a_top_level_call() -> None:
    """The client is built lazily, but its helper must exist before module code calls it."""
    check_transformed(
        'import openai\n\nprint(openai.Model.list()["data"])\n',
        HEAD + helper() + "print(_get_client().models.list().data)\n",
    )


def test_helper_name_does_not_clobber_an_existing_function() -> None:
    check_transformed(
        'import openai\n\n\ndef _get_client():\n    return None\n\n\nopenai.Model.retrieve("m")\n',
        HEAD
        + "\n\ndef _get_client():\n    return None\n"
        + helper(name="__get_client")
        + '__get_client().models.retrieve(model="m")\n',
    )


def test_sync_and_async_helpers_share_the_moved_settings() -> None:
    output = _migrate(
        'import openai\n\nopenai.api_key = KEY\n\n\nasync def a():\n    await openai.Completion.acreate(prompt="p")\n\n\n'
        'def s():\n    openai.Completion.create(prompt="p")\n'
    )
    assert "    return OpenAI(\n        api_key=KEY,\n" in output
    assert "    return AsyncOpenAI(\n        api_key=KEY,\n" in output
    assert 'await _get_async_client().completions.create(prompt="p")' in output
    assert "openai.api_key = KEY" not in output


def test_setting_read_elsewhere_is_not_moved() -> None:
    """Moving `openai.api_key = K` would make a later read of it return None."""
    output = _migrate(
        "import openai\n\nopenai.api_key = K\nassert openai.api_key\nopenai.Model.list()\n"
    )
    assert "openai.api_key = K\n" in output
    assert "api_key=openai.api_key" in output


def test_azure_ad_key_becomes_a_token() -> None:
    output = _migrate(
        'import openai\n\nopenai.api_type = "azure_ad"\nopenai.api_key = TOKEN\n'
        'openai.Embedding.create(deployment_id="emb", input="x")\n'
    )
    assert "    return AzureOpenAI(\n        azure_ad_token=TOKEN,\n" in output
    assert 'embeddings.create(model="emb", input="x")' in output


def test_non_literal_api_type_gets_a_todo_in_global_mode() -> None:
    output = _migrate(
        'import os\nimport openai\n\nopenai.api_type = os.environ["T"]\n', mode="global"
    )
    assert f'{TODO_PREFIX}v1 openai.api_type takes "openai" or "azure"' in output


def test_error_class_construction_gets_a_todo() -> None:
    output = _migrate('import openai\n\nraise openai.error.RateLimitError("slow")\n')
    assert 'raise openai.RateLimitError("slow")' in output
    assert "v1 exceptions take (message, *, response, body)" in output


def test_from_openai_import_error_module() -> None:
    check_transformed(
        "from openai import error\n\nok = isinstance(e, error.APIConnectionError)\n",
        "import openai\n\nok = isinstance(e, openai.APIConnectionError)\n",
    )


def test_subscript_store_and_dynamic_key_get_todos() -> None:
    output = _migrate(
        'import openai\n\nr = openai.Completion.create(prompt="p")\nr["x"] = 1\nv = r[key]\n'
    )
    assert "immutable models" in output
    assert "getattr(obj, key)" in output


def test_dict_valued_fields_keep_subscripts() -> None:
    output = _migrate(
        'import openai\n\nr = openai.Completion.create(prompt="p", logprobs=2)\n'
        'top = r["choices"][0]["logprobs"]["top_logprobs"][0]["a"]\n'
    )
    assert 'top = r.choices[0].logprobs.top_logprobs[0]["a"]' in output


def test_docstring_and_comment_mentions_stay() -> None:
    output = _migrate(
        '"""Calls openai.ChatCompletion.create(...)."""\nimport openai\n\n'
        "# openai.error.InvalidRequestError is raised on 400\n"
        'r = openai.ChatCompletion.create(model="m")\n'
    )
    assert output.startswith('"""Calls openai.ChatCompletion.create(...)."""\n')
    assert "# openai.error.InvalidRequestError is raised on 400\n" in output


def test_local_variable_shadowing_a_response_name_is_left_alone() -> None:
    """A name bound both to a response and to a dict in one scope is not rewritten."""
    output = _migrate(
        'import openai\n\n\ndef f(flag):\n    r = {"k": 1}\n    if flag:\n'
        '        r = openai.Completion.create(prompt="p")\n    return r["k"]\n'
    )
    assert 'return r["k"]' in output


def test_todos_are_reported_as_warnings() -> None:
    _, warnings = transform_source(OpenAIV1Codemod, "import openai\n\nopenai.Engine.list()\n", {})
    assert warnings == (
        "openai.Engine was removed in v1: pass the engine name as model= and use client.models for listing",
    )


def test_removed_resource_reference_in_a_mock_gets_a_todo() -> None:
    output = _migrate(
        'import openai\nfrom unittest import mock\n\nwith mock.patch.object(openai.ChatCompletion, "create"):\n    pass\n'
    )
    assert f"{TODO_PREFIX}openai.ChatCompletion is removed in v1" in output


def test_module_without_openai_calls_is_untouched() -> None:
    check_noop("import json\n\nprint(json.dumps({'choices': []}))\n")


RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.skipif(not RUFF.exists(), reason="ruff is not installed beside this interpreter")
def test_inserted_imports_keep_ruff_isort_clean(tmp_path: Path) -> None:
    """Every case and behaviour program whose input passes ruff's I001 still passes it."""
    sources = {
        f"case_{i}": (case.before, case.options) for i, case in enumerate(OpenAIV1Codemod.CASES)
    }
    for program in PROGRAMS.glob("*.py"):
        for mode in ("instance", "global"):
            sources[f"{program.stem}_{mode}"] = (program.read_text(), {"mode": mode})
    for name, (before, options) in sources.items():
        (tmp_path / f"in_{name}.py").write_text(before)
        (tmp_path / f"out_{name}.py").write_text(_migrate(before, **options))
    result = subprocess.run(
        [str(RUFF), "check", "--isolated", "--select", "I", "--output-format", "concise", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    flagged = {line.split(":")[0].removeprefix("./") for line in result.stdout.splitlines()}
    bad_in = {f.removeprefix("in_") for f in flagged if f.startswith("in_")}
    bad_out = {f.removeprefix("out_") for f in flagged if f.startswith("out_")}
    assert bad_out <= bad_in, result.stdout
    assert len(sources) - len(bad_in) > 40, "most inputs are isort-clean, so the check bites"
