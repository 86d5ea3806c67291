"""Data for /changes: what a release revised relative to the release before it, and the list of releases.

The diff is ``queries.diff_rows`` — the same one ``observatory diff`` prints — so the page and the command
line cannot disagree. Releases are immutable, so a diff is computed once per pair and kept. The page shows a
summary by indicator and the revised values that matter most here (South Essex and its comparators first);
the CSV and JSON carry every change.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from typing import Any

import duckdb

from observatory import format as nf
from observatory.config import Config
from observatory.periods import PeriodError, parse_period
from observatory.release import read, schema
from observatory.release.read import DIFF_COLUMNS, diff_rows
from observatory.store import Store
from observatory.web.data.common import Row

SHOWN = 100  # revised values listed on the page; every change is in the CSV
_DIFFS: OrderedDict[tuple[str, str], list[tuple[object, ...]]] = OrderedDict()
_LOCK = threading.Lock()


def cached_diff(store: Store, old: str, new: str) -> list[tuple[object, ...]]:
    """``diff_rows`` between two release ids, kept for the life of the process (releases never change)."""
    with _LOCK:
        found = _DIFFS.get((old, new))
        if found is not None:
            _DIFFS.move_to_end((old, new))
            return found
    _, _, changes = diff_rows(store, old, new)
    with _LOCK:
        _DIFFS[(old, new)] = changes
        while len(_DIFFS) > 8:
            _DIFFS.popitem(last=False)
    return changes


def changes_page(cur: duckdb.DuckDBPyConnection, store: Store, config: Config) -> dict[str, Any]:
    """The changes made by the release served (``cur``'s) against the release published before it."""
    release_id = read.release_info(cur).id
    infos = store.list()
    ids = [i.id for i in infos]
    older = [i for i in ids if i < release_id]
    previous = older[-1] if older else None
    releases = [
        {"id": i.id, "created": i.created, "current": i.current, "selected": i.id == release_id,
         "content_hash": i.content_hash, "observations": i.counts.get("observations"),
         "url": f"/changes?release={i.id}"}
        for i in reversed(infos)
    ]  # fmt: skip
    base: dict[str, Any] = {
        "title": "What's changed",
        "release": release_id,
        "previous": previous,
        "releases": releases,
        "only_one": len(ids) <= 1,
        "summary": {"added": 0, "removed": 0, "revised": 0},
        "by_indicator": [],
        "revised": [],
        "revised_total": 0,
        "shown": SHOWN,
        "table": [],
        "table_columns": list(DIFF_COLUMNS),  # the CSV's header when nothing changed
    }
    if previous is None:
        return base
    changes = [dict(zip(DIFF_COLUMNS, r, strict=True)) for r in cached_diff(store, previous, release_id)]
    inds = {r.slug: schema.INDICATORS.as_dict(r) for r in read.indicators(cur)}
    counts: dict[str, Counter[str]] = {}
    for c in changes:
        counts.setdefault(str(c["indicator"]), Counter())[str(c["change"])] += 1
    by_indicator = [
        {"indicator": slug, "label": inds[slug]["label"] if slug in inds else slug, "in_release": slug in inds,
         "added": n["added"], "removed": n["removed"], "revised": n["revised"]}
        for slug, n in sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))
    ]  # fmt: skip
    priority = {c: i for i, c in enumerate([*config.areas_of_interest, *config.comparators])}
    revised = [c for c in changes if c["change"] == "revised"]
    revised.sort(key=lambda c: (priority.get(str(c["area_code"]), len(priority)), str(c["indicator"]),
                                str(c["area_code"]), str(c["period"])))  # fmt: skip
    shown = []
    for c in revised[:SHOWN]:
        ind = inds.get(str(c["indicator"]), {})
        shown.append({**c, "label": ind.get("label", c["indicator"]), "period_label": _period_label(c["period"]),
                      "old_display": _shown(c["old_value"], ind),
                      "new_display": _shown(c["new_value"], ind)})  # fmt: skip
    summary = Counter(str(c["change"]) for c in changes)
    return {
        **base,
        "summary": {"added": summary["added"], "removed": summary["removed"], "revised": summary["revised"]},
        "by_indicator": by_indicator,
        "revised": shown,
        "revised_total": len(revised),
        "table": changes,
    }


def _shown(value: object, ind: Row) -> str:
    """A revised value as the indicator writes it (a removed indicator's values are plain numbers)."""
    return nf.value(float(value) if isinstance(value, int | float) else None, nf.unit_of(ind))


def _period_label(period: object) -> str:
    try:
        return parse_period(str(period)).label
    except PeriodError:
        return str(period)
