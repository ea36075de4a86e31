"""`depsentry init`: write a commented example daemon config."""

from __future__ import annotations

from pathlib import Path

import click

from depsentry.errors import ConfigError


@click.command(name="init")
@click.argument(
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default="depsentry.toml",
    required=False,
)
@click.option(
    "--project",
    "projects",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="A project folder to watch (repeatable). [default: the current folder]",
)
@click.option(
    "--state-dir", default=".depsentry", show_default=True, help="Relative to the config file."
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(config: Path, projects: tuple[Path, ...], state_dir: str, force: bool) -> int:
    """Write a commented example config for `depsentry daemon run` to CONFIG (depsentry.toml)."""
    from depsentry.daemon.config import load_settings
    from depsentry.daemon.example_config import example_config

    if config.exists() and not force:
        raise ConfigError("already exists; pass --force to overwrite it", config)
    text = example_config(config, projects or (Path.cwd(),), state_dir)
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    settings = load_settings(config)  # what we write must be valid: fail loudly if not
    click.echo(
        f"Wrote {config} ({len(settings.projects)} project(s)). Check it with "
        f"`depsentry daemon validate -c {config}`, start with `depsentry daemon run -c {config}`.",
        err=True,
    )
    return 0
