"""Alembic environment: runs on the engine handed over by ``officers.migrate`` (online mode only)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from observatory.officers.models import Base

engine = context.config.attributes.get("engine")
if not isinstance(engine, Engine):
    raise RuntimeError("run migrations through observatory.officers.migrate (observatory db upgrade)")

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
