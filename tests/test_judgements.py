"""The reviewed judgement metadata: valid against its schema, complete for the release, errors that name things."""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from observatory.model import Severity
from observatory.stats.judgements import (
    JudgementError,
    check_against_release,
    default_metadata_dir,
    judgement_for,
    load_judgements,
    load_schema,
    parse_judgements,
)
from tests.conftest import require

REPO = Path(__file__).resolve().parents[1]
METADATA = REPO / "src" / "observatory" / "metadata"
SHARED = REPO.parent / "shared" / "data"


def _doc() -> dict[str, Any]:
    return tomllib.loads((METADATA / "indicators.toml").read_text(encoding="utf-8"))


def test_metadata_file_is_valid_against_its_schema() -> None:
    schema = json.loads((METADATA / "indicators.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_doc())


def test_load_judgements_reads_the_repository_file() -> None:
    assert default_metadata_dir() == METADATA
    js = load_judgements()
    # 90 ONS ELS + 57 Indices of Deprivation + 43 business, workforce, apprenticeship and travel-to-work
    assert len(js) == 190
    assert js["employment-rate"].aggregation == "ratio"
    assert js["employment-rate"].multiplier == 100
    assert js["gross-median-weekly-pay"].aggregation == "not-aggregable"
    assert js["active-businesses"].aggregation == "sum"
    assert js["housing-affordability-ratio-residence-based"].polarity == "lower-better"


def test_every_release_indicator_has_a_reviewed_entry(full_build: Any) -> None:
    store, _report = full_build
    with store.open() as con:
        slugs = {r[0] for r in con.execute("SELECT slug FROM indicators").fetchall()}
        with_ci = {
            r[0] for r in con.execute("SELECT DISTINCT indicator FROM observations WHERE lci_95 IS NOT NULL").fetchall()
        }
    js = load_judgements()
    assert set(js) == slugs
    assert check_against_release(js, slugs) == []
    # "ci-overlap" exactly where the publisher gives intervals
    assert {s for s, j in js.items() if j.comparison == "ci-overlap"} == with_ci


def test_units_back_the_aggregation_rules(full_build: Any) -> None:
    """Sums only for counts and money totals; per-head, per-1,000 and % figures are never summed."""
    store, _report = full_build
    with store.open() as con:
        units = dict(con.execute("SELECT slug, coalesce(unit, '') FROM indicators").fetchall())
    for slug, j in load_judgements().items():
        unit = units[slug].lower()
        if j.aggregation == "sum":
            assert unit in (
                "", "number of enterprises", "number of guest nights", "£ million", "people", "enterprises",
                "apprenticeships",
            ), slug  # fmt: skip
        if "per " in unit or unit == "%" or "rate" in unit:
            assert j.aggregation in ("not-aggregable", "ratio"), slug


def test_gva_per_hour_polarity_matches_the_publishers_polarity_column() -> None:
    path = SHARED / "ons-els-vintages" / "gross-value-added-per-hour-worked-2024-07-15.csv"
    require(path.is_file(), "shared data not available")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        polarity = {row["Polarity"] for row in csv.DictReader(fh)}
    assert polarity == {"1"}  # 1 = higher is better, on every row
    j = load_judgements()["gross-value-added-per-hour-worked"]
    assert j.polarity == "higher-better"
    assert j.note is not None and "Polarity" in j.note


def test_missing_entry_defaults_to_no_judgement() -> None:
    j = judgement_for({}, "some-new-indicator")
    assert (j.polarity, j.aggregation, j.comparison, j.reviewed) == ("no-judgement", "not-aggregable", "rank", False)


def _errors_for(entry: dict[str, Any], slug: str = "employment-rate") -> str:
    with pytest.raises(JudgementError) as exc:
        parse_judgements({"schema_version": 1, "indicators": {slug: entry}}, load_schema(), "indicators.toml")
    return str(exc.value)


BASE = {"polarity": "higher-better", "aggregation": "not-aggregable", "comparison": "rank"}


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ({**BASE, "polarity": "good"}, "polarity", "is not one of"),
        ({k: v for k, v in BASE.items() if k != "comparison"}, "comparison", "is required"),
        ({**BASE, "aggregation": "ratio"}, "numerator", "required when aggregation is 'ratio'"),
        ({**BASE, "aggregation": "weighted-mean"}, "weight", "required when aggregation is 'weighted-mean'"),
        ({**BASE, "aggregation": "sum", "weight": "population"}, "weight", "not allowed when aggregation is 'sum'"),
        ({**BASE, "colour": "red"}, "colour", "not a known field"),
        ({**BASE, "aggregation": "ratio", "numerator": "published", "denominator": "published", "multiplier": 0},
         "multiplier", "less than or equal to the minimum of 0"),
    ],
)  # fmt: skip
def test_errors_name_the_slug_and_the_field(entry: dict[str, Any], field: str, words: str) -> None:
    message = _errors_for(entry)
    assert "indicators.toml" in message
    assert "indicator 'employment-rate'" in message
    assert f"field {field!r}" in message
    assert words in message


def test_bad_slug_is_named() -> None:
    message = _errors_for(BASE, slug="Not A Slug")
    assert "'Not A Slug'" in message


def test_unknown_slug_and_weight_are_warnings() -> None:
    js = parse_judgements(
        {
            "schema_version": 1,
            "indicators": {
                "gone": BASE,
                "pay": {**BASE, "aggregation": "weighted-mean", "weight": "population"},
            },
        },
        load_schema(),
    )
    findings = check_against_release(js, {"pay", "new"})
    by_rule = {(f.rule, f.severity, f.value) for f in findings}
    assert ("judgement.unknown-indicator", Severity.WARNING, "gone") in by_rule
    assert ("judgement.unknown-reference", Severity.WARNING, "population") in by_rule
    assert ("judgement.missing", Severity.INFO, "new") in by_rule


def test_load_judgements_reports_bad_toml(tmp_path: Path) -> None:
    bad = tmp_path / "indicators.toml"
    bad.write_text("schema_version = 1\n[indicators.x\n", encoding="utf-8")
    with pytest.raises(JudgementError, match="not valid TOML"):
        load_judgements(bad)
    with pytest.raises(JudgementError, match="not found"):
        load_judgements(tmp_path / "absent.toml")
