"""Data for /about, /methodology and /accessibility.

Mostly words, but kept as data like every other page: the about page is built from the release itself
(inputs with their sha256, findings, release id and hash) and the config (publishers, licences,
attributions), so what it says about the sources is exactly what the build read. The methodology page adds
each statistical method's own text from the release's ``methods`` table, written by the build from
``observatory.stats``, so the explanation and the computation live side by side.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

import duckdb

from observatory.config import Config
from observatory.release import read, schema
from observatory.web.data.common import LICENCE_URL

OGL = (
    "Contains public sector information licensed under the Open Government Licence v3.0. Source: Office for "
    "National Statistics and the other producers named on each indicator's page. Boundaries: contains OS data "
    "© Crown copyright and database right."
)
STATUS_CODES = (
    ("x", "Not available", "The producer does not publish a value for this area and period."),
    (
        "u",
        "Low reliability",
        "An estimate based on a small sample or a small base (also given where the "
        "publisher's note says the estimate is unreliable, e.g. an APS sample of 3–9); treat it with caution.",
    ),
    ("c", "Confidential", "Suppressed by the producer so that individuals or businesses cannot be identified."),
    ("z", "Not applicable", "The measure does not apply to this area or period."),
)
OTHER_INPUTS = {
    "metadata": "Reviewed metadata in the observatory's repository (judgements, neighbours)",
    "officers-uploads": "Councils' own data, uploaded by their officers and released after its embargo",
}


def about_page(cur: duckdb.DuckDBPyConnection, config: Config) -> dict[str, Any]:
    """The sources this release was built from, their licences and attributions, and the release's own facts."""
    release = read.release_info(cur)
    counts = json.loads(release.counts)
    inputs = [schema.INPUTS.as_dict(r) for r in sorted(read.inputs(cur), key=lambda r: (r.source or "", r.path or ""))]
    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in inputs:
        by_source[str(r["source"])].append(r)
    sources = []
    for s in config.sources:
        files = by_source.get(s.name, [])
        sources.append(
            {"name": s.name, "publisher": s.publisher, "url": s.url, "licence": s.licence,
             "licence_url": LICENCE_URL if s.licence.startswith("OGL") else None, "attribution": s.attribution,
             "files": files, "file_count": len(files), "bytes": sum(int(f["size"] or 0) for f in files)}
        )  # fmt: skip
    for name in sorted(set(by_source) - {s.name for s in config.sources}):
        files = by_source[name]
        sources.append(
            {"name": name, "publisher": OTHER_INPUTS.get(name, f"Other input: {name}"), "url": None, "licence": None,
             "licence_url": None, "attribution": "", "files": files, "file_count": len(files),
             "bytes": sum(int(f["size"] or 0) for f in files)}
        )  # fmt: skip
    producers = [{"producer": p, "indicators": n} for p, n in read.producer_counts(cur)]
    counted = read.finding_counts(cur)
    findings = [{"severity": f.severity, "rule": f.rule, "n": f.count, "example": f.example} for f in counted]
    table = [
        {"source": r["source"], "path": r["path"], "size": r["size"], "sha256": r["sha256"], "url": r["url"]}
        for r in inputs
    ]
    return {
        "title": "About the data",
        "this_release": {
            "id": release.id,
            "created": str(release.created),
            "content_hash": release.content_hash,
            "config_hash": release.config_hash,
            "version": release.observatory_version,
            "counts": counts,
        },
        "sources": sources,
        "producers": producers,
        "findings": findings,
        "findings_total": sum(f.count for f in counted),
        "licence": {"name": "Open Government Licence v3.0", "url": LICENCE_URL, "attribution": OGL},
        "table": table,
    }


