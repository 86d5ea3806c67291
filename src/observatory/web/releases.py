"""Serving releases: one read-only DuckDB connection per open release, a cursor per request.

Release files are immutable, so connections stay open for the life of the process; only the
``CURRENT`` pointer is re-read (at most once a second) so a newly published release is picked up
without a restart. ``?release=`` pins any release still in the store.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import duckdb

from observatory.config import Config
from observatory.release import read
from observatory.store import Store, StoreError

POINTER_TTL = 1.0  # seconds between checks of CURRENT
MAX_OPEN = 8  # releases kept open at once (current + pinned ones)


@dataclass(frozen=True)
class Release:
    """An open release: its id and the shared connection (take ``cursor()`` per request)."""

    id: str
    con: duckdb.DuckDBPyConnection
    created: str

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()


class ReleasePool:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self._open: OrderedDict[str, Release] = OrderedDict()
        self._lock = threading.Lock()
        self._current: str | None = None
        self._checked = 0.0

    def current_id(self) -> str:
        now = time.monotonic()
        if self._current is None or now - self._checked > POINTER_TTL:
            current = self.store.current_id()
            if current is None:
                raise StoreError(f"no release has been published in {self.store.root}; run `observatory build`")
            self._current, self._checked = current, now
        return self._current

    def get(self, release: str | None = None) -> Release:
        """The release asked for (id, unique prefix, 'current', 'previous') or the current one."""
        release_id = self.current_id() if release in (None, "", "current") else self.store.resolve(release)
        with self._lock:
            found = self._open.get(release_id)
            if found is not None:
                self._open.move_to_end(release_id)
                return found
            con = self.store.connect(release_id)
            try:
                created = str(read.release_info(con).created)
            except StoreError:
                created = ""
            opened = Release(release_id, con, created)
            self._open[release_id] = opened
            while len(self._open) > MAX_OPEN:
                # dropped, not closed: a request may still hold a cursor on it; GC closes it after
                self._open.popitem(last=False)
            return opened

    def close(self) -> None:
        with self._lock:
            for rel in self._open.values():
                rel.con.close()
            self._open.clear()
