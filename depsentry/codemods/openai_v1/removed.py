"""TODO messages for v0 names with no v1 call: removed resources and helper modules."""

from __future__ import annotations

from collections.abc import Collection

from .tables import EMBEDDINGS_UTILS, REMOVED, REMOVED_MODULES, RESOURCE_NAMES, RESOURCES, UTIL

# Members of embeddings_utils and util get their own messages instead.
_WHOLE_MODULE_TODO = set(REMOVED_MODULES) - {"embeddings_utils", "util"}


def removed_reference(names: Collection[str]) -> str | None:
    """The TODO for a reference to a removed v0 name (given its qualified names), if any."""
    for name in names:
        parts = name.split(".")
        if len(parts) >= 3 and parts[:2] == ["openai", "embeddings_utils"]:
            replacement = EMBEDDINGS_UTILS.get(parts[2], "copy it from the OpenAI cookbook")
            return f"openai.embeddings_utils.{parts[2]} was removed in v1: use {replacement}"
        if len(parts) >= 3 and parts[:2] == ["openai", "util"]:
            return f"openai.util.{parts[2]} was removed in v1: {UTIL.get(parts[2], 'no v1 equivalent')}"
        if len(parts) >= 2 and parts[0] == "openai" and parts[1] in _WHOLE_MODULE_TODO:
            return f"openai.{parts[1]} was removed in v1: {REMOVED_MODULES[parts[1]]}"
        if len(parts) == 2 and parts[0] == "openai" and parts[1] in RESOURCE_NAMES:
            return REMOVED.get(parts[1]) or (
                f"openai.{parts[1]} is removed in v1: call the client's resource instead"
            )
    return None


def patch_target(target: str) -> str | None:
    """The TODO for a mock target string naming a v0 resource method, if it is one."""
    parts = target.split(".")
    if len(parts) < 2 or parts[0] != "openai" or parts[1] not in RESOURCE_NAMES:
        return None
    method = parts[2] if len(parts) > 2 else "create"
    is_async = (parts[1], method) not in RESOURCES and method.startswith("a")
    found = RESOURCES.get((parts[1], method[1:] if is_async else method))
    if found is None:
        return f"mock target {target!r} names a v0 API that v1 removed"
    module = ".".join(found.path[:-1])
    cls = ("Async" if is_async else "") + "".join(p.title() for p in found.path[-2].split("_"))
    return (
        f"mock target {target!r} names the v0 API: patch "
        f"'openai.resources.{module}.{cls}.{found.path[-1]}' instead"
    )
