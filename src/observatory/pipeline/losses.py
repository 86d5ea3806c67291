"""Nothing silently lost from upstream: compare each source file's observations with the current release.

A publisher revises, adds and (rarely) withdraws figures, and says so by publishing a new edition (a new
release date in its metadata). A file that loses observations *without* a new edition is much more likely
to be damaged — cut short by a failed download or a bad mirror — than withdrawn. So when a source file
yields fewer observations than it did in the current release and none of its indicators announces a new
edition (same ``source_date``), the build stops with an error finding naming the file and how many
observations would disappear. The operator can accept it explicitly (``observatory build --accept-loss
SOURCE``, a source name or a file path): the loss is then a warning finding, kept in the release's
``findings`` table and in its report, so the decision is recorded with the release it produced.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence

import duckdb

from observatory.model import Finding, Indicator, Observation, Severity
from observatory.store import Store, StoreError

RULE = "upstream.observations-lost"


def _accepted(file: str, accept: Sequence[str]) -> str | None:
    for name in accept:
        clean = name.strip().strip("/")
        if clean and (file == clean or file.startswith(clean + "/")):
            return name
    return None


def check_losses(
    store: Store, observations: Sequence[Observation], indicators: Sequence[Indicator], accept: Sequence[str] = ()
) -> list[Finding]:
    """Findings for every source file that yields fewer observations than in the current release.

    Error unless one of the file's indicators has a different publisher release date (``source_date``) than
    in the current release, or the file (or its source) is in ``accept``; warning when accepted; nothing
    when no release is current. Shapes: one finding per file, ``value`` = the number lost.
    """
    try:
        current = store.current_id()
    except StoreError:
        return []
    if current is None:
        return []
    con = duckdb.connect(str(store.release_path(current)), read_only=True)
    try:
        old_counts = con.execute(
            "SELECT source_file, count(*), list(DISTINCT indicator) FROM observations "
            "WHERE source_file IS NOT NULL GROUP BY source_file"
        ).fetchall()
        old_dates: dict[str, dt.date | None] = dict(con.execute("SELECT slug, source_date FROM indicators").fetchall())
    finally:
        con.close()
    new_counts = Counter(o.source_file for o in observations)
    new_dates = {i.slug: i.source_date for i in indicators}
    new_slugs: dict[str, set[str]] = defaultdict(set)
    for o in observations:
        new_slugs[o.source_file].add(o.indicator)
    findings: list[Finding] = []
    for file, old_n, slugs in old_counts:
        lost = int(old_n) - new_counts.get(file, 0)
        if lost <= 0:
            continue
        announced = [s for s in slugs if s in new_dates and new_dates[s] != old_dates.get(s)]
        if announced:
            continue  # a new edition: the publisher's revision, compared in /changes
        accepted = _accepted(file, accept)
        what = (
            f"{lost:,} observations of the current release ({current}) would disappear: this file gives "
            f"{new_counts.get(file, 0):,} where it gave {int(old_n):,}, and its publisher has not announced a "
            "new edition (same release date in the metadata)"
        )
        if accepted is None:
            message = f"{what}. Check the file (cut short?); to publish anyway: observatory build --accept-loss {file}"
            findings.append(Finding(RULE, Severity.ERROR, file, message, value=str(lost)))
        else:
            message = f"{what}; accepted by the operator (--accept-loss {accepted})"
            findings.append(Finding(RULE, Severity.WARNING, file, message, value=str(lost)))
    return findings
