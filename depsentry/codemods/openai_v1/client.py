"""Where the v1 client comes from: the helpers inserted before the first use, and what they read.

Instance mode calls `_get_client()`, an `@functools.cache` function: the client is built on the
first call, never at import time (v1 `OpenAI()` raises without an API key). Async calls, in both
modes, go through `_get_async_client()`, which keeps one `AsyncOpenAI` per event loop: a client
cannot be used again after its loop closed, so a second `asyncio.run(...)` gets a new one.

A constructor argument is this module's top-level setting where one was moved here, else v1's
module setting (`openai.api_key`, ...; None unless set), so settings made elsewhere still apply;
and where 0.x read an environment variable that 1.x reads under another name (OPENAI_API_BASE
for OPENAI_BASE_URL, OPENAI_ORGANIZATION for OPENAI_ORG_ID; for Azure OPENAI_API_BASE,
OPENAI_API_KEY, OPENAI_API_VERSION and OPENAI_API_TYPE), that variable is the fallback. Global
mode gets the same fallbacks as module settings, set once before the first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from depsentry.codemods.imports import leading_lines

from .analysis import Analysis, Setting
from .tables import AZURE_SETTINGS, AZURE_TYPES, CLIENT_SETTINGS

SYNC_HELPER = "_get_client"
ASYNC_HELPER = "_get_async_client"
ASYNC_FACTORY = "_new_async_client"
ASYNC_CACHE = "_async_clients"
_AZURE_ENV = '("azure", "azure_ad", "azuread")'
_ENV_COMMENT = (
    "# 0.x read OPENAI_API_BASE and OPENAI_ORGANIZATION (1.x: OPENAI_BASE_URL, OPENAI_ORG_ID)"
)


@dataclass
class ClientPlan:
    """What one module needs: helper names, client classes, moved and per-call settings."""

    mode: str
    sync_helper: str = ""
    async_helper: str = ""
    async_factory: str = ""
    async_cache: str = ""
    azure: bool = False
    azure_ad: bool = False
    env_azure: bool = False  # no literal api_type, but Azure hints: OPENAI_API_TYPE decides
    moved: dict[str, cst.BaseExpression] = field(default_factory=dict)
    moved_statements: set[cst.SimpleStatementLine] = field(default_factory=set)
    per_call: dict[str, str] = field(default_factory=dict)  # v1 keyword -> v0 setting name
    env_block: bool = False  # global mode: module settings from the 0.x variables

    @property
    def sync_class(self) -> str:
        return "AzureOpenAI" if self.azure else "OpenAI"

    @property
    def async_class(self) -> str:
        return "AsyncAzureOpenAI" if self.azure else "AsyncOpenAI"

    @property
    def classes(self) -> list[str]:
        """The openai classes the inserted code names."""
        names = []
        if self.sync_helper:
            names.append(self.sync_class)
            if self.env_azure:
                names.append("AzureOpenAI")
        if self.async_helper:
            names.append(self.async_class)
            if self.env_azure:
                names.append("AsyncAzureOpenAI")
        return names

    def helpers(
        self, openai: str, os: str, functools: str, asyncio: str
    ) -> list[cst.BaseStatement]:
        """The statements to insert before the first use (names: how the modules are reached)."""
        code = ""
        if self.env_block:
            code += _env_block(openai, os, self.azure, self.env_azure)
        if self.sync_helper:
            code += f"\n\n@{functools}.cache\ndef {self.sync_helper}() -> {self.sync_class}:\n"
            code += self._construct(self.sync_class, "OpenAI", openai, os)
        if self.async_helper:
            code += _async_helpers(self, asyncio)
            code += f"\n\ndef {self.async_factory}() -> {self.async_class}:\n"
            code += self._construct(self.async_class, "AsyncOpenAI", openai, os)
        # A first statement keeps a leading comment out of the module header.
        parsed = cst.parse_module("pass\n" + code.lstrip("\n"))
        statements: list[cst.BaseStatement] = list(parsed.body[1:])
        return statements

    def _construct(self, cls: str, plain: str, openai: str, os: str) -> str:
        """The body of a helper: `return Cls(...)`, or the Azure switch on OPENAI_API_TYPE."""
        azure_cls = "AsyncAzureOpenAI" if plain.startswith("Async") else "AzureOpenAI"
        if self.azure:
            return _return(cls, self._azure_args(openai, os, self.azure_ad), "    ")
        body = ""
        if self.env_azure:
            body += f'    api_type = {os}.environ.get("OPENAI_API_TYPE", "open_ai")  # as in 0.x\n'
            body += f"    if api_type in {_AZURE_ENV}:\n"
            body += _return(azure_cls, self._azure_args(openai, os, None), "        ")
        arguments = [
            self._arg("api_key", openai, ""),
            self._arg("organization", openai, f'{os}.environ.get("OPENAI_ORGANIZATION")'),
            self._arg("base_url", openai, f'{os}.environ.get("OPENAI_API_BASE")'),
        ]
        comment = f"    {_ENV_COMMENT}\n" if "environ" in "".join(arguments) else ""
        return body + comment + _return(plain, arguments, "    ")

    def _azure_args(self, openai: str, os: str, ad: bool | None) -> list[str]:
        key = self._arg("api_key", openai, f'{os}.environ.get("OPENAI_API_KEY")').partition("=")[2]
        if ad is None:  # decided at run time, like 0.x did
            key = f"({key})" if " or " in key else key
            credentials = [
                f'api_key={key} if api_type == "azure" else None',
                f'azure_ad_token=None if api_type == "azure" else {key}',
            ]
        else:
            credentials = [f"{'azure_ad_token' if ad else 'api_key'}={key}"]
        return [
            *credentials,
            self._arg("organization", openai, f'{os}.environ.get("OPENAI_ORGANIZATION")'),
            self._arg("azure_endpoint", openai, f'{os}.environ.get("OPENAI_API_BASE")'),
            self._arg("api_version", openai, '"2023-05-15"'),
        ]

    def _arg(self, keyword: str, openai: str, fallback: str) -> str:
        value = self.moved.get(keyword)
        if keyword == "api_key" and value is None:
            value = self.moved.get("azure_ad_token")
        if value is not None:
            return f"{keyword}={cst.Module(body=[]).code_for_node(value)}"
        module_setting = f"{openai}.{keyword}"
        return (
            f"{keyword}={module_setting} or {fallback}"
            if fallback
            else f"{keyword}={module_setting}"
        )


def _return(cls: str, arguments: list[str], indent: str) -> str:
    lines = "".join(f"{indent}    {argument},\n" for argument in arguments)
    return f"{indent}return {cls}(\n{lines}{indent})\n"


def _async_helpers(plan: ClientPlan, asyncio: str) -> str:
    cache, factory, cls = plan.async_cache, plan.async_factory, plan.async_class
    return (
        f"\n\n{cache}: dict[{asyncio}.AbstractEventLoop, {cls}] = {{}}\n"
        f"\n\ndef {plan.async_helper}() -> {cls}:\n"
        "    # One client per event loop: an async client cannot be used again once its loop closed.\n"
        "    try:\n"
        f"        loop = {asyncio}.get_running_loop()\n"
        "    except RuntimeError:  # not in a loop yet, as in asyncio.run(<this call>)\n"
        f"        return {factory}()\n"
        f"    if loop not in {cache}:\n"
        f"        for closed in [other for other in {cache} if other.is_closed()]:\n"
        f"            del {cache}[closed]\n"
        f"        {cache}[loop] = {factory}()\n"
        f"    return {cache}[loop]\n"
    )


def _env_block(openai: str, os: str, azure: bool, env_azure: bool) -> str:
    if azure:
        return _azure_env_lines(openai, os, "", '"azure"')
    plain = (
        f'if {openai}.base_url is None and {os}.environ.get("OPENAI_API_BASE"):\n'
        f'    {openai}.base_url = {os}.environ["OPENAI_API_BASE"].rstrip("/") + "/"\n'
        f"if {openai}.organization is None:\n"
        f'    {openai}.organization = {os}.environ.get("OPENAI_ORGANIZATION")\n'
    )
    if not env_azure:
        return f"{_ENV_COMMENT}\n{plain}"
    indented = "".join(f"    {line}\n" for line in plain.splitlines())
    return (
        f'if {os}.environ.get("OPENAI_API_TYPE", "open_ai") in {_AZURE_ENV}:  # as in 0.x\n'
        f'    {openai}.api_type = "azure"\n'
        + _azure_env_lines(openai, os, "    ", f'{os}.environ["OPENAI_API_TYPE"]')
        + f"else:\n    {_ENV_COMMENT}\n{indented}"
    )


def _azure_env_lines(openai: str, os: str, indent: str, api_type: str) -> str:
    key = f'{os}.environ.get("OPENAI_API_KEY")'
    lines = [
        "# 0.x read OPENAI_API_BASE, OPENAI_API_KEY and OPENAI_API_VERSION for Azure",
        f"if {openai}.azure_endpoint is None:",
        f'    {openai}.azure_endpoint = {os}.environ.get("OPENAI_API_BASE")',
    ]
    if api_type == '"azure"':
        lines += [f"if {openai}.api_key is None:", f"    {openai}.api_key = {key}"]
    else:
        lines += [
            f'if {api_type} == "azure" and {openai}.api_key is None:',
            f"    {openai}.api_key = {key}",
            f'elif {api_type} != "azure" and {openai}.azure_ad_token is None:',
            f"    {openai}.azure_ad_token = {key}",
        ]
    lines += [f"if {openai}.api_version is None:", f'    {openai}.api_version = "2023-05-15"']
    lines += [
        f"if {openai}.organization is None:",
        f'    {openai}.organization = {os}.environ.get("OPENAI_ORGANIZATION")',
    ]
    return "".join(f"{indent}{line}\n" for line in lines)


def _literal(value: cst.BaseExpression) -> str | None:
    if isinstance(value, cst.SimpleString):
        evaluated = value.evaluated_value
        return evaluated if isinstance(evaluated, str) else None
    return None


def is_azure(settings: list[Setting]) -> tuple[bool, bool]:
    """(azure, azure_ad) from a top-level literal `openai.api_type = "azure"|"azure_ad"`."""
    for setting in settings:
        if setting.name == "api_type" and setting.top_level:
            value = _literal(setting.value)
            if value in AZURE_TYPES:
                return True, value == "azure_ad"
    return False, False


def plan_client(analysis: Analysis, mode: str, taken: set[str]) -> ClientPlan:
    """Decide the helpers, the settings moved into them and those passed with each call."""
    plan = ClientPlan(mode)
    plan.azure, plan.azure_ad = is_azure(analysis.settings)
    plan.env_azure = not plan.azure and analysis.azure_hints
    if mode == "instance" and analysis.uses_sync:
        plan.sync_helper = _free(SYNC_HELPER, taken)
    if analysis.uses_async:
        plan.async_helper = _free(ASYNC_HELPER, taken)
        plan.async_factory = _free(ASYNC_FACTORY, taken)
        plan.async_cache = _free(ASYNC_CACHE, taken)
    plan.env_block = mode == "global" and analysis.uses_sync
    table = AZURE_SETTINGS if plan.azure else CLIENT_SETTINGS
    for setting in analysis.settings:
        if not setting.top_level and setting.name in CLIENT_SETTINGS:
            plan.per_call[CLIENT_SETTINGS[setting.name]] = setting.name
    if mode != "instance" or not (plan.sync_helper or plan.async_helper):
        return plan
    counts: dict[str, int] = {}
    for setting in analysis.settings:
        counts[setting.name] = counts.get(setting.name, 0) + 1
    read = {node.attr.value for node in analysis.setting_reads}
    for setting in analysis.settings:
        if not setting.top_level or counts[setting.name] > 1 or setting.name in read:
            continue
        if setting.name == "api_type" and plan.azure:
            plan.moved_statements.add(setting.statement)
        elif setting.name in table:
            keyword = table[setting.name]
            if plan.azure_ad and setting.name == "api_key":
                keyword = "azure_ad_token"
            plan.moved[keyword] = setting.value
            plan.moved_statements.add(setting.statement)
    return plan


def _free(name: str, taken: set[str]) -> str:
    candidate = name
    while candidate in taken:
        candidate = f"_{candidate}"
    taken.add(candidate)
    return candidate


def space_helpers(module: cst.Module, inserted: list[cst.BaseStatement]) -> cst.Module:
    """Blank lines around the inserted statements as ruff and isort want them: two around a
    function, one otherwise, and one (two before a function) after the import block."""
    if not inserted:
        return module
    body = list(module.body)
    ids = {id(statement) for statement in inserted}
    positions = {index for index, statement in enumerate(body) if id(statement) in ids}
    for index in sorted(positions):
        statement = body[index]
        previous = body[index - 1] if index else None
        wanted = 2 if isinstance(statement, cst.FunctionDef) else 1
        if isinstance(previous, cst.FunctionDef | cst.ClassDef):
            wanted = 2
        elif wanted == 1 and index - 1 in positions:
            wanted = 0  # the lines of one inserted block
        comments = [line for line in leading_lines(statement) if line.comment is not None]
        body[index] = statement.with_changes(leading_lines=[cst.EmptyLine()] * wanted + comments)
        following = body[index + 1] if index + 1 < len(body) else None
        if following is not None and index + 1 not in positions:
            defs = (cst.FunctionDef, cst.ClassDef)
            gap = 2 if isinstance(statement, defs) or isinstance(following, defs) else 1
            lines = list(leading_lines(following))
            while lines and lines[0].comment is None:
                lines.pop(0)
            body[index + 1] = following.with_changes(leading_lines=[cst.EmptyLine()] * gap + lines)
    return module.with_changes(body=body)
