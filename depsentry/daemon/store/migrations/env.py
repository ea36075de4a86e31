"""Alembic environment: always run on the connection the store hands over (never a URL here)."""

from __future__ import annotations

from alembic import context

from depsentry.daemon.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
context.run_migrations()
