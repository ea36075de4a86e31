"""Thin click commands, one module per command family; `depsentry.cli` registers them."""

_exit_without_teardown = False
_process_ends_with_command = False


def exit_without_teardown() -> None:
    """Ask the console script to end this process without the interpreter's teardown: the
    command wrote everything, and freeing a big scan's objects one by one costs tens of
    milliseconds (mypy exits the same way). Only commands with no temporary files left to remove ask."""
    global _exit_without_teardown
    _exit_without_teardown = True


def teardown_skipped() -> bool:
    return _exit_without_teardown


def command_ends_process() -> None:
    """Said by the console script: the process ends when this command returns (a program that
    calls `cli.main` itself, a test among them, goes on afterwards)."""
    global _process_ends_with_command
    _process_ends_with_command = True


def process_ends_with_command() -> bool:
    return _process_ends_with_command
