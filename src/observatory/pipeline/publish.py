"""Publishing: move a verified release file into place, then switch ``CURRENT`` atomically.

Order matters for crash safety: report, then release file, then pointer. A crash before the pointer
switch leaves a complete but unpublished release beside the current one, which keeps serving.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from observatory.store import Store, fsync_dir, write_atomic


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
