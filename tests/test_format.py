"""The one number and unit formatter: hand-worked cases, the publishers' own figures, and properties."""

from __future__ import annotations

import csv
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from observatory import format as nf
from observatory.pipeline.build import BuildReport
from observatory.stats.sentences import IndicatorFormat, ci_sentence, no_test_sentence
from observatory.store import Store

POUNDS = nf.unit_for(prefix="£", unit="£", decimals=0)


def _els_row(shared: Path, dataset: str, area: str, indicator: str, period: str) -> tuple[float, int]:
    """The published value (as text in the CSV) and the publisher's decimal places from its JSON metadata."""
    folder = shared / "ons-els" / dataset
    with open(folder / f"{dataset}.csv", encoding="utf-8-sig", newline="") as fh:
        found = [
            r["observation"]
            for r in csv.DictReader(fh)
            if r["areacd"] == area and r["indicator"] == indicator and r["period"] == period
        ]
    assert len(found) == 1, found
    meta = json.loads((folder / f"{dataset}.json").read_text(encoding="utf-8"))["ess-beta-metadata"]
    block = meta.get(indicator, meta)
    return float(found[0]), int(block["decimalPlaces"])


def test_rochford_pay_and_productivity_round_half_away_from_zero(shared: Path) -> None:
    # ASHE 2023 (pay period including 19 April 2023): Rochford's median weekly pay is published as 650.5,
    # shown by ONS to 0 decimals; half away from zero gives £651 (Python's round() would give 650).
    pay, pay_decimals = _els_row(
        shared, "gross-median-weekly-pay", "E07000075", "Gross median weekly pay", "2023-04-19"
    )
    assert (pay, pay_decimals) == (650.5, 0)
    assert nf.value(pay, nf.unit_for(prefix="£", unit="£", decimals=pay_decimals)) == "£651"
    # GVA per hour worked, Rochford 2022: 41.25 to 1 decimal is £41.3 (binary rounding would give 41.2).
    gva, gva_decimals = _els_row(
        shared, "gross-value-added", "E07000075", "Gross value added per hour worked", "2022-01-01/P1Y"
    )
    assert (gva, gva_decimals) == (41.25, 1)
    assert nf.value(gva, nf.unit_for(prefix="£", unit="£", decimals=gva_decimals)) == "£41.3"


def test_hand_worked_values() -> None:
    assert nf.number(2.675, 2) == "2.68"  # the float is 2.67499999…; its repr, 2.675, rounds up as a spreadsheet does
    assert nf.number(-2.5, 0) == "-3"  # away from zero, also below zero
    assert nf.number(1234567.891, 2) == "1,234,567.89"
    assert nf.number(-0.04, 1) == "0.0" and nf.number(-0.0, 0) == "0"
    assert nf.number(0.05, 1) == "0.1" and nf.number(-0.05, 1) == "-0.1"
    assert nf.number(float("nan")) == nf.NO_DATA == "no data"
    assert nf.number(float("inf")) == nf.number(float("-inf")) == nf.number(None) == "no data"
    assert nf.number(0.25, 1, signed=True) == "+0.3" and nf.number(-0.01, 1, signed=True) == "0.0"
    assert nf.value(-3.0, nf.unit_for(prefix="£", unit="£")) == "-£3.0"
    assert nf.value(1.5, nf.unit_for(unit="£ million", decimals=1), signed=True) == "+£1.5 million"
    assert nf.interval(74.14, 82.15, nf.unit_for(suffix="%", unit="%")) == "74.1–82.2%"
    assert nf.interval(None, 3.0) == "no data"


def test_one_unit_rule() -> None:
    # the publisher's "£ million" is written "£937 million" whether or not it also sets the £ prefix
    assert nf.value(937.0, nf.unit_for(prefix="£", unit="£ million", decimals=0)) == "£937 million"
    assert nf.value(937.0, nf.unit_for(unit="£ million", decimals=0)) == "£937 million"
    assert nf.value(12.25, nf.unit_for(unit="millions", decimals=1)) == "12.3 million"
    assert nf.value(78.05, nf.unit_for(unit="%", decimals=1)) == "78.1%"
    assert nf.value(78.05, nf.unit_for(suffix="%", unit="%", decimals=1)) == "78.1%"  # not "78.1%%"
    assert nf.value(36280.0, nf.unit_for(unit="Number of enterprises", decimals=0)) == "36,280"
    assert nf.value(9.84, nf.unit_for(unit="ratio", decimals=1)) == "9.8"
    # dict rows and typed rows give the same unit
    row = {"prefix": "£", "suffix": None, "unit": "£ million", "decimals": 0}
    assert (
        nf.unit_of(row)
        == nf.unit_of(IndicatorFormat("x", "X", "£", None, 0, "£ million"))
        == nf.Unit("£", " million", 0)
    )


