"""Issue 11, item 6: nothing silently lost from upstream — a real truncated source file stops the build.

The current release is the full build's (copied into a store of its own). The sources are the shared data
through symlinks, with the GVA file replaced by a copy cut at a line boundary, as a failed download or a
bad mirror leaves it; its metadata (release date) is unchanged, so the publisher announced nothing new.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from observatory.config import Config
from observatory.pipeline.build import BuildFailed, BuildReport, build_release
from observatory.store import Store
from tests.conftest import CONFIG_PATH, copy_current, link_sources

GVA_FILE = "gross-value-added/gross-value-added.csv"
KEEP_LINES = 14_000  # header + 13,999 data rows kept; the rest cut off


def _truncated(shared: Path, target: Path) -> int:
    """Write the GVA file cut after ``KEEP_LINES`` lines; return the data rows cut off (each a real area's)."""
    text = (shared / "ons-els" / GVA_FILE).read_bytes().decode("utf-8-sig")
    lines = text.splitlines(keepends=True)
    target.write_text("\ufeff" + "".join(lines[:KEEP_LINES]), encoding="utf-8")
    every = list(csv.reader(io.StringIO("".join(lines[1:]))))
    removed = every[KEEP_LINES - 1 :]
    # an ELS row is skipped only for the area code "na" or as an exact repeat (README); neither occurs here, so
    # each row cut off is one observation lost (an empty value is kept as a missing observation)
    assert removed and all(r[0].strip() and r[0].strip().lower() != "na" for r in removed)
    assert len({tuple(r) for r in every}) == len(every)
    return len(removed)


def test_a_truncated_source_stops_the_build_unless_accepted(
    full_build: tuple[Store, BuildReport], shared: Path, config: Config, tmp_path: Path
) -> None:
    store = copy_current(full_build[0], tmp_path / "store")
    before = store.current_id()
    cut = tmp_path / "gross-value-added-cut.csv"
    lost = _truncated(shared, cut)
    sources = link_sources(tmp_path / "sources", shared, {GVA_FILE: cut})

    result = subprocess.run(
        [sys.executable, "-m", "observatory", "build", "--sources", str(sources), "--store", str(store.root),
         "--config", str(CONFIG_PATH)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"ons-els/{GVA_FILE}" in result.stdout + result.stderr
    assert f"{lost:,} observations" in result.stdout + result.stderr
    assert "--accept-loss" in result.stdout + result.stderr
    assert store.current_id() == before  # nothing published; the previous release keeps serving

    with pytest.raises(BuildFailed) as failed:
        build_release(config, sources, store)
    errors = [f for f in failed.value.report.errors() if f.rule == "upstream.observations-lost"]
    assert [(f.file, f.value) for f in errors] == [(f"ons-els/{GVA_FILE}", str(lost))]

    report = build_release(config, sources, store, accept_loss=["ons-els/gross-value-added"])
    assert report.published and report.release_id != before
    assert report.accepted_loss == ["ons-els/gross-value-added"]
    assert report.release_id is not None
    with duckdb.connect(str(store.release_path(report.release_id)), read_only=True) as con:
        recorded = con.execute(
            "SELECT severity, file, value, message FROM findings WHERE rule = 'upstream.observations-lost'"
        ).fetchall()
    assert [(r[0], r[1], r[2]) for r in recorded] == [("warning", f"ons-els/{GVA_FILE}", str(lost))]
    assert "accepted by the operator" in recorded[0][3]
    assert store.report(report.release_id)["accepted_loss"] == ["ons-els/gross-value-added"]
