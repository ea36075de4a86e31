"""Where the v1 client comes from: the cached helper functions and the settings moved into them.

Both modes create clients lazily in `@functools.cache` helpers, never at import time, because
`OpenAI()` raises without an API key. A helper passes every setting from v1's module settings
(`openai.api_key`, `openai.base_url`, ...), which v1 leaves None unless set, so settings made in
another module or inside a function still apply. Instance mode moves this module's top-level
`openai.<setting> = value` lines into the constructor (evaluated on first use).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from .analysis import Analysis, Setting
from .tables import AZURE_SETTINGS, AZURE_TYPES, CLIENT_SETTINGS

SYNC_HELPER = "_get_client"
ASYNC_HELPER = "_get_async_client"


@dataclass
class ClientPlan:
    """What one module needs: helper names, client classes, moved settings."""

    mode: str
    sync_helper: str = ""
    async_helper: str = ""
    azure: bool = False
    azure_ad: bool = False
    moved: dict[str, cst.BaseExpression] = field(default_factory=dict)
    moved_statements: set[cst.SimpleStatementLine] = field(default_factory=set)

    @property
    def keywords(self) -> tuple[str, ...]:
        """Constructor keywords, each also the name of a v1 module setting."""
        key = "azure_ad_token" if self.azure_ad else "api_key"
        if self.azure:
            return (key, "organization", "azure_endpoint", "api_version")
        return (key, "organization", "base_url")

    @property
    def sync_class(self) -> str:
        return "AzureOpenAI" if self.azure else "OpenAI"

    @property
    def async_class(self) -> str:
        return "AsyncAzureOpenAI" if self.azure else "AsyncOpenAI"

    def helpers(self, openai_name: str) -> list[cst.BaseStatement]:
        """The helper functions to insert before the first use."""
        found: list[cst.BaseStatement] = []
        if self.sync_helper:
            found.append(self._helper(self.sync_helper, self.sync_class, openai_name))
        if self.async_helper:
            found.append(self._helper(self.async_helper, self.async_class, openai_name))
        return found

    def _helper(self, name: str, cls: str, openai_name: str) -> cst.BaseStatement:
        render = cst.Module(body=[]).code_for_node
        args = []
        for keyword in self.keywords:
            value = self.moved.get(keyword)
            # Settings not moved here are read from the module (set elsewhere, or env defaults).
            args.append(f"{keyword}={render(value) if value else f'{openai_name}.{keyword}'}")
        source = f"@functools.cache\ndef {name}() -> {cls}:\n    return {cls}({', '.join(args)})\n"
        helper = cst.parse_statement(source)
        assert isinstance(helper, cst.FunctionDef)
        return helper.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine()])


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
    """Decide the helpers and the settings moved into them."""
    plan = ClientPlan(mode)
    plan.azure, plan.azure_ad = is_azure(analysis.settings)
    if mode == "instance" and analysis.uses_sync:
        plan.sync_helper = _free(SYNC_HELPER, taken)
    if analysis.uses_async:
        plan.async_helper = _free(ASYNC_HELPER, taken)
    if mode != "instance" or not (plan.sync_helper or plan.async_helper):
        return plan
    table = AZURE_SETTINGS if plan.azure else CLIENT_SETTINGS
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
    return candidate


def space_helpers(module: cst.Module, plan: ClientPlan) -> cst.Module:
    """Two blank lines after the inserted helpers, as after any top-level function."""
    names = {plan.sync_helper, plan.async_helper} - {""}
    body = list(module.body)
    for index, statement in enumerate(body[:-1]):
        if isinstance(statement, cst.FunctionDef) and statement.name.value in names:
            following = body[index + 1]
            lines = list(following.leading_lines)
            while lines and lines[0].comment is None:
                lines.pop(0)
            body[index + 1] = following.with_changes(
                leading_lines=[cst.EmptyLine(), cst.EmptyLine(), *lines]
            )
    return module.with_changes(body=body)
