"""The one way the observatory writes a number for people: pages, sentences, charts, maps, CSV labels, PDF, CLI.

Rules (documented on /methodology):

* **Rounding** is half away from zero, as ONS tables and spreadsheets round: the value is read as the
  shortest decimal that is the same float (``repr``), then rounded with :mod:`decimal`'s ``ROUND_HALF_UP``.
  So 650.5 → "651" and 41.25 → "41.3" (binary floating point would give 650 and 41.2).
* **Never "-0"**: a value that rounds to zero is written without a sign ("0", "0.0").
* **Missing is said plainly**: ``None``, NaN and ±infinity are all written :data:`NO_DATA`.
* **Thousands separators** (36,280) and the minus sign before the unit prefix ("-£3.2").
* **One unit rule** (:func:`unit_for`): an indicator whose unit is "%" ends in "%"; one in "£ million" or
  "millions" reads "£937 million" everywhere; "£" is a prefix.
* **A claim stays visible**: :func:`decimals_to_separate` gives the fewest decimals at which two different
  numbers a sentence compares still round apart (a benchmark 7.79 "below" an interval 7.81–8.70 is not
  written "7.8" below "7.8–8.7").

Machine-readable outputs (CSV/JSON values, the CLI's CSV, finding values) keep the exact number:
:func:`exact`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

NO_DATA = "no data"
NOT_COMPARABLE = "not comparable (a total)"  # a benchmark's total beside an area's count: no benchmark at all
DEFAULT_DECIMALS = 1
MOST_DECIMALS = 6  # decimals_to_separate never goes beyond this
_CONTEXT = Context(prec=400)  # room for every finite float (up to ~1.8e308) with its decimals


@dataclass(frozen=True, slots=True)
class Unit:
    """How an indicator's values are written: prefix (e.g. "£"), suffix (e.g. "%", " million"), decimals."""

    prefix: str = ""
    suffix: str = ""
    decimals: int = DEFAULT_DECIMALS

    def with_decimals(self, decimals: int) -> Unit:
        return Unit(self.prefix, self.suffix, decimals)


PLAIN = Unit()


def unit_for(
    *, prefix: str | None = None, suffix: str | None = None, unit: str | None = None, decimals: int | None = None
) -> Unit:
    """The one unit rule, from an indicator's ``prefix``, ``suffix``, ``unit`` and ``decimals`` columns.

    "%" → suffix "%"; a unit in millions ("£ million", "millions") → suffix " million" (and "£" first if the
    unit is money); "£" → prefix "£". The publisher's own prefix and suffix are kept. ``decimals`` None → 1.
    """
    pre, suf = prefix or "", suffix or ""
    text = (unit or "").strip().lower()
    if text == "%" and not suf:
        suf = "%"
    if "million" in text:
        if "million" not in suf:
            suf = f"{suf} million"
        if "£" in text and not pre:
            pre = "£"
    elif text == "£" and not pre:
        pre = "£"
    return Unit(pre, suf, DEFAULT_DECIMALS if decimals is None else max(int(decimals), 0))


def unit_of(indicator: Mapping[str, Any] | Any) -> Unit:
    """:func:`unit_for` an indicator row: a dict with those keys, or an object with those attributes."""
    if isinstance(indicator, Mapping):
        get = indicator.get
        return unit_for(prefix=get("prefix"), suffix=get("suffix"), unit=get("unit"), decimals=get("decimals"))
    return unit_for(
        prefix=getattr(indicator, "prefix", None),
        suffix=getattr(indicator, "suffix", None),
        unit=getattr(indicator, "unit", None),
        decimals=getattr(indicator, "decimals", None),
    )


