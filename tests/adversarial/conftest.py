"""The command-test fixtures (isolated state directory, tiny OSV database) for the reproducers."""

from tests.commands.conftest import home, osv

__all__ = ["home", "osv"]
