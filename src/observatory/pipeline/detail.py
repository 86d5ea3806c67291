"""Detail tables of a release beside the observations: the breakdowns behind the business, workforce and
travel-to-work indicators, written from readers' ``ReaderResult.tables``.

Every table is always created (empty when its source is not configured), so readers never ask whether it
exists. Columns are listed once here; rows arrive as tuples in this column order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

DETAIL_SCHEMA = """
CREATE TABLE business_counts (
  area_code VARCHAR NOT NULL, year INTEGER NOT NULL, industry_code VARCHAR NOT NULL, industry VARCHAR NOT NULL,
  size_band VARCHAR NOT NULL, count DOUBLE NOT NULL, source_file VARCHAR NOT NULL, source_row INTEGER NOT NULL
);
CREATE TABLE aps_counts (
  area_code VARCHAR NOT NULL, period VARCHAR NOT NULL, period_label VARCHAR NOT NULL, variable VARCHAR NOT NULL,
  value DOUBLE, conf DOUBLE, status VARCHAR, source_file VARCHAR NOT NULL, source_row INTEGER NOT NULL
);
CREATE TABLE apprenticeship_flows (
  period VARCHAR NOT NULL, period_label VARCHAR NOT NULL, provisional BOOLEAN NOT NULL, home_code VARCHAR,
  home_name VARCHAR NOT NULL, delivery_code VARCHAR, delivery_name VARCHAR NOT NULL, starts DOUBLE NOT NULL,
  achievements DOUBLE NOT NULL, enrolments DOUBLE NOT NULL
);
CREATE TABLE commuting_flows (
  origin_code VARCHAR NOT NULL, destination_code VARCHAR NOT NULL, place_of_work INTEGER NOT NULL,
  count DOUBLE NOT NULL
);
CREATE TABLE commuting_summary (
  area_code VARCHAR NOT NULL, direction VARCHAR NOT NULL, category VARCHAR NOT NULL, count DOUBLE NOT NULL,
  share DOUBLE
);
CREATE TABLE migration_flows (origin_code VARCHAR NOT NULL, destination_code VARCHAR NOT NULL, count DOUBLE NOT NULL);
CREATE TABLE apprenticeship_training (
  period VARCHAR NOT NULL, period_label VARCHAR NOT NULL, provisional BOOLEAN NOT NULL, home_code VARCHAR NOT NULL,
  category VARCHAR NOT NULL, starts DOUBLE NOT NULL
);
"""

# table → (sort order, text of a row for the content hash)
DETAIL_TABLES: dict[str, tuple[str, str]] = {
    "business_counts": (
        "area_code, year, industry_code, size_band",
        "concat_ws('|', area_code, year, industry_code, industry, size_band, count)",
    ),
    "aps_counts": ("area_code, period, variable", "concat_ws('|', area_code, period, variable, value, conf, status)"),
    "apprenticeship_flows": (
        "period, home_name, delivery_name",
        "concat_ws('|', period, home_code, home_name, delivery_code, delivery_name, starts, achievements, enrolments)",
    ),
    "commuting_flows": (
        "origin_code, destination_code, place_of_work",
        "concat_ws('|', origin_code, destination_code, place_of_work, count)",
    ),
    "commuting_summary": ("area_code, direction, category", "concat_ws('|', area_code, direction, category, count)"),
    "migration_flows": ("origin_code, destination_code", "concat_ws('|', origin_code, destination_code, count)"),
    "apprenticeship_training": ("period, home_code, category", "concat_ws('|', period, home_code, category, starts)"),
}

_ARROW = {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "INTEGER": pa.int32(), "BOOLEAN": pa.bool_()}


def write_detail(con: duckdb.DuckDBPyConnection, tables: dict[str, list[tuple[Any, ...]]]) -> None:
    """Create every detail table and insert the readers' rows (sorted, so builds are reproducible).

    Raises KeyError for a table name that is not declared here (a reader bug, never data).
    """
    con.execute(DETAIL_SCHEMA)
    for name, rows in tables.items():
        order = DETAIL_TABLES[name][0]
        _insert(con, name, rows, order)


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[tuple[Any, ...]], order: str) -> None:
    columns = con.execute(f"DESCRIBE {table}").fetchall()
    arrays = {c[0]: pa.array([r[i] for r in rows], type=_ARROW[c[1]]) for i, c in enumerate(columns)}
    view = f"_in_{table}"
    con.register(view, pa.table(arrays))
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM {view} ORDER BY {order}")  # noqa: S608 (names are constants)
    finally:
        con.unregister(view)
