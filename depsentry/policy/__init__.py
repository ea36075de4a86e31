"""The update policy: policy files -> `Policy`, review schedule, due dates and violations.

Names are loaded on first use (PEP 562), so a command that only needs `policy.gate` (`scan`
without a policy) does not import the evaluation and TOML code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from depsentry.policy.evaluate import (
        FirstSeen,
        evaluate,
        evaluate_all,
        finding_keys,
        first_seen_dates,
        first_seen_from_report,
        published_dates,
    )
    from depsentry.policy.load import (
        DEFAULT_POLICY,
        bundled_policies,
        load_policy,
        resolve_policy_path,
    )
    from depsentry.policy.model import (
        FINDING_KINDS,
        Assessment,
        LibyearRules,
        PinningRules,
        Policy,
        ReadinessRules,
        ReviewSchedule,
        UpdateRules,
        VulnerabilityRules,
        Waiver,
    )
    from depsentry.policy.readiness import compatible_wheel, readiness_problem
    from depsentry.policy.schedule import next_review, previous_review, review_at_or_after
    from depsentry.policy.show import policy_to_toml

_WHERE = {
    "FirstSeen": "depsentry.policy.evaluate",
    "evaluate": "depsentry.policy.evaluate",
    "evaluate_all": "depsentry.policy.evaluate",
    "finding_keys": "depsentry.policy.evaluate",
    "first_seen_dates": "depsentry.policy.evaluate",
    "first_seen_from_report": "depsentry.policy.evaluate",
    "published_dates": "depsentry.policy.evaluate",
    "DEFAULT_POLICY": "depsentry.policy.load",
    "bundled_policies": "depsentry.policy.load",
    "load_policy": "depsentry.policy.load",
    "resolve_policy_path": "depsentry.policy.load",
    "FINDING_KINDS": "depsentry.policy.model",
    "Assessment": "depsentry.policy.model",
    "LibyearRules": "depsentry.policy.model",
    "PinningRules": "depsentry.policy.model",
    "Policy": "depsentry.policy.model",
    "ReadinessRules": "depsentry.policy.model",
    "ReviewSchedule": "depsentry.policy.model",
    "UpdateRules": "depsentry.policy.model",
    "VulnerabilityRules": "depsentry.policy.model",
    "Waiver": "depsentry.policy.model",
    "compatible_wheel": "depsentry.policy.readiness",
    "readiness_problem": "depsentry.policy.readiness",
    "next_review": "depsentry.policy.schedule",
    "previous_review": "depsentry.policy.schedule",
    "review_at_or_after": "depsentry.policy.schedule",
    "policy_to_toml": "depsentry.policy.show",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_POLICY",
    "FINDING_KINDS",
    "Assessment",
    "FirstSeen",
    "LibyearRules",
    "PinningRules",
    "Policy",
    "Waiver",
    "ReadinessRules",
    "ReviewSchedule",
    "UpdateRules",
    "VulnerabilityRules",
    "bundled_policies",
    "compatible_wheel",
    "evaluate",
    "evaluate_all",
    "finding_keys",
    "first_seen_dates",
    "first_seen_from_report",
    "published_dates",
    "load_policy",
    "next_review",
    "policy_to_toml",
    "previous_review",
    "readiness_problem",
    "resolve_policy_path",
    "review_at_or_after",
]
