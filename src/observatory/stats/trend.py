"""Change over time, and a significance test for a trend only where the data allow one.

Changes over 1, 3 and 5 periods (and 12 for monthly series, because monthly data are seasonal) are
plain arithmetic. The trend test is the weighted linear regression public health profiles use: with at
least 5 consecutive, non-overlapping periods that have 95% confidence intervals, each point is weighted by
1/SE² (SE = (upper − lower) / 3.92), the slope's standard error is scaled up by √(residual chi-square / df)
when the values vary more than their sampling error allows (over-dispersion), and the slope is tested with a
z-test at the 95% level. Money in current prices is described in cash terms and never judged. Without such
data the result is a plain description ("rose from X in P1 to Y in P2"), never a claim of a trend.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from observatory import format as nf
from observatory.periods import duration_months
from observatory.stats.judgements import Polarity
from observatory.stats.sentences import (
    IndicatorFormat,
    change_phrase,
    indicator_phrase,
    possessive,
    trend_sentence,
    when,
)

METHOD_TREND = "weighted-linear-trend-95"
METHOD_DESCRIPTION = "description-no-test"
METHOD_NOT_COMPARABLE = "not-comparable-over-time"
Z_95 = 1.959963984540054
SE_FROM_CI = 2 * Z_95  # width of a 95% interval in standard errors (3.92)
WINDOW = 5  # most recent points tested, as the public health profiles' "recent trend"
MIN_POINTS = 5
CASH_NOTE = "These are cash values (current prices), not adjusted for inflation, so no judgement is made."


@dataclass(frozen=True, slots=True)
class Point:
    period: str
    label: str
    start: dt.date
    duration: str | None
    value: float
    lci: float | None = None
    uci: float | None = None


def _months(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def series_step(points: Sequence[Point]) -> int:
    """The series' usual spacing in months (most common gap between consecutive starts; ties → smallest)."""
    gaps = Counter(_months(b.start) - _months(a.start) for a, b in itertools.pairwise(points))
    gaps.pop(0, None)
    if not gaps:
        return max(duration_months(points[0].duration), 12) if points else 12
    top = max(gaps.values())
    return min(g for g, n in gaps.items() if n == top)


class Series:
    """Points of one indicator and area in time order, with their spacing worked out once."""

    def __init__(self, points: Sequence[Point]) -> None:
        self.points = list(points)
        self.step = series_step(self.points)
        self.by_month = {_months(p.start): p for p in self.points}

    def __len__(self) -> int:
        return len(self.points)


def _series(points: Series | Sequence[Point]) -> Series:
    return points if isinstance(points, Series) else Series(points)


@dataclass(frozen=True, slots=True)
class Change:
    periods_back: int
    from_period: str
    from_label: str
    from_value: float
    to_period: str
    to_label: str
    to_value: float
    absolute: float
    percent: float | None  # None when the earlier value is 0 or negative
    annual_rate: float | None  # compound annual growth rate in %, only for annual series with positive values
    reason: str


def published_difference(later: float, earlier: float) -> float:
    """``later - earlier`` worked in decimal on the values as published, so 9.12 - 8.47 is 0.65 (and rounds half
    away from zero to 0.7), not binary floating point's 0.6499999999999986 (which would show 0.6)."""
    return float(Decimal(repr(later)) - Decimal(repr(earlier)))