def test_enough_decimals_to_show_a_claim() -> None:
    # benchmark 7.79 below the interval 7.81–8.70: at 1 decimal all three read 7.8; at 2 the claim shows
    assert nf.decimals_to_separate([(7.79, 7.81)], 1) == 2
    assert nf.decimals_to_separate([(7.79, 7.91)], 1) == 1
    assert nf.decimals_to_separate([(1.0, 1.0)], 0) == 0  # equal numbers claim nothing
    assert nf.decimals_to_separate([(0.1234567, 0.1234568)], 1) == nf.MOST_DECIMALS
    fmt = IndicatorFormat("x", "Smoking prevalence", None, "%", 1, "%")
    text = ci_sentence("Basildon", "England", fmt, "2023", 8.25, 7.81, 8.70, 7.79, "higher", "worse", "lower-better")
    assert "(7.79%)" in text and "7.81–8.70%" in text and "(8.25%, 2023)" in text
    # where one decimal already shows the claim, the published decimals are kept
    text = ci_sentence("Basildon", "England", fmt, "2023", 9.0, 8.4, 9.6, 7.2, "higher", "worse", "lower-better")
    assert "(7.2%)" in text and "8.4–9.6%" in text
    text = no_test_sentence("Basildon", "England", fmt, "2023", 7.84, 7.76, "higher-better", "no intervals")
    assert "(7.84%, 2023) is above England's (7.76%)" in text


@given(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=0, max_value=6))
def test_never_minus_zero_nan_or_inf(x: float, decimals: int) -> None:
    for text in (nf.number(x, decimals), nf.value(x, nf.unit_for(prefix="£", unit="£ million", decimals=decimals))):
        assert "nan" not in text.lower() and "inf" not in text.lower()
        digits = text.lstrip("-+£").split(" ")[0].replace(",", "").rstrip("%")
        if text.startswith("-"):
            assert Decimal(digits) != 0, text


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=0, max_value=6))
def test_half_away_from_zero_at_every_decimals_setting(n: int, decimals: int) -> None:
    # n + 0.5 in units of the last place shown: an exact tie, which must round away from zero
    tie = Decimal(2 * n + 1) / 2 / Decimal(10) ** decimals
    x = float(tie)
    if Decimal(repr(x)) != tie:  # not representable as a short decimal: not a tie as written
        return
    want = tie.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    assert abs(want) > abs(tie)
    assert nf.number(x, decimals).replace(",", "") == f"{want:.{decimals}f}"


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_rounding_is_within_half_a_unit_and_odd_symmetric(x: float, decimals: int) -> None:
    text = nf.number(x, decimals).replace(",", "")
    assert abs(Decimal(text) - Decimal(repr(x))) <= Decimal(1).scaleb(-decimals) / 2
    mirrored = nf.number(-x, decimals).replace(",", "")
    assert mirrored == text or mirrored == f"-{text}" or text == f"-{mirrored}"
    assert not math.isnan(float(text))


def _shown_number(text: str) -> Decimal:
    return Decimal(text.replace("£", "").replace("%", "").replace(",", "").replace(" million", "").strip())


def test_every_comparison_sentence_shows_its_claim(full_build: tuple[Store, BuildReport]) -> None:
    """In the real release, a benchmark said to lie below (above) an interval is shown below (above) it."""
    store, _ = full_build
    with store.open() as con:
        found = con.execute(
            "SELECT outcome, sentence FROM comparisons WHERE outcome IN ('higher', 'lower') AND lci_95 IS NOT NULL"
        ).fetchall()
    assert len(found) > 100
    pattern = re.compile(r"significantly (?:higher|lower) than .+?'s? \(([^()]+)\).*interval \(([^()–]+)–([^()]+)\)\.$")
    for outcome, sentence in found:
        match = pattern.search(sentence)
        assert match, sentence
        bench, lo, hi = (_shown_number(g) for g in match.groups())
        assert (bench < lo) if outcome == "higher" else (bench > hi), sentence


def test_a_change_rounds_half_away_from_zero_on_the_published_values(shared: Path) -> None:
    # Basildon's housing affordability ratio is published as 9.12 (2025) and 8.47 (2024), 2 decimals; the
    # change 0.65 shown to 1 decimal is +0.7. Subtracting the floats gives 0.6499999999999986, which shows
    # +0.6 (the fault a reviewer found on the home page): the change is worked on the published decimals.
    from observatory.stats.trend import published_difference

    latest, _ = _els_row(
        shared, "housing-affordability-ratio", "E07000066", "Housing affordability ratio (residence-based)",
        "2025-04-01",
    )  # fmt: skip
    earlier, _ = _els_row(
        shared, "housing-affordability-ratio", "E07000066", "Housing affordability ratio (residence-based)",
        "2024-04-01",
    )  # fmt: skip
    assert (latest, earlier) == (9.12, 8.47)
    assert nf.number(latest - earlier, 1, signed=True) == "+0.6"  # the float fault this guards against
    assert nf.number(published_difference(latest, earlier), 1, signed=True) == "+0.7"


def test_a_change_of_a_percentage_is_in_percentage_points(client: TestClient) -> None:
    """A difference between two percentages is in percentage points: 72.3% → 74.1% is "+1.8 percentage points",
    never "+1.8%" (which reads as a relative change); other units keep theirs ("+£1.2 million")."""
    assert nf.change(74.1 - 72.3, nf.unit_for(unit="%")) == "+1.8 percentage points"
    assert nf.change(-0.04, nf.unit_for(unit="%")) == "0.0 percentage points"
    assert nf.change(1.2, nf.unit_for(unit="£ million")) == "+£1.2 million"
    assert nf.change(None, nf.unit_for(unit="%")) == nf.NO_DATA
    changes = re.findall(r'<span class="change">([^<]*)</span>', client.get("/").text)
    assert changes and not [c for c in changes if re.match(r"[+-]?[\d.,]+% since", c)]
    assert any("percentage points since" in c for c in changes)
