"""The tables of a release file, and the canonical content hash over them.

One DuckDB file per release. Observations are stored sorted by indicator, area and period so DuckDB's
zone maps keep per-request cost independent of the total size of the release.
"""

from __future__ import annotations

SCHEMA = """
CREATE TABLE release_info (
  id VARCHAR NOT NULL, created TIMESTAMP NOT NULL, content_hash VARCHAR NOT NULL, config_hash VARCHAR NOT NULL,
  counts VARCHAR NOT NULL, observatory_version VARCHAR NOT NULL, sources_dir VARCHAR
);
CREATE TABLE inputs (source VARCHAR, path VARCHAR, size BIGINT, sha256 VARCHAR, url VARCHAR);
CREATE TABLE findings (
  rule VARCHAR, severity VARCHAR, file VARCHAR, "row" INTEGER, "column" VARCHAR, value VARCHAR, message VARCHAR
);
CREATE TABLE indicators (
  slug VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, dataset VARCHAR NOT NULL, subtitle VARCHAR,
  description VARCHAR, caveats VARCHAR, measure VARCHAR, unit VARCHAR, prefix VARCHAR, suffix VARCHAR,
  decimals INTEGER, source_org VARCHAR, source_url VARCHAR, source_date DATE, experimental BOOLEAN,
  standardised BOOLEAN, licence VARCHAR, themes VARCHAR[],
  observations INTEGER, areas INTEGER, first_period DATE, last_period DATE
);
CREATE TABLE areas (
  code VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, type VARCHAR NOT NULL, types VARCHAR[],
  valid_from INTEGER, valid_to INTEGER, source VARCHAR, welsh_name VARCHAR
);
CREATE TABLE area_relations (code VARCHAR NOT NULL, parent VARCHAR NOT NULL, relation VARCHAR NOT NULL);
CREATE TABLE area_geometry (code VARCHAR PRIMARY KEY, geojson VARCHAR NOT NULL);
CREATE TABLE observations (
  indicator VARCHAR NOT NULL, area_code VARCHAR NOT NULL, period VARCHAR NOT NULL, period_start DATE NOT NULL,
  period_duration VARCHAR, period_label VARCHAR NOT NULL, value DOUBLE, lci_95 DOUBLE, uci_95 DOUBLE,
  numerator DOUBLE, denominator DOUBLE, status VARCHAR, notes VARCHAR, source_file VARCHAR, source_row INTEGER
);
"""

# Each series' latest observation, precomputed so "latest" queries do not scan every period.
LATEST_OBSERVATIONS_SQL = (
    "CREATE TABLE latest_observations AS SELECT * FROM observations QUALIFY row_number() OVER "
    "(PARTITION BY indicator, area_code ORDER BY period_start DESC, period_duration DESC NULLS LAST) = 1 "
    "ORDER BY indicator, area_code"
)

# What "the same content" means: the data users see, not where or when it was built.
_PARTS = {
    "indicators": (
        "slug",
        "concat_ws('|', slug, label, dataset, subtitle, description, caveats, measure, unit, prefix, suffix,"
        " decimals, source_org, source_url, source_date, experimental, standardised, licence, themes::VARCHAR)",
    ),
    "areas": ("code", "concat_ws('|', code, name, type, types::VARCHAR, valid_from, valid_to, welsh_name)"),
    "area_relations": ("code, relation, parent", "concat_ws('|', code, relation, parent)"),
    "area_geometry": ("code", "concat_ws('|', code, geojson)"),
    "indicator_judgements": (
        "indicator",
        "concat_ws('|', indicator, polarity, aggregation, comparison, numerator, denominator, multiplier, weight,"
        " note, reviewed)",
    ),
    "lsoa21": ("code", "concat_ws('|', code, name, msoa21, ward, ward_share, authority, geojson)"),
    "lsoa11_to_lsoa21": ("lsoa11", "concat_ws('|', lsoa11, lsoa21)"),
    "postcodes": ("postcode", "concat_ws('|', postcode, lat, long, lsoa21, msoa21, ward, authority, in_scope)"),
    "named_places": ("slug", "concat_ws('|', slug, name, origin, authority, wards::VARCHAR, neighbourhoods::VARCHAR)"),
    "place_search": (
        "key, kind, url, name, code",
        "concat_ws('|', key, name, kind, code, url, authority, south_essex)",
    ),
    "observations": (
        "indicator, area_code, period",
        "concat_ws('|', indicator, area_code, period, value, lci_95, uci_95, numerator, denominator, status, notes)",
    ),
}


def content_hash_sql() -> str:
    """One sha256 over every table's rows in a fixed order (coalesce keeps empty tables hashable)."""
    parts = [
        f"(SELECT sha256(coalesce(string_agg({expr}, chr(10) ORDER BY {order}), '')) FROM {table})"  # noqa: S608 (constants only)
        for table, (order, expr) in _PARTS.items()
    ]
    return f"SELECT sha256(concat_ws(':', {', '.join(parts)}))"
