"""The release store: a folder of immutable DuckDB release files and a pointer to the current one.

Layout of the store folder (``./var`` or ``$OBSERVATORY_STORE``)::

    releases/<id>.duckdb   one immutable, verified release each
    releases/<id>.json     its build report (also inside the release)
    CURRENT                the id of the release being served (replaced atomically)
    tmp/                   builds in progress; anything here is debris of an interrupted build
    failed/                reports of builds that found errors and published nothing

Readers never see a half-written release: a release file appears under ``releases/`` only by an atomic
rename after it is complete and verified, and ``CURRENT`` is switched the same way afterwards.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from observatory.release.schema import SchemaError, check

RELEASE_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}(?:-[0-9]+)?$")
DEFAULT_STORE = "var"


class StoreError(RuntimeError):
    """The store or a release cannot be used; the message says which and why."""


def default_store_path() -> Path:
    return Path(os.environ.get("OBSERVATORY_STORE") or DEFAULT_STORE)


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    id: str
    created: str
    content_hash: str
    config_hash: str
    counts: dict[str, int]
    current: bool = False


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write a small file so that readers see the old content or the new, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.releases = root / "releases"
        self.tmp = root / "tmp"
        self.failed = root / "failed"
        self.pointer = root / "CURRENT"

    def ensure(self) -> None:
        for folder in (self.releases, self.tmp, self.failed):
            folder.mkdir(parents=True, exist_ok=True)

    def release_path(self, release_id: str) -> Path:
        if not RELEASE_ID.match(release_id):
            raise StoreError(f"{release_id!r} is not a release id (like 20261126T170000Z-1a2b3c4d)")
        return self.releases / f"{release_id}.duckdb"

    def current_id(self) -> str | None:
        try:
            text = self.pointer.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        if not RELEASE_ID.match(text) or not self.release_path(text).exists():
            raise StoreError(f"{self.pointer} points at {text!r}, which is not a release in {self.releases}")
        return text

    def release_ids(self) -> list[str]:
        """Published releases, oldest first (ids start with their UTC creation time)."""
        if not self.releases.is_dir():
            return []
        return sorted(p.stem for p in self.releases.glob("*.duckdb") if RELEASE_ID.match(p.stem))

    def resolve(self, release: str | None) -> str:
        """A release id from what a user typed: an id, ``current``, ``previous`` or nothing (current)."""
        ids = self.release_ids()
        if release in (None, "", "current"):
            current = self.current_id()
            if current is None:
                raise StoreError(f"no release has been published in {self.root}; run `observatory build`")
            return current
        if release == "previous":
            current = self.current_id()
            older = [i for i in ids if current is not None and i < current]
            if not older:
                raise StoreError("there is no release before the current one")
            return older[-1]
        assert release is not None
        if release in ids:
            return release
        matches = [i for i in ids if i.startswith(release) or i.endswith(release)]
        if len(matches) == 1:
            return matches[0]
        hint = f" (did you mean one of: {', '.join(matches[:5])}?)" if matches else ""
        raise StoreError(f"no release {release!r} in {self.root}{hint}")

    def connect(self, release_id: str) -> duckdb.DuckDBPyConnection:
        """A read-only connection to a published release whose tables are the declared ones.

        Raises :class:`StoreError` if the file's tables or columns differ from ``observatory.release.schema``
        (e.g. a release written by an older version): rebuild it with ``observatory build``.
        """
        con = duckdb.connect(str(self.release_path(release_id)), read_only=True)
        try:
            check(con)
        except SchemaError as exc:
            con.close()
            raise StoreError(f"release {release_id} cannot be read by this version: {exc}; rebuild it") from exc
        return con

    @contextmanager
    def open(self, release: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to a release; use one cursor per request on top of it."""
        con = self.connect(self.resolve(release))
        try:
            yield con
        finally:
            con.close()

    def info(self, release_id: str, con: duckdb.DuckDBPyConnection | None = None) -> ReleaseInfo:
        def read(c: duckdb.DuckDBPyConnection) -> ReleaseInfo:
            row = c.execute("SELECT id, created, content_hash, config_hash, counts FROM release_info").fetchone()
            if row is None:
                raise StoreError(f"release {release_id} has no release_info row")
            return ReleaseInfo(
                id=row[0],
                created=str(row[1]),
                content_hash=row[2],
                config_hash=row[3],
                counts=json.loads(row[4]),
                current=row[0] == self.current_id(),
            )

        if con is not None:
            return read(con)
        with self.open(release_id) as c:
            return read(c)

    def list(self) -> list[ReleaseInfo]:
        return [self.info(i) for i in self.release_ids()]

    def report(self, release_id: str) -> dict[str, Any]:
        path = self.releases / f"{release_id}.json"
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
