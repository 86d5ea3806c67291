"""Changes over time and the weighted linear trend test, checked against independent computations."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observatory import format as nf
from observatory.stats.sentences import IndicatorFormat
from observatory.stats.trend import (
    METHOD_DESCRIPTION,
    METHOD_TREND,
    Point,
    assess_trend,
    changes_at,
    weighted_slope,
)
from tests.test_stats_derive import derived, read

__all__ = ["derived"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POUNDS = IndicatorFormat("gva", "Gross value added per hour worked", "£", None, 2, "£")
PCT = IndicatorFormat("rate", "Rate", None, "%", 1, "%")


def _annual(values: list[tuple[int, float, float | None, float | None]], duration: str = "P1Y") -> list[Point]:
    return [Point(f"{y}-01-01/{duration}", str(y), dt.date(y, 1, 1), duration, v, lo, hi) for y, v, lo, hi in values]


def test_weighted_slope_by_hand() -> None:
    # x = 0, 1, 2; y = 0, 1, 3; SE = 1, 1, 2 → w = 1, 1, 1/4; x̄ = 2/3, ȳ = 7/9;
    # Σw(x − x̄)² = 4/9 + 1/9 + 4/9 = 1; Σw(x − x̄)(y − ȳ) = 14/27 + 2/27 + 20/27 = 4/3 → slope 4/3, SE 1, z 4/3
    t = weighted_slope([0, 1, 2], [0, 1, 3], [1, 1, 2])
    assert t.slope == pytest.approx(float(Fraction(4, 3)))
    assert t.se == pytest.approx(1.0)
    assert t.z == pytest.approx(4 / 3)
    assert not t.significant


@settings(max_examples=60, deadline=None)
@given(
    y=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=5, max_size=12),
    se_seed=st.lists(st.floats(0.05, 20, allow_nan=False), min_size=12, max_size=12),
)
def test_weighted_slope_matches_numpy_polyfit(y: list[float], se_seed: list[float]) -> None:
    x = np.arange(len(y), dtype=float)
    se = np.array(se_seed[: len(y)])
    coef, cov = np.polyfit(x, np.array(y), 1, w=1 / se, cov="unscaled")
    _, scaled = np.polyfit(x, np.array(y), 1, w=1 / se, cov=True)  # × residual chi-square / (n − 2)
    t = weighted_slope(list(x), y, list(se))
    assert t.slope == pytest.approx(coef[0], rel=1e-7, abs=1e-7)
    # over-dispersion: the sampling-only SE, scaled up (never down) by √(chi-square / df)
    assert t.se == pytest.approx(max(np.sqrt(cov[0, 0]), np.sqrt(scaled[0, 0])), rel=1e-7)


def test_thurrock_pay_trend_against_an_independent_computation(derived: Path) -> None:
    path = SHARED / "ons-els" / "gross-median-weekly-pay" / "gross-median-weekly-pay.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = sorted((r for r in csv.DictReader(fh) if r["areacd"] == "E06000034"), key=lambda r: r["period"])
    last5 = rows[-5:]  # 21 Apr 2021 … 30 Apr 2025, one April each year
    assert [r["period"][:4] for r in last5] == ["2021", "2022", "2023", "2024", "2025"]
    y = np.array([float(r["observation"]) for r in last5])
    se = np.array([(float(r["uci_95"]) - float(r["lci_95"])) / 3.92 for r in last5])
    coef, cov = np.polyfit(np.arange(5.0), y, 1, w=1 / se, cov="unscaled")
    _, scaled = np.polyfit(np.arange(5.0), y, 1, w=1 / se, cov=True)
    z = coef[0] / max(np.sqrt(cov[0, 0]), np.sqrt(scaled[0, 0]))  # SE allowing for over-dispersion
    assert z > 1.96  # pay rose significantly in cash terms: "increasing", never "improving" (not inflation-adjusted)
    with read(derived) as con:
        row = con.execute(
            "SELECT method, outcome, judgement, slope, z, n_points FROM trends"
            " WHERE indicator = 'gross-median-weekly-pay' AND area_code = 'E06000034' AND latest"
        ).fetchone()
    assert row is not None
    assert row[:3] == (METHOD_TREND, "increasing", "increasing")
    assert row[3] == pytest.approx(coef[0], rel=1e-3)  # 3.92 vs 2 × 1.959964 and rounded CIs: close, not equal
    assert row[4] == pytest.approx(z, rel=1e-2)
    assert row[5] == 5


def test_significant_fall_is_improving_when_lower_is_better_and_worsening_otherwise() -> None:
    points = _annual([(2019 + i, 30.0 - 2 * i, 29.0 - 2 * i, 31.0 - 2 * i) for i in range(5)])
    down = assess_trend(points, 4, "lower-better", PCT, "Area")
    assert (down.method, down.outcome, down.judgement) == (METHOD_TREND, "decreasing", "improving")
    assert assess_trend(points, 4, "higher-better", PCT, "Area").judgement == "worsening"
    assert assess_trend(points, 4, "no-judgement", PCT, "Area").judgement == "decreasing"
    assert "so it is improving" in down.sentence


def test_noisy_series_shows_no_significant_change() -> None:
    points = _annual([(2019, 50.0, 40.0, 60.0), (2020, 52.0, 42.0, 62.0), (2021, 49.0, 39.0, 59.0),
                      (2022, 51.0, 41.0, 61.0), (2023, 53.0, 43.0, 63.0)])  # fmt: skip
    t = assess_trend(points, 4, "higher-better", PCT, "Area")
    assert (t.outcome, t.judgement) == ("no significant change", "no significant change")
    assert "no statistically significant trend" in t.sentence


def test_fewer_than_five_points_or_no_intervals_give_a_plain_description() -> None:
    four = _annual([(2020 + i, 10.0 + i, 9.0 + i, 11.0 + i) for i in range(4)])
    t = assess_trend(four, 3, "higher-better", PCT, "Area")
    assert (t.method, t.outcome, t.judgement) == (METHOD_DESCRIPTION, "rose", "not-judged")
    assert "only 4 consecutive periods" in t.reason
    no_ci = _annual([(2018 + i, 35.0 + i, None, None) for i in range(6)])
    t = assess_trend(no_ci, 5, "higher-better", POUNDS, "Thurrock")
    assert t.method == METHOD_DESCRIPTION
    assert t.sentence.startswith(
        "Thurrock's gross value added per hour worked rose from £36.00 in 2019 to £40.00 in 2023"
    )
    gap = _annual([(2015, 1.0, 0.5, 1.5), (2016, 1.0, 0.5, 1.5), (2018, 2.0, 1.5, 2.5), (2019, 3.0, 2.5, 3.5),
                   (2020, 4.0, 3.5, 4.5), (2021, 5.0, 4.5, 5.5)])  # fmt: skip
    assert assess_trend(gap, 5, "higher-better", PCT, "Area").method == METHOD_DESCRIPTION  # 2017 is missing


def test_overlapping_rolling_periods_are_thinned() -> None:
    # 3-year rolling periods starting each year 2011–2022: non-overlapping ones are 2022, 2019, 2016, 2013 (4)
    rolling = _annual([(y, 60.0 + (y - 2011) * 0.1, 59.0, 62.0) for y in range(2011, 2023)], "P3Y")
    t = assess_trend(rolling, len(rolling) - 1, "higher-better", PCT, "Area")
    assert t.method == METHOD_DESCRIPTION
    assert "only 4 consecutive non-overlapping periods" in t.reason
    longer = _annual([(y, 60.0 + (y - 2008) * 0.1, 59.0, 62.0) for y in range(2008, 2023)], "P3Y")
    assert assess_trend(longer, len(longer) - 1, "higher-better", PCT, "Area").n_points == 5


def test_zero_width_intervals_are_not_tested() -> None:
    points = _annual([(2019 + i, 88.0, 88.0, 88.0) for i in range(5)])
    assert assess_trend(points, 4, "higher-better", PCT, "Area").method == METHOD_DESCRIPTION


def test_changes_over_1_3_5_periods_by_hand() -> None:
    # Thurrock, GVA per hour worked (gross-value-added.csv): 2018 35.00 … 2023 40.17
    points = _annual([(2018, 35.0, None, None), (2019, 36.08, None, None), (2020, 36.23, None, None),
                      (2021, 37.37, None, None), (2022, 38.65, None, None), (2023, 40.17, None, None)])  # fmt: skip
    by_back = {c.periods_back: c for c in changes_at(points, 5, POUNDS)}
    assert set(by_back) == {1, 3, 5}
    one, three, five = by_back[1], by_back[3], by_back[5]
    assert one.absolute == pytest.approx(1.52)
    assert one.percent == pytest.approx(100 * 1.52 / 38.65)  # 3.93%
    assert three.absolute == pytest.approx(3.94)
    assert three.annual_rate == pytest.approx(100 * ((40.17 / 36.23) ** (1 / 3) - 1))  # 3.50% a year
    assert five.annual_rate == pytest.approx(100 * ((40.17 / 35.0) ** (1 / 5) - 1))  # 2.79% a year
    assert five.reason == "It rose from £35.00 in 2018 to £40.17 in 2023 (+14.8%, +2.8% a year compounded)."


def test_monthly_series_also_compare_a_year_earlier_and_get_no_annual_rate() -> None:
    points = [
        Point(f"{y}-{m:02d}-01/P1M", f"{m}/{y}", dt.date(y, m, 1), "P1M", float(100 + i))
        for i, (y, m) in enumerate((2024 + (k // 12), k % 12 + 1) for k in range(14))
    ]
    changes = {c.periods_back: c for c in changes_at(points, 13, PCT)}
    assert set(changes) == {1, 3, 5, 12}
    assert changes[12].from_value == 101.0 and changes[12].to_value == 113.0
    assert all(c.annual_rate is None for c in changes.values())


def test_a_gap_gives_no_change_rather_than_a_wrong_one() -> None:
    points = _annual([(2016, 1.0, None, None), (2019, 2.0, None, None), (2020, 3.0, None, None)])
    assert {c.periods_back for c in changes_at(points, 2, PCT)} == {1}  # 2017 (3 back) is missing


def _iod_share(shared: Path, year: int, code: str, domain: str) -> float:
    """MHCLG IoD LAD summaries: the share of an authority's LSOAs in England's most deprived 10% (percent)."""

    with open(shared / "iod-lad-summaries" / f"IoD{year}_lad_summaries_long.csv", encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if (r.get("lad19cd") or r.get("area_code")) == code and r["index_domain"].startswith(domain):
                # a fraction with float noise ("7.1400000000000005E-2"); MHCLG publishes four decimals
                return float(Decimal(r["proportion_bottom_decile"]).quantize(Decimal("0.0001")) * 100)
    raise AssertionError(f"{code} {domain} not in IoD{year}")


def test_a_change_of_a_percentage_is_said_in_percentage_points(shared: Path) -> None:
    """Thurrock's share of neighbourhoods in the most deprived 10% (MHCLG LAD summaries): a change of a
    percentage is said in percentage points, not as a relative "(+40.1%)"; equal values at the shown precision
    get no change in brackets (never "was 2.0% both in 2019 and in 2025 (-2.0%)")."""
    rows = []
    for domain in ("Barriers to Housing", "Employment"):
        v19, v25 = _iod_share(shared, 2019, "E06000034", domain), _iod_share(shared, 2025, "E06000034", domain)
        points = _annual([(2019, v19, None, None), (2025, v25, None, None)])  # two editions, six years apart
        rows.append((points[0].value, points[1].value, changes_at(points, 1, PCT, backs=[1])))
    (b19, b25, barriers), (e19, e25, employment) = rows
    pp = float(Decimal(repr(b25)) - Decimal(repr(b19)))
    assert barriers[0].reason == (
        f"It rose from {nf.value(b19, PCT.style)} in 2019 to {nf.value(b25, PCT.style)} in 2025 "
        f"({nf.number(pp, 1, signed=True)} percentage points)."
    )
    assert nf.value(e19, PCT.style) == nf.value(e25, PCT.style)  # 2.04 and 2.0 both show as 2.0%
    assert employment[0].reason == f"It was {nf.value(e25, PCT.style)} both in 2019 and in 2025."
