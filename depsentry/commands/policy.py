"""`depsentry policy`: placeholder until its issue lands."""

from __future__ import annotations

import click


@click.group(name="policy")
def policy() -> None:
    """(not yet implemented)"""
