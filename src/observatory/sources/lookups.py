"""Reader for the ONS geography lookups and names & codes files (2018–2020 vintages).

They add what the boundaries lack: Welsh names, the ITL (ex-NUTS) areas the GVA data is keyed by, and
the published parent of each authority, which checks the parents derived from the shapes. Each file is
optional (the reader uses whatever subset exists); a missing column stops only that file. Wards and
LSOAs are not read yet.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from observatory.model import Area, AreaRelation, Finding, ReaderResult, Severity

LAD_NAMES = "LAD_Apr2020_Names_and_Codes_UK.csv"
REGION_NAMES = "Regions_Dec2019_Names_and_Codes_England.csv"
COUNTY_NAMES = "Counties_Apr2020_Names_and_Codes_England.csv"
LAD_COUNTY = "LAD20_to_County20_Apr2020_Lookup_England.csv"
LTLA_UTLA = "LTLA19_to_UTLA19_Apr2019_Lookup_EW.csv"
WARD_COUNTRY = "Ward19_to_LAD19_to_County19_to_Region19_to_Country19_Lookup_UK.csv"
LAD_NUTS = "LAD18_to_NUTS3_NUTS2_NUTS1_Jan2018_Lookup_UK.csv"

GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
NUTS_CODE = re.compile(r"^UK[C-N](?:[0-9A-Z]{1,2})?$")
# Inner/Outer London (E13) appear where other boroughs' county would be; they are statistical
# groupings, not counties, so they are kept as areas but not as anyone's county.
LONDON_GROUPINGS = "E13"


def itl_code(nuts: str) -> str:
    """ITL 2021 code from a NUTS 2018 code: the same code with ``UK`` replaced by ``TL``."""
    return "TL" + nuts[2:] if nuts.startswith("UK") else nuts


@dataclass
class _Entry:
    """What the lookups say about one area; the first file to name it wins (names files come first)."""

    name: str
    type: str
    types: set[str] = field(default_factory=set)
    welsh_name: str | None = None


@dataclass
class _Reader:
    folder: Path
    display_prefix: str
    result: ReaderResult = field(default_factory=ReaderResult)
    entries: dict[str, _Entry] = field(default_factory=dict)
    relations: set[AreaRelation] = field(default_factory=set)
    repaired: list[str] = field(default_factory=list)

    def display(self, name: str) -> str:
        return f"{self.display_prefix.rstrip('/')}/{name}" if self.display_prefix else name

    def find(
        self,
        rule: str,
        severity: Severity,
        file: str,
        message: str,
        row: int | None = None,
        column: str | None = None,
        value: str | None = None,
    ) -> None:
        self.result.findings.append(
            Finding(f"lookups.{rule}", severity, self.display(file), message, row, column, value)
        )

    def rows(self, name: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
        """(physical line, row) for each data row; nothing (and a finding) if the file is unusable."""
        path = self.folder / name
        if not path.is_file():
            self.find("missing-file", Severity.WARNING, name, f"{name} is not in {self.folder}; not used")
            return
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                header = [h.strip() for h in reader.fieldnames or []]
                missing = [c for c in columns if c not in header]
                for column in missing:
                    self.find(
                        "missing-column",
                        Severity.ERROR,
                        name,
                        f"required column {column!r} is absent; file not used",
                        column=column,
                    )
                if missing:
                    return
                reader.fieldnames = header
                for row in reader:
                    self.result.rows_read += 1
                    yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None}
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            self.find("unreadable", Severity.ERROR, name, f"cannot read the file: {exc}")

    def code(self, file: str, line: int, row: dict[str, str], column: str, pattern: re.Pattern[str]) -> str | None:
        """The code in a column, or None (and a warning) if it is not a well-formed code."""
        value = row[column]
        if pattern.match(value):
            return value
        self.find(
            "bad-code",
            Severity.WARNING,
            file,
            f"{value!r} is not a valid code; row skipped",
            row=line,
            column=column,
            value=value,
        )
        self.result.rows_skipped += 1
        return None

    def area(self, code: str, name: str, type_: str, welsh: str | None = None) -> None:
        entry = self.entries.get(code)
        if entry is None:
            entry = self.entries[code] = _Entry(name=name or code, type=type_)
        entry.types.add(type_)
        if welsh and not entry.welsh_name:
            entry.welsh_name = self.unmangle(welsh, code)

    def relate(self, child: str, parent: str, relation: str) -> None:
        if child != parent:
            self.relations.add(AreaRelation(child, parent, relation))

    def unmangle(self, text: str, code: str) -> str:
        """Undo UTF-8 read as Latin-1 and saved again ("Ynys MÃ´n" → "Ynys Môn") in the 2020 names file."""
        if "Ã" not in text and "Â" not in text:
            return text
        try:
            fixed = text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return text
        self.repaired.append(f"{code} {text!r} → {fixed!r}")
        return fixed


def read_lookups(folder: Path, display_prefix: str) -> ReaderResult:
    """Read names, lookup-only areas (ITL1–3) and published parents from the lookups folder."""
    r = _Reader(folder, display_prefix)
    if not folder.is_dir():
        r.find("missing-folder", Severity.ERROR, "", f"lookups folder {folder} does not exist")
        return r.result
    steps: tuple[Callable[[_Reader], None], ...] = (
        _lad_names,
        _region_names,
        _county_names,
        _lad_county,
        _ltla_utla,
        _ward_country,
        _lad_nuts,
    )
    for step in steps:
        step(r)
    if r.repaired:
        r.find(
            "repaired-text",
            Severity.INFO,
            LAD_NAMES,
            f"{len(r.repaired)} Welsh names were double-encoded (UTF-8 read as Latin-1) and were repaired: "
            + "; ".join(r.repaired),
        )
    for code in sorted(r.entries):
        e = r.entries[code]
        r.result.areas.append(
            Area(
                code=code,
                name=e.name,
                type=e.type,
                types=tuple(sorted(e.types, key=_type_order)),
                source="lookups",
                welsh_name=e.welsh_name,
            )
        )
    r.result.relations.extend(sorted(r.relations, key=lambda x: (x.code, _type_order(x.relation), x.parent)))
    return r.result


_TYPE_ORDER = ("ltla", "utla", "cty", "mcty", "rgn", "ctry", "uk", "itl3", "itl2", "itl1", "other")


def _type_order(kind: str) -> int:
    return _TYPE_ORDER.index(kind) if kind in _TYPE_ORDER else len(_TYPE_ORDER)


def _county_type(code: str) -> str:
    """The lookups' county columns hold shire counties (E10), metropolitan counties (E11) and E13."""
    if code.startswith("E11"):
        return "mcty"
    return "other" if code.startswith(LONDON_GROUPINGS) else "cty"


