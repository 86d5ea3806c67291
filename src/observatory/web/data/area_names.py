"""Area addresses by name: ``/areas/thurrock`` → ``/areas/E06000034`` (the code URL stays the canonical one).

A name slug is the area's name through :func:`observatory.config.slugify` ("Castle Point" → ``castle-point``,
"Southend-on-Sea" → ``southend-on-sea``). Several areas can share a name (Thurrock is a local authority and an
ITL3 area; Essex a county, an ITL2 area and a police force area): the current area of the most-used kind wins,
in the order of :data:`KIND_ORDER`. A slug no area has, or one shared by two areas of the same kind, resolves to
nothing and the page answers 404 with suggestions.
"""

from __future__ import annotations

import duckdb

from observatory.config import slugify
from observatory.release import read
from observatory.web.data.common import suggest
from observatory.web.errors import NotFound

# Which kind of area a shared name means, most likely first (people type authority and place names).
KIND_ORDER = ("ltla", "utla", "ctry", "rgn", "uk", "cauth", "itl1", "itl2", "itl3", "lsoa", "soa", "pfa")


def area_code_for_name(cur: duckdb.DuckDBPyConnection, slug: str) -> str | None:
    """The GSS (or ITL) code of the area whose slugified name is ``slug``, or None (unknown or ambiguous).

    ``slug`` is compared lower-cased; areas that have ended (``valid_to`` set) only count when no current area
    has the name. Reads the release's ``areas`` table.
    """
    wanted = slugify(slug)
    if not wanted:
        return None
    # Cheap pre-filter in SQL (names contain the slug's words), exact comparison in Python with the one slugify.
    first = wanted.split("-", 1)[0]
    found: list[dict[str, object]] = [
        {"code": r.code, "name": r.name, "type": r.type, "valid_to": r.valid_to}
        for r in read.areas_named_like(cur, first)
        if slugify(r.name) == wanted
    ]
    if not found:
        return None

    def rank(r: dict[str, object]) -> tuple[int, int]:
        kind = str(r["type"])
        return (r["valid_to"] is not None, KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER))

    found.sort(key=rank)
    if len(found) > 1 and rank(found[0]) == rank(found[1]):
        return None
    return str(found[0]["code"])


def name_suggestions(cur: duckdb.DuckDBPyConnection, slug: str) -> list[tuple[str, str]]:
    """Likely meant areas for a name slug nobody has (typo-tolerant), as (label, url): authorities and larger
    areas first, then wards and named neighbourhoods (whose names often contain an authority's, "Little Thurrock
    North", and would otherwise crowd out the authority itself); LSOAs left out ("Thurrock 001A")."""
    text = slug.replace("-", " ")
    current = [
        {"code": r.code, "name": r.name, "type": r.type}
        for r in read.current_areas(cur)
        if r.type not in ("lsoa", "soa")
    ]
    small = {"ward", "msoa", "msoa21", "lsoa21"}
    large = suggest(
        text, {r["code"]: f"{r['name']} ({r['code']})" for r in current if r["type"] not in small}, "/areas/"
    )
    local = suggest(text, {r["code"]: f"{r['name']} ({r['code']})" for r in current if r["type"] in small}, "/areas/")
    return (large + [s for s in local if s not in large])[:5]


def resolve_area_name(cur: duckdb.DuckDBPyConnection, slug: str) -> str:
    """:func:`area_code_for_name`, or :class:`NotFound` (404) with the likeliest areas as suggestions."""
    code = area_code_for_name(cur, slug)
    if code is None:
        raise NotFound(f"There is no area called “{slug[:60]}” in this release.", name_suggestions(cur, slug))
    return code
