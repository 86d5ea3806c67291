"""Comparisons with a benchmark: interval overlap both ways, polarity, rank and quintile, from the source CSVs."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from observatory.stats.compare import (
    METHOD_CI,
    METHOD_NO_TEST,
    METHOD_TOTAL,
    RankInfo,
    ci_outcome,
    compare,
    judge,
    quintile_of,
    rank_among,
)
from observatory.stats.judgements import Judgement
from observatory.stats.sentences import IndicatorFormat
from tests.conftest import require
from tests.test_stats_derive import derived, read

__all__ = ["derived"]  # the session fixture, shared with the other stats tests

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PCT = IndicatorFormat("employment-rate", "Employment rate (Great Britain)", None, "%", 1, "%")
POUNDS = IndicatorFormat("gross-median-weekly-pay", "Gross median weekly pay", "£", None, 0, "£")


def _csv_rows(rel: str) -> list[dict[str, str]]:
    path = SHARED / "ons-els" / rel
    require(path.is_file(), f"{path} not available")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _row(rows: list[dict[str, str]], area: str, period: str, indicator: str | None = None) -> dict[str, str]:
    found = [
        r for r in rows if r["areacd"] == area and r["period"].startswith(period)
        and (indicator is None or r["indicator"] == indicator)
    ]  # fmt: skip
    assert len(found) == 1, (area, period, found)
    return found[0]


# --- the interval test, both ways -------------------------------------------------------------------------


def test_benchmark_inside_the_interval_is_similar() -> None:
    rows = _csv_rows("employment-rate/employment-rate.csv")
    thurrock = _row(rows, "E06000034", "2023", "Employment rate")
    england = _row(rows, "E92000001", "2023", "Employment rate")
    # by hand: 74.1 <= 76.0 <= 82.1
    assert (float(thurrock["lci_95"]), float(thurrock["uci_95"]), float(england["observation"])) == (74.1, 82.1, 76.0)
    assert ci_outcome(76.0, 74.1, 82.1) == "similar"


def test_benchmark_above_the_interval_is_lower_and_worse() -> None:
    rows = _csv_rows("qualifications-level-3-or-above/qualifications-level-3-or-above.csv")
    thurrock = _row(rows, "E06000034", "2023")
    england = _row(rows, "E92000001", "2023")
    value, lci, uci = (float(thurrock[k]) for k in ("observation", "lci_95", "uci_95"))
    bench = float(england["observation"])
    assert (value, lci, uci, bench) == (58.1, 53.2, 63.0, 67.4)  # 67.4 > 63.0: Thurrock is lower
    c = compare(
        Judgement("level-3", "higher-better", comparison="ci-overlap"), PCT, area_code="E06000034",
        area_name="Thurrock", benchmark_code="E92000001", benchmark_name="England", benchmark_role="england",
        period="2023-01-01/P1Y", period_label="2023", value=value, lci=lci, uci=uci, benchmark_value=bench,
    )  # fmt: skip
    assert (c.method, c.outcome, c.judgement) == (METHOD_CI, "lower", "worse")
    assert c.reason == "England's value lies above Thurrock's 95% confidence interval (53.2–63.0%)."


def test_benchmark_below_the_interval_is_higher_and_better() -> None:
    rows = _csv_rows("gross-median-weekly-pay/gross-median-weekly-pay.csv")
    brentwood = _row(rows, "E07000068", "2025")
    england = _row(rows, "E92000001", "2025")
    value, lci, uci = (float(brentwood[k]) for k in ("observation", "lci_95", "uci_95"))
    bench = float(england["observation"])
    assert (value, bench) == (781.0, 648.4)
    assert bench < lci  # 648.4 < 670.79: the whole interval is above England
    c = compare(
        Judgement("pay", "higher-better", comparison="ci-overlap"), POUNDS, area_code="E07000068",
        area_name="Brentwood", benchmark_code="E92000001", benchmark_name="England", benchmark_role="england",
        period="2025-04-30", period_label="2025", value=value, lci=lci, uci=uci, benchmark_value=bench,
    )  # fmt: skip
    assert (c.outcome, c.judgement) == ("higher", "better")
    assert "which is better (higher is better)" in c.sentence
    assert "England's value lies below Brentwood's 95% confidence interval (£671–£891)" in c.sentence


def test_interval_bounds_count_as_inside() -> None:
    assert ci_outcome(74.1, 74.1, 82.1) == "similar"
    assert ci_outcome(82.1, 74.1, 82.1) == "similar"
    assert ci_outcome(74.0999, 74.1, 82.1) == "higher"
    assert ci_outcome(82.1001, 74.1, 82.1) == "lower"


# --- polarity ------------------------------------------------------------------------------------------------


def test_polarity_turns_higher_and_lower_into_better_and_worse() -> None:
    assert judge("higher", "higher-better") == "better"
    assert judge("higher", "lower-better") == "worse"
    assert judge("lower", "higher-better") == "worse"
    assert judge("lower", "lower-better") == "better"
    assert judge("higher", "no-judgement") == "higher"
    assert judge("similar", "lower-better") == "similar"
    assert judge("no-test", "higher-better") == "not-judged"


SWAP = {"higher-better": "lower-better", "lower-better": "higher-better"}
FLIP = {"better": "worse", "worse": "better", "similar": "similar"}


@given(
    bench=st.floats(-1e6, 1e6, allow_nan=False),
    lo=st.floats(-1e6, 1e6, allow_nan=False),
    width=st.floats(0, 1e6, allow_nan=False),
    polarity=st.sampled_from(["higher-better", "lower-better"]),
)
def test_swapping_polarity_swaps_better_and_worse(bench: float, lo: float, width: float, polarity: Any) -> None:
    outcome = ci_outcome(bench, lo, lo + width)
    assert judge(outcome, SWAP[polarity]) == FLIP[judge(outcome, polarity)]  # type: ignore[arg-type]


# --- without intervals: rank and quintile -----------------------------------------------------------------------


def test_rank_and_quintile_by_hand() -> None:
    values = [5.0, 3.0, 3.0, 1.0, 9.0, 7.0, 2.0, 8.0, 4.0, 6.0]
    assert rank_among(9.0, values) == RankInfo(1, 10, 1)
    assert rank_among(3.0, values) == RankInfo(7, 10, 4)  # 9 8 7 6 5 4 are higher; ties share rank 7
    assert rank_among(1.0, values) == RankInfo(10, 10, 5)
    assert [quintile_of(r, 10) for r in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quintile_of(116, 294) == 2  # floor(5 × 115 / 294) + 1 = floor(1.96) + 1
    assert [quintile_of(r, 3) for r in (1, 2, 3)] == [1, 2, 4]  # the top value is always in the top fifth


def test_gva_per_hour_rank_from_the_source_csv(derived: Path) -> None:
    with read(derived) as con:
        # English lower-tier authorities: current codes, and ended codes with a same-name successor starting the
        # next year (Barnsley E08000016 → E08000038, Sheffield E08000019 → E08000039, from the boundaries)
        current = {
            r[0] for r in con.execute(
                "SELECT o.code FROM areas o WHERE list_contains(o.types, 'ltla') AND regexp_matches(o.code, '^E0[6-9]')"
                " AND (o.valid_to IS NULL OR EXISTS (SELECT 1 FROM areas n WHERE n.name = o.name"
                " AND n.valid_from = o.valid_to + 1 AND list_contains(n.types, 'ltla')))"
            ).fetchall()
        }  # fmt: skip
        ranked = con.execute(
            "SELECT rank, peers, quintile FROM ranks WHERE indicator = 'gross-value-added-per-hour-worked'"
            " AND area_code = 'E06000034' AND period = '2023-01-01/P1Y'"
        ).fetchone()
        sentence = con.execute(
            "SELECT sentence FROM comparisons WHERE indicator = 'gross-value-added-per-hour-worked'"
            " AND area_code = 'E06000034' AND period = '2023-01-01/P1Y' AND benchmark_role = 'england'"
        ).fetchone()
    rows = _csv_rows("gross-value-added/gross-value-added.csv")
    peers = {
        r["areacd"]: float(r["observation"]) for r in rows
        if r["indicator"] == "Gross value added per hour worked" and r["period"] == "2023-01-01/P1Y"
        and r["areacd"] in current and r["observation"]
    }  # fmt: skip
    thurrock = peers["E06000034"]
    higher = sum(1 for v in peers.values() if v > thurrock + 1e-9)
    assert (1 + higher, len(peers)) == (116, 296)  # 294 before successor codes were followed
    assert ranked == (116, 296, 2)
    assert sentence is not None
    assert "no significance test is available" in sentence[0]
    assert "ranks 116th of 296 English lower-tier authorities" in sentence[0]
    assert "higher is better" in sentence[0]


def test_without_intervals_no_judgement_is_made() -> None:
    j = Judgement("gross-value-added-per-hour-worked", "higher-better", comparison="rank")
    c = compare(
        j, POUNDS, area_code="E06000033", area_name="Southend-on-Sea", benchmark_code="TLB",
        benchmark_name="England", benchmark_role="england", period="2023-01-01/P1Y", period_label="2023",
        value=31.29, lci=None, uci=None, benchmark_value=42.39, rank=RankInfo(269, 294, 5),
    )  # fmt: skip
    assert (c.method, c.outcome, c.judgement) == (METHOD_NO_TEST, "no-test", "not-judged")
    assert "no significance test is available" in c.reason
    assert "269th of 294" in c.reason and "lowest fifth" in c.reason
    assert "worse" not in c.sentence and "better (" not in c.sentence


def test_ci_indicator_without_an_interval_falls_back_to_rank() -> None:
    j = Judgement("no-qualifications", "lower-better", comparison="ci-overlap")
    c = compare(
        j, PCT, area_code="A", area_name="Area", benchmark_code="E92000001", benchmark_name="England",
        benchmark_role="england", period="2023", period_label="2023", value=5.0, lci=None, uci=None,
        benchmark_value=6.0,
    )  # fmt: skip
    assert c.method == METHOD_NO_TEST
    assert "no 95% confidence interval is published for this value" in c.sentence


def test_unusable_intervals_are_not_tested() -> None:
    j = Judgement("visited-a-museum-or-gallery", "higher-better", comparison="ci-overlap")

    def with_interval(lci: float, uci: float) -> str:
        c = compare(
            j, PCT, area_code="A", area_name="Area", benchmark_code="E92000001", benchmark_name="England",
            benchmark_role="england", period="2023", period_label="2023", value=89.0, lci=lci, uci=uci,
            benchmark_value=50.0,
        )  # fmt: skip
        assert (c.method, c.judgement) == (METHOD_NO_TEST, "not-judged")
        return c.reason

    assert "has no width" in with_interval(88.0, 88.0)  # as published in the culture survey file
    assert "does not contain the value" in with_interval(80.0, 85.0)


def test_totals_are_not_compared_with_a_benchmark_total() -> None:
    j = Judgement("active-businesses", "no-judgement", "sum", "rank")
    fmt = IndicatorFormat("active-businesses", "Active businesses", None, None, 0, "Number of enterprises")
    c = compare(
        j, fmt, area_code="E06000034", area_name="Thurrock", benchmark_code="E92000001", benchmark_name="England",
        benchmark_role="england", period="2024-01-01/P1Y", period_label="2024", value=7855, lci=None, uci=None,
        benchmark_value=2521340, rank=RankInfo(150, 296, 3),
    )  # fmt: skip
    assert (c.method, c.outcome, c.judgement) == (METHOD_TOTAL, "not-comparable", "not-judged")
    assert "7,855" in c.sentence and "grows with the size of the area" in c.sentence


def test_the_example_sentence_of_the_issue() -> None:
    c = compare(
        Judgement("employment-rate", "higher-better", "ratio", "ci-overlap"), PCT, area_code="E06000034",
        area_name="Thurrock", benchmark_code="E92000001", benchmark_name="England", benchmark_role="england",
        period="2023-01-01/P1Y", period_label="2023", value=78.1, lci=74.1, uci=82.1, benchmark_value=76.0,
    )  # fmt: skip
    assert c.sentence == (
        "Thurrock's employment rate (78.1%, 2023) is similar to England's (76.0%): England's value lies inside "
        "Thurrock's 95% confidence interval (74.1–82.1%)."
    )
    assert re.fullmatch(r"[^.]+\(74\.1–82\.1%\)\.", c.reason)  # one sentence
    assert not math.isnan(c.benchmark_value)
