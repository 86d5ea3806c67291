"""Group values (South Essex and any group in the config), following each indicator's reviewed rule.

Sums for counts; the ratio of summed numerators and denominators where the publisher gives them; a
weighted mean only with a real weight from the data; otherwise an honest "not aggregable". Rates are never
averaged. A group value is shown only when every member has the data: with 5 of 6 members the result is
flagged incomplete, and the partial figure is kept apart from the value so it is never mistaken for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from observatory.stats.judgements import PUBLISHED, Judgement

METHOD_SUM = "aggregate-sum"
METHOD_RATIO = "aggregate-ratio-of-sums"
METHOD_WEIGHTED = "aggregate-weighted-mean"
METHOD_NONE = "aggregate-not-aggregable"


@dataclass(frozen=True, slots=True)
class MemberValue:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    weight: float | None = None


@dataclass(frozen=True, slots=True)
class Aggregate:
    group: str
    indicator: str
    period: str | None
    value: float | None  # only when complete
    partial_value: float | None  # the same rule over the members that have data, when incomplete
    rule: str
    method: str
    members_with_data: int
    members_total: int
    complete: bool
    missing: tuple[str, ...]
    numerator: float | None
    denominator: float | None
    reason: str


def _names(codes: Sequence[str], names: Mapping[str, str]) -> str:
    return ", ".join(names.get(c, c) for c in codes)


def aggregate(
    judgement: Judgement,
    group: str,
    period: str | None,
    members: Sequence[str],
    values: Mapping[str, MemberValue],
    names: Mapping[str, str] | None = None,
) -> Aggregate:
    """The group's value for one period by the indicator's rule, with member coverage and a reason."""
    names = names or {}
    total = len(members)
    rule = judgement.aggregation

    def result(
        method: str,
        value: float | None,
        partial: float | None,
        have: Sequence[str],
        reason: str,
        num: float | None = None,
        den: float | None = None,
    ) -> Aggregate:
        missing = tuple(m for m in members if m not in have)
        complete = not missing and value is not None
        return Aggregate(
            group,
            judgement.slug,
            period,
            value if complete else None,
            None if complete else partial,
            rule,
            method,
            len(have),
            total,
            complete,
            missing,
            num if complete else None,
            den if complete else None,
            reason,
        )

    if rule == "not-aggregable":
        why = judgement.note or "no reviewed rule says how members' values combine"
        have = [m for m in members if (v := values.get(m)) is not None and v.value is not None]
        reason = f"Not aggregable: {why}"
        return result(METHOD_NONE, None, None, have, reason if reason.endswith(".") else reason + ".")

    if rule == "sum":
        have = [m for m in members if (v := values.get(m)) is not None and v.value is not None]
        s = sum(values[m].value or 0.0 for m in have) if have else None
        if len(have) == total:
            return result(METHOD_SUM, s, None, have, f"Sum of all {total} members' values.")
        return result(METHOD_SUM, None, s, have, _incomplete(have, members, names, "a value"))

    if rule == "ratio":
        have = [
            m
            for m in members
            if (v := values.get(m)) is not None and v.numerator is not None and v.denominator is not None
        ]
        num = sum(values[m].numerator or 0.0 for m in have)
        den = sum(values[m].denominator or 0.0 for m in have)
        ratio = num / den * judgement.multiplier if have and den > 0 else None
        source = (
            "published numerators and denominators"
            if judgement.numerator == PUBLISHED
            else (f"{judgement.numerator} / {judgement.denominator}")
        )
        mult = f" × {judgement.multiplier:g}" if judgement.multiplier != 1 else ""
        if len(have) == total and ratio is not None:
            reason = f"Sum of numerators ({num:,.12g}) / sum of denominators ({den:,.12g}){mult}, from {source}."
            return result(METHOD_RATIO, ratio, None, have, reason, num, den)
        if len(have) == total:
            return result(METHOD_RATIO, None, None, have, "The members' denominators sum to zero.")
        return result(METHOD_RATIO, None, ratio, have, _incomplete(have, members, names, f"{source}"))

    # weighted-mean
    have = [
        m
        for m in members
        if (v := values.get(m)) is not None and v.value is not None and v.weight is not None and v.weight >= 0
    ]
    sw = sum(values[m].weight or 0.0 for m in have)
    mean = sum((values[m].weight or 0.0) * (values[m].value or 0.0) for m in have) / sw if have and sw > 0 else None
    if len(have) == total and mean is not None:
        return result(
            METHOD_WEIGHTED, mean, None, have, f"Mean of all {total} members' values weighted by {judgement.weight}."
        )
    if len(have) == total:
        return result(METHOD_WEIGHTED, None, None, have, "The members' weights sum to zero.")
    return result(
        METHOD_WEIGHTED,
        None,
        mean,
        have,
        _incomplete(have, members, names, f"a value and a weight ({judgement.weight})"),
    )


def _incomplete(have: Sequence[str], members: Sequence[str], names: Mapping[str, str], what: str) -> str:
    if not have:
        return f"None of the {len(members)} members has {what} in this release, so there is no group value."
    missing = [m for m in members if m not in have]
    return (
        f"Only {len(have)} of {len(members)} members have {what} (missing: {_names(missing, names)}); "
        "a figure from some members is not the group's value."
    )


METHODS = {
    METHOD_SUM: (
        "Group total: sum of members",
        "For counts and money totals the group's value is the sum of its members' values, shown only when every "
        "member has a value for the period.",
    ),
    METHOD_RATIO: (
        "Group rate: ratio of summed numerators and denominators",
        "For rates whose numerators and denominators the publisher gives (for example the employment rate: "
        "employed people / population aged 16 to 64), the group's rate is the sum of the members' numerators "
        "divided by the sum of their denominators, times the multiplier (100 for a percentage). Members' rates are "
        "never averaged: an average would weight a small authority like a large one.",
    ),
    METHOD_WEIGHTED: (
        "Group mean weighted by a published weight",
        "Only where a real weight is in the data: the sum of weight × value over the sum of weights.",
    ),
    METHOD_NONE: (
        "Why some measures have no group figure",
        "Medians, ratios of medians, indices, per-head figures and rates without published numerators and "
        "denominators cannot be combined into a group value. The page says so instead of showing a wrong number.",
    ),
}
