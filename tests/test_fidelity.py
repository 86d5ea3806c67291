"""Fidelity: what `observatory export` gives back is what the publisher published, row for row.

The source CSVs are read here independently of the reader under test (plain csv module, header names
matched by hand), so a mistake in the reader cannot hide itself.
"""

from __future__ import annotations

import csv
import io
import math
import re
import subprocess
import sys
from pathlib import Path

from observatory.pipeline.build import BuildReport
from observatory.store import Store

KEYS = {"areacd": "area", "indicator": "indicator", "period": "period", "observation": "value",
        "lci_95": "lci", "uci_95": "uci"}  # fmt: skip


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _period(text: str) -> str:
    text = text.strip()
    return f"{text}-01-01/P1Y" if re.fullmatch(r"\d{4}", text) else text.replace("T00:00:00", "")


def _published(shared: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    rows: dict[tuple[str, str, str], dict[str, str]] = {}
    for path in sorted((shared / "ons-els").glob("*/*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip().lower() for h in next(reader)]
            if "indicator" not in header:  # the small-area file: one indicator, named by its metadata
                continue
            pos = {KEYS[h]: i for i, h in enumerate(header) if h in KEYS}
            for row in reader:
                record = {k: row[i] for k, i in pos.items()}
                if not re.fullmatch(r"[A-Z0-9]{3,12}", record["area"]):
                    continue  # malformed codes are skipped with a finding (checked in test_build)
                rows.setdefault((_slug(record["indicator"]), record["area"], _period(record["period"])), record)
    return rows


def _same(published: str, exported: str) -> bool:
    if published.strip() == "":
        return exported == ""
    a, b = float(published), float(exported)
    return a == b or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_export_matches_every_source_row(full_build: tuple[Store, BuildReport], shared: Path) -> None:
    store, report = full_build
    result = subprocess.run(
        [sys.executable, "-m", "observatory", "export", "--store", str(store.root)],
        check=True,
        capture_output=True,
        text=True,
    )
    exported = {(r["indicator"], r["area_code"], r["period"]): r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert len(exported) == report.observations
    published = _published(shared)
    missing = [k for k in published if k not in exported]
    assert missing == []
    wrong = [
        (key, field, src[field], exported[key][col])
        for key, src in published.items()
        for field, col in (("value", "value"), ("lci", "lci_95"), ("uci", "uci_95"))
        if not _same(src[field], exported[key][col])
    ]
    assert wrong == []
    assert {r["release"] for r in exported.values()} == {report.release_id}
    # numerators and denominators are not in the current files; every area has a name
    assert all(r["area_name"] for r in exported.values())


def test_float_noise_is_cleaned_not_rounded(full_build: tuple[Store, BuildReport]) -> None:
    store, _ = full_build
    with store.open() as con:
        # published as 74.10000000000001 (binary noise) and 23.11602783203125 (real digits)
        lci = con.execute(
            "SELECT lci_95 FROM observations WHERE indicator = 'employment-rate' AND area_code = 'E06000033' "
            "AND period = '2017-01-01/P1Y'"
        ).fetchone()
        gva = con.execute(
            "SELECT value FROM observations WHERE indicator = 'gross-value-added-per-hour-worked' "
            "AND area_code = 'E47000006' AND period = '2004-01-01/P1Y'"
        ).fetchone()
    assert lci == (74.1,)
    assert gva == (23.11602783203125,)