GENERAL = (
    (
        "releases",
        "Releases",
        "Everything on this site comes from a release: an immutable snapshot of every indicator, area and value, "
        "built from the producers' own files and verified before it is published. Each release has an id (its UTC "
        "build time and the start of its content hash) and records the sha256 of every file it read. Every page "
        "names the release that served it, and any page can be pinned to an older release with ?release=ID.",
    ),
    (
        "periods",
        "Periods",
        "Producers give each value a reference period as an ISO 8601 interval (for example 2022-01-01/P1Y), a date, "
        "or a bare year. Each is turned into a start date, a duration and a label: 2022 for a calendar year, "
        "2023/24 for a financial or academic year, 2013–2015 for a three-year average, Apr 2025 for a month. "
        "Where that form would mislead, the label follows the producer's own naming, reviewed per indicator: an "
        "annual statistic published with a reference date is labelled by its year (the housing affordability "
        "ratio dated 2025-04-01 is the 2025 ratio; median weekly pay dated in April is that year's survey); a "
        "point-in-time snapshot is labelled by its month (broadband coverage dated 2026-01-01 is Jan 2026); and "
        "DESNZ's electricity and gas years are labelled as DESNZ names them (its 2024 electricity year runs from "
        "February 2024 to January 2025; its 2024 gas year from mid-May 2024 to mid-May 2025), with the exact span in "
        "the indicator's caveats. Periods that cannot be read are refused by the build, never guessed. A series "
        "that mixes period types (single years, three-year averages, financial years) is flagged by the build; "
        "values of different types are never compared in a change or a trend, and an indicator's latest value is "
        "the latest period of its main type. Where the latest value is missing or suppressed, the area page says "
        "so and shows the latest period that has a value, with that period's comparison and trend, labelled.",
    ),
    (
        "status-codes",
        "Missing and suppressed values",
        "A value can be missing for a reason the producer states in a status code. The site shows the code in "
        "square brackets and never fills the gap with an estimate.",
    ),
    (
        "confidence-intervals",
        "Confidence intervals",
        "Survey-based estimates (for example the employment rate from the Annual Population Survey) come with a "
        "95% confidence interval: the range within which the true value is likely to lie. Intervals are shown "
        "exactly as published, as shaded bands on charts and in brackets in tables. Where a published interval "
        "does not contain its own estimate the build warns about it and keeps the producer's figures.",
    ),
    (
        "comparators",
        "England, the region and Essex",
        "Each South Essex figure is shown beside England, the East of England and Essex for the same period. Some "
        "producers key England and the regions by their International Territorial Level code (TLB for England, "
        "TLH for the East of England) rather than the GSS code; the release records that these are the same area, "
        "and where an indicator has data only under one of the two codes the site uses it, under the familiar "
        "name.",
    ),
    (
        "group-values",
        "South Essex as a whole",
        "A value for South Essex is shown only where it can be computed honestly from the six authorities' own "
        "figures: a sum for counts, or the ratio of summed numerators and denominators where these are published. "
        "Rates, medians and indices are never averaged across the authorities; an average would weight a small "
        "authority like a large one. Where no honest group value exists, the six values are shown side by side.",
    ),
    (
        "revisions",
        "Revisions",
        "Producers revise figures as better data arrive. Each new release is compared with the one before: values "
        "added, removed and revised (value, interval or status) are listed on the What's changed page and "
        "downloadable in full. Older releases stay available for a time, so a figure quoted earlier can be traced.",
    ),
    (
        "age-of-figures",
        "How old a figure is, and the next release",
        "Each indicator page gives the time from the producer's publication date to the date this release was "
        "built, and how often the series is usually updated: the most common gap between the starts of its "
        "successive periods (yearly, quarterly, monthly). A figure older than that cycle is flagged, because a "
        "newer edition is probably out. The next release date is the producer's own where its metadata announces "
        "one; otherwise the page says it is not announced and gives the date the usual cycle would imply, as an "
        "estimate only.",
    ),
    (
        "rounding",
        "Rounding and how numbers are written",
        "Every figure is stored exactly as the producer published it and shown to the producer's own number of "
        "decimal places, rounded half away from zero as ONS tables and spreadsheets do: a median weekly pay of "
        "650.5 is shown as £651 and 41.25 to one decimal place as 41.3. A value that rounds to zero is written "
        'without a minus sign. Missing values read "no data". Units are written the same way everywhere: money in '
        'millions as "£937 million", percentages with "%". Where a sentence says one number lies above or '
        "below another (for example England's value below an area's confidence interval) and the published "
        "decimals would make them look equal, the sentence shows as many more decimal places as the difference "
        "needs (7.79 below 7.81–8.70, not 7.8 below 7.8–8.7). Downloads (CSV, JSON, XLSX, the API) carry the "
        "unrounded values.",
    ),
    (
        "ranges",
        "The range across authorities",
        "Area pages show the range of values across English local authorities (current lower-tier codes E06, E07, "
        "E08 and E09) for the same period: the lowest, the middle half (25th to 75th percentile) and the highest.",
    ),
    (
        "peer-sets",
        "Ranks and their peers",
        "Every rank on the site — in a sentence, on an area page or in an indicator's ranked table — is among the "
        "same peers: English lower-tier local authorities (codes E06, E07, E08 and E09) with a value for the same "
        "period as the value ranked, and the number of peers is stated beside it. An authority whose GSS code "
        "changed is followed through its successor code (in 2025 Barnsley E08000016 became E08000038 and Sheffield "
        "E08000019 became E08000039), so it stays in the ranking whichever code the producer used. Authorities in "
        "Wales, Scotland and Northern Ireland appear on maps and in ranked tables after the English ones, unranked. "
        "Totals (counts of businesses, £ million) are never set beside England's total as a benchmark.",
    ),
    (
        "places",
        "Postcodes, wards and named neighbourhoods",
        "Wards are those of May 2025 and neighbourhoods the 2021 middle-layer super output areas (MSOAs), named by "
        "the House of Commons Library with the ONS code beside. A postcode is placed by its centroid in the ONS "
        "National Statistics Postcode Lookup (May 2025), by point-in-polygon in the 2021 boundaries, so a postcode "
        "near a boundary can straddle it. The Indices of Deprivation 2019 were published for 2011 LSOAs: each is "
        "carried to a 2021 LSOA by the ONS best-fit lookup, and each 2021 LSOA belongs to its MSOA and to the ward "
        "holding most of its area. A ward's or neighbourhood's share of residents in England's most deprived 10% is "
        "the mid-2015 population (the IoD2019 denominators) of its 2011 LSOAs in decile 1 over the population of all "
        "of them: a ratio of sums. The deciles describe the 2011 LSOAs, not the ward as a whole. Seven 2021 LSOAs "
        "split from a 2011 LSOA are the best fit of none and carry no value of their own. Towns without a ward or "
        "parish of their own (Leigh-on-Sea, Benfleet, Hadleigh, Shoeburyness, Corringham) are the wards or "
        "neighbourhoods named after them, declared in the observatory's configuration.",
    ),
)


