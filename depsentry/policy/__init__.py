"""The update policy: policy files -> `Policy`, review schedule, due dates and violations."""

from __future__ import annotations

from depsentry.policy.evaluate import (
    FirstSeen,
    evaluate,
    evaluate_all,
    finding_keys,
    first_seen_dates,
    first_seen_from_report,
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
    "load_policy",
    "next_review",
    "policy_to_toml",
    "previous_review",
    "readiness_problem",
    "resolve_policy_path",
    "review_at_or_after",
]
