"""Revisions between vintages: an older published file built first, the current one after."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from observatory.config import Config
from observatory.pipeline.build import BuildReport, build_release
from observatory.store import Store
from tests.conftest import link_sources

GVA = "gross-value-added-per-hour-worked"


@pytest.fixture(scope="module")
def two_releases(
    tmp_path_factory: pytest.TempPathFactory, shared: Path, config: Config
) -> tuple[Store, BuildReport, BuildReport]:
    root = tmp_path_factory.mktemp("vintages")
    vintages = shared / "ons-els-vintages"
    old_sources = link_sources(
        root / "sources-2024",
        shared,
        {
            "gross-value-added/gross-value-added.csv": vintages / "gross-value-added-per-hour-worked-2024-07-15.csv",
            "employment-rate/employment-rate.csv": vintages / "employment-rate-2024-04-16.csv",
        },
    )
    store = Store(root / "store")
    old = build_release(config, old_sources, store)
    # The 2024 employment file stands beside today's metadata (same release date), so the upstream-loss check sees
    # 440 fewer observations without an announced edition: the operator accepts that explicitly, as a real one would.
    new = build_release(config, shared, store, accept_loss=["ons-els/employment-rate/employment-rate.csv"])
    assert any(f.rule == "upstream.observations-lost" for f in new.findings)
    return store, old, new


def _cli(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "observatory", *args], check=True, capture_output=True, text=True
    ).stdout


def test_diff_lists_the_southend_revision(two_releases: tuple[Store, BuildReport, BuildReport]) -> None:
    store, old, new = two_releases
    out = _cli("diff", str(old.release_id), str(new.release_id), "--indicator", GVA, "--format", "csv",
               "--store", str(store.root))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    southend = [r for r in rows if r["area_code"] == "E06000033" and r["period"] == "2022-01-01/P1Y"]
    assert southend == [
        {
            **southend[0],
            "change": "revised",
            "old_value": "28.5",
            "new_value": "29.84",
            "area_name": "Southend-on-Sea",
        }
    ]
    changes = {r["change"] for r in rows}
    assert "revised" in changes
    assert len([r for r in rows if r["change"] == "revised"]) > 100  # a real revision touches many areas
    assert all(r["indicator"] == GVA for r in rows)


def test_diff_json_summary_and_default_ids(two_releases: tuple[Store, BuildReport, BuildReport]) -> None:
    store, old, new = two_releases
    payload = json.loads(_cli("diff", "previous", "current", "--format", "json", "--store", str(store.root)))
    assert (payload["old"], payload["new"]) == (old.release_id, new.release_id)
    summary = payload["summary"]
    # GVA per filled job is only in the current file: added
    added = [c for c in payload["changes"] if c["change"] == "added"]
    assert any(c["indicator"] == "gross-value-added-per-filled-job" for c in added)
    assert summary["revised"] == len([c for c in payload["changes"] if c["change"] == "revised"])


def test_older_layouts_keep_numerators_and_denominators(
    two_releases: tuple[Store, BuildReport, BuildReport],
) -> None:
    store, old, _ = two_releases
    rows = list(
        csv.DictReader(
            io.StringIO(
                _cli(
                    "export",
                    "--release",
                    str(old.release_id),
                    "--indicator",
                    "employment-rate",
                    "--store",
                    str(store.root),
                )
            )
        )
    )
    uk = next(r for r in rows if r["area_code"] == "K02000001" and r["period"] == "2004-01-01/P1Y")
    assert (uk["value"], uk["numerator"], uk["denominator"], uk["lci_95"], uk["uci_95"]) == (
        "72.5", "27778100.0", "38339800.0", "72.3", "72.7",
    )  # fmt: skip
    assert all(r["numerator"] and r["denominator"] for r in rows if r["value"])
    inactive = _cli("export", "--release", str(old.release_id), "--indicator", "economically-inactive",
                    "--store", str(store.root))  # fmt: skip
    assert "23.8" in inactive  # 23.799999999999997 in the file: noise cleaned
