"""One list of areas and parents from the boundaries (shapes) and the lookups (published tables).

The boundaries are the authority for what exists and when (2014–2025); the lookups are 2018–2020
vintages, so they only fill gaps: names in Welsh, areas without shapes (ITL), and parents the shapes
cannot give. Where both give a parent of the same kind for a current area and disagree, that is
reported rather than silently resolved.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence

from observatory.model import Area, AreaRelation, Finding, ReaderResult, Severity

HIERARCHY: tuple[str, ...] = ("ltla", "utla", "cty", "rgn", "ctry", "uk")

# Area kinds the boundaries file is meant to hold in full; one found only in the lookups is a gap.
_SHAPE_TYPES = frozenset({"ltla", "utla", "cty", "mcty", "cauth", "rgn", "ctry", "uk"})

_RELATION_ORDER = (*HIERARCHY, "mcty", "cauth", "itl3", "itl2", "itl1")


def _relation_rank(kind: str) -> int:
    return _RELATION_ORDER.index(kind) if kind in _RELATION_ORDER else len(_RELATION_ORDER)


def combine_areas(boundaries: ReaderResult, lookups: ReaderResult) -> ReaderResult:
    """Merge the two readers' areas and relations; the result carries both readers' findings too.

    Areas: the boundary record wins for type and years, the lookups fill a missing name or Welsh name,
    and lookup-only areas are added with ``source="lookups"``. Relations: every spatial one, plus a
    lookup one where the shapes give no parent of that kind for that area.
    """
    out = ReaderResult(
        geometries=dict(boundaries.geometries),
        findings=[*boundaries.findings, *lookups.findings],
        rows_read=boundaries.rows_read + lookups.rows_read,
        rows_skipped=boundaries.rows_skipped + lookups.rows_skipped,
    )
    from_shapes = {a.code: a for a in boundaries.areas}
    from_tables = {a.code: a for a in lookups.areas}
    areas: dict[str, Area] = {}
    renamed: list[str] = []
    for code in sorted(from_shapes.keys() | from_tables.keys()):
        shape, table = from_shapes.get(code), from_tables.get(code)
        if shape is None:
            assert table is not None
            areas[code] = dataclasses.replace(table, source="lookups")
        elif table is None:
            areas[code] = shape
        else:
            areas[code] = dataclasses.replace(
                shape, name=shape.name or table.name, welsh_name=shape.welsh_name or table.welsh_name
            )
            if shape.name and table.name and shape.name != table.name:
                renamed.append(f"{code} {shape.name!r} (lookups: {table.name!r})")
    out.areas = list(areas.values())
    if renamed:
        out.findings.append(
            Finding(
                "areas.name-differs",
                Severity.INFO,
                "lookups",
                f"{len(renamed)} areas are named differently in the older lookups; the boundaries' name is "
                f"used: {'; '.join(renamed)}",
            )
        )
    shapeless = [
        f"{a.code} {a.name} ({a.type})" for a in out.areas if a.code not in from_shapes and a.type in _SHAPE_TYPES
    ]
    if shapeless:
        out.findings.append(
            Finding(
                "areas.no-boundary",
                Severity.WARNING,
                "lookups",
                f"{len(shapeless)} areas of a kind the boundaries cover are only in the lookups (no shape, "
                f"no years; kept): {'; '.join(shapeless)}",
            )
        )

    spatial: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rel in boundaries.relations:
        spatial[(rel.code, rel.relation)].add(rel.parent)
    relations = set(boundaries.relations)
    conflicts: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rel in lookups.relations:
        key = (rel.code, rel.relation)
        if key not in spatial:
            relations.add(rel)
        elif rel.parent not in spatial[key]:
            area = areas.get(rel.code)
            if area is not None and area.valid_to is None:
                conflicts[key].add(rel.parent)
    for (code, kind), parents in sorted(conflicts.items()):
        out.findings.append(
            Finding(
                "areas.parent-conflict",
                Severity.WARNING,
                "lookups",
                f"{code} {areas[code].name}: the lookups give {kind} {', '.join(sorted(parents))}, "
                f"the boundaries give {', '.join(sorted(spatial[(code, kind)]))}; the boundaries are used",
                value=code,
            )
        )
    out.relations = sorted(relations, key=lambda r: (r.code, _relation_rank(r.relation), r.parent))
    return out


def ancestors(code: str, relations: Iterable[AreaRelation], kinds: Sequence[str] = HIERARCHY) -> list[str]:
    """Every area above ``code`` through relations of the given kinds, nearest first, no duplicates.

    Nearness is the position of the relation kind in ``kinds`` (county before region before country),
    so direct and chained relations give the same answer. Pass ``kinds=("itl3", "itl2", "itl1")`` for
    the ITL chain.
    """
    rank = {kind: i for i, kind in enumerate(kinds)}
    parents: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for rel in relations:
        if rel.relation in rank:
            parents[rel.code].append((rank[rel.relation], rel.parent))
    found: dict[str, int] = {}
    todo = [code]
    while todo:
        current = todo.pop()
        for level, parent in parents.get(current, ()):
            if parent == code:
                continue
            if parent not in found or level < found[parent]:
                found[parent] = level
                todo.append(parent)
    return sorted(found, key=lambda p: (found[p], p))
