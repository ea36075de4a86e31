"""`depsentry db`: sync, inspect and serve the local OSV advisory database."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from depsentry.advisories.osv_store import OsvStore
from depsentry.advisories.osv_sync import DEFAULT_URL, Progress, sync
from depsentry.advisories.resolve import database_path, open_advisories
from depsentry.errors import AdvisoryDbError, ConfigError


@click.group(name="db")
def db() -> None:
    """Sync, inspect and serve the local OSV advisory database."""


def _detail(stage: str, done: int, total: int | None) -> str:
    if stage == "download":
        mib = 1 << 20
        return f"{done / mib:.1f}/{total / mib:.1f} MiB" if total else f"{done / mib:.1f} MiB"
    return f"{done}/{total} files" if total else f"{done} files"


@contextmanager
def _progress() -> Iterator[Progress]:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty():
        yield lambda stage, done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, TaskID, TextColumn
    from rich.progress import Progress as Bar

    tasks: dict[str, TaskID] = {}
    columns = (
        TextColumn("{task.description:<8}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
    )
    with Bar(*columns, console=Console(stderr=True), transient=True) as bar:

        def update(stage: str, done: int, total: int | None) -> None:
            detail = _detail(stage, done, total)
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total, detail=detail)
            bar.update(tasks[stage], completed=done, total=total, detail=detail)

        yield update


@db.command(name="sync")
@click.option(
    "--from",
    "source",
    metavar="URL|PATH",
    help=f"OSV zip (URL or file) or directory of OSV JSON/YAML. [default: {DEFAULT_URL}]",
)
@click.option("--offline", is_flag=True, help="Forbid network access (only a local --from works).")
def sync_command(source: str | None, offline: bool) -> None:
    """Import OSV advisories into the local database (incremental; atomic)."""
    target = database_path()
    with _progress() as progress:
        result = sync(target, source, offline=offline, progress=progress)
    if result.unchanged:
        click.echo(
            f"Advisory database up to date: {result.records} records from {result.source}", err=True
        )
    else:
        click.echo(
            f"Imported {result.imported} records ({result.removed} removed, {result.warnings} malformed parts skipped); "
            f"{result.records} records from {result.source} in {target}",
            err=True,
        )


@db.command(name="status")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def status_command(fmt: str) -> None:
    """Show the source, record count and last update of the local database."""
    path = database_path()
    if not path.is_file():
        raise AdvisoryDbError(f"no advisory database at {path}; run `depsentry db sync`")
    store = OsvStore.open(path)
    try:
        meta, records = store.meta(), store.count()
    finally:
        store.close()
    info = {
        "path": str(path),
        "source": meta.get("source"),
        "records": records,
        "updated": meta.get("updated"),
    }
    if fmt == "json":
        click.echo(json.dumps(info, indent=2))
    else:
        click.echo("\n".join(f"{key}: {value}" for key, value in info.items()))


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"--listen {value!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    return host.strip("[]") or "127.0.0.1", int(port)


@db.command(name="serve")
@click.option("--listen", default="127.0.0.1:8080", show_default=True, metavar="HOST:PORT")
@click.option(
    "--osv-db",
    type=click.Path(path_type=Path),
    help="Serve this OSV directory or zip instead of the synced database.",
)
@click.option(
    "--offline", is_flag=True, help="Never download (fall back to the embedded snapshot)."
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="A request's head and body must arrive within this, else the connection is closed.",
)
@click.option(
    "--keep-alive",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    metavar="SECONDS",
    help="Close a keep-alive connection idle this long.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    default=512,
    show_default=True,
    help="Past this many open connections, the one idle longest is closed.",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=1 << 20,
    show_default=True,
    metavar="BYTES",
    help="Larger request bodies are answered 413.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=64),
    default=4,
    show_default=True,
    help="Threads doing look-ups; 64 more requests may wait, then 503.",
)
@click.option("--access-log", is_flag=True, help="Log one line per request on stderr.")
def serve_command(
    listen: str,
    osv_db: Path | None,
    offline: bool,
    request_timeout: float,
    keep_alive: int,
    max_connections: int,
    max_body: int,
    workers: int,
    access_log: bool,
) -> None:
    """Serve the database as an OSV-compatible API (/v1/query, /v1/querybatch, /v1/vulns/ID)."""
    from depsentry.advisories.osv_api import ApiLimits, build_osv_app
    from depsentry.serving import ServerLimits, bind, make_server

    host, port = _listen(listen)
    source = open_advisories(osv_db=osv_db, offline=offline)
    try:
        sock = bind(host, port)
        try:
            app = build_osv_app(source, ApiLimits(max_body=max_body, workers=workers))
            limits = ServerLimits(
                request_timeout=request_timeout,
                keep_alive=keep_alive,
                max_connections=max_connections,
            )
            server = make_server(app, limits, access_log=access_log)
            bound_host, bound_port = sock.getsockname()[:2]
            shown = f"[{bound_host}]" if ":" in bound_host else bound_host
            info = source.info()
            click.echo(
                f"Serving {info.records} advisories from {info.source} on http://{shown}:{bound_port}/v1/query",
                err=True,
            )
            server.run(sockets=[sock])  # until SIGINT/SIGTERM, then a graceful shutdown
        finally:
            sock.close()
    finally:
        source.close()