def release_methods(cur: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    """The methods this release's statistics were computed with (its ``methods`` table)."""
    return [{"id": m.method, "module": "release", "title": m.title, "text": m.description} for m in read.methods(cur)]


def methodology_page(cur: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """How the figures are read, compared and revised; the statistical methods of this release.

    The methods come from the release itself, so an older release explains the methods it was computed with.
    """
    general = [{"id": key, "title": title, "text": text} for key, title, text in GENERAL]
    statuses = [{"code": c, "label": label, "text": text} for c, label, text in STATUS_CODES]
    methods = release_methods(cur)
    table = [{"section": g["id"], "title": g["title"], "text": g["text"]} for g in general]
    table += [{"section": f"status-{s['code']}", "title": s["label"], "text": s["text"]} for s in statuses]
    table += [{"section": m["id"], "title": m["title"], "text": m["text"]} for m in methods]
    return {"title": "Methodology", "general": general, "statuses": statuses, "methods": methods, "table": table}


PREPARED = dt.date(2026, 11, 26)
KNOWN_ISSUES = (
    (
        "Charts and maps",
        "Charts and maps are images with a text description; the exact numbers behind each one are in a table "
        "directly below it. Colour is never the only way information is shown, but a few labels on crowded maps "
        "can overlap at high zoom.",
    ),
    (
        "Wide tables",
        "Tables with many areas scroll sideways on small screens. Each scrolling table can be reached and scrolled "
        "with the keyboard.",
    ),
    (
        "Producers' documents",
        "Links to producers' own releases (for example spreadsheets on ons.gov.uk) lead to documents this site "
        "does not control and that may not be fully accessible.",
    ),
)


def accessibility_page(config: Config) -> dict[str, Any]:
    """The accessibility statement, in the model of GOV.UK's sample statement."""
    issues = [{"title": t, "text": text} for t, text in KNOWN_ISSUES]
    return {
        "title": "Accessibility statement",
        "site": config.deployment.name,
        "standard": "Web Content Accessibility Guidelines version 2.2 AA",
        "status": "partially compliant",
        "issues": issues,
        "prepared": PREPARED.isoformat(),
        "reviewed": PREPARED.isoformat(),
        "table": [{"issue": i["title"], "detail": i["text"]} for i in issues],
    }
