"""Checks that need the whole picture: duplicates across files, areas against the reference geography,
groups and themes against what was loaded. Each problem becomes a typed Finding; errors stop the build.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace

from observatory import format as nf
from observatory.config import Config
from observatory.model import Area, AreaRelation, Finding, Indicator, Observation, Period, Severity
from observatory.periods import main_period_kind, period_kind, publisher_label
from observatory.stats.judgements import Judgement

# GSS entity prefix (or pattern) -> area type, for areas the data names but the boundaries do not hold.
_PREFIX_TYPES = {
    "E06": "ltla", "W06": "ltla", "S12": "ltla", "N09": "ltla", "E07": "ltla", "E08": "ltla", "E09": "ltla",
    "E10": "cty", "E11": "mcty", "E12": "rgn", "E13": "london-part", "E92": "ctry", "W92": "ctry",
    "S92": "ctry", "N92": "ctry", "K02": "uk", "K03": "country-group", "K04": "country-group",
    "E47": "cauth", "E61": "gla", "E23": "pfa",
}  # fmt: skip
_UNITARY = ("E06", "W06", "S12", "N09")
_ITL = re.compile(r"^TL[A-N](?P<rest>[0-9A-Z]{0,2})$")
_NI_SOA = re.compile(r"^95[A-Z]{2}\d{2}S\d$")
# Entity types the reference geography is expected to cover completely (current or 2014+ areas).
_REFERENCE_TYPES = {"ltla", "cty", "rgn", "ctry", "uk"}


def type_of_code(code: str) -> tuple[str, tuple[str, ...]]:
    if m := _ITL.match(code):
        level = f"itl{len(m['rest']) + 1}"
        return level, (level,)
    if _NI_SOA.match(code):
        return "soa", ("soa",)
    area_type = _PREFIX_TYPES.get(code[:3], "other")
    types = ("ltla", "utla") if code[:3] in _UNITARY else (area_type,)
    return area_type, types


# ITL1 areas are the same land as England's regions and the UK's nations; some publishers key by ITL only
# (GVA per hour worked has England only as TLB). "same-as" relations let pages fall back honestly.
ITL1_SAME_AS = {
    "TLB": "E92000001", "TLC": "E12000001", "TLD": "E12000002", "TLE": "E12000003", "TLF": "E12000004",
    "TLG": "E12000005", "TLH": "E12000006", "TLI": "E12000007", "TLJ": "E12000008", "TLK": "E12000009",
    "TLL": "W92000004", "TLM": "S92000003", "TLN": "N92000002",
}  # fmt: skip


def same_as_relations(areas: list[Area]) -> list[AreaRelation]:
    codes = {a.code for a in areas}
    return [AreaRelation(itl, gss, "same-as") for itl, gss in ITL1_SAME_AS.items() if itl in codes and gss in codes]


def reconcile_areas(reference: list[Area], observations: Iterable[Observation]) -> tuple[list[Area], list[Finding]]:
    """Every area the data uses gets a record: the reference one, or one registered from the data."""
    known = {a.code: a for a in reference}
    named: dict[str, Observation] = {}
    for obs in observations:
        if obs.area_code not in known and obs.area_code not in named:
            named[obs.area_code] = obs
    findings: list[Finding] = []
    added: list[Area] = []
    for code, obs in sorted(named.items()):
        area_type, types = type_of_code(code)
        added.append(Area(code, obs.area_name or code, area_type, types, source="data"))
        if area_type in _REFERENCE_TYPES:
            findings.append(
                Finding(
                    "area.not-in-reference",
                    Severity.WARNING,
                    obs.source_file,
                    f"area {code} ({obs.area_name}) is not in the boundaries or lookups; "
                    "registered from the data with no parents or geometry",
                    row=obs.source_row,
                    column="areacd",
                    value=code,
                )
            )
    return reference + added, findings


def drop_duplicates(observations: list[Observation]) -> tuple[list[Observation], list[Finding]]:
    """One observation per indicator, area and period: exact repeats are dropped, conflicts are errors."""
    seen: dict[tuple[str, str, object, str | None], Observation] = {}
    kept: list[Observation] = []
    findings: list[Finding] = []
    for obs in observations:
        key = (obs.indicator, obs.area_code, obs.period.start, obs.period.duration)
        first = seen.get(key)
        if first is None:
            seen[key] = obs
            kept.append(obs)
            continue
        same = (first.value, first.lci_95, first.uci_95, first.status) == (
            obs.value,
            obs.lci_95,
            obs.uci_95,
            obs.status,
        )
        where = f"{first.source_file} row {first.source_row}"
        if same:
            findings.append(
                Finding(
                    "observation.duplicate",
                    Severity.WARNING,
                    obs.source_file,
                    f"repeats {where} ({obs.indicator}, {obs.area_code}, {obs.period.iso}) with the same "
                    "value; the repeat is skipped",
                    row=obs.source_row,
                    column="observation",
                    value=nf.exact(obs.value, "empty"),
                )
            )
        else:
            findings.append(
                Finding(
                    "observation.conflicting-duplicate",
                    Severity.ERROR,
                    obs.source_file,
                    f"{obs.indicator}, {obs.area_code}, {obs.period.iso} is also at {where} with a different "
                    f"value ({nf.exact(first.value, 'empty')} there, {nf.exact(obs.value, 'empty')} here); "
                    "which one is right?",
                    row=obs.source_row,
                    column="observation",
                    value=nf.exact(obs.value, "empty"),
                )
            )
    return kept, findings


def check_indicators(indicators: list[Indicator]) -> tuple[list[Indicator], list[Finding]]:
    """One record per slug; two datasets claiming the same indicator is an error to resolve upstream."""
    by_slug: dict[str, Indicator] = {}
    findings: list[Finding] = []
    for ind in indicators:
        first = by_slug.setdefault(ind.slug, ind)
        if first is not ind and first.dataset != ind.dataset:
            findings.append(
                Finding(
                    "indicator.in-two-datasets",
                    Severity.WARNING,
                    f"ons-els/{ind.dataset}",
                    f"indicator {ind.slug!r} is also published in dataset {first.dataset!r}; its metadata "
                    "is taken from the first",
                    column="indicator",
                    value=ind.label,
                )
            )
    return list(by_slug.values()), findings


def correct_units(
    indicators: list[Indicator], judgements: Mapping[str, Judgement]
) -> tuple[list[Indicator], list[Finding]]:
    """Apply reviewed unit corrections (metadata/indicators.toml) where a publisher's unit label is wrong."""
    out: list[Indicator] = []
    findings: list[Finding] = []
    for ind in indicators:
        j = judgements.get(ind.slug)
        if j is not None and (j.unit or j.measure) and (j.unit, j.measure) != (ind.unit, ind.measure):
            findings.append(
                Finding(
                    "indicator.unit-corrected",
                    Severity.INFO,
                    f"ons-els/{ind.dataset}",
                    f"{ind.slug}: the publisher labels it {ind.measure!r} / {ind.unit!r}; shown as "
                    f"{j.measure or ind.measure!r} / {j.unit or ind.unit!r} (reviewed: {j.note or 'see metadata'})",
                    column="unit",
                    value=ind.unit,
                )
            )
            suffix = None if ind.suffix == "%" or ind.unit == "%" else ind.suffix
            ind = replace(ind, unit=j.unit or ind.unit, measure=j.measure or ind.measure, suffix=suffix)
        out.append(ind)
    return out, findings


