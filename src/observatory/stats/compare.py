"""Comparing an area's value with a benchmark (England, its region, South Essex).

With a published 95% confidence interval for the area, the test is the one public health profiles use:
the benchmark's value inside the area's interval is "similar", below it the area is "higher", above it
"lower"; polarity turns higher/lower into better/worse. Without an interval there is no test: the result
says so and gives the area's rank and quintile among English lower-tier authorities instead. Totals
(counts, £ million) are not compared with a benchmark's total at all: the difference only reflects size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from observatory import format as nf
from observatory.stats.judgements import Judgement, Polarity
from observatory.stats.sentences import (
    QUINTILE_WORDS,
    IndicatorFormat,
    ci_decimals,
    ci_sentence,
    indicator_phrase,
    no_test_sentence,
    ordinal,
    possessive,
    rank_sentence,
    total_sentence,
)

METHOD_CI = "ci-overlap-95"
METHOD_NO_TEST = "rank-quintile-no-test"
METHOD_TOTAL = "total-not-compared"
METHOD_NO_BENCHMARK = "no-benchmark"
PEER_GROUP = "English lower-tier local authorities (current codes E06/E07/E08/E09 with a value for the period)"

Outcome = Literal["similar", "higher", "lower", "no-test", "not-comparable"]


def ci_outcome(benchmark_value: float, lci: float, uci: float) -> Literal["similar", "higher", "lower"]:
    """Where the benchmark's value falls against the area's 95% interval (bounds count as inside)."""
    if benchmark_value < lci:
        return "higher"  # the area's whole interval is above the benchmark
    if benchmark_value > uci:
        return "lower"
    return "similar"


def judge(outcome: str, polarity: Polarity) -> str:
    """Turn a tested outcome into better/worse by polarity; untested outcomes are never judged."""
    if outcome == "similar":
        return "similar"
    if outcome not in ("higher", "lower"):
        return "not-judged"
    if polarity == "no-judgement":
        return outcome
    return "better" if (outcome == "higher") == (polarity == "higher-better") else "worse"


def interval_problem(value: float, lci: float | None, uci: float | None) -> str | None:
    """Why a published interval cannot support a test (None when it can)."""
    if lci is None or uci is None:
        return "no 95% confidence interval is published for this value"
    if not lci < uci:
        return "the published 95% confidence interval has no width"
    if not lci <= value <= uci:
        return "the published 95% confidence interval does not contain the value"
    return None


@dataclass(frozen=True, slots=True)
class RankInfo:
    rank: int  # 1 = highest value; ties share the best rank
    peers: int
    quintile: int  # 1 = highest fifth of values … 5 = lowest fifth


def quintile_of(rank: int, peers: int) -> int:
    """Quintile of a 1-based rank among ``peers`` values: floor(5 × (rank − 1) / peers) + 1 (rank 1 → 1)."""
    return max(1, min(5, 5 * (rank - 1) // peers + 1))


def rank_among(value: float, peer_values: Sequence[float]) -> RankInfo:
    """Competition rank of ``value`` among peers (which include it): 1 + number of strictly higher values."""
    peers = len(peer_values)
    if peers == 0:
        raise ValueError("no peers to rank among")
    rank = 1 + sum(1 for v in peer_values if v > value)
    return RankInfo(rank, peers, quintile_of(rank, peers))


@dataclass(frozen=True, slots=True)
class Comparison:
    indicator: str
    area_code: str
    period: str
    benchmark_code: str
    benchmark_role: str  # england | region | group
    method: str
    outcome: str
    judgement: str
    reason: str
    sentence: str
    value: float
    lci_95: float | None
    uci_95: float | None
    benchmark_value: float
    rank: int | None = None
    peers: int | None = None
    quintile: int | None = None


def _rank_clause(area: str, rank: RankInfo | None) -> str:
    if rank is None:
        return f"{area} is not an English lower-tier authority, so it has no rank among them"
    return (
        f"{area} ranks {ordinal(rank.rank)} of {rank.peers} English lower-tier authorities "
        f"({QUINTILE_WORDS[rank.quintile]}; rank 1 = highest value)"
    )


def compare(
    judgement: Judgement,
    fmt: IndicatorFormat,
    *,
    area_code: str,
    area_name: str,
    benchmark_code: str,
    benchmark_name: str,
    benchmark_role: str,
    period: str,
    period_label: str,
    value: float,
    lci: float | None,
    uci: float | None,
    benchmark_value: float,
    rank: RankInfo | None = None,
) -> Comparison:
    """One comparison, with its method, outcome, polarity judgement, a one-sentence reason and a sentence."""
    polarity = judgement.polarity

    def result(method: str, outcome: str, verdict: str, reason: str, sentence: str) -> Comparison:
        return Comparison(
            indicator=judgement.slug,
            area_code=area_code,
            period=period,
            benchmark_code=benchmark_code,
            benchmark_role=benchmark_role,
            method=method,
            outcome=outcome,
            judgement=verdict,
            reason=reason,
            sentence=sentence,
            value=value,
            lci_95=lci,
            uci_95=uci,
            benchmark_value=benchmark_value,
            rank=rank.rank if rank else None,
            peers=rank.peers if rank else None,
            quintile=rank.quintile if rank else None,
        )

    if judgement.is_total:
        reason = (
            f"A total grows with the size of the area, so comparing it with {possessive(benchmark_name)} total "
            f"says nothing; {_rank_clause(area_name, rank)}."
        )
        sentence = total_sentence(area_name, benchmark_name, fmt, period_label, value)
        return result(METHOD_TOTAL, "not-comparable", "not-judged", reason, sentence)
    if judgement.no_benchmark:
        reason = f"Not comparable: {judgement.no_benchmark} {_rank_clause(area_name, rank)}."  # ends "… share."
        sentence = (
            f"{possessive(area_name)} {indicator_phrase(fmt.label)} ({nf.value(value, fmt.style)}, {period_label}) is "
            f"not compared with {possessive(benchmark_name)} figure. {judgement.no_benchmark}"
        )
        return result(METHOD_NO_BENCHMARK, "not-comparable", "not-judged", reason, sentence)
    unusable = interval_problem(value, lci, uci)
    if judgement.comparison == "ci-overlap" and unusable is None and lci is not None and uci is not None:
        outcome = ci_outcome(benchmark_value, lci, uci)
        verdict = judge(outcome, polarity)
        where = {"similar": "inside", "higher": "below", "lower": "above"}[outcome]
        shown = nf.interval(lci, uci, fmt.style, decimals=ci_decimals(fmt, outcome, value, lci, uci, benchmark_value))
        reason = (
            f"{possessive(benchmark_name)} value lies {where} {possessive(area_name)} 95% confidence interval "
            f"({shown})."
        )
        sentence = ci_sentence(
            area_name, benchmark_name, fmt, period_label, value, lci, uci, benchmark_value, outcome, verdict, polarity
        )
        return result(METHOD_CI, outcome, verdict, reason, sentence)
    if judgement.comparison == "ci-overlap":
        why = unusable or "no 95% confidence interval is published for this value"
    else:
        why = "no 95% confidence intervals are published for this indicator"
    reason = f"{why[0].upper()}{why[1:]}, so no significance test is available; {_rank_clause(area_name, rank)}."
    sentence = no_test_sentence(area_name, benchmark_name, fmt, period_label, value, benchmark_value, polarity, why)
    if rank is not None:
        sentence += " " + rank_sentence(area_name, rank.rank, rank.peers, rank.quintile, polarity)
    return result(METHOD_NO_TEST, "no-test", "not-judged", reason, sentence)


METHODS = {
    METHOD_CI: (
        "Benchmark inside the area's 95% confidence interval",
        "Where the publisher gives a 95% confidence interval for the area's value, the benchmark's value (England, "
        "the region or South Essex) is compared with that interval: inside it (bounds included) the area is "
        "'similar'; below the interval the area is 'higher', above it 'lower'. The indicator's reviewed polarity "
        "turns higher/lower into 'better'/'worse'; indicators with no polarity stay 'higher'/'lower'. This is the "
        "method of the public health profiles (Fingertips) and treats the benchmark's own interval as negligible, "
        "which holds when the benchmark is a much larger population.",
    ),
    METHOD_NO_TEST: (
        "No significance test: rank and quintile",
        "Where no interval is published there is no way to tell a real difference from noise, so no judgement is "
        "made. The result says so and gives the difference and the area's rank among English lower-tier "
        "authorities (current codes starting E06, E07, E08 or E09 with a value for that period), rank 1 being the "
        "highest value, ties sharing the better rank, and its quintile: floor(5 × (rank − 1) / number of "
        "authorities) + 1, 1 = the highest fifth of values. Whether high is good is stated from the polarity, not "
        "inferred.",
    ),
    METHOD_NO_BENCHMARK: (
        "Figures with no benchmark",
        "For a few shares England's figure measures something else: the share of England's employed residents "
        "working in London is mostly Londoners working in their own city, and the share working in South Essex is "
        "almost all South Essex's own residents. Such an indicator (marked in the reviewed metadata with the "
        "reason) is not compared with England or the region; pages say 'not comparable' and give its rank.",
    ),
    METHOD_TOTAL: (
        "Totals are not compared with a benchmark",
        "Counts and money totals (for example active businesses or exports in £ million) grow with the size of the "
        "area, so comparing an authority's total with England's says nothing. Only ranks and changes over time "
        "are shown.",
    ),
}
