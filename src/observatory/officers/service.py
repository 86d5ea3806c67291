"""The officers' side of one deployment: its database, data folder, session keys and upload folder.

``Officers.open(store_root)`` finds the folder and database, applies the migrations (so ``make run``
needs no extra step) and makes the session-signing key on first use. If the folder cannot be written
(a read-only deployment), ``open`` logs why and returns None: the public site then serves without
recorded progress and the sign-in pages answer 503.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from observatory.officers import progress
from observatory.officers.auth import Sessions, secret_key
from observatory.officers.db import Database, officers_dir

log = logging.getLogger("observatory.officers")


class Officers:
    def __init__(self, db: Database, folder: Path) -> None:
        self.db = db
        self.folder = folder
        self.uploads_dir = folder / "uploads"
        self.sessions = Sessions(secret_key(folder))
        self._progress: tuple[int, dict[str, list[Any]]] = (-1, {})

    @classmethod
    def open(cls, store_root: Path, *, upgrade: bool = True) -> Officers | None:
        try:
            folder = officers_dir(store_root)
            db = Database.for_store(store_root)
            if upgrade:
                db.upgrade()
            return cls(db, folder)
        except Exception as exc:  # a missing driver, a read-only folder, a database that refuses us
            log.error("officers' database unavailable (sign-in and progress are off): %s", exc)
            return None

    def public_progress(self) -> tuple[dict[str, list[Any]], int]:
        """Every action's recorded updates (newest first) and the newest update's id, for the tracker.

        Updates are only ever added, so the histories are re-read only when the newest id has changed.
        """
        try:
            with self.db.session() as s:
                seen = progress.version(s)
                if seen != self._progress[0]:
                    self._progress = (seen, progress.histories(s))
                return self._progress[1], seen
        except Exception as exc:  # the tracker still serves the plan if the database is down
            log.error("cannot read action progress: %s", exc)
            return {}, -1
