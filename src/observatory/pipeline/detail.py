"""Detail tables of a release beside the observations: the breakdowns behind the business, workforce and
travel-to-work indicators, written from readers' ``ReaderResult.tables``.

The tables are declared in ``release/schema.py`` (``DETAIL_TABLES``); every one is always created (empty when
its source is not configured), so readers never ask whether it exists. Rows arrive as tuples in the declared
column order.
"""

from __future__ import annotations

from typing import Any

import duckdb

from observatory.release import schema


def write_detail(con: duckdb.DuckDBPyConnection, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    """Create every detail table and insert the readers' rows (sorted by each table's declared order).

    Raises KeyError for a table name that is not declared in ``schema.DETAIL_TABLES`` (a reader bug, never data).
    """
    declared = {t.name: t for t in schema.DETAIL_TABLES}
    schema.create(con, schema.DETAIL_TABLES)
    for name, rows in tables.items():
        schema.insert(con, declared[name], rows)
