"""Reader for Census 2021 origin–destination travel to work between authorities (ONS ODWP01EW, LTLA, csv.gz).

Long format, CRLF, counts ≥ 1 only (see the source's PROVENANCE.md): residence LTLA code and label,
workplace LTLA code and label, place-of-work indicator (``-8`` not in employment, ``1`` mainly at or from
home / no fixed place — workplace = own authority, ``2`` offshore or outside the UK, ``3`` a workplace in the
UK), count. The special workplace codes (``-8``, ``888888888`` offshore, ``999999999`` outside the UK) are
kept apart from areas; any other code must be an area of the release, else a WARNING names it and its rows
are not loaded. The file is streamed (never held whole); flows are aggregated as they are read.

Every employed resident (all rows except ``-8``) falls in exactly one workplace category: ``home`` (code 1),
``own`` (code 3, own authority), ``group`` (code 3, another member of the group, e.g. South Essex),
``london`` (code 3, a London borough E09), ``elsewhere`` (code 3, any other UK authority) or ``abroad``
(code 2). Census day was 21 March 2021, under COVID-19 restrictions: home-working was unusually high.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from observatory.model import Finding, Indicator, Observation, Period, ReaderResult, Severity
from observatory.periods import parse_period

TRAVEL_FILE = "ODWP01EW_LTLA.csv.gz"
MIGRATION_FILE = "ODMG01EW_LTLA.csv.gz"
MIGRATION_HEADER = [
    "Migrant LTLA one year ago code",
    "Migrant LTLA one year ago label",
    "Lower tier local authorities code",
    "Lower tier local authorities label",
    "Count",
]
MIGRATION_SPECIAL = {"-8": "No migrant origin (did not move, or outside the migrant universe)",
                     "999999999": "Outside the UK one year before"}  # fmt: skip
HEADER = [
    "Lower tier local authorities code",
    "Lower tier local authorities label",
    "LTLA of workplace code",
    "LTLA of workplace label",
    "Place of work indicator (4 categories) code",
    "Place of work indicator (4 categories) label",
    "Count",
]
SPECIAL = {"-8": "Does not apply", "888888888": "Offshore installation", "999999999": "Outside the UK"}
PLACE_OF_WORK = ("-8", "1", "2", "3")
CENSUS_DAY = "2021-03-21"
CATEGORIES = ("home", "own", "group", "london", "elsewhere", "abroad")
CATEGORY_LABELS = {
    "home": "Mainly at or from home, or no fixed place",
    "own": "A workplace in their own authority",
    "group": "Another South Essex authority",
    "london": "London",
    "elsewhere": "Elsewhere in the UK",
    "abroad": "Offshore or outside the UK",
}
ORIGIN_LABELS = {
    "own": "Residents of the authority (including at or from home)",
    "group": "Other South Essex authorities",
    "london": "London",
    "elsewhere": "Elsewhere in England and Wales",
}
_COUNT = re.compile(r"^[1-9]\d*$")
_LONDON = "E09"
SOURCE_URL = "https://www.ons.gov.uk/datasets/create"


def _indicators() -> list[Indicator]:
    base: dict[str, Any] = {
        "dataset": "census-2021-travel-to-work",
        "source_org": "Office for National Statistics (Census 2021, origin–destination table ODWP01EW)",
        "source_url": SOURCE_URL,
        "source_date": dt.date(2023, 3, 16),
        "measure": "Percentage",
        "unit": "%",
        "suffix": "%",
        "decimals": 1,
    }
    caveat = (
        "Census day, 21 March 2021, fell during COVID-19 restrictions, when home-working was unusually high; ONS "
        "advises care in comparing with other years. Counts are perturbed by ONS's cell-key method, so small flows "
        "are noisy. Home-working or no fixed place counts as working in the own authority."
    )
    return [
        Indicator("census-employed-residents", "Residents aged 16 and over in employment (Census 2021)",
                  description="Usual residents aged 16 and over in employment in the week before Census day, from "
                  "the travel-to-work table.", caveats=caveat,
                  **{**base, "measure": "Count", "unit": "people", "suffix": None, "decimals": 0}),
        Indicator("self-containment", "Employed residents working in their own authority",
                  description="Share of employed residents whose workplace is in their own authority, including "
                  "those working mainly at or from home or with no fixed place.", caveats=caveat, **base),
        Indicator("work-mainly-at-home", "Employed residents working mainly at or from home, or with no fixed place",
                  description="Share of employed residents working mainly at or from home, or with no fixed place "
                  "of work.", caveats=caveat, **base),
        Indicator("work-in-south-essex", "Employed residents working in South Essex",
                  description="Share of employed residents whose workplace is in one of the six South Essex "
                  "authorities.", caveats=caveat, **base),
        Indicator("work-in-london", "Employed residents working in London",
                  description="Share of employed residents whose workplace is in a London borough (or the City).",
                  caveats=caveat, **base),
        Indicator("in-commuting", "Workers in the authority who live elsewhere",
                  description="Share of the people working in the authority (at a workplace there, or from their "
                  "home there) who live in another authority.", caveats=caveat, **base),
    ]  # fmt: skip


def read_travel_to_work(
    folder: Path,
    display_prefix: str,
    known: set[str],
    group: Sequence[str],
    names: dict[str, str],
    group_slug: str = "south-essex",
) -> ReaderResult:
    """ODWP01EW → shares for every E+W authority (and England), the flows touching ``group``, and summaries.

    Detail tables: ``commuting_flows`` (origin_code, destination_code, place_of_work, count) for every flow
    with an end in ``group``; ``commuting_summary`` (area_code, direction, category, count, share): for each member
    and for the group as a whole (``group_slug``), where employed residents work (direction
    ``residents``) and where the area's workers live (direction ``workers``). Errors name file, row, column.
    """
    result = ReaderResult()
    display = f"{display_prefix}/{TRAVEL_FILE}"
    path = folder / TRAVEL_FILE
    if not path.is_file():
        result.findings.append(Finding("source.missing-file", Severity.ERROR, display, "file not found"))
        return result
    members = set(group)
    by_origin: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    not_employed: dict[str, float] = defaultdict(float)
    workers: dict[str, float] = defaultdict(float)  # people working in the area (code 3 in, plus home)
    in_commuters: dict[str, float] = defaultdict(float)
    group_in: dict[str, float] = defaultdict(float)
    flows: list[tuple[Any, ...]] = []
    unknown: dict[str, tuple[int, str]] = {}
    skipped = 0
    with gzip.open(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        if header != HEADER:
            result.findings.append(
                Finding("header.unexpected", Severity.ERROR, display, f"expected the columns {HEADER}", row=1,
                        value=",".join(header)[:200])
            )  # fmt: skip
            return result
        for line, row in enumerate(reader, start=2):
            result.rows_read += 1
            if len(row) != len(HEADER):
                result.findings.append(
                    Finding("row.ragged", Severity.ERROR, display, f"{len(row)} fields, expected {len(HEADER)}",
                            row=line)
                )  # fmt: skip
                skipped += 1
                continue
            origin, destination, pow_code, count_text = row[0], row[2], row[4], row[6]
            if pow_code not in PLACE_OF_WORK:
                result.findings.append(
                    Finding("value.unknown-code", Severity.ERROR, display, "place-of-work code is not -8, 1, 2 or 3",
                            row=line, column=HEADER[4], value=pow_code[:20])
                )  # fmt: skip
                skipped += 1
                continue
            if not _COUNT.match(count_text):
                result.findings.append(
                    Finding("value.not-a-count", Severity.ERROR, display, "expected a whole number of people ≥ 1",
                            row=line, column="Count", value=count_text[:40])
                )  # fmt: skip
                skipped += 1
                continue
            bad = next((c for c in (origin, destination) if c not in known and c not in SPECIAL), None)
            if bad is not None:
                unknown.setdefault(bad, (line, HEADER[0] if bad == origin else HEADER[2]))
                skipped += 1
                continue
            count = float(count_text)
            if pow_code == "-8":
                not_employed[origin] += count
            elif pow_code == "1":
                by_origin[origin]["home"] += count
                workers[origin] += count
            elif pow_code == "2":
                by_origin[origin]["abroad"] += count
            else:
                if destination in SPECIAL:
                    result.findings.append(
                        Finding("value.inconsistent", Severity.ERROR, display,
                                "a UK workplace (code 3) with a special workplace code", row=line, column=HEADER[2],
                                value=destination)
                    )  # fmt: skip
                    skipped += 1
                    continue
                if destination == origin:
                    category = "own"
                elif destination in members and origin in members:
                    category = "group"
                elif destination.startswith(_LONDON):
                    category = "london"
                else:
                    category = "elsewhere"
                by_origin[origin][category] += count
                workers[destination] += count
                if destination != origin:
                    in_commuters[destination] += count
                if destination in members and origin not in members:
                    group_in["london" if origin.startswith(_LONDON) else "elsewhere"] += count
            if origin in members or destination in members:
                flows.append((origin, destination, int(pow_code), count))
            if destination in members and origin not in members and pow_code == "3":
                by_origin[origin]["_to_south_essex"] += count
    result.rows_skipped = skipped
    for code, (line, column) in sorted(unknown.items()):
        result.findings.append(
            Finding("code.unknown", Severity.WARNING, display, "not an area of the release nor a special code; rows "
                    "naming it are not loaded", row=line, column=column, value=code)
        )  # fmt: skip
    _observations(result, display, by_origin, not_employed, workers, in_commuters, members, names)
    result.tables["commuting_flows"] = sorted(flows)
    result.tables["commuting_summary"] = _summary(by_origin, group_in, flows, members, group_slug)
    result.indicators.extend(_indicators())
    return result


def _observations(
    result: ReaderResult,
    display: str,
    by_origin: dict[str, dict[str, float]],
    not_employed: dict[str, float],
    workers: dict[str, float],
    in_commuters: dict[str, float],
    members: set[str],
    names: dict[str, str],
) -> None:
    period = parse_period(CENSUS_DAY)
    england: dict[str, float] = defaultdict(float)
    for origin, cats in sorted(by_origin.items()):
        employed = sum(cats.get(c, 0.0) for c in CATEGORIES)
        name = names.get(origin, origin)
        own = cats.get("home", 0.0) + cats.get("own", 0.0)
        in_group = cats.get("_to_south_essex", 0.0) + (own + cats.get("group", 0.0) if origin in members else 0.0)
        london = cats.get("london", 0.0) + (own if origin.startswith(_LONDON) else 0.0)
        shares = {
            "self-containment": own,
            "work-mainly-at-home": cats.get("home", 0.0),
            "work-in-south-essex": in_group,
            "work-in-london": london,
        }
        result.observations.append(
            Observation("census-employed-residents", origin, name, period, employed, source_file=display)
        )
        for slug, numerator in shares.items():
            result.observations.append(_share(slug, origin, name, period, numerator, employed, display))
        if origin in workers:
            result.observations.append(
                _share("in-commuting", origin, name, period, in_commuters[origin], workers[origin], display)
            )
        if origin.startswith("E"):
            england["employed"] += employed
            for slug, numerator in shares.items():
                england[slug] += numerator
    note = "Sum over the English authorities' flows."
    result.observations.append(
        Observation("census-employed-residents", "E92000001", "England", period, england["employed"], notes=note,
                    source_file=display)
    )  # fmt: skip
    for slug in ("self-containment", "work-mainly-at-home", "work-in-south-essex", "work-in-london"):
        obs = _share(slug, "E92000001", "England", period, england[slug], england["employed"], display)
        result.observations.append(
            Observation(obs.indicator, obs.area_code, obs.area_name, obs.period, obs.value, numerator=obs.numerator,
                        denominator=obs.denominator, notes=note, source_file=display)
        )  # fmt: skip


def _share(
    slug: str, code: str, name: str, period: Period, numerator: float, denominator: float, file: str
) -> Observation:
    value = 100 * numerator / denominator if denominator else None
    return Observation(slug, code, name, period, value, numerator=numerator, denominator=denominator,
                       status=None if denominator else "no-denominator", source_file=file)  # fmt: skip


def _summary(
    by_origin: dict[str, dict[str, float]],
    group_in: dict[str, float],
    flows: list[tuple[Any, ...]],
    members: set[str],
    group_slug: str,
) -> list[tuple[Any, ...]]:
    """(area_code, direction, category, count, share) for each member and the group (``group_slug``) as a whole.

    ``share`` is the count over the sum of its (area, direction): every category partitions the whole."""
    rows: list[tuple[Any, ...]] = []
    whole: dict[str, float] = defaultdict(float)
    for code in sorted(members):
        cats = by_origin.get(code, {})
        for category in CATEGORIES:
            rows.append((code, "residents", category, cats.get(category, 0.0)))
        whole["own"] += cats.get("home", 0.0) + cats.get("own", 0.0) + cats.get("group", 0.0)
        for category in ("london", "elsewhere", "abroad"):
            whole[category] += cats.get(category, 0.0)
        # where the authority's workers live
        origins: dict[str, float] = defaultdict(float)
        for origin, destination, pow_code, count in flows:
            if (pow_code == 3 and destination == code) or (pow_code == 1 and origin == code):
                if origin == code:
                    origins["own"] += count
                elif origin in members:
                    origins["group"] += count
                elif origin.startswith(_LONDON):
                    origins["london"] += count
                else:
                    origins["elsewhere"] += count
        for category in ORIGIN_LABELS:
            rows.append((code, "workers", category, origins.get(category, 0.0)))
    for category in ("own", "london", "elsewhere", "abroad"):
        rows.append((group_slug, "residents", category, whole[category]))
    rows.append((group_slug, "workers", "own", whole["own"]))
    for category in ("london", "elsewhere"):
        rows.append((group_slug, "workers", category, group_in.get(category, 0.0)))
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for code, direction, _category, count in rows:
        totals[(code, direction)] += count
    return [(*r, r[3] / totals[(r[0], r[1])] if totals[(r[0], r[1])] else None) for r in rows]


def read_migration(folder: Path, display_prefix: str, known: set[str], group: Sequence[str]) -> ReaderResult:
    """ODMG01EW (address one year before Census day → usual residence) → ``migration_flows`` for ``group``.

    ``migration_flows`` rows: (origin_code, destination_code, count) for every flow with an end in ``group``;
    origins ``-8`` (no migrant origin) and ``999999999`` (outside the UK) are kept as they are, never as
    areas. Rows with neither end in ``group`` are read, checked and counted in one INFO finding. Errors name
    file, row and column; an unknown area code is a WARNING naming it, its rows not loaded.
    """
    result = ReaderResult()
    display = f"{display_prefix}/{MIGRATION_FILE}"
    path = folder / MIGRATION_FILE
    if not path.is_file():
        result.findings.append(Finding("source.missing-file", Severity.ERROR, display, "file not found"))
        return result
    members = set(group)
    flows: list[tuple[Any, ...]] = []
    unknown: dict[str, tuple[int, str]] = {}
    outside = 0
    with gzip.open(path, "rb") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        if header != MIGRATION_HEADER:
            result.findings.append(
                Finding("header.unexpected", Severity.ERROR, display, f"expected the columns {MIGRATION_HEADER}",
                        row=1, value=",".join(header)[:200])
            )  # fmt: skip
            return result
        for line, row in enumerate(reader, start=2):
            result.rows_read += 1
            if len(row) != len(MIGRATION_HEADER) or not _COUNT.match(row[4]):
                column = "Count" if len(row) == len(MIGRATION_HEADER) else None
                result.findings.append(
                    Finding("value.not-a-count", Severity.ERROR, display, "expected 5 fields ending in a whole "
                            "number of people ≥ 1", row=line, column=column, value=",".join(row)[:80])
                )  # fmt: skip
                result.rows_skipped += 1
                continue
            origin, destination = row[0], row[2]
            bad = next(
                (c for c, ok in ((origin, origin in known or origin in MIGRATION_SPECIAL), (destination,
                 destination in known)) if not ok), None
            )  # fmt: skip
            if bad is not None:
                unknown.setdefault(bad, (line, MIGRATION_HEADER[0] if bad == origin else MIGRATION_HEADER[2]))
                result.rows_skipped += 1
                continue
            if origin in members or destination in members:
                flows.append((origin, destination, float(row[4])))
            else:
                outside += 1
    for code, (line, column) in sorted(unknown.items()):
        result.findings.append(
            Finding("code.unknown", Severity.WARNING, display, "not an area of the release nor a special code; rows "
                    "naming it are not loaded", row=line, column=column, value=code)
        )  # fmt: skip
    result.findings.append(
        Finding("row.outside-scope", Severity.INFO, display, f"{outside} rows with neither end in the areas of "
                "interest are read and checked but not kept (only flows touching them are stored)")
    )  # fmt: skip
    result.tables["migration_flows"] = sorted(flows)
    return result
