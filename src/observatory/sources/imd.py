"""Readers for the English Indices of Deprivation (MHCLG): the 2019 LSOA files and the 2019/2025 LAD summaries.

``imd2019-lsoa`` (see ../shared/data/imd2019-lsoa/PROVENANCE.md) holds the publisher's files as CSV:

- File 2 (``Domains of Deprivation``): for each of England's 32,844 LSOAs (2011 boundaries) the rank
  (1 = most deprived) and decile (1 = most deprived 10%) on the Index of Multiple Deprivation and its seven
  domains. It is the primary file: the LSOAs, their authority (LAD 2019) and sixteen indicators.
- File 6 (``Population Denominators``): mid-2015 population; totals carry thousands separators ("1,296").
- File 1 (``IMD``): the IMD rank (quoted with separators) and decile again. It adds nothing, so it is read
  only to cross-check File 2: any disagreement is an error, because one of the two copies is wrong.
- ``DERIVED_*`` files are not the publisher's (they were joined together for convenience when the data was
  collected) and are ignored, so nothing in a release depends on a file MHCLG did not publish.

From File 2 the reader also counts, for each authority, how many of its LSOAs are in England's most
deprived 10% and 20% on each index: exact counts with their denominators, so that South Essex can be
aggregated as a ratio of sums, and which agree with MHCLG's own LAD summaries (``proportion_bottom_decile``).

Wards are not related to LSOAs here: the LSOA → ward lookup belongs to the ``ons-geography-lookups``
source, and a reader never reads another source's folder. :func:`read_imd_lsoa` adds ward relations only
when the caller passes that lookup file in (``ward_lookup``).

``iod-lad-summaries`` holds MHCLG's File 10 for IoD2019 (LAD 2019 codes) and IoD2025 (LAD 2024 codes),
reshaped into long tables by Trafford Data Lab. Both are read into the same indicators, one period each,
so the change from 2019 to 2025 is a series; domain names that differ between the releases are normalised.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from observatory.model import Area, AreaRelation, Finding, Indicator, Observation, Period, ReaderResult, Severity
from observatory.sources.numbers import NotANumber, parse_decimal, parse_whole
from observatory.sources.ons_els import clean_number

FILE_1 = "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
FILE_2 = "File_2_-_IoD2019_Domains_of_Deprivation.csv"
FILE_6 = "File_6_-_IoD2019_Population_Denominators.csv"

LSOA_DATASET = "imd2019-lsoa"
SUMMARY_DATASET = "iod-lad-summaries"
LSOA_COUNT = 32_844  # LSOAs (2011) in England: IoD2019 ranks run from 1 to this
# IoD2019 was published in 2019 but most of its inputs describe 2015/16; the period names the release
# (the edition people cite and the one IoD2025 is compared with), and the description says so.
PERIOD_2019 = Period(dt.date(2019, 1, 1), "P1Y", "2019")
PERIOD_2025 = Period(dt.date(2025, 1, 1), "P1Y", "2025")

MHCLG = "Ministry of Housing, Communities and Local Government"
URL_2019 = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
URL_2025 = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
DATE_2019 = dt.date(2019, 9, 26)
DATE_2025 = dt.date(2025, 10, 30)

LSOA_CODE = re.compile(r"^E01\d{6}$")
LAD_CODE = re.compile(r"^E0[6-9]\d{6}$")
WARD_CODE = re.compile(r"^E05\d{6}$")
LSOA_GEOGRAPHY = "LSOA (2011)"


@dataclass(frozen=True, slots=True)
class Domain:
    """The IMD or one of its domains: ``key`` goes into slugs, ``header`` is how the publisher names it."""

    key: str
    header: str  # the start of File 2's column names (File 1 uses the IMD's too)
    label: str
    about: str


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "imd",
        "Index of Multiple Deprivation (IMD)",
        "Index of Multiple Deprivation",
        "The Index of Multiple Deprivation combines the seven domains below with these weights: income "
        "22.5%, employment 22.5%, education, skills and training 13.5%, health deprivation and disability "
        "13.5%, crime 9.3%, barriers to housing and services 9.3%, living environment 9.3%.",
    ),
    Domain(
        "income",
        "Income",
        "Income deprivation",
        "The income domain measures the proportion of people on low incomes: out of work, or in work on "
        "low earnings (means-tested benefits and tax credits).",
    ),
    Domain(
        "employment",
        "Employment",
        "Employment deprivation",
        "The employment domain measures the proportion of working-age people involuntarily excluded from "
        "the labour market: unemployment, sickness or disability, caring responsibilities.",
    ),
    Domain(
        "education",
        "Education, Skills and Training",
        "Education, skills and training deprivation",
        "The education, skills and training domain measures the lack of attainment and skills in the local "
        "population, for children and young people and for adults.",
    ),
    Domain(
        "health",
        "Health Deprivation and Disability",
        "Health deprivation and disability",
        "The health deprivation and disability domain measures the risk of premature death and of a "
        "lower quality of life through poor physical or mental health.",
    ),
    Domain(
        "crime",
        "Crime",
        "Crime",
        "The crime domain measures the risk of personal and material victimisation: violence, burglary, "
        "theft and criminal damage.",
    ),
    Domain(
        "barriers",
        "Barriers to Housing and Services",
        "Barriers to housing and services",
        "The barriers to housing and services domain measures the physical and financial accessibility "
        "of housing and local services (distance to services; affordability, overcrowding, homelessness).",
    ),
    Domain(
        "living-environment",
        "Living Environment",
        "Living environment deprivation",
        "The living environment domain measures the quality of the local environment, indoors (housing "
        "in poor condition, without central heating) and outdoors (air quality, road traffic accidents).",
    ),
)
_BY_KEY = {d.key: d for d in DOMAINS}

LSOA_CAVEATS = (
    "LSOA 2011 geography (the small areas of the 2011 Census, not the 2021 LSOAs used by IoD2025 and Census "
    "2021). 1 = most deprived. Deprivation is relative: a rank says an area is more deprived than another, "
    "not by how much, and ranks are not comparable with IoD2025 or earlier editions."
)
_ABOUT_2019 = (
    "From the English Indices of Deprivation 2019 (IoD2019), published by MHCLG on 26 September 2019, which "
    "rank every lower-layer super output area (LSOA: a neighbourhood of about 1,500 residents) in England "
    f"from 1 (most deprived) to {LSOA_COUNT:,} (least deprived). The period is shown as 2019, the year of "
    "publication; most of the underlying data describe 2015/16."
)


def rank_slug(domain: str) -> str:
    return f"imd2019-{domain}-rank"


def decile_slug(domain: str) -> str:
    return f"imd2019-{domain}-decile"


def share_slug(domain: str, percent: int) -> str:
    """Share of an authority's LSOAs in England's most deprived ``percent``% (10 or 20) on a domain."""
    middle = "" if domain == "imd" else f"{domain}-"
    return f"imd2019-{middle}share-lsoas-most-deprived-{percent}pc"


POPULATION_SLUG = "imd2019-population-mid-2015"


def decile_of_rank(rank: int, total: int = LSOA_COUNT) -> int:
    """MHCLG's decile of a rank: decile d holds ranks up to floor(total·d/10) (3,284 for d = 1)."""
    return (10 * rank + total - 1) // total


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _parse_int(text: str) -> int | None:
    """A whole number ≥ 0 as published: "19102" or "19,102"; anything else (empty, "n/a", 1.5, "１２") is None.

    The grammar is the shared one (``sources.numbers``), with the xlsx export's thousands separators.
    """
    if text[:1] in ("+", "-"):
        return None
    try:
        return parse_whole(text, grouped=True)
    except NotANumber:
        return None


