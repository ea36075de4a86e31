"""openai-v1 edge cases: the branches its declared CASES do not reach, one behaviour each."""

from __future__ import annotations

import libcst as cst
import pytest

from depsentry.codemods.interface import TODO_PREFIX
from depsentry.codemods.openai_v1 import OpenAIV1Codemod
from depsentry.codemods.openai_v1.calls import rewrite_params
from depsentry.codemods.openai_v1.handlers import Handler, plan, v1_cases
from depsentry.codemods.openai_v1.removed import patch_target, removed_reference
from depsentry.codemods.openai_v1.responses import (
    field_name,
    get_to_attribute,
    membership_to_check,
    subscript_to_attribute,
)
from depsentry.codemods.runner import transform_source

CALL = 'import openai\n\nr = openai.ChatCompletion.create(model="m", messages=[])\n'


def migrate(code: str, **options: str) -> str:
    output, _ = transform_source(OpenAIV1Codemod, code, options)
    again, _ = transform_source(OpenAIV1Codemod, output, options)
    assert again == output, "a second run changed the output"
    return output


def expr(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)


# -- responses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name"), [("self-harm", "self_harm"), ("a/b", "a_b"), ("class", None), ("a b", None)]
)
def test_field_names(key: str, name: str | None) -> None:
    assert field_name(key) == name


def test_subscripts_that_are_not_simple_keys() -> None:
    assert subscript_to_attribute(expr("r[a, b]")) == (  # type: ignore[arg-type]
        "subscript of a v1 response: read the field as an attribute"
    )
    assert subscript_to_attribute(expr("r[-1]")) is None  # type: ignore[arg-type]
    assert subscript_to_attribute(expr('r["no such"]')) == (  # type: ignore[arg-type]
        "v1 responses are models: no attribute for key 'no such'"
    )
    assert subscript_to_attribute(expr("r[k + 'x']")) == (  # type: ignore[arg-type]
        "v1 responses are models: use getattr(obj, key) for a string key"
    )
    assert subscript_to_attribute(expr("r[[1]]")) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ('r.get("a", None)', "r.a"),
        ('r.get("a", 0)', "(r.a or 0)"),
        ('r.get("a", 0.0)', "(r.a or 0.0)"),
        ('r.get("a", False)', "(r.a or False)"),
        ('r.get("a", [])', "(r.a or [])"),
        ('r.get(key="a")', "v1 responses are models: replace .get() with attribute access"),
        ('r.get("a", 1, 2)', "v1 responses are models: replace .get() with attribute access"),
        ("r.get(name)", "v1 responses are models: replace .get() with attribute access"),
    ],
)
def test_get_with_defaults(code: str, expected: str) -> None:
    call = expr(code)
    assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
    new = get_to_attribute(call, call.func.value)
    assert (new if isinstance(new, str) else cst.Module([]).code_for_node(new)) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [('"a" in r', "r.a is not None"), ('"a" not in r', "r.a is None"), ('"a" == r', None)],
)
def test_membership(code: str, expected: str | None) -> None:
    new = membership_to_check(expr(code))  # type: ignore[arg-type]
    assert (None if new is None else cst.Module([]).code_for_node(new)) == expected
    assert membership_to_check(expr('"a" in r in s')) is None  # type: ignore[arg-type]
    assert membership_to_check(expr("1 in r")) is None  # type: ignore[arg-type]


def test_json_dumps_with_other_arguments_gets_a_todo() -> None:
    output = migrate("import json\n" + CALL + "s = json.dumps(r, default=str)\n")
    assert "json.dumps of a v1 response: use response.model_dump_json()" in output
    assert "s = json.dumps(r, default=str)" in output


def test_match_on_a_response_gets_a_todo() -> None:
    output = migrate(CALL + 'match r:\n    case {"choices": c}:\n        pass\n')
    assert "match on a v1 response: mapping patterns do not match pydantic models" in output


# -- arguments and **params ---------------------------------------------------------------------


