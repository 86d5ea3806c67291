"""How old an indicator's latest figure is, how often its publisher updates it, and when the next one is due.

- The **cycle** is the series' own periodicity: the most common gap, in months, between the starts of its
  successive periods (yearly series → 12, quarterly → 3, monthly → 1). A series with one period has none.
- The **age** of the latest figure is counted from the publisher's release date (``source_date`` in the ONS ELS
  metadata) to the date this observatory release was built (pages are fixed per release, so the age is too).
- The figure is **older than usual** when its age exceeds the cycle: a newer edition is probably out.
- The **next release** is the publisher's announced date when its metadata gives one (ONS ELS metadata does not,
  as of the files read); otherwise it is unknown, with the date implied by the usual cycle offered as an estimate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from itertools import pairwise
from typing import Any

CYCLE_WORDS = {1: "monthly", 3: "quarterly", 6: "every six months", 12: "yearly", 24: "every two years"}


def months_between(earlier: date, later: date) -> int:
    """Whole months from ``earlier`` to ``later`` (negative when ``later`` is before)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, min(day.day, 28))


def cycle_months(period_starts: Iterable[date]) -> int | None:
    """The series' usual gap between period starts in months (the most common one), or None with < 2 periods."""
    starts = sorted(set(period_starts))
    gaps = Counter(months_between(a, b) for a, b in pairwise(starts))
    gaps.pop(0, None)
    if not gaps:
        return None
    return max(gaps, key=lambda g: (gaps[g], -g))


def span_words(months: int) -> str:
    """``17`` → "1 year 5 months"; ``0`` → "less than a month"."""
    if months <= 0:
        return "less than a month"
    years, rest = divmod(months, 12)
    parts = [f"{years} year{'s' if years != 1 else ''}"] if years else []
    if rest:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts)


def freshness(
    published: date | None, period_starts: Iterable[date], as_of: date, announced_next: date | None = None
) -> dict[str, Any]:
    """The age of the latest figure and what to expect next.

    ``published``: the publisher's release date (None when not stated); ``period_starts``: the series' period
    starts (one duration); ``as_of``: the date the observatory release was built. Returns a dict with ``cycle``
    (months or None), ``cycle_words``, ``age_months``/``age_words`` (None without a publication date),
    ``older_than_usual`` (bool), ``next_release`` (announced date or None) and ``next_estimate`` (the date
    implied by the usual cycle, or None).
    """
    cycle = cycle_months(period_starts)
    age = months_between(published, as_of) if published else None
    estimate = add_months(published, cycle) if published and cycle else None
    return {
        "cycle": cycle,
        "cycle_words": CYCLE_WORDS.get(cycle, f"every {cycle} months") if cycle else None,
        "age_months": age,
        "age_words": span_words(age) if age is not None else None,
        "older_than_usual": bool(age is not None and cycle and age > cycle),
        "next_release": announced_next,
        "next_estimate": estimate,
        "as_of": as_of,
    }
