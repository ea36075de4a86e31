"""`depsentry findings`: list, show and triage the daemon's findings, on its store directly
(`--config`) or through a running daemon's API (`--url`)."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import click

from depsentry.commands.daemon import config_option
from depsentry.daemon.store import DISMISS_REASONS as REASONS
from depsentry.daemon.store import KINDS, STATES
from depsentry.errors import DepsentryError


class Backend(Protocol):
    def list(self, params: dict[str, Any]) -> list[dict[str, Any]]: ...
    def show(self, finding_id: int) -> dict[str, Any]: ...
    def triage(self, finding_id: int, action: str, body: dict[str, Any]) -> dict[str, Any]: ...


class _StoreBackend:
    def __init__(self, store: Any, timezone: str):
        self.store, self.timezone = store, timezone

    def list(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        from depsentry.daemon.store import FindingFilter

        return [f.to_json() for f in self.store.findings(FindingFilter(**params))]

    def show(self, finding_id: int) -> dict[str, Any]:
        record = self.store.finding(finding_id)
        if record is None:
            raise DepsentryError(f"no finding {finding_id}")
        result: dict[str, Any] = record.to_json()
        return result

    def triage(self, finding_id: int, action: str, body: dict[str, Any]) -> dict[str, Any]:
        from depsentry.daemon.schedule import parse_until

        now = datetime.now(UTC)
        actor, comment = body["by"], body.get("comment", "")
        if action == "dismiss":
            record = self.store.dismiss(
                finding_id, reason=body["reason"], comment=comment, actor=actor, now=now
            )
        elif action == "snooze":
            until = None
            if body.get("until"):
                try:
                    until = parse_until(body["until"], now, self.timezone)
                except ValueError as exc:
                    raise click.BadParameter(str(exc), param_hint="--until") from None
            record = self.store.snooze(finding_id, until=until, until_fix=body.get("until_fix", False),
                                       comment=comment, actor=actor, now=now)  # fmt: skip
        else:
            record = self.store.reopen(finding_id, comment=comment, actor=actor, now=now)
        result: dict[str, Any] = record.to_json()
        return result


class _HttpBackend:
    def __init__(self, client: Any):
        self.client = client

    def list(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.client.get("/v1/findings", **params)["findings"]
        return found

    def show(self, finding_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self.client.get(f"/v1/findings/{finding_id}")
        return found

    def triage(self, finding_id: int, action: str, body: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = self.client.post(f"/v1/findings/{finding_id}/{action}", body)
        return found


@contextmanager
def _backend(config: Path | None, url: str | None, token_file: Path | None) -> Iterator[Backend]:
    url = url or os.environ.get("DEPSENTRY_URL")
    if url:
        from depsentry.daemon.client import DaemonClient, token_from

        with DaemonClient(url, token_from(token_file)) as client:
            yield _HttpBackend(client)
        return
    from depsentry.daemon.config import config_path, load_settings
    from depsentry.daemon.credentials import read_secret
    from depsentry.daemon.store import Store

    settings = load_settings(config_path(config))
    password = read_secret(what="daemon.store password", env=settings.store_password_env,
                           file=settings.store_password_file)  # fmt: skip
    store = Store.open(settings.store_url, password=password)
    try:
        yield _StoreBackend(store, settings.timezone)
    finally:
        store.close()


def _where(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option("--token-file", type=click.Path(path_type=Path, dir_okay=False),
                        help="Bearer token for --url. [default: $DEPSENTRY_TOKEN]")(func)  # fmt: skip
    func = click.option("--url", metavar="URL",
                        help="Work through a running daemon's API instead of its store. [default: $DEPSENTRY_URL]")(func)  # fmt: skip
    return config_option(func)


def _by(value: str | None) -> str:
    if value:
        return value
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@click.group(name="findings")
def findings() -> None:
    """The daemon's findings: list and show them, dismiss, snooze or reopen one."""


@findings.command(name="list")
@_where
@click.option("--project", help="Only this project.")
@click.option("--kind", type=click.Choice(KINDS), help="Only this kind of finding.")
@click.option("--state", type=click.Choice(STATES), default="open", show_default=True,
              help="open = not dismissed or snoozed; active = open, triaged or not.")  # fmt: skip
