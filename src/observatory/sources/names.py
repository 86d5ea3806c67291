"""Names → GSS codes: the join that Nomis downloads and DfE files need, because they carry names only.

Two vintages: files on the April 2021–March 2023 authorities (Nomis UK Business Counts and APS) join on
ONS's December 2022 LAD names (``ons-geography-lookups-2021``: ``Allerdale`` → E07000026, ``Tewkesbury`` →
E07000083); files on current authorities (DfE) join on the release's boundaries (2014–2025, with the
years each code is valid: ``Cumberland`` → E06000063 from 2023). A name that matches
no area, or more than one area valid that year, is never guessed: the caller turns the problem into a
finding naming it. Publisher spellings that differ from ONS's are listed in ``SPELLINGS`` (each use is
reported by the caller as an INFO finding).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from observatory.model import Area

# The publisher's spelling → ONS's (checked against the ONS December 2022 ward-to-LAD lookup's LAD22NM).
SPELLINGS: dict[str, str] = {"Rhondda Cynon Taff": "Rhondda Cynon Taf"}


@dataclass(frozen=True, slots=True)
class Resolution:
    """``code`` when the name resolved; otherwise ``problem`` says why (for a finding)."""

    code: str | None
    problem: str | None = None
    respelled: str | None = None  # the ONS spelling used, when SPELLINGS applied


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class Named:
    """One name → code entry, valid from/to a year (None: open-ended)."""

    name: str
    code: str
    valid_from: int | None = None
    valid_to: int | None = None


class NameResolver:
    """Resolve area names to GSS codes, by the year of the file's geography."""

    def __init__(self, entries: Iterable[Named]) -> None:
        self._by_name: dict[str, list[Named]] = defaultdict(list)
        for entry in entries:
            if entry not in self._by_name[_key(entry.name)]:
                self._by_name[_key(entry.name)].append(entry)
        self._cache: dict[tuple[str, int], Resolution] = {}

    @classmethod
    def from_areas(
        cls, areas: Iterable[Area], types: tuple[str, ...] = ("ltla",), sources: tuple[str, ...] = ("boundaries",)
    ) -> NameResolver:
        """From the release's areas: only those the boundaries define (they carry the years each code is valid)."""
        wanted = set(types)
        return cls(
            Named(a.name, a.code, a.valid_from, a.valid_to)
            for a in areas
            if wanted & set(a.types or (a.type,)) and a.source in sources
        )

    @classmethod
    def from_lad22_lookup(cls, path: Path) -> NameResolver:
        """From ONS's Ward → LAD → … (December 2022) lookup: the LAD22CD/LAD22NM pairs, valid in 2022.

        Raises ValueError naming the file when its header lacks LAD22CD or LAD22NM.
        """
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if not {"LAD22CD", "LAD22NM"} <= set(reader.fieldnames or ()):
                raise ValueError(f"{path.name}: the header has no LAD22CD and LAD22NM columns")
            pairs = {(row["LAD22NM"].strip(), row["LAD22CD"].strip()) for row in reader}
        return cls(Named(name, code, 2022, 2022) for name, code in sorted(pairs))

    def with_older_names(self, older: NameResolver, codes: set[str]) -> NameResolver:
        """This resolver plus ``older``'s names for codes still in ``codes`` that this one calls otherwise.

        E.g. DfE's ``Tewkesbury`` (E07000083, a current code the boundaries name ``North Gloucestershire``).
        """
        extra = [
            Named(e.name, e.code)
            for key, entries in older._by_name.items()
            if key not in self._by_name
            for e in entries
            if e.code in codes
        ]
        return NameResolver([e for entries in self._by_name.values() for e in entries] + extra)

    def resolve(self, name: str, year: int) -> Resolution:
        """The code of the one area called ``name`` that existed in ``year``."""
        hit = self._cache.get((name, year))
        if hit is None:
            hit = self._cache[(name, year)] = self._resolve(name, year)
        return hit

    def _resolve(self, name: str, year: int) -> Resolution:
        respelled = SPELLINGS.get(name.strip())
        candidates = self._by_name.get(_key(respelled or name), [])
        if not candidates:
            return Resolution(None, f"no area of this kind is named {name!r}")
        valid = [
            a
            for a in candidates
            if (a.valid_from is None or a.valid_from <= year) and (a.valid_to is None or year <= a.valid_to)
        ]
        codes = ", ".join(sorted(a.code for a in (valid or candidates)))
        if not valid:
            return Resolution(None, f"{name!r} names no area that existed in {year} (codes in other years: {codes})")
        if len(valid) > 1:
            return Resolution(None, f"{name!r} is ambiguous in {year}: it names {len(valid)} areas ({codes})")
        return Resolution(valid[0].code, None, respelled)