def _lad_names(r: _Reader) -> None:
    for line, row in r.rows(LAD_NAMES, ("LAD20CD", "LAD20NM", "LAD20NMW")):
        code = r.code(LAD_NAMES, line, row, "LAD20CD", GSS_CODE)
        if code:
            r.area(code, row["LAD20NM"], "ltla", row["LAD20NMW"] or None)


def _region_names(r: _Reader) -> None:
    for line, row in r.rows(REGION_NAMES, ("RGN19CD", "RGN19NM", "RGN19NMW")):
        code = r.code(REGION_NAMES, line, row, "RGN19CD", GSS_CODE)
        if code:
            r.area(code, row["RGN19NM"], "rgn", row["RGN19NMW"] or None)


def _county_names(r: _Reader) -> None:
    for line, row in r.rows(COUNTY_NAMES, ("CTY20CD", "CTY20NM")):
        code = r.code(COUNTY_NAMES, line, row, "CTY20CD", GSS_CODE)
        if code:
            r.area(code, row["CTY20NM"], _county_type(code))


def _lad_county(r: _Reader) -> None:
    london: set[str] = set()
    for line, row in r.rows(LAD_COUNTY, ("LAD20CD", "LAD20NM", "CTY20CD", "CTY20NM")):
        lad = r.code(LAD_COUNTY, line, row, "LAD20CD", GSS_CODE)
        county = lad and r.code(LAD_COUNTY, line, row, "CTY20CD", GSS_CODE)
        if not lad or not county:
            continue
        r.area(lad, row["LAD20NM"], "ltla")
        r.area(county, row["CTY20NM"], _county_type(county))
        if county.startswith(LONDON_GROUPINGS):
            london.add(county)
        else:
            r.relate(lad, county, _county_type(county))
    if london:
        r.find(
            "london-groupings",
            Severity.INFO,
            LAD_COUNTY,
            f"London boroughs map to {', '.join(sorted(london))} (Inner/Outer London), statistical "
            "groupings rather than counties: kept as areas of type 'other', not as county parents",
        )


