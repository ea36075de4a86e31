"""The one depsentry command line: the top-level group, logging, and the single error catch.

Each command family is a thin module under `depsentry/commands/` that parses options, calls into
daemon/ or codemods/, and prints.

Errors of the `DepsentryError` family are caught once, in `main()`, and become one line on
stderr and exit code 2; any other exception is a bug: exit 3, one line naming the file that holds
the traceback (`-v` prints it too). Exit 1 stays "findings", so CI never reads a crash as one.
Machine output goes to stdout or `-o`, everything else to stderr.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from typing import NoReturn, TextIO

import click

from depsentry import __version__
from depsentry.errors import DepsentryError

logger = logging.getLogger(__name__)

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class _Formatter(logging.Formatter):
    """`depsentry: warning: ...`, the prefix every stderr line of the CLI uses."""

    def format(self, record: logging.LogRecord) -> str:
        return f"depsentry: {record.levelname.lower()}: {record.getMessage()}"


def _configure_logging(verbose: int, quiet: int) -> None:
    level_name = os.environ.get("DEPSENTRY_LOG_LEVEL")
    level = logging.WARNING - 10 * verbose + 10 * quiet
    if level_name:
        level = logging.getLevelName(level_name.upper())
    global _handler
    root = logging.getLogger()
    if any(handler is not _handler for handler in root.handlers):
        return  # someone else owns logging (a test runner, an embedding program), as basicConfig
    if _handler is None or _handler not in root.handlers:
        _handler = _StderrHandler()
        _handler.setFormatter(_Formatter())
        root.addHandler(_handler)
    # The handler's own level too: a logger set lower elsewhere must not reach the terminal.
    _handler.setLevel(level)
    root.setLevel(level)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (tests and wrappers replace it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


_handler: _StderrHandler | None = None


def _more_logging(ctx: click.Context, param: click.Parameter, value: int) -> None:
    """-v/-q after a subcommand add to the ones before it (`depsentry scan . -v`)."""
    if not value or ctx.resilient_parsing:
        return
    root = ctx.find_root()
    name = param.name or "verbose"
    root.params[name] = int(root.params.get(name, 0)) + value
    _configure_logging(int(root.params.get("verbose", 0)), int(root.params.get("quiet", 0)))


def _with_log_options(command: click.Command) -> click.Command:
    """Give `command` (and every subcommand of a group) the top-level -v/-q, once."""
    names = {param.name for param in command.params}
    if "verbose" not in names:
        command.params += [
            click.Option(
                ["-v", "--verbose"],
                count=True,
                expose_value=False,
                callback=_more_logging,
                help="More log output (repeatable).",
            ),
            click.Option(
                ["-q", "--quiet"],
                count=True,
                expose_value=False,
                callback=_more_logging,
                help="Less log output (repeatable).",
            ),
        ]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_log_options(sub)
    return command


# Each family is one small module under depsentry/commands/, imported only when its command runs:
# `scan` must not pay for libcst (the codemods) or the sync code at start-up.
COMMANDS = {
    "scan": "depsentry.commands.scan:scan",
    "fix": "depsentry.commands.fix:fix",
    "policy": "depsentry.commands.policy:policy",
    "readiness": "depsentry.commands.readiness:readiness",
    "db": "depsentry.commands.db:db",
    "codemod": "depsentry.commands.codemod:codemod",
    "daemon": "depsentry.commands.daemon:daemon",
    "init": "depsentry.commands.init:init",
    "findings": "depsentry.commands.findings:findings",
    "alerts": "depsentry.commands.alerts:alerts",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return _with_log_options(command)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="depsentry")
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less log output (repeatable).")
def cli(verbose: int, quiet: int) -> None:
    """depsentry: find vulnerable and outdated Python dependencies, enforce an update policy,
    and migrate code across breaking upgrades."""
    _configure_logging(verbose, quiet)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 clean, 1 findings, 2 bad usage or input, 3 a bug)."""
    try:
        result = cli.main(args=argv, prog_name="depsentry", standalone_mode=False)
    except DepsentryError as exc:
        for line in str(exc).splitlines() or [""]:  # ConfigErrors: one line per problem
            click.echo(f"depsentry: error: {printable(line)}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("depsentry: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except KeyboardInterrupt:
        click.echo("depsentry: interrupted", err=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place a bug becomes exit 3, not a traceback
        return _crashed(exc)
    return result if isinstance(result, int) else 0


def run() -> NoReturn:
    """The console script: `main()`, then exit; a command that wrote all it had skips the
    interpreter's teardown (`commands.exit_without_teardown`)."""
    from depsentry import commands

    commands.command_ends_process()
    code = main()

    if commands.teardown_skipped():
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe: the exit code still stands
                stream.flush()
        os._exit(code)
    sys.exit(code)


def printable(text: str) -> str:
    """`text` safe for any stderr: undecodable file-name bytes as `\\xff` (imported on use)."""
    from depsentry.report.escaping import printable as escape

    return escape(text)


def _crashed(exc: BaseException) -> int:
    """Write the traceback to a file, say so in one line (and print it with -v); exit 3."""
    import traceback

    text = "".join(traceback.format_exception(exc))
    where = _write_traceback(text)
    place = f"the traceback is in {where}" if where else "the traceback could not be saved"
    first = str(exc).splitlines()[0] if str(exc) else ""
    what = printable(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
    click.echo(f"depsentry: error: internal error (a bug in depsentry): {what}; {place}", err=True)
    if logging.getLogger().getEffectiveLevel() <= logging.INFO:
        click.echo(printable(text), err=True, nl=False)
    return 3


def _write_traceback(text: str) -> str | None:
    """`crashes/` under the state directory, else the temporary directory; None if neither."""
    import tempfile
    import time
    from pathlib import Path

    from depsentry.paths import state_dir

    places: list[Path] = []
    with contextlib.suppress(Exception):  # an unusable state directory must not hide the bug
        places.append(state_dir() / "crashes")
    places.append(Path(tempfile.gettempdir()))
    name = f"depsentry-crash-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.txt"
    for place in places:
        try:
            place.mkdir(parents=True, exist_ok=True)
            path = place / name
            with open(path, "x", encoding="utf-8", errors="backslashreplace") as file:
                file.write(text)
        except OSError:
            continue
        return printable(str(path))
    return None


if __name__ == "__main__":  # pragma: no cover
    run()
