"""The release schema: one declaration per table, written and read through it, refused when it differs."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from observatory.release import read, schema
from observatory.store import Store, StoreError

SRC = Path(__file__).resolve().parents[1] / "src" / "observatory"


def _release() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    schema.create(con, schema.TABLES.values())
    return con


def test_every_table_is_declared_once_and_nowhere_else() -> None:
    """No module but release/schema.py creates a table: the build and the statistics write through it."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "release" / "schema.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"CREATE\s+(OR\s+REPLACE\s+)?TABLE", text, re.IGNORECASE):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
    assert {
        "observations",
        "latest_observations",
        "ranks",
        "comparisons",
        "trends",
        "aggregates",
        "gva_industry",
    } <= set(schema.TABLES)


def test_web_code_does_not_guess_tables_or_columns() -> None:
    """Pages read typed rows with known columns: no probing of the catalogue, no first-of-several columns."""
    probes = re.compile(
        r"information_schema|duckdb_tables|duckdb_columns|optional_rows|table_exists|columns_of|def pick\("
    )
    found = {
        str(p.relative_to(SRC)): probes.findall(p.read_text(encoding="utf-8"))
        for p in [*(SRC / "web").rglob("*.py"), SRC / "reports.py", SRC / "strategy.py", SRC / "cli.py"]
    }
    assert {k: v for k, v in found.items() if v} == {}


# SQL in web code: a statement keyword, a cursor call or the old query helpers. Every query belongs in the one
# typed read layer (release/read.py); web code calls its functions.
SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE)\s+[\w\"*({]|\bFROM\s+\w+\s+(WHERE|JOIN|ORDER|GROUP)\b|\.execute\(|\.fetch(all|one|many)\("
    r"|\brows\(cur|\bone\(cur|\bdef rows\(|\bdef one\("
)
# Web modules whose queries have not moved yet (issue 10 item 1). The list may only shrink: a module that
# no longer runs SQL must leave it, and no other module may start.
NOT_YET_MOVED = {
    "web/data/api_data.py",
    "web/data/business.py",
    "web/data/common.py",
}


def test_web_code_runs_no_sql_of_its_own() -> None:
    found = {
        str(p.relative_to(SRC)): len(SQL.findall(p.read_text(encoding="utf-8"))) for p in (SRC / "web").rglob("*.py")
    }
    with_sql = {k for k, n in found.items() if n}
    assert with_sql - NOT_YET_MOVED == set(), "SQL in web code: move it into release/read.py"
    assert NOT_YET_MOVED - with_sql == set(), "these modules run no SQL now: take them off NOT_YET_MOVED"


def test_web_code_computes_no_statistics() -> None:
    """Class breaks, quantiles, medians and means are the build's (stats/, derived tables), never the web's."""
    stats = re.compile(r"np\.(quantile|percentile|median|mean|std)\b|statistics\.|quantile_cont|\bmedian\(")
    found = {str(p.relative_to(SRC)): stats.findall(p.read_text(encoding="utf-8")) for p in (SRC / "web").rglob("*.py")}
    assert {k: v for k, v in found.items() if v} == {}


def test_ddl_follows_the_row_dataclass() -> None:
    ranks = schema.RANKS
    assert ranks.names == ("indicator", "area_code", "period", "value", "rank", "peers", "quintile", "method")
    assert '"rank" INTEGER NOT NULL' in ranks.ddl()
    aggregates = schema.AGGREGATES.ddl()
    assert '"group" VARCHAR NOT NULL' in aggregates and '"value" DOUBLE,' in aggregates
    assert '"missing" VARCHAR[]' in aggregates
    assert '"slug" VARCHAR PRIMARY KEY' in schema.INDICATORS.ddl()
    assert '"size" BIGINT' in schema.INPUTS.ddl()


def test_rows_written_are_read_back_typed_and_in_storage_order() -> None:
    con = _release()
    rows = [
        schema.RankRow("pay", "E07000075", "2023", 650.5, 2, 3, 4, "rank-ltla-england"),
        ("pay", "E06000033", "2023", 700.0, 1, 3, 1, "rank-ltla-england"),
    ]
    schema.insert(con, schema.RANKS, rows)
    got = read.ranks(con, indicators=["pay"])
    assert [r.area_code for r in got] == ["E06000033", "E07000075"]  # ordered by rank, as declared
    assert got[1] == rows[0] and isinstance(got[0], schema.RankRow)
    assert read.ranks(con, areas=["E07000075"]) == [rows[0]]
    with pytest.raises(ValueError, match="has no column"):
        read.select(con, schema.RANKS, {"slug": "pay"})
    with pytest.raises(ValueError, match="3 values for 8 columns"):
        schema.insert(con, schema.RANKS, [("pay", "x", "2023")])
    with pytest.raises(ValueError, match="missing"):
        schema.insert_columns(con, schema.AREAS, {"code": ["x"]})


def test_the_content_hash_covers_the_data_not_the_derived_tables() -> None:
    one, two = _release(), _release()
    for con in (one, two):
        schema.insert(con, schema.AREAS, [("E07000075", "Rochford", "ltla", ["ltla"], None, None, "test", None)])
    schema.insert(two, schema.METHODS, [("m", "Method", "A method.")])
    digest = schema.content_hash_sql()
    assert one.execute(digest).fetchone() == two.execute(digest).fetchone()
    two.execute("UPDATE areas SET name = 'Rochford District'")
    assert one.execute(digest).fetchone() != two.execute(digest).fetchone()


def _info(con: duckdb.DuckDBPyConnection, version: int = schema.SCHEMA_VERSION) -> None:
    schema.insert(
        con,
        schema.RELEASE_INFO,
        [
            schema.ReleaseInfoRow(
                "20261130T000000Z-00000000", dt.datetime(2026, 11, 30), "h", "c", "{}", "t", None, version
            )
        ],
    )


def test_a_release_that_differs_from_the_schema_is_refused_at_open(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.ensure()
    release_id = "20261130T000000Z-00000000"
    path = store.release_path(release_id)
    con = duckdb.connect(str(path))
    schema.create(con, schema.TABLES.values())
    _info(con)
    con.close()
    store.connect(release_id).close()  # as declared: opens

    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE trends DROP COLUMN sentence")
    con.close()
    with pytest.raises(StoreError, match="'trends' has columns"):
        store.connect(release_id)

    con = duckdb.connect(str(path))
    con.execute("DROP TABLE trends")
    con.close()
    with pytest.raises(StoreError, match="no 'trends' table"):
        store.connect(release_id)


def test_an_older_schema_version_is_refused() -> None:
    con = _release()
    _info(con, version=schema.SCHEMA_VERSION - 1)
    with pytest.raises(schema.SchemaError, match="schema version"):
        schema.check(con)