def label_periods(
    observations: list[Observation], judgements: Mapping[str, Judgement]
) -> tuple[list[Observation], list[Finding]]:
    """Relabel periods as their publisher names them, where the reviewed metadata says how (``period_label``).

    ``2025-04-01`` of the affordability ratio is the annual statistic "2025", not a day; ``2026-01-01`` of
    4G coverage is the January 2026 snapshot; DESNZ's electricity ``2024-02-01/P1Y`` is its "2024". The
    period itself (start and duration, as published) is kept; only its label changes. One INFO finding per
    relabelled indicator says so.
    """
    styles = {slug: j.period_label for slug, j in judgements.items() if j.period_label}
    if not styles:
        return observations, []
    cache: dict[tuple[Period, str], Period] = {}
    changed: dict[str, tuple[str, str]] = {}
    out: list[Observation] = []
    for o in observations:
        style = styles.get(o.indicator)
        if style is None:
            out.append(o)
            continue
        key = (o.period, style)
        period = cache.get(key)
        if period is None:
            label = publisher_label(o.period.start, o.period.duration, style, o.period.label)
            period = cache[key] = replace(o.period, label=label)
        if period.label != o.period.label:
            changed.setdefault(o.indicator, (o.period.label, period.label))
            o = replace(o, period=period)
        out.append(o)
    findings = [
        Finding(
            "period.publisher-label",
            Severity.INFO,
            "metadata/indicators.toml",
            f"{slug}: periods labelled as the publisher names them ({style} label), e.g. {old!r} → {new!r}",
            column="period_label",
            value=slug,
        )
        for slug, (old, new) in sorted(changed.items())
        for style in (styles[slug],)
    ]
    return out, findings


