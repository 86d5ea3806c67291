"""Alembic migrations, run from the program (``observatory db upgrade``, ``serve`` and the tests).

The migration scripts live in ``officers/migrations/versions``; nothing needs an ``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head() -> str:
    script = ScriptDirectory.from_config(_plain())
    revision = script.get_current_head()
    assert revision is not None
    return revision


def _plain() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current(engine: Engine) -> str | None:
    with engine.connect() as con:
        return MigrationContext.configure(con).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Apply every migration up to ``revision``; returns the revision now applied (idempotent)."""
    command.upgrade(alembic_config(engine), revision)
    now = current(engine)
    assert now is not None
    return now


def downgrade(engine: Engine, revision: str = "base") -> None:
    command.downgrade(alembic_config(engine), revision)
