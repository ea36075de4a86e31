"""The README's option tables and the CLI's `--help` agree (as pip-audit's CI checks its README):
every option a table names exists in that command's `--help`, and every option any `--help`
shows is documented in the README."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest

from depsentry.cli import cli
from tests.paths import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")
# Every command has these; the README's Usage section documents them once.
EVERYWHERE = {"-h", "--help", "-v", "--verbose", "-q", "--quiet"}
# README section heading -> the commands whose --help its option table documents. fix's table
# lists only its own options: "fix takes the scan's options" (the scan table).
TABLES = {
    "### `depsentry scan`": ("scan",),
    "## `depsentry fix`": ("fix",),
}


def table_options(heading: str) -> set[str]:
    """The options in the first column of the first table after `heading`."""
    start = README.index(heading + "\n")
    lines = README[start:].splitlines()[1:]
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    found: set[str] = set()
    for line in lines[first + 2 :]:
        if not line.startswith("|"):
            break
        cell = re.split(r"(?<!\\)\|", line)[1]  # `\|` is a pipe inside a cell
        found.update(OPTION.findall(" ".join(re.findall(r"`([^`]*)`", cell))))
    assert found, f"no options in the table after {heading!r}"
    return found


def commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group, info_name="depsentry")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = (*prefix, name)
        yield " ".join(path), command
        if isinstance(command, click.Group):
            yield from commands(command, path)


def help_options(command: click.Command) -> set[str]:
    """The option names `--help` shows for `command`."""
    ctx = click.Context(command)
    found: set[str] = set()
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if isinstance(param, click.Option) and record is not None:
            found.update(OPTION.findall(record[0]))
    return found


ALL = dict(commands(cli))
# Options the README mentions anywhere: tables, prose, examples in code blocks.
MENTIONED = set(OPTION.findall(README))


def test_every_command_is_walked() -> None:
    assert {"scan", "fix", "policy check", "db sync", "codemod run", "daemon run"} <= set(ALL)


@pytest.mark.parametrize("heading", list(TABLES))
def test_every_option_in_a_readme_table_exists_in_help(heading: str) -> None:
    documented = table_options(heading)
    for name in TABLES[heading]:
        missing = documented - help_options(ALL[name])
        assert not missing, f"README {heading} names options `{name} --help` lacks: {missing}"


def test_the_scan_and_fix_tables_cover_their_help() -> None:
    scan = table_options("### `depsentry scan`")
    assert help_options(ALL["scan"]) - scan - EVERYWHERE == set()
    # policy check takes the scan's options (its own --policy and --since are in the table)
    assert help_options(ALL["policy check"]) - scan - EVERYWHERE == set()
    fix = table_options("## `depsentry fix`")
    assert help_options(ALL["fix"]) - fix - scan - EVERYWHERE == set()


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_help_option_is_documented_in_the_readme(name: str) -> None:
    undocumented = {
        option for option in help_options(ALL[name]) - EVERYWHERE if option not in MENTIONED
    }
    assert not undocumented, (
        f"`depsentry {name} --help` options missing from README: {undocumented}"
    )


def test_the_check_can_fail() -> None:
    # A made-up option is found neither in help nor in the README: the checks above can fail.
    assert "--no-such-option" not in help_options(ALL["scan"])
    assert "--no-such-option" not in MENTIONED
