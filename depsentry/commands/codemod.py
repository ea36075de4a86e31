"""`depsentry codemod`: placeholder until its issue lands."""

from __future__ import annotations

import click


@click.group(name="codemod")
def codemod() -> None:
    """(not yet implemented)"""
