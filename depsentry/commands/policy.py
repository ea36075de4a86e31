"""`depsentry policy`: show the effective policy; check projects against it (a CI gate)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from depsentry.commands.scan import (
    build_options,
    collect_less,
    emit,
    scan_options,
    terminal_progress,
)


@click.group(name="policy")
def policy() -> None:
    """Update policies: due dates for findings, and the CI gate."""


@policy.command(name="show")
@click.option(
    "--policy",
    "policy_name",
    metavar="FILE|NAME",
    help="A policy file, or the name of a bundled one (monthly, strict, relaxed). Default: monthly.",
)
def show(policy_name: str | None) -> int:
    """Print the effective policy, after `extends` inheritance, as TOML."""
    from depsentry.policy import load_policy, policy_to_toml

    click.echo(policy_to_toml(load_policy(policy_name)), nl=False)
    return 0


@policy.command(name="check")
@scan_options
@click.option("--policy", "policy_name", metavar="FILE|NAME", help="Default: monthly.")
@click.option(
    "--since",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="An earlier JSON report: findings already in it count as first seen then.",
)
def check(policy_name: str | None, since: Path | None, **kwargs: Any) -> int:
    """Exit 1 when any project violates the policy, 0 otherwise, 2 on bad input (3: a bug).

    Prints the violations (rule, package, due, overdue by); --format json/sarif/markdown give
    the whole report. Without history (--since, the daemon's store) a vulnerability's clock
    starts at the advisory's publication date. Takes the scan's options (--osv-db, --offline, --outdated, ...); outdated findings are only
    judged when --outdated asks the index for them.
    """
    from depsentry.policy import load_policy
    from depsentry.scan import run_scan

    load_policy(policy_name)  # a bad policy file fails before any scanning work
    fmt = kwargs.pop("fmt")
    output = kwargs.pop("output")
    options = build_options(policy=policy_name, evaluate_policy=True, since=since, **kwargs)
    collect_less(options.offline)
    with terminal_progress() as progress:
        result = run_scan(options, progress)
    emit(result, fmt, output, violations_only=True)
    if any(project.error for project in result.projects):
        return 2
    overdue = [v for project in result.projects for v in project.violations if v.overdue]
    return 1 if overdue else 0
