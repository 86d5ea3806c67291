"""Group aggregates by rule: ratio of sums (the publisher's 2024 employment file), sums, weighted means, refusals."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observatory.sources.ons_els import read_ons_els
from observatory.stats.aggregate import MemberValue, aggregate
from observatory.stats.judgements import Judgement
from tests.conftest import require
from tests.test_stats_derive import derived, read

__all__ = ["derived"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SOUTH_ESSEX = ["E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034"]
EMPLOYMENT = Judgement("employment-rate", "higher-better", "ratio", "ci-overlap", "published", "published", 100.0)
COUNT = Judgement("active-businesses", "no-judgement", "sum", "rank")
MEDIAN = Judgement("gross-median-weekly-pay", "higher-better", "not-aggregable", "ci-overlap", note="A median.")
WEIGHTED = Judgement("score", "higher-better", "weighted-mean", "rank", weight="population")


def test_employment_rate_of_south_essex_is_the_ratio_of_summed_numerators_and_denominators(tmp_path: Path) -> None:
    vintage = SHARED / "ons-els-vintages" / "employment-rate-2024-04-16.csv"
    require(vintage.is_file(), "shared data not available")
    # By hand, from the six 2022 rows of the publisher's 2024-04-16 file:
    # numerators 103200 + 38800 + 39600 + 45800 + 85900 + 86000 = 399300
    # denominators 117900 + 48000 + 54400 + 53100 + 113500 + 110200 = 497100
    with open(vintage, encoding="utf-8-sig", newline="") as fh:
        rows = {
            r["areacd"]: r for r in csv.DictReader(fh)
            if r["areacd"] in SOUTH_ESSEX and r["period"].startswith("2022-01-01")
        }  # fmt: skip
    assert sum(float(rows[c]["employment_rate_numerator"]) for c in SOUTH_ESSEX) == 399300
    assert sum(float(rows[c]["employment_rate_denominator"]) for c in SOUTH_ESSEX) == 497100
    expected = 399300 / 497100 * 100  # 80.33%, not the 80.18% a plain mean of the six rates would give

    # The same file through the observatory's own reader, as a build of that vintage would load it.
    folder = tmp_path / "ons-els" / "employment-rate"
    folder.mkdir(parents=True)
    os.symlink(vintage, folder / "employment-rate.csv")
    os.symlink(SHARED / "ons-els" / "employment-rate" / "employment-rate.json", folder / "employment-rate.json")
    result = read_ons_els(tmp_path / "ons-els")
    members = {
        o.area_code: MemberValue(o.value, o.numerator, o.denominator)
        for o in result.observations
        if o.indicator == "employment-rate" and o.area_code in SOUTH_ESSEX and o.period.iso == "2022-01-01/P1Y"
    }
    a = aggregate(EMPLOYMENT, "south-essex", "2022-01-01/P1Y", SOUTH_ESSEX, members)
    assert a.complete and (a.members_with_data, a.members_total) == (6, 6)
    assert a.value is not None and round(a.value, 2) == 80.33
    assert a.value == pytest.approx(expected)
    assert (a.numerator, a.denominator) == (399300, 497100)
    assert a.method == "aggregate-ratio-of-sums"
    assert a.reason == (
        "Sum of numerators (399,300) / sum of denominators (497,100) × 100, from published numerators and denominators."
    )
    mean_of_rates = sum(m.value or 0 for m in members.values()) / 6  # 80.18: what averaging rates would give
    assert round(a.value, 2) != round(mean_of_rates, 2)


def test_a_missing_member_is_flagged_not_shown() -> None:
    members = {c: MemberValue(80.0, 80.0, 100.0) for c in SOUTH_ESSEX[:5]}
    a = aggregate(EMPLOYMENT, "south-essex", "2022", SOUTH_ESSEX, members, {"E06000034": "Thurrock"})
    assert (a.complete, a.value, a.members_with_data, a.missing) == (False, None, 5, ("E06000034",))
    assert a.partial_value == pytest.approx(80.0)
    assert "Only 5 of 6 members" in a.reason and "Thurrock" in a.reason


def test_no_published_numerators_means_no_ratio() -> None:
    members = {c: MemberValue(75.0) for c in SOUTH_ESSEX}  # the current file: rates only
    a = aggregate(EMPLOYMENT, "south-essex", "2023", SOUTH_ESSEX, members)
    assert (a.complete, a.value, a.partial_value, a.members_with_data) == (False, None, None, 0)
    assert "None of the 6 members has published numerators and denominators" in a.reason


def test_sum_of_active_businesses_from_the_source_csv(derived: Path) -> None:
    # business-demography.csv, 2024: 8455 + 4700 + 3620 + 3955 + 7695 + 7855 = 36280
    values = dict(zip(SOUTH_ESSEX, (8455.0, 4700.0, 3620.0, 3955.0, 7695.0, 7855.0), strict=True))
    a = aggregate(COUNT, "south-essex", "2024", SOUTH_ESSEX, {c: MemberValue(v) for c, v in values.items()})
    assert (a.value, a.complete, a.method) == (36280.0, True, "aggregate-sum")
    with read(derived) as con:
        row = con.execute(
            "SELECT value, complete, rule FROM aggregates WHERE \"group\" = 'south-essex'"
            " AND indicator = 'active-businesses' AND period = '2024-01-01/P1Y'"
        ).fetchone()
    assert row == (36280.0, True, "sum")


def test_not_aggregable_says_why() -> None:
    a = aggregate(MEDIAN, "south-essex", "2024", SOUTH_ESSEX, {c: MemberValue(600.0) for c in SOUTH_ESSEX})
    assert (a.value, a.partial_value, a.complete, a.method) == (None, None, False, "aggregate-not-aggregable")
    assert a.reason == "Not aggregable: A median."
    assert a.members_with_data == 6


def test_weighted_mean_uses_the_weight() -> None:
    # (10 × 1 + 20 × 3) / (1 + 3) = 17.5
    a = aggregate(
        WEIGHTED, "g", "2024", ["A", "B"], {"A": MemberValue(10.0, weight=1.0), "B": MemberValue(20.0, weight=3.0)}
    )
    assert (a.value, a.complete) == (17.5, True)
    b = aggregate(WEIGHTED, "g", "2024", ["A", "B"], {"A": MemberValue(10.0, weight=1.0), "B": MemberValue(20.0)})
    assert (b.value, b.complete, b.members_with_data) == (None, False, 1)


def test_the_full_release_never_shows_an_incomplete_group_value(derived: Path) -> None:
    with read(derived) as con:
        bad = con.execute(
            "SELECT count(*) FROM aggregates WHERE value IS NOT NULL"
            " AND (NOT complete OR members_with_data < members_total OR rule = 'not-aggregable')"
        ).fetchone()
        rules = dict(con.execute("SELECT indicator, any_value(rule) FROM aggregates GROUP BY 1").fetchall())
    assert bad == (0,)
    assert rules["gross-median-weekly-pay"] == "not-aggregable"
    assert rules["employment-rate"] == "ratio"


values = st.floats(0, 1e9, allow_nan=False, allow_infinity=False)


@given(value=values, num=values, den=st.floats(1, 1e9), weight=st.floats(0.001, 1e9))
def test_a_group_of_one_member_equals_the_member(value: float, num: float, den: float, weight: float) -> None:
    assert aggregate(COUNT, "g", "p", ["A"], {"A": MemberValue(value)}).value == value
    w = aggregate(WEIGHTED, "g", "p", ["A"], {"A": MemberValue(value, weight=weight)}).value
    assert w == pytest.approx(value, rel=1e-12, abs=1e-300)
    rate = num / den * 100  # a member's published rate is its own numerator over its denominator
    r = aggregate(EMPLOYMENT, "g", "p", ["A"], {"A": MemberValue(rate, num, den)}).value
    assert r == pytest.approx(rate, rel=1e-12, abs=1e-300)
