"""Thin click commands, one module per command family; `depsentry.cli` registers them."""