def test_positional_arguments_it_cannot_name_get_a_todo() -> None:
    output = migrate('import openai\n\nopenai.Moderation.create("text", "model", "extra")\n')
    assert "v1 takes keyword arguments only; name the positional arguments" in output
    output = migrate("import openai\n\nopenai.Audio.transcribe(*args)\n")
    assert "v1 takes keyword arguments only" in output


def test_engine_and_model_both_given_get_a_todo() -> None:
    output = migrate(
        'import openai\n\nopenai.Completion.create(model="m", engine="e", prompt="p")\n'
    )
    assert "engine= and model= both given; v1 takes model= only" in output


def test_per_call_options_in_global_mode_get_a_todo() -> None:
    output = migrate(
        'import openai\n\nopenai.Completion.create(prompt="p", api_key=K)\n', mode="global"
    )
    assert "per-call api_key= was removed; use OpenAI(...).with_options(api_key=...)" in output


@pytest.mark.parametrize(
    ("code", "new", "todo"),
    [
        (
            '{"engine": "e", "model": "m"}',
            '{"engine": "e", "model": "m"}',
            "engine= and model= both given",
        ),
        ('{"api_type": "azure"}', '{"api_type": "azure"}', "per-call api_type= was removed in v1"),
        ('{**base, "engine": "e"}', '{**base, "model": "e"}', "**params may hold 0.x keywords"),
        ("{key: 1}", "{key: 1}", "**params may hold 0.x keywords"),
        ("dict(base, engine='e')", "dict(base, model='e')", "**params may hold 0.x keywords"),
        ("dict(temperature=0)", "dict(temperature=0)", ""),
    ],
)
def test_params_literals(code: str, new: str, todo: str) -> None:
    node = expr(code)
    assert isinstance(node, cst.Dict | cst.Call)
    rewritten, todos = rewrite_params(node)
    assert cst.Module([]).code_for_node(rewritten) == new
    assert any(todo in message for message in todos) if todo else todos == []


# -- settings -----------------------------------------------------------------------------------


def test_api_base_with_a_slash_and_a_computed_value() -> None:
    output = migrate('import openai\n\nopenai.api_base = "http://h/v1/"\n', mode="global")
    assert 'openai.base_url = "http://h/v1/"\n' in output
    output = migrate("import openai\n\nopenai.api_base = A + B\n", mode="global")
    assert 'openai.base_url = (A + B).rstrip("/") + "/"\n' in output


def test_azure_ad_module_setting_in_global_mode() -> None:
    output = migrate(
        'import openai\n\nopenai.api_type = "azure_ad"\nopenai.api_key = TOKEN\n'
        'openai.Embedding.create(deployment_id="d", input="x")\n',
        mode="global",
    )
    assert 'openai.api_type = "azure"\n' in output
    assert "openai.azure_ad_token = TOKEN\n" in output


def test_a_setting_read_back_keeps_working() -> None:
    output = migrate("import openai\n\nprint(openai.api_base, openai.debug)\n")
    assert "print(openai.base_url, openai.debug)" in output
    assert "openai.debug was removed in v1" in output


def test_augmented_and_annotated_settings_are_left_alone() -> None:
    output = migrate("import openai\n\nx: int = 1\nopenai.debug += 1\n")
    assert "openai.debug += 1" in output


def test_a_dynamic_azure_endpoint_gets_a_todo() -> None:
    output = migrate(
        'import openai\n\nopenai.api_type = "azure"\n\n\ndef use(url):\n    openai.api_base = url\n'
        '    return openai.ChatCompletion.create(engine="d", messages=[])\n'
    )
    assert "AzureOpenAI.with_options() cannot change the endpoint" in output


# -- errors -------------------------------------------------------------------------------------


def test_star_imports_of_errors() -> None:
    output = migrate("from openai.error import *\n")
    assert "`from openai.error import *` is gone" in output
    assert migrate("from openai import *\n") == "from openai import *\n"