def check_period_types(observations: Iterable[Observation]) -> list[Finding]:
    """A WARNING for each indicator whose series mix period types (annual, three-year rolling, month, instant…).

    Such values are never compared with each other: trends and changes are computed within one type and
    "latest" is the latest period of the indicator's main type (the type most of its values have).
    """
    kinds: dict[str, Counter[str]] = {}
    mixed_areas: dict[str, set[str]] = {}
    per_series: dict[tuple[str, str], set[str]] = {}
    first_row: dict[tuple[str, str], Observation] = {}
    for o in observations:
        kind = period_kind(o.period.duration)
        kinds.setdefault(o.indicator, Counter())[kind] += 1
        per_series.setdefault((o.indicator, o.area_code), set()).add(kind)
        key = (o.indicator, kind)
        if key not in first_row:
            first_row[key] = o
    for (slug, area), ks in per_series.items():
        if len(ks) > 1:
            mixed_areas.setdefault(slug, set()).add(area)
    findings = []
    for slug, areas in sorted(mixed_areas.items()):
        counts = kinds[slug]
        main = main_period_kind(counts)
        others = sorted(k for k in counts if k != main)
        example = first_row[(slug, others[0])]
        mix = ", ".join(f"{k}: {counts[k]}" for k in sorted(counts))
        findings.append(
            Finding(
                "period.mixed-types",
                Severity.WARNING,
                example.source_file,
                f"{slug}: {len(areas)} area series mix period types ({mix}); "
                f"values of different types are never compared, and 'latest' is the latest {main} period",
                row=example.source_row or None,
                column="period",
                value=example.period.iso,
            )
        )
    return findings


def group_areas(config: Config, areas: list[Area]) -> tuple[list[Area], list[AreaRelation], list[Finding]]:
    """Groups from the config become areas of type 'group' whose members must exist."""
    codes = {a.code for a in areas}
    findings: list[Finding] = []
    new_areas: list[Area] = []
    relations: list[AreaRelation] = []
    for group in config.groups:
        if group.slug in codes:
            findings.append(
                Finding(
                    "config.group-code",
                    Severity.ERROR,
                    "observatory.toml",
                    "a group slug equals an area code",
                    column=f"groups.{group.slug}",
                )
            )
        new_areas.append(Area(group.slug, group.name, "group", ("group",), source="config"))
        for member in group.members:
            if member not in codes:
                findings.append(
                    Finding(
                        "config.unknown-member",
                        Severity.ERROR,
                        "observatory.toml",
                        f"group {group.slug!r} lists {member}, which is in no source",
                        column=f"groups.{group.slug}.members",
                        value=member,
                    )
                )
            relations.append(AreaRelation(member, group.slug, "member"))
    for code in [*config.areas_of_interest, *config.comparators]:
        if code not in codes:
            findings.append(
                Finding(
                    "config.unknown-area",
                    Severity.ERROR,
                    "observatory.toml",
                    f"{code} is in no source (check the code)",
                    column="areas_of_interest" if code in config.areas_of_interest else "comparators",
                    value=code,
                )
            )
    return new_areas, relations, findings


def check_themes(config: Config, indicators: list[Indicator]) -> list[Finding]:
    slugs = {i.slug for i in indicators}
    return [
        Finding(
            "config.unknown-indicator",
            Severity.WARNING,
            "observatory.toml",
            f"theme {theme.slug!r} lists {slug!r}, which no source provides in this build",
            column=f"themes.{theme.slug}.indicators",
            value=slug,
        )
        for theme in config.themes
        for slug in theme.indicators
        if slug not in slugs
    ]


def summarise(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.severity.value for f in findings)
    return {s.value: counts.get(s.value, 0) for s in Severity}
