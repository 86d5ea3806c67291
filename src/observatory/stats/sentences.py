"""Plain-English sentences from statistical results, for area and indicator pages.

Each sentence says what the test showed and no more: "similar" only when the benchmark lies inside the
area's interval, "higher"/"lower" for a significant difference, and "no significance test is available"
whenever there are no intervals. Numbers are written by :mod:`observatory.format` in the indicator's unit,
with more decimals where the published ones would hide the order a sentence claims (:func:`ci_decimals`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from observatory import format as nf
from observatory.stats.judgements import Polarity


@dataclass(frozen=True, slots=True)
class IndicatorFormat:
    """How to write an indicator's values and name in a sentence (from the ``indicators`` table)."""

    slug: str
    label: str
    prefix: str | None = None
    suffix: str | None = None
    decimals: int | None = None
    unit: str | None = None

    @property
    def style(self) -> nf.Unit:
        """How its values are written (observatory.format's one unit rule)."""
        return nf.unit_for(prefix=self.prefix, suffix=self.suffix, unit=self.unit, decimals=self.decimals)


_TRAILING_QUALIFIER = re.compile(r"\s*\((?:England|Great Britain|Northern Ireland|Scotland|Wales|UK)\)\s*$")


def ci_decimals(fmt: IndicatorFormat, outcome: str, value: float, lci: float, uci: float, benchmark: float) -> int:
    """Decimals at which a confidence-interval sentence's claims stay visible once its numbers are rounded.

    "higher": the benchmark lies below the interval and the value above the benchmark; "lower": the
    benchmark lies above the interval and the value below it. E.g. a benchmark 7.79 below an interval
    7.81–8.70 is written with 2 decimals, never "7.8" below "7.8–8.7".
    """
    pairs = {"higher": [(benchmark, lci), (benchmark, value)], "lower": [(uci, benchmark), (value, benchmark)]}
    return nf.decimals_to_separate(pairs.get(outcome, []), fmt.style.decimals)


_PROPER = {"Northern", "England", "English", "Scotland", "Scottish", "Wales", "Welsh", "British", "London", "UK"}
_DATE_LABEL = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}$")


def indicator_phrase(label: str) -> str:
    """The label as it reads inside a sentence: "Employment rate (Great Britain)" → "employment rate"."""
    text = _TRAILING_QUALIFIER.sub("", label).strip()
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and first[1:].islower() and first not in _PROPER:
        text = text[0].lower() + text[1:]
    return text


def when(label: str) -> str:
    """ "in 2023", "in 2023/24", "in Apr 2025", but "on 16 Apr 2008" for a single day."""
    return f"on {label}" if _DATE_LABEL.match(label) else f"in {label}"


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


QUINTILE_WORDS = {
    1: "highest fifth",
    2: "second-highest fifth",
    3: "middle fifth",
    4: "second-lowest fifth",
    5: "lowest fifth",
}


def polarity_clause(polarity: Polarity) -> str:
    return {
        "higher-better": "higher is better",
        "lower-better": "lower is better",
        "no-judgement": "neither higher nor lower is judged better",
    }[polarity]


def ci_sentence(
    area: str,
    benchmark: str,
    fmt: IndicatorFormat,
    period_label: str,
    value: float,
    lci: float,
    uci: float,
    benchmark_value: float,
    outcome: str,
    judgement: str,
    polarity: Polarity = "no-judgement",
) -> str:
    """Example: "Thurrock's employment rate (78.1%, 2023) is similar to England's (76.0%): England's value
    lies inside Thurrock's 95% confidence interval (74.1–82.1%)."""
    d = ci_decimals(fmt, outcome, value, lci, uci, benchmark_value)
    head = (
        f"{possessive(area)} {indicator_phrase(fmt.label)} ({nf.value(value, fmt.style, decimals=d)}, {period_label})"
    )
    bench = f"{possessive(benchmark)} ({nf.value(benchmark_value, fmt.style, decimals=d)})"
    interval = f"{possessive(area)} 95% confidence interval ({nf.interval(lci, uci, fmt.style, decimals=d)})"
    if outcome == "similar":
        return f"{head} is similar to {bench}: {possessive(benchmark)} value lies inside {interval}."
    word = "higher" if outcome == "higher" else "lower"
    side = "below" if outcome == "higher" else "above"
    verdict = f", which is {judgement} ({polarity_clause(polarity)})" if judgement in ("better", "worse") else ""
    return (
        f"{head} is significantly {word} than {bench}{verdict}: {possessive(benchmark)} value lies {side} {interval}."
    )