def test_removed_error_imported_by_name_gets_a_todo() -> None:
    output = migrate("from openai.error import SignatureVerificationError\n")
    assert "SignatureVerificationError has no v1 equivalent" in output
    output = migrate(
        "from openai.error import SignatureVerificationError\n\nx = SignatureVerificationError\n"
    )
    assert output.count("SignatureVerificationError has no v1 equivalent") == 2


def test_bare_except_and_narrow_builtins_around_openai_handlers() -> None:
    output = migrate(
        "import openai\n\ntry:\n    pass\nexcept ValueError:\n    pass\n"
        "except openai.error.RateLimitError:\n    pass\nexcept:\n    pass\n"
    )
    assert (
        "except ValueError:\n    pass\nexcept openai.RateLimitError:\n    pass\nexcept:\n" in output
    )


def test_not_found_name_taken_uses_the_module() -> None:
    output = migrate(
        "from openai.error import InvalidRequestError\n\nNotFoundError = 1\n\n"
        "try:\n    pass\nexcept InvalidRequestError:\n    pass\n"
    )
    assert "except (BadRequestError, openai.NotFoundError):" in output
    assert "import openai\n" in output


def test_except_without_a_space_gets_one() -> None:
    output = migrate(
        "import openai\n\ntry:\n    pass\nexcept(openai.error.InvalidRequestError):\n    pass\n"
    )
    assert "except (openai.BadRequestError, openai.NotFoundError):" in output


def test_handler_table() -> None:
    assert v1_cases("APIStatusError") > v1_cases("RateLimitError")
    assert v1_cases("NoSuchClass") == frozenset()
    # Timeout and APIError in one handler: the connection cases cannot be excluded alone.
    found = plan([Handler(("Timeout", "APIError"), False)])
    assert "which 0.x let through: catch those first and re-raise them" in found.todo
    assert "connection errors" in found.todo


def test_removed_names() -> None:
    assert removed_reference({"openai.api_requestor.APIRequestor"}) == (
        "openai.api_requestor was removed in v1: requests go through the client (OpenAI/AsyncOpenAI)"
    )
    assert patch_target("openai.Engine.list") == (
        "mock target 'openai.Engine.list' names a v0 API that v1 removed"
    )
    assert patch_target("os.path") is None


# -- clients, imports, helpers ------------------------------------------------------------------


def test_shadowed_standard_modules_are_reached_through_import() -> None:
    output = migrate("import openai\nfrom mylib import os, functools\n\n" + CALL.split("\n\n")[1])
    assert '@__import__("functools").cache' in output
    assert '__import__("os").environ.get("OPENAI_ORGANIZATION")' in output


def test_async_azure_switch_names_both_classes() -> None:
    output = migrate(
        "import openai\n\n\nasync def f():\n"
        '    return await openai.ChatCompletion.acreate(engine="d", messages=[])\n'
    )
    assert "from openai import AsyncAzureOpenAI, AsyncOpenAI\n" in output


def test_all_settings_moved_drops_the_module_import() -> None:
    output = migrate(
        'import openai\n\nopenai.api_key = "k"\nopenai.organization = "o"\nopenai.api_base = "b"\n'
        'openai.Completion.create(prompt="p")\n'
    )
    assert "import openai\n" not in output
    assert 'api_key="k",\n        organization="o",\n        base_url="b",' in output


def test_a_removed_setting_statement_before_the_first_call_still_gets_the_helper() -> None:
    output = migrate(
        'import openai\n\nopenai.api_key = "k"\n\n\ndef f():\n    return openai.Completion.create(prompt="p")\n'
    )
    assert output.index("def _get_client") < output.index("def f():")
    assert TODO_PREFIX not in output


def test_todos_inside_expressions_go_to_the_statement() -> None:
    output = migrate("import openai\n\nx = [openai.Engine.list() for _ in range(2)]\n")
    assert output.count("openai.Engine was removed in v1") == 1
