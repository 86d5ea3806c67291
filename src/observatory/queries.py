"""Read-side queries over releases: the tidy export and the diff between two releases.

Every value from a user reaches SQL as a bound parameter; release file paths come only from validated
release ids.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from observatory.store import Store, StoreError

EXPORT_COLUMNS = (
    "area_code",
    "area_name",
    "indicator",
    "period",
    "period_start",
    "period_duration",
    "value",
    "lci_95",
    "uci_95",
    "numerator",
    "denominator",
    "status",
    "notes",
    "release",
)
DIFF_COLUMNS = (
    "change",
    "indicator",
    "area_code",
    "area_name",
    "period",
    "old_value",
    "new_value",
    "old_lci_95",
    "new_lci_95",
    "old_uci_95",
    "new_uci_95",
    "old_status",
    "new_status",
)
BATCH = 10_000


class UnknownIndicator(StoreError):
    pass


def check_indicator(con: duckdb.DuckDBPyConnection, slug: str | None, schema: str = "main") -> None:
    if slug is None:
        return
    cur = con.cursor()
    slugs = [r[0] for r in cur.execute(f"SELECT slug FROM {schema}.indicators").fetchall()]  # noqa: S608
    if slug not in slugs:
        close = difflib.get_close_matches(slug, slugs, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `observatory indicators` lists them"
        raise UnknownIndicator(f"no indicator {slug!r} in this release{hint}")


def export_rows(
    con: duckdb.DuckDBPyConnection, release_id: str, indicator: str | None = None
) -> Iterator[tuple[object, ...]]:
    """Every observation as a tidy row (EXPORT_COLUMNS), in a stable order, streamed in batches."""
    check_indicator(con, indicator)
    cur = con.cursor()
    cur.execute(
        """
        SELECT o.area_code, a.name, o.indicator, o.period, o.period_start, o.period_duration, o.value,
               o.lci_95, o.uci_95, o.numerator, o.denominator, o.status, o.notes, $release
        FROM observations o JOIN areas a ON a.code = o.area_code
        WHERE $indicator IS NULL OR o.indicator = $indicator
        ORDER BY o.indicator, o.area_code, o.period_start, o.period_duration
        """,
        {"release": release_id, "indicator": indicator},
    )
    while batch := cur.fetchmany(BATCH):
        yield from batch


@dataclass(frozen=True, slots=True)
class DiffSummary:
    added: int
    removed: int
    revised: int


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def diff_rows(
    store: Store, old: str, new: str, indicator: str | None = None
) -> tuple[str, str, list[tuple[object, ...]]]:
    """Observations added, removed and revised (value, interval or status) from release old to new."""
    old_id, new_id = store.resolve(old), store.resolve(new)
    con = duckdb.connect(":memory:")
    try:
        for alias, rid in (("old", old_id), ("new", new_id)):
            con.execute(f"ATTACH {_sql_string(str(store.release_path(rid)))} AS {alias} (READ_ONLY)")
        if indicator is not None:
            slugs = {
                r[0]
                for schema in ("old", "new")
                for r in con.execute(f"SELECT slug FROM {schema}.indicators").fetchall()  # noqa: S608
            }
            if indicator not in slugs:
                check_indicator(con, indicator, "new")
        rows = con.execute(
            """
            WITH o AS (SELECT * FROM old.observations WHERE $ind IS NULL OR indicator = $ind),
                 n AS (SELECT * FROM new.observations WHERE $ind IS NULL OR indicator = $ind),
                 j AS (
                   SELECT coalesce(n.indicator, o.indicator) AS indicator,
                          coalesce(n.area_code, o.area_code) AS area_code,
                          coalesce(n.period, o.period) AS period,
                          coalesce(n.period_start, o.period_start) AS period_start,
                          CASE WHEN o.indicator IS NULL THEN 'added'
                               WHEN n.indicator IS NULL THEN 'removed' ELSE 'revised' END AS change,
                          o.value AS old_value, n.value AS new_value, o.lci_95 AS old_lci, n.lci_95 AS new_lci,
                          o.uci_95 AS old_uci, n.uci_95 AS new_uci, o.status AS old_status, n.status AS new_status
                   FROM o FULL OUTER JOIN n
                     ON o.indicator = n.indicator AND o.area_code = n.area_code AND o.period = n.period
                   WHERE o.indicator IS NULL OR n.indicator IS NULL
                      OR o.value IS DISTINCT FROM n.value OR o.lci_95 IS DISTINCT FROM n.lci_95
                      OR o.uci_95 IS DISTINCT FROM n.uci_95 OR o.status IS DISTINCT FROM n.status
                 )
            SELECT j.change, j.indicator, j.area_code,
                   coalesce(na.name, oa.name, j.area_code), j.period,
                   j.old_value, j.new_value, j.old_lci, j.new_lci, j.old_uci, j.new_uci, j.old_status, j.new_status
            FROM j LEFT JOIN new.areas na ON na.code = j.area_code LEFT JOIN old.areas oa ON oa.code = j.area_code
            ORDER BY j.indicator, j.area_code, j.period_start, j.period, j.change
            """,
            {"ind": indicator},
        ).fetchall()
    finally:
        con.close()
    return old_id, new_id, rows


def summarise_diff(rows: list[tuple[object, ...]]) -> DiffSummary:
    changes = [r[0] for r in rows]
    return DiffSummary(changes.count("added"), changes.count("removed"), changes.count("revised"))
