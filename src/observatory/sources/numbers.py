"""The one number grammar of every reader: plain decimal numbers as the publishers write them.

Accepted: an optional sign, ASCII digits, an optional decimal point and an optional exponent
(``3.60E-05`` — ONS ELS writes very small values that way), e.g. ``12``, ``-0.5``, ``.5``, ``73.6``,
``3.60E-05``. A reader whose publisher groups thousands (``"3,345"`` in the ONS regional GVA tables, or
``19,102`` in the IoD files) asks for ``grouped=True``, and then only well-formed groups of three are taken.

Refused, with a reason a person can act on: anything Python's ``float()``/``int()`` would also take but a
publisher never writes — ``1_234``, full-width or other non-ASCII digits (``１２３``, ``٣``), spaces
around the digits (`` 12 ``), ``NaN``, ``inf``, values that overflow to infinity (``1e999``) — and
everything else that is not a number (``12.3x``, ``£5``, ``1,234`` unless grouping is allowed).
Suppression markers (``[c]``, ``x``…) are statuses, not numbers: readers keep them out of this function.
"""

from __future__ import annotations

import math
import re

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_WHOLE = re.compile(r"[+-]?[0-9]+")
_GROUPED_WHOLE = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+")


class NotANumber(ValueError):
    """A text that is not a plain decimal number; ``reason`` says why, for a finding's message."""

    def __init__(self, text: str, reason: str) -> None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        super().__init__(f"{shown!r} is not a plain decimal number: {reason}")
        self.text, self.reason = text, reason


def _reason(text: str, grouped: bool) -> str:
    bare = text.strip()
    if bare != text:
        return "spaces around the number"
    if bare.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return "NaN and infinity are not values (a missing value is empty, with a status saying why)"
    if "_" in bare:
        return "'_' digit separators are not written by publishers"
    if any(ch.isnumeric() and not "0" <= ch <= "9" for ch in bare):
        return "non-ASCII digits (e.g. full-width)"
    if "," in bare:
        return "thousands separators are not part of this publisher's numbers" if not grouped else "misplaced ','"
    return "not a number"


def parse_decimal(text: str, *, grouped: bool = False) -> float:
    """``text`` → float by the grammar above; raises :class:`NotANumber` (never returns NaN or ±inf).

    ``text`` is the cell exactly as read (not stripped). ``grouped`` also accepts ``1,234.5``.
    """
    if _DECIMAL.fullmatch(text):
        value = float(text)
    elif grouped and _GROUPED.fullmatch(text):
        value = float(text.replace(",", ""))
    else:
        raise NotANumber(text, _reason(text, grouped))
    if not math.isfinite(value):
        raise NotANumber(text, "too large: it overflows to infinity")
    return value


def parse_whole(text: str, *, grouped: bool = False) -> int:
    """A whole number (``19102``, or ``19,102`` with ``grouped``); raises :class:`NotANumber`."""
    if _WHOLE.fullmatch(text):
        return int(text)
    if grouped and _GROUPED_WHOLE.fullmatch(text):
        return int(text.replace(",", ""))
    reason = "not a whole number" if _DECIMAL.fullmatch(text) else _reason(text, grouped)
    raise NotANumber(text, reason)


def is_plain_number(text: str) -> bool:
    """Whether ``text`` is a plain decimal number by this grammar (e.g. for deciding a cell is numeric)."""
    try:
        parse_decimal(text)
    except NotANumber:
        return False
    return True
