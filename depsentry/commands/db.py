"""`depsentry db`: placeholder until its issue lands."""

from __future__ import annotations

import click


@click.group(name="db")
def db() -> None:
    """(not yet implemented)"""