@dataclass(slots=True)
class _Lsoa:
    line: int
    code: str
    name: str
    lad: str
    lad_name: str
    ranks: tuple[int, ...]  # one per domain read, in the reader's ``domains`` order
    deciles: tuple[int, ...]


_Rows = Iterator[tuple[int, list[str]]]


@dataclass
class _ImdReader:
    folder: Path
    prefix: str
    result: ReaderResult = field(default_factory=ReaderResult)
    lsoas: dict[str, _Lsoa] = field(default_factory=dict)
    domains: list[Domain] = field(default_factory=list)  # the indices File 2 has columns for

    def display(self, name: str) -> str:
        return f"{self.prefix.rstrip('/')}/{name}" if self.prefix else name

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
        shown = value if value is None or len(value) <= 80 else value[:77] + "..."
        self.result.findings.append(Finding(f"imd.{rule}", severity, file, message, row, column, shown))

    # --- files -------------------------------------------------------------------------------------

    def open(
        self, path: Path, display: str, required: bool = True, counted: bool = True
    ) -> tuple[list[str], _Rows] | None:
        """The header and an iterator of (line, row); None (with a finding) when there is nothing to read.

        Decoding and CSV errors later in the file end the iteration with a finding, never an exception.
        The iterator must be exhausted (it closes the file). ``counted=False``: rows of another source's
        file (the ward lookup) are not counted as this source's rows.
        """
        if not path.is_file():
            severity = Severity.ERROR if required else Severity.WARNING
            consequence = "its data are missing from the release" if required else "the cross-check is not made"
            self.find("missing-file", severity, display, f"{path.name} is not in {path.parent}: {consequence}")
            return None
        try:
            handle = path.open(encoding="utf-8-sig", newline="")
        except OSError as exc:
            self.find("unreadable", Severity.ERROR, display, f"cannot open the file: {exc}")
            return None
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
        except (UnicodeDecodeError, csv.Error) as exc:
            handle.close()
            self.find("unreadable", Severity.ERROR, display, f"cannot read the header: {exc}", row=1)
            return None
        if header is None:
            handle.close()
            self.find("empty-file", Severity.ERROR, display, "the file is empty: no header, no rows")
            return None
        header = [h.strip() for h in header]
        return header, self._rows(handle, reader, header, display, counted)

    def _rows(self, handle: TextIO, reader: Any, header: list[str], display: str, counted: bool) -> _Rows:
        width = len(header)
        count = 0
        with handle:
            try:
                for row in reader:
                    line: int = reader.line_num
                    if not row or row == [""]:
                        continue
                    count += 1
                    self.result.rows_read += counted
                    if len(row) != width:
                        self.result.rows_skipped += counted
                        self.find(
                            "field-count",
                            Severity.ERROR,
                            display,
                            f"the row has {len(row)} fields but the header has {width} (truncated or misquoted?)",
                            row=line,
                            column=header[len(row)] if len(row) < width else f"(extra field {width + 1})",
                        )
                        continue
                    yield line, row
            except UnicodeDecodeError as exc:
                self.find("encoding", Severity.ERROR, display, f"not UTF-8 text: {exc.reason}", reader.line_num + 1)
            except csv.Error as exc:
                self.find("malformed", Severity.ERROR, display, f"cannot parse the row: {exc}", reader.line_num)
        if count == 0:
            self.find("no-rows", Severity.ERROR, display, "the file has a header but no data rows", row=1)

    def skip(self, rows: _Rows) -> None:
        """Count the rows of a file that cannot be used (a required column is missing) as skipped."""
        for _ in rows:
            self.result.rows_skipped += 1

    def columns(self, display: str, header: list[str], wanted: dict[str, str]) -> dict[str, int]:
        """Positions of the wanted columns, matched on the start of their normalised names.

        File 1 calls the IMD rank "… (IMD) Rank" where File 2 adds "(where 1 is most deprived)"; matching
        the start accepts both. A missing column is an error naming it.
        """
        norms = [_norm(h) for h in header]
        found: dict[str, int] = {}
        for key, title in wanted.items():
            want = _norm(title)
            index = next((i for i, n in enumerate(norms) if n.startswith(want)), None)
            if index is None:
                self.find(
                    "missing-column",
                    Severity.ERROR,
                    display,
                    f"required column {title!r} is missing (header: {', '.join(header)[:200]})",
                    row=1,
                    column=title,
                )
            else:
                found[key] = index
        return found

    def number(self, text: str, display: str, line: int, column: str, low: int, high: int, what: str) -> int | None:
        value = _parse_int(text)
        if value is None:
            self.find(
                "not-a-number",
                Severity.ERROR,
                display,
                f"{what} {text[:40]!r} is not a whole number",
                row=line,
                column=column,
                value=text,
            )
            return None
        if not low <= value <= high:
            self.find(
                "out-of-range",
                Severity.ERROR,
                display,
                f"{what} {value:,} is outside {low:,}–{high:,}",
                row=line,
                column=column,
                value=text,
            )
            return None
        return value

    # --- File 2: LSOAs, ranks and deciles ----------------------------------------------------------

    def read_domains(self) -> None:
        display = self.display(FILE_2)
        opened = self.open(self.folder / FILE_2, display)
        if opened is None:
            return
        header, rows = opened
        ids = self.columns(display, header, _ID_COLUMNS)
        rank_cols: list[int] = []
        decile_cols: list[int] = []
        for d in DOMAINS:
            both = self.columns(display, header, {"rank": f"{d.header} Rank", "decile": f"{d.header} Decile"})
            if len(both) == 2:
                self.domains.append(d)
                rank_cols.append(both["rank"])
                decile_cols.append(both["decile"])
        if len(ids) != len(_ID_COLUMNS):
            self.skip(rows)
            return
        ci, ni, li, lni = ids["code"], ids["name"], ids["lad"], ids["lad_name"]
        n = LSOA_COUNT
        for line, row in rows:
            code, lad = row[ci].strip(), row[li].strip()
            ranks_text = [row[i] for i in rank_cols]
            deciles_text = [row[i] for i in decile_cols]
            joined = "".join(ranks_text) + "".join(deciles_text)
            # Fast path for the 32,844 good rows: plain ASCII digits, ranks in range, deciles matching ranks.
            if (
                code not in self.lsoas
                and LSOA_CODE.match(code)
                and LAD_CODE.match(lad)
                and all(ranks_text)
                and all(deciles_text)
                and joined.isascii()
                and joined.isdigit()
            ):
                ranks = tuple(map(int, ranks_text))
                deciles = tuple(map(int, deciles_text))
                if all(1 <= r <= n and (10 * r + n - 1) // n == d for r, d in zip(ranks, deciles, strict=True)):
                    name, lad_name = row[ni].strip() or code, row[lni].strip() or lad
                    self.lsoas[code] = _Lsoa(line, code, name, lad, lad_name, ranks, deciles)
                    continue
            record = self.lsoa_row(display, header, line, row, ids, rank_cols, decile_cols)
            if record is None:
                self.result.rows_skipped += 1
            else:
                self.lsoas[record.code] = record
        if len(self.lsoas) != LSOA_COUNT:
            self.find(
                "lsoa-count",
                Severity.WARNING,
                display,
                f"{len(self.lsoas):,} LSOAs were read; IoD2019 ranks {LSOA_COUNT:,} (rows with errors are left out)",
            )

    def lsoa_row(
        self,
        display: str,
        header: list[str],
        line: int,
        row: list[str],
        ids: dict[str, int],
        rank_cols: list[int],
        decile_cols: list[int],
    ) -> _Lsoa | None:
        """The slow path: check each field of a row the fast path refused, with a finding for each fault.

        Ranks may repeat (MHCLG gives tied scores the same rank), so only range and decile are checked.
        """
        code, lad = row[ids["code"]].strip(), row[ids["lad"]].strip()
        problem = None
        if not LSOA_CODE.match(code):
            problem = ("invalid-code", f"{code!r} is not an English LSOA code (E01 and six digits)", "code", code)
        elif not LAD_CODE.match(lad):
            problem = ("invalid-code", f"{lad!r} is not an English local authority district code", "lad", lad)
        elif code in self.lsoas:
            earlier = self.lsoas[code].line
            problem = (
                "duplicate-lsoa",
                f"{code} is also at row {earlier}; an LSOA has one rank per index",
                "code",
                code,
            )
        if problem is not None:
            rule, message, key, value = problem
            self.find(rule, Severity.ERROR, display, message, line, header[ids[key]], value)
            return None
        ranks: list[int] = []
        deciles: list[int] = []
        for ri, di in zip(rank_cols, decile_cols, strict=True):
            rank = self.number(row[ri].strip(), display, line, header[ri], 1, LSOA_COUNT, "rank")
            decile = self.number(row[di].strip(), display, line, header[di], 1, 10, "decile")
            if rank is None or decile is None:
                continue
            if decile != decile_of_rank(rank):
                self.find(
                    "decile-mismatch",
                    Severity.ERROR,
                    display,
                    f"decile {decile} does not match rank {rank:,} (which is in decile {decile_of_rank(rank)})",
                    line,
                    header[di],
                    row[di].strip(),
                )
                continue
            ranks.append(rank)
            deciles.append(decile)
        if len(ranks) != len(rank_cols):
            return None
        name, lad_name = row[ids["name"]].strip() or code, row[ids["lad_name"]].strip() or lad
        return _Lsoa(line, code, name, lad, lad_name, tuple(ranks), tuple(deciles))

    # --- File 6: population ------------------------------------------------------------------------

    def read_population(self) -> dict[str, tuple[int, int]]:
        """LSOA code -> (mid-2015 population, line)."""
        display = self.display(FILE_6)
        out: dict[str, tuple[int, int]] = {}
        opened = self.open(self.folder / FILE_6, display)
        if opened is None:
            return out
        header, rows = opened
        cols = self.columns(display, header, {"code": _ID_COLUMNS["code"], "total": _POPULATION})
        if len(cols) != 2:
            self.skip(rows)
            return out
        ci, ti = cols["code"], cols["total"]
        for line, row in rows:
            code = row[ci].strip()
            value = self.number(row[ti].strip(), display, line, header[ti], 0, 10**6, "population")
            problem = None
            if code in out:
                problem = f"{code} is also at row {out[code][1]}"
            elif code not in self.lsoas:
                problem = f"{code!r} is not an LSOA of File 2 (or its row there has an error)"
            if problem is not None:
                self.find("unknown-lsoa", Severity.ERROR, display, problem, line, header[ci], code)
            if value is None or problem is not None:
                self.result.rows_skipped += 1
                continue
            out[code] = (value, line)
        self.missing_from(display, set(self.lsoas) - set(out))
        return out

    def missing_from(self, display: str, codes: set[str]) -> None:
        if codes:
            shown = ", ".join(sorted(codes)[:5])
            self.find(
                "missing-lsoas",
                Severity.ERROR,
                display,
                f"{len(codes):,} LSOAs of File 2 are not in this file (e.g. {shown})",
                column=_ID_COLUMNS["code"],
            )

    # --- File 1: the cross-check -------------------------------------------------------------------

    def cross_check(self) -> None:
        """File 1 repeats File 2's IMD rank and decile (rank with separators): they must agree exactly."""
        display = self.display(FILE_1)
        opened = self.open(self.folder / FILE_1, display, required=False)
        if opened is None:
            return
        header, rows = opened
        imd = _BY_KEY["imd"]
        wanted = {**_ID_COLUMNS, "rank": f"{imd.header} Rank", "decile": f"{imd.header} Decile"}
        cols = self.columns(display, header, wanted)
        if len(cols) != len(wanted):
            self.skip(rows)
            return
        at = self.domains.index(imd) if imd in self.domains else None
        seen: set[str] = set()
        for line, row in rows:
            code = row[cols["code"]].strip()
            ours = self.lsoas.get(code)
            problems: list[tuple[str, str, str]] = []  # (column key, value here, message)
            if ours is None or code in seen:
                why = "is repeated" if code in seen else "is not an LSOA of File 2 (or its row there has an error)"
                problems.append(("code", code, f"{code!r} {why}"))
            else:
                for key, theirs, mine in (
                    ("lad", row[cols["lad"]].strip(), ours.lad),
                    ("name", row[cols["name"]].strip(), ours.name),
                ):
                    if theirs != mine:
                        problems.append((key, theirs, f"{theirs!r} here, {mine!r} in File 2 row {ours.line}"))
                if at is not None:
                    for key, mine_value in (("rank", ours.ranks[at]), ("decile", ours.deciles[at])):
                        text = row[cols[key]].strip()
                        if _parse_int(text) != mine_value:
                            message = f"IMD {key} {text!r} here, {mine_value} in File 2 row {ours.line}"
                            problems.append((key, text, message))
            seen.add(code)
            for key, text, message in problems:
                self.find("cross-check", Severity.ERROR, display, message, line, header[cols[key]], text)
            if problems:
                self.result.rows_skipped += 1
        self.missing_from(display, set(self.lsoas) - seen)

    # --- wards (only when the lookup is passed in) -------------------------------------------------

    def wards(self, path: Path) -> None:
        """LSOA → ward (best fit, December 2019) and ward → LAD, with ward areas, from the ONS lookup."""
        display = path.name
        opened = self.open(path, display, counted=False)
        if opened is None:
            return
        header, rows = opened
        wanted = {"code": "LSOA11CD", "ward": "WD19CD", "ward_name": "WD19NM", "lad": "LAD19CD"}
        cols = self.columns(display, header, wanted)
        if len(cols) != len(wanted):
            for _ in rows:
                pass  # read to the end, which closes the file
            return
        named: set[str] = set()
        for line, row in rows:
            code, ward, lad = (row[cols[k]].strip() for k in ("code", "ward", "lad"))
            if code not in self.lsoas:
                continue  # a Welsh LSOA, or a row of File 2 with an error
            if not WARD_CODE.match(ward):
                self.find("invalid-code", Severity.WARNING, display, "not a ward code; skipped", line, "WD19CD", ward)
                continue
            self.result.relations.append(AreaRelation(code, ward, "ward"))
            if ward not in named:
                named.add(ward)
                name = row[cols["ward_name"]].strip() or ward
                self.result.areas.append(Area(ward, name, "ward", ("ward",), source=self.prefix))
                self.result.relations.append(AreaRelation(ward, lad, "ltla"))

    # --- output ------------------------------------------------------------------------------------

    def emit(self, population: dict[str, tuple[int, int]]) -> None:
        r = self.result
        file2, file6 = self.display(FILE_2), self.display(FILE_6)
        for d in self.domains:
            r.indicators.extend(_lsoa_indicators(d))
        if population:
            r.indicators.append(_population_indicator())
        slugs = [(rank_slug(d.key), decile_slug(d.key)) for d in self.domains]
        append = r.observations.append
        p, geo, source = PERIOD_2019, LSOA_GEOGRAPHY, self.prefix
        most_deprived: dict[str, list[list[int]]] = {}  # LAD -> per domain [LSOAs, in decile 1, in deciles 1-2]
        lad_names: dict[str, str] = {}
        for x in self.lsoas.values():
            r.areas.append(Area(x.code, x.name, "lsoa", ("lsoa",), valid_from=2011, source=source))
            r.relations.append(AreaRelation(x.code, x.lad, "ltla"))
            counts = most_deprived.get(x.lad)
            if counts is None:
                counts = most_deprived[x.lad] = [[0, 0, 0] for _ in self.domains]
                lad_names[x.lad] = x.lad_name
            code, name, line = x.code, x.name, x.line
            for (rank_s, decile_s), rank, decile, c in zip(slugs, x.ranks, x.deciles, counts, strict=True):
                # Positional arguments: ~560k observations are made here; keywords cost a third more time.
                append(
                    Observation(
                        rank_s, code, name, p, float(rank), None, None, None, None, None, None, geo, file2, line
                    )
                )
                append(
                    Observation(
                        decile_s, code, name, p, float(decile), None, None, None, None, None, None, geo, file2, line
                    )
                )
                c[0] += 1
                c[1] += decile == 1
                c[2] += decile <= 2
            pop = population.get(code)
            if pop is not None:
                append(
                    Observation(
                        POPULATION_SLUG,
                        code,
                        name,
                        p,
                        float(pop[0]),
                        geography=geo,
                        source_file=file6,
                        source_row=pop[1],
                    )
                )
        for d in self.domains:
            for percent in (10, 20):
                r.indicators.append(_share_indicator(d, percent))
        for lad in sorted(most_deprived):
            for d, (total, in10, in20) in zip(self.domains, most_deprived[lad], strict=True):
                for percent, count in ((10, in10), (20, in20)):
                    append(
                        Observation(
                            share_slug(d.key, percent),
                            lad,
                            lad_names[lad],
                            p,
                            clean_number(100.0 * count / total),
                            numerator=float(count),
                            denominator=float(total),
                            geography="LAD (2019)",
                            source_file=file2,
                        )
                    )


_ID_COLUMNS = {
    "code": "LSOA code (2011)",
    "name": "LSOA name (2011)",
    "lad": "Local Authority District code (2019)",
    "lad_name": "Local Authority District name (2019)",
}
_POPULATION = "Total population: mid 2015"


def _lsoa_indicators(d: Domain) -> list[Indicator]:
    def make(slug: str, label: str, subtitle: str, description: str, measure: str) -> Indicator:
        return Indicator(
            slug=slug,
            label=label,
            dataset=LSOA_DATASET,
            subtitle=subtitle,
            description=description,
            caveats=LSOA_CAVEATS,
            measure=measure,
            decimals=0,
            source_org=MHCLG,
            source_url=URL_2019,
            source_date=DATE_2019,
        )

    return [
        make(
            rank_slug(d.key),
            f"{d.label} 2019: rank (1 = most deprived of {LSOA_COUNT:,})",
            f"Where the neighbourhood stands among England's {LSOA_COUNT:,} LSOAs; 1 is the most deprived",
            f"{_ABOUT_2019} {d.about}",
            "Rank",
        ),
        make(
            decile_slug(d.key),
            f"{d.label} 2019: decile (1 = most deprived 10%)",
            "Tenth of England's LSOAs the neighbourhood falls in: 1 = most deprived 10%, 10 = least deprived",
            f"{_ABOUT_2019} {d.about} Deciles split the ranking into ten groups of (almost) equal size.",
            "Decile",
        ),
    ]


def _population_indicator() -> Indicator:
    return Indicator(
        slug=POPULATION_SLUG,
        label="Population, mid-2015 (IoD2019 denominator)",
        dataset=LSOA_DATASET,
        subtitle="Residents of the neighbourhood in mid-2015, excluding prisoners",
        description=(
            "The population MHCLG used to compute the IoD2019 rates: ONS mid-2015 small-area estimates "
            "excluding prisoners (File 6). Shown with the 2019 release it belongs to."
        ),
        caveats="LSOA 2011 geography. Mid-2015 estimates: not current population.",
        measure="Count",
        unit="people",
        decimals=0,
        source_org=MHCLG,
        source_url=URL_2019,
        source_date=DATE_2019,
    )


def _share_indicator(d: Domain, percent: int) -> Indicator:
    decile = "1" if percent == 10 else "1 or 2"
    name = "Index of Multiple Deprivation" if d.key == "imd" else f"{d.label} domain"
    return Indicator(
        slug=share_slug(d.key, percent),
        label=f"Neighbourhoods in England's most deprived {percent}%: {d.label} 2019",
        dataset=LSOA_DATASET,
        subtitle=f"Share of the authority's LSOAs in the most deprived {percent}% of LSOAs in England ({name})",
        description=(
            f"{_ABOUT_2019} Counted here from the LSOA file: the numerator is the number of the authority's "
            f"LSOAs in decile {decile} of the {name}, the denominator all its LSOAs (LAD 2019 boundaries). "
            "Exact counts, not estimates: groups of authorities aggregate as the ratio of the sums. "
            + (
                "The 10% share equals MHCLG's published 'proportion of LSOAs in the most deprived 10% nationally'."
                if percent == 10
                else ""
            )
        ).strip(),
        caveats=f"{LSOA_CAVEATS} LSOAs have similar populations but not equal ones: a share of neighbourhoods is "
        "not a share of residents.",
        measure="Percentage",
        unit="%",
        suffix="%",
        decimals=1,
        source_org=MHCLG,
        source_url=URL_2019,
        source_date=DATE_2019,
    )


def read_imd_lsoa(folder: Path, display_prefix: str, ward_lookup: Path | None = None) -> ReaderResult:
    """Read IoD2019 Files 2 and 6 (cross-checked with File 1) into LSOAs, their ranks, deciles and population.

    ``ward_lookup`` (the ONS ``LSOA11_to_Ward19_to_LAD19_Lookup_EW.csv``) adds ward areas and LSOA → ward
    relations; without it the LSOAs are related to their authority only.
    """
    reader = _ImdReader(folder, display_prefix)
    if not folder.is_dir():
        reader.find("missing-folder", Severity.ERROR, display_prefix, f"source folder {folder} does not exist")
        return reader.result
    with _no_cyclic_gc():
        reader.read_domains()
        population = reader.read_population()
        reader.cross_check()
        reader.emit(population)
        if ward_lookup is not None:
            reader.wards(ward_lookup)
    return reader.result


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while ~600k acyclic records are made.

    Every few hundred allocations the collector would re-scan the objects already alive (in a build, every
    reader's output): measured at ~0.9 s of a 2.2 s emit. Nothing made here forms a cycle, so nothing is
    left for it to find; reference counting still frees everything. The previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- LAD summaries (File 10, 2019 and 2025) --------------------------------------------------------------

# Domain names in the long tables → slug part. IoD2025 appends "Deprivation" to five of them.
SUMMARY_DOMAINS: dict[str, str] = {
    "index of multiple deprivation": "imd",
    "income": "income",
    "income deprivation": "income",
    "employment": "employment",
    "employment deprivation": "employment",
    "education, skills and training": "education",
    "education, skills and training deprivation": "education",
    "health and disability": "health",
    "health deprivation and disability": "health",
    "crime": "crime",
    "barriers to housing and services": "barriers",
    "living environment": "living-environment",
    "living environment deprivation": "living-environment",
    "income deprivation affecting children": "idaci",
    "income deprivation affecting older people": "idaopi",
}
_SUPPLEMENTARY = {
    "idaci": Domain(
        "idaci",
        "",
        "Income deprivation affecting children (IDACI)",
        "IDACI is the proportion of children aged 0–15 living in income-deprived families (a subset of the "
        "income domain).",
    ),
    "idaopi": Domain(
        "idaopi",
        "",
        "Income deprivation affecting older people (IDAOPI)",
        "IDAOPI is the proportion of people aged 60 and over who are income deprived (a subset of the income domain).",
    ),
}
_MEASURES = (
    "average_rank",
    "rank_average_rank",
    "average_score",
    "rank_average_score",
    "proportion_bottom_decile",
    "rank_proportion_bottom_decile",
)
_IMD_ONLY = ("average_rank", "rank_average_rank", "rank_average_score", "rank_proportion_bottom_decile")
_MEASURE_SLUGS = {
    "average_rank": "average-rank",
    "rank_average_rank": "rank-of-average-rank",
    "average_score": "average-score",
    "rank_average_score": "rank-of-average-score",
    "proportion_bottom_decile": "proportion-most-deprived-10pc",
    "rank_proportion_bottom_decile": "rank-of-proportion-most-deprived-10pc",
}
_SUMMARY_PERIODS = {2019: (PERIOD_2019, "LAD (2019)"), 2025: (PERIOD_2025, "LAD (2024)")}
SUMMARY_CAVEATS = (
    "IoD2019 is built on LSOA 2011 and ranks 317 local authority districts (2019 boundaries); IoD2025 is "
    "built on LSOA 2021 and ranks 296 (2024 boundaries): ranks are not directly comparable between the two, "
    "and deprivation is relative (a change in rank can come from other areas changing). 1 = most deprived."
)
_SCORE_NOTES = {
    "imd": "The IMD score is a weighted combination of the domain scores; higher means more deprived.",
    "income": "The income score is the proportion of residents who are income deprived (0 to 1).",
    "employment": "The employment score is the proportion of working-age residents who are employment deprived "
    "(0 to 1).",
    "idaci": "The IDACI score is the proportion of children aged 0–15 in income-deprived families (0 to 1).",
    "idaopi": "The IDAOPI score is the proportion of people aged 60+ who are income deprived (0 to 1).",
}


def summary_slug(domain: str, measure: str) -> str:
    """``iod-<domain>-<measure>``: e.g. ``iod-imd-average-score``, ``iod-income-proportion-most-deprived-10pc``."""
    return f"iod-{domain}-{_MEASURE_SLUGS[measure]}"


def _summary_domain(key: str) -> Domain:
    return _BY_KEY.get(key) or _SUPPLEMENTARY[key]


def _summary_indicator(key: str, measure: str) -> Indicator:
    d = _summary_domain(key)
    about = (
        "From MHCLG's local authority district summaries (File 10) of the English Indices of Deprivation 2019 "
        "(published 26 September 2019) and 2025 (published 30 October 2025), which summarise the "
        "neighbourhood (LSOA) results for each authority. "
    )
    text = {
        "average_rank": (
            f"{d.label}: average rank of the authority's neighbourhoods",
            "Population-weighted average of its LSOAs' ranks, counted so that higher = more deprived",
            "Average rank",
            2,
            "The population-weighted average of the ranks of the authority's LSOAs, as MHCLG's district summaries "
            "count them: a higher average rank means more deprived (in IoD2019 Blackpool has the highest, 26,765, "
            "and Hart the lowest, 3,284). It describes the authority as a whole, so a few very deprived places count "
            "for less than in the share measures.",
        ),
        "rank_average_rank": (
            f"{d.label}: authority's rank on average rank (1 = most deprived)",
            "Where the authority stands among England's districts on the average LSOA rank",
            "Rank",
            0,
            "The rank of the authority among all English districts on the average rank of its LSOAs.",
        ),
        "average_score": (
            f"{d.label}: average score",
            "Population-weighted average of its LSOAs' scores; higher = more deprived",
            "Score",
            3,
            "The population-weighted average of the scores of the authority's LSOAs. "
            + _SCORE_NOTES.get(key, "The score is a standardised measure; higher means more deprived."),
        ),
        "rank_average_score": (
            f"{d.label}: authority's rank on average score (1 = most deprived)",
            "Where the authority stands among England's districts on the average LSOA score",
            "Rank",
            0,
            "The rank of the authority among all English districts on the average score of its LSOAs.",
        ),
        "proportion_bottom_decile": (
            f"{d.label}: share of neighbourhoods in England's most deprived 10%",
            "Share of the authority's LSOAs in the most deprived 10% of LSOAs in England",
            "Percentage",
            1,
            "The proportion of the authority's LSOAs in the most deprived 10% nationally, published as a "
            "proportion (0 to 1) and shown here as a percentage.",
        ),
        "rank_proportion_bottom_decile": (
            f"{d.label}: authority's rank on the share in the most deprived 10% (1 = highest share)",
            "Where the authority stands among England's districts on that share; tied at zero share",
            "Rank",
            0,
            "The rank of the authority among all English districts on the proportion of its LSOAs in the "
            "most deprived 10% nationally. Districts with no such LSOA share the same (last) rank.",
        ),
    }[measure]
    label, subtitle, measure_name, decimals, explain = text
    percent = measure == "proportion_bottom_decile"
    return Indicator(
        slug=summary_slug(key, measure),
        label=label,
        dataset=SUMMARY_DATASET,
        subtitle=subtitle,
        description=f"{about}{explain} {d.about}",
        caveats=SUMMARY_CAVEATS,
        measure=measure_name,
        unit="%" if percent else None,
        suffix="%" if percent else None,
        decimals=decimals,
        source_org=MHCLG,
        source_url=URL_2025,
        source_date=DATE_2025,
    )


def summary_indicators() -> list[Indicator]:
    """Every indicator the summaries give: six for the IMD, two (share, average score) for each other index."""
    out: list[Indicator] = []
    for key in dict.fromkeys(SUMMARY_DOMAINS.values()):
        for measure in _MEASURES:
            if key == "imd" or measure not in _IMD_ONLY:
                out.append(_summary_indicator(key, measure))
    return out


_SUMMARY_COLUMNS: dict[str, tuple[str, ...]] = {  # headers as published: IoD2019's first, then IoD2025's
    "code": ("lad19cd", "area_code"),
    "name": ("lad19nm", "area_name"),
    "domain": ("index_domain",),
    "year": ("year", "deprivation_data_year"),
    **{m: (m,) for m in _MEASURES},
}


def _possible(measure: str, value: float) -> bool:
    """Proportions lie in 0–1, ranks are whole numbers from 1; every value is finite."""
    if not math.isfinite(value):
        return False
    if measure == "proportion_bottom_decile":
        return 0 <= value <= 1
    if measure.startswith("rank_"):
        return value >= 1 and value.is_integer()
    return measure != "average_rank" or value >= 1


def _summary_problem(
    code: str, domain: str, key: str | None, year_text: str, year: int | None, seen: dict[tuple[str, str, int], int]
) -> tuple[str, str, str, str] | None:
    """(rule, message, column key, value) for a row that cannot be used, else None."""
    if not LAD_CODE.match(code):
        return ("invalid-code", f"{code!r} is not an English local authority district code", "code", code)
    if key is None:
        return ("unknown-domain", f"{domain!r} is not an index or domain of the IoD", "domain", domain)
    if year not in _SUMMARY_PERIODS:
        return (
            "unknown-year",
            f"{year_text!r} is not an IoD edition this reader knows (2019, 2025)",
            "year",
            year_text,
        )
    if (code, key, year) in seen:
        return ("duplicate", f"{code} {domain} {year} is also at row {seen[(code, key, year)]}", "code", code)
    return None


def _summary_file(path: Path, display: str, result: ReaderResult, wanted: set[str]) -> None:
    def find(rule: str, message: str, row: int | None = None, column: str | None = None, value: str = "") -> None:
        result.findings.append(Finding(f"iod.{rule}", Severity.ERROR, display, message, row, column, value or None))

    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        find("encoding", f"not UTF-8 text: {exc.reason} at byte {exc.start}")
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if not header:
        find("empty-file", "the file is empty: no header, no rows")
        return
    norms = [_norm(h) for h in header]
    cols: dict[str, int] = {}
    for column, names in _SUMMARY_COLUMNS.items():
        index = next((norms.index(_norm(n)) for n in names if _norm(n) in norms), None)
        if index is None:
            find(
                "missing-column",
                f"required column {names[0]!r} is missing (header: {', '.join(header)[:200]})",
                1,
                names[0],
            )
        else:
            cols[column] = index
    if len(cols) != len(_SUMMARY_COLUMNS):
        unread = sum(1 for row in reader if row)
        result.rows_read += unread
        result.rows_skipped += unread
        return
    parsed: list[tuple[int, list[str], str, int, dict[str, float]]] = []
    seen: dict[tuple[str, str, int], int] = {}
    for row in reader:
        line = reader.line_num
        if not row:
            continue
        result.rows_read += 1
        if len(row) != len(header):
            find("field-count", f"the row has {len(row)} fields but the header has {len(header)}", line)
            result.rows_skipped += 1
            continue
        code, domain_text = row[cols["code"]].strip(), row[cols["domain"]].strip()
        year_text = row[cols["year"]].strip()
        key = SUMMARY_DOMAINS.get(domain_text.lower())
        year = int(year_text) if year_text.isdigit() else None
        values: dict[str, float] = {}
        problem = _summary_problem(code, domain_text, key, year_text, year, seen)
        if problem is None:
            for m in _MEASURES:
                raw = row[cols[m]].strip()
                try:
                    values[m] = parse_decimal(raw)
                except NotANumber as exc:
                    problem = ("not-a-number", str(exc), m, raw)
                    break
                if not _possible(m, values[m]):
                    problem = ("out-of-range", f"{raw!r} is not a possible {m.replace('_', ' ')}", m, raw)
                    break
        if problem is not None:
            rule, message, column, text = problem
            find(rule, message, line, header[cols[column]], text)
            result.rows_skipped += 1
            continue
        assert key is not None and year is not None
        seen[(code, key, year)] = line
        parsed.append((line, row, key, year, values))
    for line, row, key, year, values in parsed:
        period, geography = _SUMMARY_PERIODS[year]
        code, name = row[cols["code"]].strip(), row[cols["name"]].strip()
        for m, number in values.items():
            if key != "imd" and m in _IMD_ONLY:
                continue
            value = clean_number(round(number * 100, 10) if m == "proportion_bottom_decile" else number)
            slug = summary_slug(key, m)
            wanted.add(slug)
            result.observations.append(
                Observation(
                    slug, code, name or code, period, value, None, None, None, None, None, None,
                    geography, display, line,
                )
            )  # fmt: skip


def read_iod_lad_summaries(folder: Path, display_prefix: str) -> ReaderResult:
    """Read every ``*.csv`` in the folder (IoD2019 and IoD2025 File 10, long form) into one set of indicators.

    The edition comes from each row's year column (``year`` / ``deprivation_data_year``), not the file
    name, so a renamed or newer file is read the same way.
    """
    result = ReaderResult()
    if not folder.is_dir():
        result.findings.append(
            Finding("iod.missing-folder", Severity.ERROR, display_prefix, f"source folder {folder} does not exist")
        )
        return result
    files = sorted(folder.glob("*.csv"))
    if not files:
        result.findings.append(Finding("iod.no-files", Severity.ERROR, display_prefix, "no CSV file in the folder"))
    wanted: set[str] = set()
    for path in files:
        display = f"{display_prefix.rstrip('/')}/{path.name}"
        try:
            _summary_file(path, display, result, wanted)
        except csv.Error as exc:  # e.g. a NUL byte: the file is not the publisher's CSV
            result.findings.append(Finding("iod.malformed", Severity.ERROR, display, f"cannot parse the CSV: {exc}"))
    result.indicators = [i for i in summary_indicators() if i.slug in wanted]
    return result
