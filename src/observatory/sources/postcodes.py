"""Reader for postcode positions: the SS, CM and RM postcode areas (ONS NSPL May 2025, three columns).

Source: ``postcodes-nspl-latlon/<AREA>.csv`` (Open Innovations' extract of the ONS National Statistics
Postcode Lookup; see its PROVENANCE.md): ``Postcode`` (7 characters, NSPL fixed width), ``lat``, ``long``
(WGS84 degrees of the postcode's centroid). Rows without a grid reference (empty ``lat``, ``long`` =
``0.00000``) are named in an INFO finding and not loaded; any other bad row is an error.

Postcodes are normalised here (:func:`normalise_postcode`), the one place that knows how people write them.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from observatory.model import Finding, Severity

COLUMNS = ("Postcode", "lat", "long")
# outward code (area, district, optional letter) + inward code (sector digit, unit letters)
FULL = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})$")
OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
SECTOR = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d)$")
AREA = re.compile(r"^[A-Z]{1,2}$")


def normalise_postcode(text: str) -> str | None:
    """A full postcode in its usual form ("SS1 1AA") from any spacing or case; None if it is not one."""
    squashed = re.sub(r"\s+", "", text).upper()
    m = FULL.match(squashed)
    return f"{m.group(1)} {m.group(2)}" if m else None


def postcode_prefix(text: str) -> tuple[str, str] | None:
    """("district", "SS0") or ("sector", "SS0 7") for a partial postcode; None otherwise.

    A sector needs its space ("SS0 7"): squashed, "SS07" reads as a district (the search then tries it as
    a sector when no such district exists).
    """
    parts = text.upper().split()
    if len(parts) == 1 and OUTWARD.match(parts[0]) and not AREA.match(parts[0]):
        return ("district", parts[0])
    if len(parts) == 2 and OUTWARD.match(parts[0]) and re.fullmatch(r"\d", parts[1]):
        return ("sector", f"{parts[0]} {parts[1]}")
    return None


@dataclass(frozen=True, slots=True)
class PostcodePoint:
    postcode: str  # "SS1 1AA"
    lat: float
    long: float
    source_file: str
    source_row: int


@dataclass(slots=True)
class Postcodes:
    points: list[PostcodePoint] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0


def _number(text: str) -> float | None:
    """A plain decimal ("51.54321", "-0.12345"); anything else (empty, "1e3", "nan") is None."""
    if not re.fullmatch(r"-?\d{1,3}\.\d+", text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def read_postcodes(folder: Path, display_prefix: str) -> Postcodes:
    """Every ``*.csv`` of the folder; each row loaded or named in a finding."""
    out = Postcodes()
    prefix = display_prefix.rstrip("/")
    files = sorted(p for p in folder.glob("*.csv") if re.fullmatch(r"[A-Z]{1,2}\.csv", p.name))
    if not files:
        out.findings.append(Finding("postcodes.no-files", Severity.ERROR, prefix, "no <AREA>.csv file"))
    seen: dict[str, str] = {}
    for path in files:
        display = f"{prefix}/{path.name}"
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            if tuple(h.strip() for h in header) != COLUMNS:
                out.findings.append(
                    Finding(
                        "postcodes.header", Severity.ERROR, display, f"expected the columns {', '.join(COLUMNS)}", row=1
                    )
                )
                continue
            for line, row in enumerate(reader, start=2):
                out.rows_read += 1
                if len(row) != 3:
                    out.findings.append(
                        Finding(
                            "postcodes.ragged-row", Severity.ERROR, display, f"{len(row)} fields, expected 3", row=line
                        )
                    )
                    out.rows_skipped += 1
                    continue
                raw, lat_text, long_text = (v.strip() for v in row)
                postcode = normalise_postcode(raw)
                if postcode is None:
                    out.findings.append(
                        Finding(
                            "postcodes.invalid-postcode",
                            Severity.ERROR,
                            display,
                            f"{raw[:20]!r} is not a postcode",
                            row=line,
                            column="Postcode",
                            value=raw[:20],
                        )
                    )
                    out.rows_skipped += 1
                    continue
                if lat_text == "" and _number(long_text) == 0.0:
                    out.findings.append(
                        Finding(
                            "postcodes.no-grid-reference",
                            Severity.INFO,
                            display,
                            f"{postcode} has no grid reference in the NSPL (empty lat, long 0.00000); not placed",
                            row=line,
                            column="lat",
                            value=postcode,
                        )
                    )
                    out.rows_skipped += 1
                    continue
                lat, long = _number(lat_text), _number(long_text)
                bad = ("lat", lat_text) if lat is None or not 49 <= lat <= 61 else None
                if bad is None and (long is None or not -9 <= long <= 2):
                    bad = ("long", long_text)
                if bad is not None:
                    out.findings.append(
                        Finding(
                            "postcodes.invalid-coordinate",
                            Severity.ERROR,
                            display,
                            f"{postcode}: {bad[1][:20]!r} is not a {bad[0]} in Great Britain",
                            row=line,
                            column=bad[0],
                            value=bad[1][:20],
                        )
                    )
                    out.rows_skipped += 1
                    continue
                if postcode in seen:
                    out.findings.append(
                        Finding(
                            "postcodes.duplicate",
                            Severity.ERROR,
                            display,
                            f"{postcode} is also in {seen[postcode]}",
                            row=line,
                            column="Postcode",
                            value=postcode,
                        )
                    )
                    out.rows_skipped += 1
                    continue
                assert lat is not None and long is not None
                seen[postcode] = f"{display} row {line}"
                out.points.append(PostcodePoint(postcode, lat, long, display, line))
    return out