def no_test_sentence(
    area: str,
    benchmark: str,
    fmt: IndicatorFormat,
    period_label: str,
    value: float,
    benchmark_value: float,
    polarity: Polarity,
    why: str,
) -> str:
    d = nf.decimals_to_separate([(value, benchmark_value)], fmt.style.decimals)
    head = (
        f"{possessive(area)} {indicator_phrase(fmt.label)} ({nf.value(value, fmt.style, decimals=d)}, {period_label})"
    )
    if value > benchmark_value:
        rel = "is above"
    elif value < benchmark_value:
        rel = "is below"
    else:
        rel = "equals"
    return (
        f"{head} {rel} {possessive(benchmark)} ({nf.value(benchmark_value, fmt.style, decimals=d)}), but {why}, so no "
        f"significance test is available and no judgement is made ({polarity_clause(polarity)})."
    )


def rank_sentence(area: str, rank: int, peers: int, quintile: int, polarity: Polarity) -> str:
    """The rank clause shown where no significance test is possible."""
    return (
        f"It ranks {ordinal(rank)} of {peers} English lower-tier authorities (rank 1 = highest value; "
        f"{QUINTILE_WORDS[quintile]}; {polarity_clause(polarity)})."
    )


def total_sentence(area: str, benchmark: str, fmt: IndicatorFormat, period_label: str, value: float) -> str:
    return (
        f"{possessive(area)} {indicator_phrase(fmt.label)} ({nf.value(value, fmt.style)}, {period_label}) is a total "
        f"that grows with the size of the area, so it is not compared with {possessive(benchmark)} total."
    )


def change_phrase(fmt: IndicatorFormat, start_label: str, start: float, end_label: str, end: float) -> str:
    """ "rose from X in P1 to Y in P2"; equal at the published precision reads as unchanged."""
    a, b = nf.value(start, fmt.style), nf.value(end, fmt.style)
    if a == b:
        return f"was {b} both {when(start_label)} and {when(end_label)}"
    verb = "rose" if end > start else "fell"
    return f"{verb} from {a} {when(start_label)} to {b} {when(end_label)}"


def trend_sentence(
    area: str,
    fmt: IndicatorFormat,
    outcome: str,
    judgement: str,
    n_points: int,
    first_label: str,
    last_label: str,
    start: float,
    end: float,
    tested: bool,
    why_not: str = "",
    *,
    cash: bool = False,
) -> str:
    """One sentence on a series' change and, where tested, its trend; ``cash`` adds "in cash terms"."""
    subject = f"{possessive(area)} {indicator_phrase(fmt.label)}"
    moved = change_phrase(fmt, first_label, start, last_label, end)
    if cash:
        moved += " in cash terms (not adjusted for inflation)"
    if not tested:
        return f"{subject} {moved}; {why_not or 'no trend test is possible'}."
    if outcome == "no significant change":
        return (
            f"{subject} {moved}, but over these {n_points} periods there is no statistically significant trend "
            "(weighted linear trend test, 95% level)."
        )
    judged = f", so it is {judgement}" if judgement in ("improving", "worsening") else ""
    return (
        f"{subject} {moved}: a statistically significant {outcome} trend over {n_points} periods "
        f"(weighted linear trend test, 95% level){judged}."
    )


def aggregate_sentence(
    group: str,
    fmt: IndicatorFormat,
    period_label: str | None,
    value: float | None,
    rule: str,
    members_total: int,
    complete: bool,
    reason: str,
    note: str | None = None,
) -> str:
    """What the group's figure is, or plainly why it is not shown."""
    subject = f"{possessive(group)} {indicator_phrase(fmt.label)}"
    at = f" {when(period_label)}" if period_label else ""
    if value is not None and complete:
        how = {
            "sum": f"the sum of its {members_total} members' values",
            "ratio": f"the sum of its {members_total} members' numerators over the sum of their denominators",
            "weighted-mean": f"a weighted mean of its {members_total} members' values",
        }.get(rule, rule)
        return f"{subject}{at} is {nf.value(value, fmt.style)}: {how}."
    if rule == "not-aggregable":
        why = note or "no reviewed rule says how members' figures combine."
        return f"{subject} cannot be computed from its members' figures. {why}"
    return f"{subject}{at} is not shown. {reason}"
