"""The full build from ../shared/data: every source row is loaded or named in a finding."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from observatory.config import Config
from observatory.pipeline.build import BuildReport, build_release
from observatory.store import Store

SOUTH_ESSEX = ["E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034"]


def _source_rows(shared: Path) -> list[tuple[str, int]]:
    rows = []
    for path in sorted((shared / "ons-els").glob("*/*.csv")):
        display = f"ons-els/{path.parent.name}/{path.name}"
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            for _ in reader:
                rows.append((display, reader.line_num))
    return rows


def test_every_source_row_is_loaded_or_named(full_build: tuple[Store, BuildReport], shared: Path) -> None:
    store, report = full_build
    source_rows = _source_rows(shared)
    assert len(source_rows) == 300_041
    assert report.rows_read > 300_041  # ONS ELS plus the deprivation files
    with store.open() as con:
        loaded = set(
            con.execute(
                "SELECT source_file, source_row FROM observations WHERE source_file LIKE 'ons-els/%'"
            ).fetchall()
        )
        named = set(
            con.execute('SELECT file, "row" FROM findings WHERE "row" IS NOT NULL AND severity <> \'info\'').fetchall()
        )
    unaccounted = [r for r in source_rows if r not in loaded and r not in named]
    assert unaccounted == []
    assert len(loaded) == 299_961  # one observation per loaded ELS row (the wide vintage layout aside)
    assert report.rows_loaded + report.rows_skipped == report.rows_read
    skipped = [r for r in source_rows if r not in loaded]
    assert len(skipped) == 80  # 60 rows coded 'na', 20 exact repeats
    # … plus, named in INFO findings: Nomis LEP and DfE user-defined areas (86 labels in each of 95 UK Business
    # Counts blocks and 5 APS blocks), NM_2002_1's unitary authorities listed twice (193 codes × 18 ages), and the
    # NSPL rows without a grid reference: SS 62, CM 53, RM 62 (postcodes-nspl-latlon/PROVENANCE.md)
    assert report.rows_skipped == 80 + 86 * 95 + 86 * 5 + 193 * 18 + 62 + 53 + 62
    assert report.errors() == []


def test_release_contents(full_build: tuple[Store, BuildReport], shared: Path) -> None:
    store, report = full_build
    with store.open() as con:
        els_datasets = sorted(p.name for p in (shared / "ons-els").iterdir() if p.is_dir())
        assert con.execute(
            "SELECT count(*) FROM indicators WHERE list_contains(?, dataset)", [els_datasets]
        ).fetchone() == (90,)
        gva = con.execute(
            "SELECT label, unit, prefix, decimals, source_org, experimental FROM indicators "
            "WHERE slug = 'gross-value-added-per-hour-worked'"
        ).fetchone()
        assert gva == (
            "Gross value added per hour worked",
            "£",
            "£",
            1,
            "Office for National Statistics",
            True,
        )
        value = con.execute(
            "SELECT value, period_label FROM observations WHERE indicator = 'gross-value-added-per-hour-worked' "
            "AND area_code = 'E06000033' AND period = '2022-01-01/P1Y'"
        ).fetchone()
        assert value == (29.84, "2022")
        group = con.execute(
            "SELECT list(code ORDER BY code) FROM area_relations WHERE parent = 'south-essex' AND relation = 'member'"
        ).fetchone()
        assert group == (sorted(SOUTH_ESSEX),)
        assert con.execute("SELECT type FROM areas WHERE code = 'south-essex'").fetchone() == ("group",)
        # hierarchy: Basildon -> Essex -> East of England -> England
        parents = dict(con.execute("SELECT relation, parent FROM area_relations WHERE code = 'E07000066'").fetchall())
        assert parents["cty"] == "E10000012" and parents["rgn"] == "E12000006" and parents["ctry"] == "E92000001"
        geo = con.execute("SELECT geojson FROM area_geometry WHERE code = 'E06000033'").fetchone()
        assert geo is not None and json.loads(geo[0])["type"] in ("Polygon", "MultiPolygon")
        inputs = con.execute("SELECT count(*), count(DISTINCT sha256) > 100 FROM inputs").fetchone()
        assert inputs == (len(report.files), True)
        info = con.execute("SELECT id, content_hash, config_hash FROM release_info").fetchone()
        assert info == (report.release_id, report.content_hash, report.config_hash)
    saved = store.report(str(report.release_id))
    assert saved["counts"]["rows_read"] == report.rows_read
    assert saved["findings"] and all(
        {"rule", "severity", "file", "row", "column"} <= f.keys() for f in saved["findings"]
    )


def test_same_inputs_same_content_hash(
    full_build: tuple[Store, BuildReport], shared: Path, config: Config, tmp_path: Path
) -> None:
    _, first = full_build
    again = build_release(config, shared, Store(tmp_path / "again"))
    assert again.content_hash == first.content_hash
    # the id is <UTC time>-<content hash prefix>: the time differs between builds, the content part must not
    assert again.release_id is not None and first.release_id is not None
    assert again.release_id.split("-")[1] == first.release_id.split("-")[1] == first.content_hash[:8]


def test_release_file_is_read_only_and_self_describing(full_build: tuple[Store, BuildReport]) -> None:
    store, report = full_build
    path = store.release_path(str(report.release_id))
    con = duckdb.connect(str(path), read_only=True)
    try:
        counts = json.loads(con.execute("SELECT counts FROM release_info").fetchone()[0])  # type: ignore[index]
        assert counts["observations"] == report.observations
    finally:
        con.close()
    assert store.current_id() == report.release_id
