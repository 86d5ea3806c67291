"""Publishing: move a verified release file into place, then switch ``CURRENT`` atomically.

Order matters for crash safety: report, then release file, then pointer. A crash before the pointer
switch leaves a complete but unpublished release beside the current one, which keeps serving.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from observatory.store import RELEASE_ID, Store, fsync_dir, write_atomic


def publish(store: Store, built: Path, release_id: str, report: dict[str, Any], *, keep: int) -> None:
    target = store.release_path(release_id)
    write_atomic(store.releases / f"{release_id}.json", json.dumps(report, indent=1, default=str).encode())
    os.replace(built, target)
    fsync_dir(store.releases)
    write_atomic(store.pointer, f"{release_id}\n".encode("ascii"))
    prune(store, keep=keep)


def prune(store: Store, *, keep: int) -> list[str]:
    """Keep the newest ``keep`` releases (and always the current one); delete the rest."""
    current = store.current_id()
    ids = store.release_ids()
    doomed = [i for i in ids[: max(0, len(ids) - keep)] if i != current]
    for release_id in doomed:
        for suffix in (".json", ".duckdb"):
            (store.releases / f"{release_id}{suffix}").unlink(missing_ok=True)
    return doomed


def remove_orphans(store: Store) -> list[str]:
    """Remove what an interrupted publish left in ``releases/``; return the file names removed.

    A report (``<id>.json``) without its release file, and a release newer than the current one that never
    became current (the publish stopped before the pointer switch; builds hold a lock, so a newer release
    that is not current was never served). Neither is ever offered as ``previous`` or as the baseline of
    /changes. Nothing is removed while no release is current.
    """
    if not store.releases.is_dir():
        return []
    current = store.current_id()
    if current is None:
        return []
    removed: list[str] = []
    for report in sorted(store.releases.glob("*.json")):
        if RELEASE_ID.match(report.stem) and not store.release_path(report.stem).exists():
            report.unlink(missing_ok=True)
            removed.append(report.name)
    for release_id in store.release_ids():
        if release_id > current:
            for suffix in (".duckdb", ".json"):
                path = store.releases / f"{release_id}{suffix}"
                if path.exists():
                    path.unlink()
                    removed.append(path.name)
    if removed:
        fsync_dir(store.releases)
    return removed
