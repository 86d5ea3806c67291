"""The officers' database: where it is, one engine per URL, sessions, and the writable data folder.

``OBSERVATORY_DATABASE_URL`` names the database (``postgresql+psycopg://user:pass@host/db`` for
PostgreSQL); without it, a SQLite file ``officers.sqlite`` in the officers' data folder. The data folder
(``$OBSERVATORY_OFFICERS_DIR``, else ``STORE/officers``) also holds the session-signing key and the
uploaded files; nothing in it is ever served.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DATABASE_URL_ENV = "OBSERVATORY_DATABASE_URL"
OFFICERS_DIR_ENV = "OBSERVATORY_OFFICERS_DIR"

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def officers_dir(store_root: Path) -> Path:
    """The writable folder for the database file, the session key and uploads (created 0700)."""
    folder = Path(os.environ.get(OFFICERS_DIR_ENV) or store_root / "officers")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def database_url(store_root: Path) -> str:
    """``$OBSERVATORY_DATABASE_URL``, else a SQLite file in the officers' folder."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return f"sqlite:///{(officers_dir(store_root) / 'officers.sqlite').resolve()}"


def _sqlite_connect(dbapi_con: Any, _record: Any) -> None:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions (so DDL is transactional too: a migration
    interrupted half-way leaves nothing behind); WAL so readers never wait for a writer."""
    dbapi_con.isolation_level = None
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def _sqlite_begin(con: Any) -> None:
    con.exec_driver_sql("BEGIN")


def engine_for(url: str) -> Engine:
    """One engine (connection pool) per URL for the life of the process."""
    with _LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = create_engine(url, pool_pre_ping=True)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_connect)
                event.listen(engine, "begin", _sqlite_begin)
            _ENGINES[url] = engine
        return engine


def dispose_all() -> None:
    """Close every pooled connection (tests dropping a database, forked workers)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


class Database:
    """The officers' database of one deployment: its URL, engine and session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = engine_for(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def for_store(cls, store_root: Path) -> Database:
        return cls(database_url(store_root))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends normally, rolled back on an exception."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self) -> str:
        """Bring the schema to the newest migration; returns the revision now applied."""
        from observatory.officers.migrate import upgrade

        return upgrade(self.engine)
