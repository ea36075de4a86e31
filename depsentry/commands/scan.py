"""`depsentry scan`: placeholder, filled in by the lead."""

from __future__ import annotations

import click


@click.command(name="scan")
def scan() -> None:
    """(not yet implemented)"""
