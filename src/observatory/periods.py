"""Reference periods: the publishers' ISO 8601 forms turned into start date, duration and a label.

Accepted: intervals ``2004-01-01/P1Y`` (P1Y, P3Y, P5Y, P1M, P3M, P1D …), the same with a time
``2004-01-01T00:00:00/P1Y``, plain dates ``2025-04-30`` (an instant), and bare years ``2022`` (an older
layout, read as the calendar year). Everything else is rejected with a reason, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache

from observatory.model import Period

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_INTERVAL = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:Z|[+-]00:?00)?)?"
    r"(?:/(?P<dur>P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?))?$"
)
_YEAR = re.compile(r"^(?P<y>\d{4})$")
MIN_YEAR, MAX_YEAR = 1800, 2100


class PeriodError(ValueError):
    """The text is not a period this service can represent; the message says why."""


def _label(start: dt.date, years: int, months: int, days: int) -> str:
    if years and not (months or days):
        if start.month == 1 and start.day == 1:
            return str(start.year) if years == 1 else f"{start.year}–{start.year + years - 1}"
        # a year starting mid-year: financial (April) or academic (August/September) year
        end = start.year + years
        first = f"{start.year}/{str(start.year + 1)[-2:]}"
        return first if years == 1 else f"{first}–{end - 1}/{str(end)[-2:]}"
    if months and not (years or days) and start.day == 1:
        if months == 1:
            return f"{_MONTHS[start.month - 1]} {start.year}"
        last_month = (start.month - 1 + months - 1) % 12
        last_year = start.year + (start.month - 1 + months - 1) // 12
        if last_year == start.year:
            return f"{_MONTHS[start.month - 1]}–{_MONTHS[last_month]} {start.year}"
        return f"{_MONTHS[start.month - 1]} {start.year}–{_MONTHS[last_month]} {last_year}"
    if days == 1 and not (years or months):
        return f"{start.day} {_MONTHS[start.month - 1]} {start.year}"
    last = _add(start, years, months, days) - dt.timedelta(days=1)
    return f"{start.isoformat()} to {last.isoformat()}"


def _add(start: dt.date, years: int, months: int, days: int) -> dt.date:
    total = start.month - 1 + months + 12 * years
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, 28) if (year, month) != (start.year, start.month) else start.day
    return dt.date(year, month, day) + dt.timedelta(days=days)


@lru_cache(maxsize=4096)
def parse_period(text: str) -> Period:
    """Parse one period; cached because a file repeats a handful of periods thousands of times."""
    raw = text.strip()
    if not raw:
        raise PeriodError("empty period")
    if m := _YEAR.match(raw):
        year = int(m["y"])
        _check_year(year, raw)
        return Period(dt.date(year, 1, 1), "P1Y", str(year))
    m = _INTERVAL.match(raw)
    if not m:
        raise PeriodError(f"{raw!r} is not an ISO 8601 date, interval (start/duration) or year")
    try:
        start = dt.date.fromisoformat(m["date"])
    except ValueError as exc:
        raise PeriodError(f"{raw!r}: impossible date ({exc})") from exc
    _check_year(start.year, raw)
    if m["time"] and m["time"] not in ("00:00", "00:00:00") and not m["time"].startswith("00:00:00."):
        raise PeriodError(f"{raw!r}: periods start at midnight; a time of day is not supported")
    if m["dur"] is None:
        return Period(start, None, f"{start.day} {_MONTHS[start.month - 1]} {start.year}")
    years, months = int(m["y"] or 0), int(m["m"] or 0)
    days = int(m["d"] or 0) + 7 * int(m["w"] or 0)
    if years == months == days == 0:
        raise PeriodError(f"{raw!r}: the duration is zero or empty")
    if years > 50 or months > 600 or days > 20000:
        raise PeriodError(f"{raw!r}: the duration is implausibly long")
    duration = "P" + "".join(f"{n}{u}" for n, u in ((years, "Y"), (months, "M"), (days, "D")) if n)
    return Period(start, duration, _label(start, years, months, days))


_DURATION = re.compile(r"^P(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<d>\d+)D)?$")


def duration_months(duration: str | None) -> int:
    """Whole months spanned by a duration as stored (``P1Y`` → 12, ``P3Y`` → 36, ``P1M`` → 1, ``P1Y6M`` → 18).

    0 for an instant (``None``) or a duration in days only; raises :class:`PeriodError` for text that is not
    a duration this module writes.
    """
    if duration is None:
        return 0
    m = _DURATION.match(duration)
    if not m or duration == "P":
        raise PeriodError(f"{duration!r} is not an ISO 8601 duration")
    return 12 * int(m["y"] or 0) + int(m["m"] or 0)


def period_kind(duration: str | None) -> str:
    """The type of a period, for keeping series of one type apart: ``instant``, ``P1Y``, ``P3Y``, ``P1M`` …"""
    return duration or "instant"


def main_period_kind(counts: Mapping[str, int]) -> str:
    """The period type most of an indicator's values have (ties: shorter name, then alphabetical — stable)."""
    return min(counts, key=lambda k: (-counts[k], len(k), k))


def publisher_label(start: dt.date, duration: str | None, style: str | None, default: str) -> str:
    """The label a publisher uses, where the reviewed metadata names a style (``metadata/indicators.toml``).

    ``year``: an annual statistic with a reference date (ASHE's April date, the affordability ratio's
    ``2025-04-01``) or a one-year period the publisher names by the year it starts (DESNZ electricity
    ``2024`` = Feb 2024–Jan 2025) → ``"2024"``. ``month``: a point-in-time snapshot → ``"Jan 2026"``.
    Anything else keeps ``default`` (the ISO-derived label from :func:`parse_period`).
    """
    if style == "year" and duration in (None, "P1Y"):
        return str(start.year)
    if style == "month" and duration is None:
        return f"{_MONTHS[start.month - 1]} {start.year}"
    return default


def _check_year(year: int, raw: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"{raw!r}: year {year} is outside {MIN_YEAR}–{MAX_YEAR}")