def _ltla_utla(r: _Reader) -> None:
    for line, row in r.rows(LTLA_UTLA, ("LTLA19CD", "LTLA19NM", "UTLA19CD", "UTLA19NM")):
        ltla = r.code(LTLA_UTLA, line, row, "LTLA19CD", GSS_CODE)
        utla = ltla and r.code(LTLA_UTLA, line, row, "UTLA19CD", GSS_CODE)
        if not ltla or not utla:
            continue
        r.area(ltla, row["LTLA19NM"], "ltla")
        if utla == ltla:
            r.entries[ltla].types.add("utla")  # a unitary is its own upper tier
        else:
            # Two-tier districts' upper tier is their county; same relation name as the boundaries use.
            kind = "cty" if utla.startswith("E10") else "utla"
            r.area(utla, row["UTLA19NM"], kind)
            r.entries[utla].types.add("utla")
            r.relate(ltla, utla, kind)


def _ward_country(r: _Reader) -> None:
    """Distinct LAD → county → region → country rows of the ward lookup, every level related directly."""
    columns = ("LAD19CD", "LAD19NM", "CTY19CD", "CTY19NM", "RGN19CD", "RGN19NM", "CTRY19CD", "CTRY19NM")
    seen: set[tuple[str, ...]] = set()
    for line, row in r.rows(WARD_COUNTRY, columns):
        key = tuple(row[c] for c in columns)
        if key in seen:
            continue
        seen.add(key)
        lad = r.code(WARD_COUNTRY, line, row, "LAD19CD", GSS_CODE)
        country = lad and r.code(WARD_COUNTRY, line, row, "CTRY19CD", GSS_CODE)
        county = region = None
        if country and row["CTY19CD"]:
            county = r.code(WARD_COUNTRY, line, row, "CTY19CD", GSS_CODE)
            if county is None:
                continue
        if country and row["RGN19CD"]:
            region = r.code(WARD_COUNTRY, line, row, "RGN19CD", GSS_CODE)
            if region is None:
                continue
        if not lad or not country:
            continue
        r.area(lad, row["LAD19NM"], "ltla")
        r.area(country, row["CTRY19NM"], "ctry")
        r.relate(lad, country, "ctry")
        if region:
            r.area(region, row["RGN19NM"], "rgn")
            r.relate(lad, region, "rgn")
            r.relate(region, country, "ctry")
        if county:
            r.area(county, row["CTY19NM"], _county_type(county))
            r.relate(county, country, "ctry")
            if region:
                r.relate(county, region, "rgn")
            if not county.startswith(LONDON_GROUPINGS):
                r.relate(lad, county, _county_type(county))


def _lad_nuts(r: _Reader) -> None:
    """LAD → ITL3 → ITL2 → ITL1, with every level related directly (ITL = NUTS 2018 renamed)."""
    columns = (
        "LAD18CD",
        "LAD18NM",
        "NUTS318CD",
        "NUTS318NM",
        "NUTS218CD",
        "NUTS218NM",
        "NUTS118CD",
        "NUTS118NM",
    )
    for line, row in r.rows(LAD_NUTS, columns):
        lad = r.code(LAD_NUTS, line, row, "LAD18CD", GSS_CODE)
        levels: list[tuple[str, str]] = []
        for level, column in (("itl3", "NUTS318"), ("itl2", "NUTS218"), ("itl1", "NUTS118")):
            nuts = lad and r.code(LAD_NUTS, line, row, f"{column}CD", NUTS_CODE)
            if not nuts:
                break
            levels.append((itl_code(nuts), level))
            r.area(itl_code(nuts), row[f"{column}NM"], level)
        if not lad or len(levels) < 3:
            continue
        r.area(lad, row["LAD18NM"], "ltla")
        for i, (code, level) in enumerate(levels):
            r.relate(lad, code, level)
            for parent, parent_level in levels[i + 1 :]:
                r.relate(code, parent, parent_level)