def is_number(value: object) -> bool:
    """A finite int or float (not bool): something that can be written as a number."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def rounded(value: float, decimals: int) -> Decimal:
    """``value`` rounded half away from zero to ``decimals`` places (negative zero becomes zero).

    >>> str(rounded(650.5, 0)), str(rounded(41.25, 1)), str(rounded(-0.04, 1))
    ('651', '41.3', '0.0')
    """
    if not is_number(value):
        raise ValueError(f"cannot round {value!r}")
    place = Decimal(1).scaleb(-max(decimals, 0))
    out = Decimal(repr(float(value))).quantize(place, rounding=ROUND_HALF_UP, context=_CONTEXT)
    return out.copy_abs() if out.is_zero() else out


def number(
    value: float | None, decimals: int = DEFAULT_DECIMALS, *, separators: bool = True, signed: bool = False
) -> str:
    """``value`` with ``decimals`` places, half away from zero, thousands separators; :data:`NO_DATA` if missing.

    ``signed``: a "+" before a positive number (a change); zero never carries a sign.

    >>> number(36280.0, 0), number(-0.04), number(None), number(0.25, signed=True)
    ('36,280', '0.0', 'no data', '+0.3')
    """
    if value is None or not is_number(value):
        return NO_DATA
    d = max(decimals, 0)
    r = rounded(value, d)
    plus = "+" if signed and r > 0 else ""
    return f"{plus}{r:{',' if separators else ''}.{d}f}"


def value(value: float | None, unit: Unit = PLAIN, *, decimals: int | None = None, signed: bool = False) -> str:
    """``value`` in its unit: "78.1%", "£651", "£937 million", "-£3.2", "36,280"; :data:`NO_DATA` if missing.

    ``decimals`` overrides the unit's (e.g. from :func:`decimals_to_separate`); ``signed`` writes "+" before a
    positive number (a change: "+£1.2 million").
    """
    if value is None or not is_number(value):
        return NO_DATA
    text = number(value, unit.decimals if decimals is None else decimals, signed=signed)
    sign = ""
    if text[:1] in "+-":
        sign, text = text[0], text[1:]
    return f"{sign}{unit.prefix}{text}{unit.suffix}"


def change(difference: float | None, unit: Unit = PLAIN, *, decimals: int | None = None) -> str:
    """A difference between two values of ``unit``, always signed: "+£1.2 million", "-£3.0"; for a percentage
    the difference is in percentage points ("+1.3 percentage points", never "+1.3%", which reads as a relative
    change). :data:`NO_DATA` if missing.

    >>> change(1.25, Unit(suffix="%")), change(-0.04, Unit(prefix="£")), change(None)
    ('+1.3 percentage points', '£0.0', 'no data')
    """
    if unit.suffix.strip() == "%":
        text = number(difference, unit.decimals if decimals is None else decimals, signed=True)
        return text if text == NO_DATA else f"{text} percentage points"
    return value(difference, unit, decimals=decimals, signed=True)


def organisations(text: str | None, default: str = "not stated") -> str:
    """The publisher's pipe-separated source organisations as one readable list: "Office for National Statistics;
    Northern Ireland Statistics and Research Agency" (the release keeps them "|"-separated; no "|" in public text).

    >>> organisations("Office for National Statistics|Northern Ireland Statistics and Research Agency")
    'Office for National Statistics; Northern Ireland Statistics and Research Agency'
    """
    names = [o.strip() for o in (text or "").split("|") if o.strip()]
    return "; ".join(names) or default


def interval(lci: float | None, uci: float | None, unit: Unit = PLAIN, *, decimals: int | None = None) -> str:
    """A 95% interval: "74.1–82.1%" (a suffix once, at the end), "£626–£771", "£1.2–£2.0 million".

    :data:`NO_DATA` if either end is missing.
    """
    if lci is None or uci is None or not (is_number(lci) and is_number(uci)):
        return NO_DATA
    lo = value(lci, Unit(unit.prefix, "", unit.decimals), decimals=decimals)
    return f"{lo}–{value(uci, unit, decimals=decimals)}"


def decimals_to_separate(pairs: Iterable[tuple[float, float]], decimals: int) -> int:
    """The fewest decimals (at least ``decimals``) at which every pair of different numbers rounds apart.

    For a sentence that claims an order between numbers ("England's 7.79 lies below the interval
    7.81–8.70"): pass the pairs whose order is claimed, e.g. ``[(benchmark, lci)]``. Equal numbers are
    ignored. Never more than :data:`MOST_DECIMALS`.
    """
    wanted = [(a, b) for a, b in pairs if is_number(a) and is_number(b) and a != b]
    for d in range(max(decimals, 0), MOST_DECIMALS + 1):
        if all((rounded(a, d) < rounded(b, d)) == (a < b) and rounded(a, d) != rounded(b, d) for a, b in wanted):
            return d
    return MOST_DECIMALS


def exact(item: object, missing: str = "") -> str:
    """Machine text for CSV cells, CLI tables and finding messages: a float's shortest exact form (``repr``),
    a date in ISO 8601, ``missing`` for None."""
    if item is None:
        return missing
    if isinstance(item, float):
        return repr(item)
    if isinstance(item, dt.date):
        return item.isoformat()
    return str(item)
