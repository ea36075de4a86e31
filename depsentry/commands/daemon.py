"""`depsentry daemon`: run the service, validate its config, scan one project now."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import signal
import sys
import time
from pathlib import Path

import click

from depsentry.errors import DepsentryError


def config_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--config",
        "-c",
        "config",
        type=click.Path(path_type=Path, dir_okay=False),
        help="The daemon's config file. [default: $DEPSENTRY_CONFIG, else /etc/depsentry/depsentry.toml]",
    )(func)


def _level() -> int | None:
    # -v/-q on the top-level command, relative to the daemon's default of INFO.
    if os.environ.get("DEPSENTRY_LOG_LEVEL"):
        return None
    root = click.get_current_context().find_root()
    verbose, quiet = int(root.params.get("verbose", 0)), int(root.params.get("quiet", 0))
    level: int = max(logging.DEBUG, min(logging.CRITICAL, logging.INFO - 10 * verbose + 10 * quiet))
    return level


@click.group(name="daemon")
def daemon() -> None:
    """The long-running service: scheduled scans of many projects, a store of every finding,
    an HTTP API and metrics."""


@daemon.command(name="run")
@config_option
@click.option(
    "--once",
    is_flag=True,
    help="Run every job that is due (sync, reviews, scans of due projects) once, then exit "
    "(for cron or a Kubernetes CronJob).",
)
def run_command(config: Path | None, once: bool) -> int:
    """Run the daemon in the foreground (stop it with SIGTERM or Ctrl-C; reload with SIGHUP)."""
    from depsentry.daemon import logs
    from depsentry.daemon.config import config_path, load_settings
    from depsentry.daemon.service import Service

    settings = load_settings(config_path(config))
    logs.configure(settings.log_format, _level())
    if hasattr(signal, "SIGUSR1"):
        # `kill -USR1 PID`: every thread's stack on stderr, for a daemon that seems stuck.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    service = Service(settings, once=once)
    code = asyncio.run(service.run())
    if service.stuck_threads():
        # A scan thread stuck in a read past the drain: its run is already marked interrupted.
        logging.shutdown()
        sys.stdout.flush()
        os._exit(code)
    return code


@daemon.command(name="validate")
@config_option
def validate_command(config: Path | None) -> int:
    """Check the config (and its projects directory and policies): every problem, one line each."""
    from depsentry.daemon.config import config_path, load_settings

    path = config_path(config)
    settings = load_settings(path)
    for warning in settings.warnings:
        click.echo(f"depsentry: warning: {warning}", err=True)
    click.echo(
        f"{settings.config_path}: ok: {len(settings.projects)} project(s), "
        f"{len(settings.channels)} channel(s), state in {settings.state_dir}"
    )
    return 0


@daemon.command(name="scan")
@config_option
@click.argument("name")
@click.option(
    "--local", is_flag=True, help="Scan in this process instead of asking the running daemon."
)
@click.option(
    "--wait/--no-wait", default=True, show_default=True, help="Wait for the scan to finish."
)
@click.option(
    "--url",
    metavar="URL",
    help="The daemon's URL. [default: from its state directory or daemon.listen]",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Bearer token file. [default: $DEPSENTRY_TOKEN, else the config's]",
)
@click.option("--timeout", default=600.0, show_default=True, help="Seconds to wait with --wait.")
def scan_command(
    config: Path | None, name: str, local: bool, wait: bool, url: str | None,
    token_file: Path | None, timeout: float,
) -> int:  # fmt: skip
    """Scan project NAME now: the running daemon puts it first in its queue."""
    from depsentry.daemon.config import config_path, load_settings

    settings = load_settings(config_path(config))
    if settings.project(name) is None:
        known = ", ".join(p.name for p in settings.projects) or "none"
        raise DepsentryError(f"no project {name!r} in {settings.config_path} (projects: {known})")
    if local:
        return _scan_local(settings, name)
    from depsentry.daemon.client import DaemonClient, daemon_url, token_from
    from depsentry.daemon.credentials import read_secret

    token = token_from(token_file) or read_secret(
        what="API token", file=settings.token_file, credential=settings.token_credential
    )
    with DaemonClient(url or daemon_url(settings), token) as client:
        before = client.get("/v1/runs", project=name, limit=1)["runs"]
        last_id = before[0]["id"] if before else 0
        answer = client.post(f"/v1/projects/{name}/scan")
        click.echo(f"{name}: {answer['state']} at {client.url}", err=True)
        if not wait:
            return 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runs = client.get("/v1/runs", project=name, limit=1)["runs"]
            if runs and runs[0]["id"] > last_id and runs[0]["result"] != "running":
                return _report(runs[0])
            time.sleep(0.5)
    raise DepsentryError(f"{name}: no result within {timeout:.0f}s (it may still be running)")


def _report(run: dict[str, object]) -> int:
    stats = run.get("stats") or {}
    assert isinstance(stats, dict)
    if run["result"] == "ok":
        click.echo(
            f"{run['project']}: ok in {float(str(run['duration'])):.2f}s: "
            f"{stats.get('vulnerabilities', 0)} vulnerabilities, {stats.get('updates', 0)} updates, "
            f"{stats.get('violations', 0)} violations, {stats.get('changes', 0)} change(s)"
        )
        return 0
    raise DepsentryError(f"{run['project']}: scan {run['result']}: {run['error']}")


def _scan_local(settings: object, name: str) -> int:
    from depsentry.daemon import logs
    from depsentry.daemon.service import Service
    from depsentry.daemon.settings import Settings

    assert isinstance(settings, Settings)
    logs.configure("human", _level() or logging.WARNING, stream=sys.stderr)
    service = Service(settings, once=True, only=(name,))
    code = asyncio.run(service.run())
    if code:
        return code
    summary = next((s for s in service.summaries if s.project == name), None)
    if summary is None:
        raise DepsentryError(f"{name}: not scanned")
    store_run = {"project": name, "result": summary.result, "duration": summary.duration,
                 "error": summary.error, "stats": {"changes": summary.changes}}  # fmt: skip
    if summary.result == "ok":
        click.echo(
            f"{name}: ok in {summary.duration:.2f}s: {summary.findings} finding(s), {summary.changes} change(s)"
        )
        return 0
    return _report(store_run)
