"""Machine-readable catalogue: DCAT 2 as JSON-LD at /catalog.jsonld, and schema.org ``Dataset`` per indicator.

Harvesters (data.gov.uk-style portals, Google Dataset Search) find every indicator, its licence, its
temporal coverage and a download in each format without scraping pages. ``modified`` is the creation time
of the release serving the catalogue, since that is when the data last changed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from observatory import format as nf
from observatory.web.data.api_data import licence_of
from observatory.web.formats import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, script_json

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
}
IANA = "https://www.iana.org/assignments/media-types/"


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value).replace(" ", "T")


def _typed(value: object, xsd: str) -> dict[str, str] | None:
    text = _iso(value)
    return None if text is None else {"@value": text, "@type": f"xsd:{xsd}"}


def distributions(base: str, slug: str) -> list[tuple[str, str, str]]:
    """(title, URL, media type) of each download of one indicator."""
    api = f"{base}/api/v1/observations?indicator={quote(slug)}"
    return [
        ("CSV", f"{api}&format=csv", "text/csv"),
        ("JSON", f"{api}&format=json", "application/json"),
        ("JSON-stat 2.0", f"{api}&format=jsonstat", "application/json"),
        ("Excel workbook (XLSX)", f"{api}&format=xlsx", XLSX_MEDIA_TYPE),
    ]


def _dcat_dataset(ind: Mapping[str, Any], base: str, created: object, release_id: str) -> dict[str, Any]:
    slug = str(ind["slug"])
    licence = licence_of(ind.get("licence"))["url"] or None
    dataset: dict[str, Any] = {
        "@id": f"{base}/indicators/{slug}",
        "@type": "dcat:Dataset",
        "dct:identifier": slug,
        "dct:title": ind["label"],
        "dct:description": ind.get("description") or ind.get("subtitle") or ind["label"],
        "dcat:keyword": list(ind.get("themes") or []),
        "dcat:landingPage": {"@id": f"{base}/indicators/{slug}"},
        "dct:publisher": {
            "@type": "foaf:Organization",
            "foaf:name": nf.organisations(ind.get("source_org"), "Unknown"),
        },
        "dct:license": {"@id": licence} if licence else ind.get("licence"),
        "dct:modified": _typed(created, "dateTime"),
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _typed(ind.get("first_period"), "date"),
            "dcat:endDate": _typed(ind.get("last_period"), "date"),
        },
        "dct:hasVersion": release_id,
        "dcat:distribution": [
            {
                "@type": "dcat:Distribution",
                "dct:title": title,
                "dcat:accessURL": {"@id": url},
                "dcat:downloadURL": {"@id": url},
                "dcat:mediaType": {"@id": IANA + media},
                "dct:license": {"@id": licence} if licence else None,
            }
            for title, url, media in distributions(base, slug)
        ],
    }
    if ind.get("source_date"):
        dataset["dct:issued"] = _typed(ind["source_date"], "date")
    if ind.get("source_url"):
        dataset["dct:source"] = {"@id": ind["source_url"]}
    return dataset


def dcat_catalog(
    indicators: Sequence[Mapping[str, Any]], *, base: str, title: str, release_id: str, created: object
) -> dict[str, Any]:
    """The whole catalogue: one ``dcat:Dataset`` per indicator plus the release's bulk files."""
    base = base.rstrip("/")
    bulk = f"{base}/api/v1/releases/{release_id}"
    everything = {
        "@id": f"{base}/api/v1/releases/{release_id}",
        "@type": "dcat:Dataset",
        "dct:identifier": f"observations-{release_id}",
        "dct:title": f"{title}: every observation in release {release_id}",
        "dct:description": "Every observation of every indicator in one tidy table (the columns of "
        "`observatory export`).",
        "dct:modified": _typed(created, "dateTime"),
        "dct:license": {"@id": licence_of("OGL-UK-3.0")["url"]},
        "dcat:distribution": [
            {"@type": "dcat:Distribution", "dct:title": "CSV (gzip)",
             "dcat:downloadURL": {"@id": f"{bulk}/observations.csv.gz"}, "dcat:mediaType": {"@id": IANA + "text/csv"},
             "dcat:compressFormat": {"@id": IANA + "application/gzip"}},
            {"@type": "dcat:Distribution", "dct:title": "Parquet",
             "dcat:downloadURL": {"@id": f"{bulk}/observations.parquet"}, "dct:format": "Apache Parquet"},
            {"@type": "dcat:Distribution", "dct:title": "CSVW metadata",
             "dcat:downloadURL": {"@id": f"{bulk}/observations.csv-metadata.json"},
             "dcat:mediaType": {"@id": IANA + "application/csvm+json"}},
        ],
    }  # fmt: skip
    return {
        "@context": CONTEXT,
        "@id": f"{base}/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": title,
        "dct:description": f"Open statistics published by the {title}, release {release_id}.",
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": title},
        "dct:license": {"@id": licence_of("OGL-UK-3.0")["url"]},
        "dct:modified": _typed(created, "dateTime"),
        "foaf:homepage": {"@id": f"{base}/"},
        "dcat:service": {
            "@type": "dcat:DataService",
            "dct:title": f"{title} API",
            "dcat:endpointURL": {"@id": f"{base}/api/v1"},
            "dcat:endpointDescription": {"@id": f"{base}/api/v1/openapi.json"},
        },
        "dcat:dataset": [*(_dcat_dataset(i, base, created, release_id) for i in indicators), everything],
        "release": release_id,
    }


def indicator_dataset(
    ind: Mapping[str, Any], *, base: str, site: str, release_id: str, created: object
) -> dict[str, Any]:
    """schema.org ``Dataset`` for one indicator (what search engines read from the indicator page)."""
    base = base.rstrip("/")
    slug = str(ind["slug"])
    licence = licence_of(ind.get("licence"))["url"] or ind.get("licence")
    first, last = ind.get("first_period"), ind.get("last_period")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": f"{base}/indicators/{slug}",
        "url": f"{base}/indicators/{slug}",
        "identifier": slug,
        "name": ind["label"],
        "description": ind.get("description") or ind.get("subtitle") or ind["label"],
        "license": licence,
        "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": nf.organisations(ind.get("source_org"), "Unknown"),
                    **({"url": ind["source_url"]} if ind.get("source_url") else {})},
        "publisher": {"@type": "Organization", "name": site, "url": f"{base}/"},
        "keywords": list(ind.get("themes") or []),
        "dateModified": _iso(created),
        "version": release_id,
        "variableMeasured": {"@type": "PropertyValue", "name": ind["label"], "unitText": ind.get("unit") or ""},
        "spatialCoverage": {"@type": "Place", "name": "United Kingdom"},
        "distribution": [
            {"@type": "DataDownload", "name": title, "contentUrl": url,
             "encodingFormat": CSV_MEDIA_TYPE.split(";")[0] if media == "text/csv" else media}
            for title, url, media in distributions(base, slug)
        ],
    }  # fmt: skip
    if first is not None and last is not None:
        data["temporalCoverage"] = f"{_iso(first)}/{_iso(last)}"
    if ind.get("source_date"):
        data["datePublished"] = _iso(ind["source_date"])
    return data


def indicator_jsonld(ind: Mapping[str, Any], *, base: str, site: str, release_id: str, created: object) -> str:
    """The schema.org ``Dataset`` as text safe inside ``<script type="application/ld+json">``."""
    return script_json(indicator_dataset(ind, base=base, site=site, release_id=release_id, created=created))