@click.option("--package", help="Only this package.")
@click.option("--severity", type=click.Choice(("critical", "high", "medium", "low", "unknown")))
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 5000))
@click.option(
    "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
def list_command(
    config: Path | None, url: str | None, token_file: Path | None, fmt: str, **params: Any
) -> int:
    """List findings (open ones by default)."""
    params = {k: v for k, v in params.items() if v is not None}
    with _backend(config, url, token_file) as backend:
        found = backend.list(params)
    if fmt == "json":
        click.echo(json.dumps({"findings": found}, indent=2))
        return 0
    _table(found)
    return 0


def _table(found: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in (
        "ID",
        "PROJECT",
        "KIND",
        "PACKAGE",
        "VERSION",
        "SEVERITY",
        "WHAT",
        "STATE",
        "FIRST SEEN",
    ):
        table.add_column(column)
    for f in found:
        what = f.get("advisory_id") or f.get("target") or f.get("rule") or ""
        table.add_row(
            str(f["id"]), f["project"], f["kind"], f["package"], f.get("version") or "",
            _severity(f) if f["kind"] == "vulnerability" else "", what, f["state"],
            (f.get("first_seen") or "")[:10],
        )  # fmt: skip
    import sys

    # Piped, whole rows (grep, scripts) rather than cells squeezed to "vulnerab…".
    Console(soft_wrap=True, width=None if sys.stdout.isatty() else 1000).print(table)
    click.echo(f"{len(found)} finding(s)", err=True)


def _severity(f: dict[str, Any]) -> str:
    """The level as every report shows it: "high 7.5", "unrated"."""
    level = "unrated" if f["severity"] == "unknown" else str(f["severity"])
    cvss = f.get("cvss")
    return f"{level} {float(cvss):.1f}" if isinstance(cvss, (int, float)) else level


@findings.command(name="show")
@_where
@click.argument("finding_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
def show_command(
    config: Path | None, url: str | None, token_file: Path | None, finding_id: int, fmt: str
) -> int:
    """Show one finding with its severity history and triage audit."""
    with _backend(config, url, token_file) as backend:
        found = backend.show(finding_id)
    if fmt == "json":
        click.echo(json.dumps(found, indent=2))
        return 0
    what = found.get("advisory_id") or found.get("target") or found.get("rule")
    lines = [
        f"#{found['id']} {found['kind']} {found['package']} {found.get('version') or ''} {what or ''}".rstrip(),
        f"  project:    {found['project']}",
        f"  state:      {found['state']}",
        f"  severity:   {found['severity']}"
        + (f" (CVSS {found['cvss']})" if found.get("cvss") else ""),
        f"  summary:    {found.get('summary') or ''}",
        f"  first seen: {found['first_seen']}   last seen: {found['last_seen']}",
    ]
    if found.get("aliases"):
        lines.append(f"  aliases:    {', '.join(found['aliases'])}")
    if found.get("fixed_in"):
        lines.append(f"  fixed in:   {', '.join(found['fixed_in'])}")
    lines.extend(
        f"  severity {h['at'][:19]}  {h['severity']}" + (f" ({h['cvss']})" if h.get("cvss") else "")
        for h in found.get("severity_history", [])
    )
    for a in found.get("audit", []):
        detail = a.get("reason") or (
            f"until {a['until'][:10]}"
            if a.get("until")
            else "until a fix"
            if a.get("until_fix")
            else ""
        )
        lines.append(
            f"  {a['at'][:19]}  {a['action']:<8} by {a['actor']}  {detail}  {a.get('comment') or ''}".rstrip()
        )
    click.echo("\n".join(lines))
    return 0


def _triaged(found: dict[str, Any]) -> None:
    click.echo(
        f"#{found['id']} {found['package']} ({found['project']}): {found['state']}", err=True
    )


@findings.command(name="dismiss")
@_where
@click.argument("finding_id", type=int)
@click.option("--reason", type=click.Choice(REASONS), required=True)
@click.option("--comment", default="", help="Why, for whoever reads the audit later.")
@click.option("--by", help="Who decided. [default: your user name]")
def dismiss_command(config: Path | None, url: str | None, token_file: Path | None, finding_id: int,
                    reason: str, comment: str, by: str | None) -> int:  # fmt: skip
    """Dismiss a finding with a reason (it stays dismissed until reopened)."""
    with _backend(config, url, token_file) as backend:
        _triaged(
            backend.triage(
                finding_id, "dismiss", {"reason": reason, "comment": comment, "by": _by(by)}
            )
        )
    return 0


@findings.command(name="snooze")
@_where
@click.argument("finding_id", type=int)
@click.option("--until", "until", metavar="DATE|DURATION", help="e.g. 2027-01-31, or 30d from now.")
@click.option(
    "--until-fix", is_flag=True, help="Until a fixed version is released (vulnerabilities)."
)
@click.option("--comment", default="")
@click.option("--by", help="Who decided. [default: your user name]")
def snooze_command(config: Path | None, url: str | None, token_file: Path | None, finding_id: int,
                   until: str | None, until_fix: bool, comment: str, by: str | None) -> int:  # fmt: skip
    """Snooze a finding until a date, or until a fix is released; it reopens by itself."""
    if (until is None) == (not until_fix):
        raise click.UsageError("give exactly one of --until or --until-fix")
    body = {"until": until, "until_fix": until_fix, "comment": comment, "by": _by(by)}
    with _backend(config, url, token_file) as backend:
        _triaged(backend.triage(finding_id, "snooze", body))
    return 0


@findings.command(name="reopen")
@_where
@click.argument("finding_id", type=int)
@click.option("--comment", default="")
@click.option("--by", help="Who decided. [default: your user name]")
def reopen_command(config: Path | None, url: str | None, token_file: Path | None, finding_id: int,
                   comment: str, by: str | None) -> int:  # fmt: skip
    """Reopen a dismissed or snoozed finding."""
    with _backend(config, url, token_file) as backend:
        _triaged(backend.triage(finding_id, "reopen", {"comment": comment, "by": _by(by)}))
    return 0