def changes_at(
    points: Series | Sequence[Point], end: int, fmt: IndicatorFormat, backs: Sequence[int] | None = None
) -> list[Change]:
    """Changes to ``points[end]`` from 1, 3 and 5 periods earlier (exact periods; a gap gives no change)."""
    series = _series(points)
    step = series.step
    backs = tuple(backs) if backs is not None else ((1, 3, 5, 12) if step == 1 else (1, 3, 5))
    by_month = series.by_month
    last = series.points[end]
    out: list[Change] = []
    for k in backs:
        first = by_month.get(_months(last.start) - k * step)
        if first is None:
            continue
        absolute = published_difference(last.value, first.value)
        percent = 100 * absolute / first.value if first.value > 0 else None
        annual = None
        if step == 12 and first.value > 0 and last.value > 0:
            annual = 100 * ((last.value / first.value) ** (1 / k) - 1)
        reason = f"It {change_phrase(fmt, first.label, first.value, last.label, last.value)}"
        unchanged = nf.value(first.value, fmt.style) == nf.value(last.value, fmt.style)
        if fmt.style.suffix.strip() == "%" and not unchanged:
            # a change of a percentage is in percentage points; "(+40.1%)" would read as points too
            reason += f" ({nf.change(absolute, fmt.style)})"
        elif percent is not None and not unchanged:  # "was 2.0% both in 2019 and 2025" takes no "(-2.0%)"
            reason += f" ({nf.number(percent, 1, signed=True)}%"
            reason += (
                f", {nf.number(annual, 1, signed=True)}% a year compounded)" if annual is not None and k > 1 else ")"
            )
        out.append(
            Change(
                k,
                first.period,
                first.label,
                first.value,
                last.period,
                last.label,
                last.value,
                absolute,
                percent,
                annual,
                reason + ".",
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class SlopeTest:
    slope: float  # per year
    se: float  # after allowing for over-dispersion (= se_sampling × scale)
    z: float
    n: int
    chi2: float = 0.0  # residual chi-square Σw(y − a − bx)²
    scale: float = 1.0  # sqrt(chi2 / (n − 2)) when that exceeds 1, else 1

    @property
    def significant(self) -> bool:
        return abs(self.z) > Z_95

    @property
    def df(self) -> int:
        return self.n - 2


def weighted_slope(x: Sequence[float], y: Sequence[float], se: Sequence[float]) -> SlopeTest:
    """Weighted least-squares slope (weights 1/SE²), its standard error allowing for over-dispersion.

    The sampling-only standard error is sqrt(1 / Σw(x − x̄)²) (``numpy.polyfit(..., cov="unscaled")``). Survey
    series vary from period to period by more than their sampling error, so when the residual chi-square
    per degree of freedom, φ = Σw(y − a − bx)² / (n − 2), exceeds 1 the standard error is multiplied by √φ
    (the multiplicative over-dispersion model; with φ ≤ 1 it is left as it is, never made smaller).
    Raises ValueError for fewer than two points, non-positive SEs or constant x.
    """
    if not (len(x) == len(y) == len(se)) or len(x) < 2:
        raise ValueError("need at least two points with x, y and SE")
    if any(s <= 0 or not math.isfinite(s) for s in se):
        raise ValueError("every standard error must be positive")
    w = [1 / (s * s) for s in se]
    sw = sum(w)
    xbar = sum(wi * xi for wi, xi in zip(w, x, strict=True)) / sw
    ybar = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sw
    sxx = sum(wi * (xi - xbar) ** 2 for wi, xi in zip(w, x, strict=True))
    if sxx <= 0:
        raise ValueError("the x values do not vary")
    sxy = sum(wi * (xi - xbar) * (yi - ybar) for wi, xi, yi in zip(w, x, y, strict=True))
    slope = sxy / sxx
    intercept = ybar - slope * xbar
    chi2 = sum(wi * (yi - intercept - slope * xi) ** 2 for wi, xi, yi in zip(w, x, y, strict=True))
    df = len(x) - 2
    scale = math.sqrt(chi2 / df) if df > 0 and chi2 > df else 1.0
    slope_se = math.sqrt(1 / sxx) * scale
    return SlopeTest(slope, slope_se, slope / slope_se, len(x), chi2, scale)


@dataclass(frozen=True, slots=True)
class Trend:
    period: str
    label: str
    method: str
    outcome: str  # increasing | decreasing | no significant change | rose | fell | unchanged | single value
    judgement: str  # improving | worsening | no significant change | increasing | decreasing | not-judged
    n_points: int
    first_period: str
    first_label: str
    first_value: float
    last_value: float
    slope: float | None
    slope_se: float | None
    z: float | None
    reason: str
    sentence: str


def _test_window(series: Series, end: int) -> tuple[list[Point], str]:
    """The most recent run of consecutive, non-overlapping periods with usable intervals ending at ``end``."""
    step = max(series.step, duration_months(series.points[end].duration))
    by_month = series.by_month
    run: list[Point] = []
    month = _months(series.points[end].start)
    while len(run) < WINDOW:
        p = by_month.get(month)
        if p is None or p.lci is None or p.uci is None or not p.lci <= p.value <= p.uci or not p.lci < p.uci:
            break
        run.append(p)
        month -= step
    run.reverse()
    overlap = step > series.step
    if len(run) >= MIN_POINTS:
        return run, ""
    if not run:
        why = "no usable 95% confidence interval is published for this period, so no trend test is possible"
    else:
        why = (
            f"only {len(run)} consecutive {'non-overlapping ' if overlap else ''}period{'s' if len(run) != 1 else ''} "
            f"with 95% confidence intervals end here ({MIN_POINTS} are needed), so no trend test is possible"
        )
    return run, why


def assess_trend(
    points: Series | Sequence[Point],
    end: int,
    polarity: Polarity,
    fmt: IndicatorFormat,
    area_name: str,
    *,
    cash: bool = False,
) -> Trend:
    """The trend ending at ``points[end]``: a weighted linear test when possible, else a plain description.

    ``cash``: money in current prices. A rise in cash terms may be a fall in real terms, so such a series is
    never judged improving or worsening; its outcome is "increasing"/"decreasing" "in cash terms".
    """
    series = _series(points)
    last = series.points[end]
    run, why = _test_window(series, end)
    if not why:
        first = run[0]
        x = [(_months(p.start) - _months(first.start)) / 12 for p in run]
        se = [(p.uci - p.lci) / SE_FROM_CI for p in run if p.uci is not None and p.lci is not None]
        test = weighted_slope(x, [p.value for p in run], se)
        if not test.significant:
            outcome = judgement = "no significant change"
        else:
            outcome = "increasing" if test.slope > 0 else "decreasing"
            if polarity == "no-judgement" or cash:
                judgement = outcome
            else:
                judgement = "improving" if (test.slope > 0) == (polarity == "higher-better") else "worsening"
        reason = (
            f"Weighted linear trend over {len(run)} periods ({first.label} to {last.label}): slope "
            f"{test.slope:+.4g} a year, standard error {test.se:.4g}, z = {test.z:.2f} "
            f"({'beyond' if test.significant else 'within'} ±1.96)."
        )
        dispersion = test.chi2 / test.df if test.df > 0 else 0.0
        if test.scale > 1:
            reason += (
                f" The values vary more than their sampling error allows (residual chi-square {nf.number(test.chi2, 1)}"
                f" on {test.df} degrees of freedom), so the standard error was scaled by √({nf.number(dispersion, 2)})"
                f" = {nf.number(test.scale, 2)}."
            )
        if cash:
            reason += f" {CASH_NOTE}"
        sentence = trend_sentence(
            area_name,
            fmt,
            outcome,
            judgement,
            len(run),
            first.label,
            last.label,
            first.value,
            last.value,
            True,
            cash=cash,
        )
        return Trend(
            last.period,
            last.label,
            METHOD_TREND,
            outcome,
            judgement,
            len(run),
            first.period,
            first.label,
            first.value,
            last.value,
            test.slope,
            test.se,
            test.z,
            reason,
            sentence,
        )
    # Plain description over the same span a test would have used (up to 5 periods back).
    span = [
        p
        for k in range(WINDOW - 1, -1, -1)
        if (p := series.by_month.get(_months(last.start) - k * series.step)) is not None
    ]
    first = span[0] if span else last
    if first is last:
        outcome, desc = "single value", "there is no earlier period to compare with"
    else:
        same = nf.value(first.value, fmt.style) == nf.value(last.value, fmt.style)  # equal as published
        outcome = "unchanged" if same else "rose" if last.value > first.value else "fell"
        desc = f"It {change_phrase(fmt, first.label, first.value, last.label, last.value)}"
    reason = f"{desc[0].upper()}{desc[1:]}; {why}." + (f" {CASH_NOTE}" if cash else "")
    sentence = (
        trend_sentence(
            area_name,
            fmt,
            outcome,
            "not-judged",
            len(span),
            first.label,
            last.label,
            first.value,
            last.value,
            False,
            why,
            cash=cash,
        )
        if first is not last
        else f"{area_name} has only one period of {indicator_phrase(fmt.label)} data, so there is no trend to describe."
    )
    return Trend(
        last.period,
        last.label,
        METHOD_DESCRIPTION,
        outcome,
        "not-judged",
        len(span),
        first.period,
        first.label,
        first.value,
        last.value,
        None,
        None,
        None,
        reason,
        sentence,
    )


def not_comparable_trend(last: Point, fmt: IndicatorFormat, area_name: str, why: str) -> Trend:
    """No trend and no change for a point whose series' periods are not comparable (``why``, from the reviewed
    metadata ``not_comparable_over_time``: e.g. IoD2019 ranks among 317 authorities, IoD2025 among 296): the
    outcome is "not comparable", never judged, and the reason says why instead of "rose from … to …"."""
    shown = nf.value(last.value, fmt.style)
    return Trend(
        last.period,
        last.label,
        METHOD_NOT_COMPARABLE,
        "not comparable",
        "not-judged",
        1,
        last.period,
        last.label,
        last.value,
        last.value,
        None,
        None,
        None,
        why,
        f"{possessive(area_name)} {indicator_phrase(fmt.label)} was {shown} {when(last.label)}; "
        f"{why[0].lower()}{why[1:]}",
    )


METHODS = {
    METHOD_NOT_COMPARABLE: (
        "Periods that are not comparable",
        "Where the publisher says values of different editions are not comparable — the Indices of Deprivation "
        "ranks authorities among 317 on 2011 neighbourhoods (IoD2019) and among 296 on 2021 neighbourhoods "
        "(IoD2025) — no change and no trend is worked out between them; each edition's value stands alone, "
        "with the reason.",
    ),
    METHOD_TREND: (
        "Weighted linear trend test (95%)",
        "Used only when the five most recent consecutive, non-overlapping periods all have published 95% "
        "confidence intervals. Each value's standard error is (upper − lower) / 3.92; the values are regressed on "
        "time (in years) by weighted least squares with weights w = 1/SE², and the slope's standard error from "
        "sampling alone is sqrt(1 / Σw(x − x̄)²). Survey estimates vary from period to period by more than their "
        "sampling error (real year-to-year change, survey design), so the test allows for that extra variation: the "
        "residual chi-square Σw(y − a − bx)² is compared with its n − 2 degrees of freedom, and when the ratio φ "
        "exceeds 1 the slope's standard error is multiplied by √φ (it is never made smaller). The slope is "
        "significant when |slope / SE| > 1.96. A significant slope is "
        "'increasing' or 'decreasing', turned into 'improving' or 'worsening' by the indicator's polarity — except "
        "for money in current prices (pay, income, GVA), which is described as rising or falling 'in cash terms, not "
        "adjusted for inflation' and never judged, because a cash rise can be a real-terms fall; otherwise "
        "'no significant change'. Rolling multi-year periods are thinned to non-overlapping ones first, because "
        "overlapping averages share data and would overstate significance.",
    ),
    METHOD_DESCRIPTION: (
        "Plain description (no trend test)",
        "Where the data do not allow a test (no intervals, fewer than five consecutive periods, or intervals of "
        "zero width) the change is described in words — 'rose from X in P1 to Y in P2' — over the same span a test "
        "would use, with no claim that it is a trend.",
    ),
    "change-over-periods": (
        "Change over 1, 3 and 5 periods",
        "The difference between the latest value and the value exactly 1, 3 and 5 periods earlier (12 months "
        "earlier as well for monthly series, which are seasonal), as an absolute change and a percentage; for "
        "annual series with positive values also the compound annual growth rate ((latest / earlier)^(1/years) − 1).",
    ),
}
