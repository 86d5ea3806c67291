"""Reader for place names: ONS Built-up Areas 2022, the ONS area-profile place list and MSOA 2021 names.

Source: ``ons-places/`` (see its PROVENANCE.md):

- ``bua22.csv`` (``areacd, areanm``): every Built-up Area (2022) of England and Wales — no parent column;
- ``ap_places.csv`` (``areacd, areanm, parentcd``): current countries, regions, counties, authorities,
  constituencies, wards and parishes; ``parentcd`` (the authority) only for wards and parishes;
- ``msoa21_names.csv`` (BOM; ``msoa21cd, msoa21nm, msoa21hclnm, msoa21hclnmw, localauthorityname, …``):
  the House of Commons Library's names for MSOAs ("Benfleet North" for "Castle Point 001").

The 2011 Built-up Area lookups in the same folder are not read (superseded by BUA 2022). Every row is
returned or named in a finding (file, row, column).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from observatory.model import Finding, Severity

CODE = re.compile(r"^[EWSNK]\d{8}$")
FILES = {  # file -> (code column, name column, other columns required)
    "bua22.csv": ("areacd", "areanm", ()),
    "ap_places.csv": ("areacd", "areanm", ("parentcd",)),
    "msoa21_names.csv": ("msoa21cd", "msoa21hclnm", ("msoa21nm", "msoa21hclnmw")),
}


@dataclass(frozen=True, slots=True)
class PlaceName:
    """One named place: ``kind`` is bua22, ap (area-profile list) or msoa21."""

    code: str
    name: str
    kind: str
    parent: str | None = None  # the authority (ap_places wards and parishes)
    welsh_name: str | None = None
    ons_name: str | None = None  # MSOA: the ONS numeric name ("Castle Point 001")
    source_file: str = ""
    source_row: int = 0


@dataclass(slots=True)
class PlaceNames:
    places: list[PlaceName] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows_read: int = 0
    rows_skipped: int = 0

    def of_kind(self, kind: str) -> list[PlaceName]:
        return [p for p in self.places if p.kind == kind]


def read_place_names(folder: Path, display_prefix: str) -> PlaceNames:
    out = PlaceNames()
    prefix = display_prefix.rstrip("/")
    for filename, (code_col, name_col, others) in FILES.items():
        display = f"{prefix}/{filename}"
        path = folder / filename
        if not path.is_file():
            out.findings.append(Finding("places.missing-file", Severity.ERROR, display, "file not found"))
            continue
        kind = {"bua22.csv": "bua22", "ap_places.csv": "ap", "msoa21_names.csv": "msoa21"}[filename]
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            out.findings.append(
                Finding("places.encoding", Severity.ERROR, display, f"not UTF-8 text: {exc.reason} at byte {exc.start}")
            )
            continue
        reader = csv.DictReader(text.splitlines())
        missing = [c for c in (code_col, name_col, *others) if c not in (reader.fieldnames or [])]
        if missing:
            out.findings.append(
                Finding(
                    "places.missing-column",
                    Severity.ERROR,
                    display,
                    f"the header lacks {', '.join(missing)}",
                    row=1,
                    column=missing[0],
                )
            )
            continue
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            out.rows_read += 1
            code, name = (row.get(code_col) or "").strip(), (row.get(name_col) or "").strip()
            parent = (row.get("parentcd") or "").strip() or None
            problem: tuple[str, str, str] | None = None
            if not CODE.match(code):
                problem = ("invalid-code", f"{code[:20]!r} is not a GSS code", code_col)
            elif not name:
                problem = ("missing-name", f"{code} has no name", name_col)
            elif code in seen:
                problem = ("duplicate-code", f"{code} is listed twice", code_col)
            elif parent is not None and not CODE.match(parent):
                problem = ("invalid-parent", f"{parent[:20]!r} is not a GSS code", "parentcd")
            if problem is not None:
                out.findings.append(
                    Finding(
                        f"places.{problem[0]}",
                        Severity.ERROR,
                        display,
                        problem[1],
                        row=line,
                        column=problem[2],
                        value=code or None,
                    )
                )
                out.rows_skipped += 1
                continue
            seen.add(code)
            welsh = (row.get("msoa21hclnmw") or "").strip() or None
            ons_name = (row.get("msoa21nm") or "").strip() or None
            out.places.append(
                PlaceName(code, name, kind, parent, welsh if welsh != name else None, ons_name, display, line)
            )
    return out
