"""The one depsentry command line: the top-level group, logging, and the single error catch.

Each command family is a thin module under `depsentry/commands/` that parses options, calls into
daemon/ or codemods/, and prints.

Errors of the `DepsentryError` family are caught once, in `main()`, and become one line on
stderr and exit code 2; machine output goes to stdout or `-o`, everything else to stderr.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from depsentry import __version__
from depsentry.errors import DepsentryError

logger = logging.getLogger(__name__)

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _configure_logging(verbose: int, quiet: int) -> None:
    level_name = os.environ.get("DEPSENTRY_LOG_LEVEL")
    level = logging.WARNING - 10 * verbose + 10 * quiet
    if level_name:
        level = logging.getLevelName(level_name.upper())
    logging.basicConfig(
        level=level, format="depsentry: %(levelname)s: %(message)s", stream=sys.stderr
    )


# Each family is one small module under depsentry/commands/, imported only when its command runs:
# `scan` must not pay for libcst (the codemods) or the sync code at start-up.
COMMANDS = {
    "scan": "depsentry.commands.scan:scan",
    "fix": "depsentry.commands.fix:fix",
    "policy": "depsentry.commands.policy:policy",
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
        return command


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, prog_name="depsentry")
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less log output (repeatable).")
def cli(verbose: int, quiet: int) -> None:
    """depsentry: find vulnerable and outdated Python dependencies, enforce an update policy,
    and migrate code across breaking upgrades."""
    _configure_logging(verbose, quiet)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 clean, 1 findings, 2 bad usage or input)."""
    try:
        result = cli.main(args=argv, prog_name="depsentry", standalone_mode=False)
    except DepsentryError as exc:
        for line in str(exc).splitlines() or [""]:  # ConfigErrors: one line per problem
            click.echo(f"depsentry: error: {line}", err=True)
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
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
