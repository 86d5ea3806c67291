"""Judgement metadata: polarity, comparison method and aggregation rule for each indicator.

The rules live in a reviewed file in the repository (``metadata/indicators.toml``), validated against
``metadata/indicators.schema.json``: a statistician's decision, not something inferred from labels at run
time. An indicator without an entry gets the safe default ("no-judgement", "not-aggregable", "rank"),
flagged ``reviewed=False`` so pages can say so rather than guess.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import jsonschema

from observatory.model import Finding, Severity

Polarity = Literal["higher-better", "lower-better", "no-judgement"]
Aggregation = Literal["sum", "ratio", "weighted-mean", "not-aggregable"]
ComparisonMethod = Literal["ci-overlap", "rank"]
PeriodLabel = Literal["year", "month"]

PUBLISHED = "published"  # ratio numerator/denominator taken from the observation's own columns
METADATA_ENV = "OBSERVATORY_METADATA"
INDICATORS_FILE = "indicators.toml"
SCHEMA_FILE = "indicators.schema.json"


class JudgementError(ValueError):
    """The judgement file cannot be used; the message names the file, the indicator slug and the field."""


@dataclass(frozen=True, slots=True)
class Judgement:
    slug: str
    polarity: Polarity = "no-judgement"
    aggregation: Aggregation = "not-aggregable"
    comparison: ComparisonMethod = "rank"
    numerator: str | None = None
    denominator: str | None = None
    multiplier: float = 1.0
    weight: str | None = None
    note: str | None = None
    unit: str | None = None  # a reviewed correction of the publisher's unit (e.g. a ratio labelled "%")
    measure: str | None = None
    period_label: PeriodLabel | None = None  # how the publisher names its periods, where the ISO form misleads
    prices: str | None = None  # "current": money in cash terms, never judged on its cash values over time
    no_benchmark: str | None = None  # why England's figure is no benchmark for an authority's: not compared
    not_comparable_over_time: str | None = None  # why periods (editions) are not comparable: no change, no trend
    reviewed: bool = True  # False: no entry in the metadata file, so the safe default applies

    @property
    def is_total(self) -> bool:
        """A size-dependent total: comparing it with England's value would be meaningless."""
        return self.aggregation == "sum"


def default_judgement(slug: str) -> Judgement:
    return Judgement(
        slug=slug,
        reviewed=False,
        note="No reviewed judgement metadata for this indicator: no judgement and no group value are made.",
    )


def judgement_for(judgements: Mapping[str, Judgement], slug: str) -> Judgement:
    return judgements.get(slug) or default_judgement(slug)


def default_metadata_dir() -> Path:
    """``$OBSERVATORY_METADATA``, else the reviewed ``metadata/`` folder shipped inside the package."""
    env = os.environ.get(METADATA_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "metadata"


def load_schema(path: Path | None = None) -> dict[str, Any]:
    path = path or default_metadata_dir() / SCHEMA_FILE
    return cast(dict[str, Any], json.loads(path.read_text(encoding="utf-8")))


def _describe(error: jsonschema.ValidationError) -> tuple[str | None, str | None, str]:
    """(slug, field, message) of one schema error, so the message can name both."""
    path = [str(p) for p in error.absolute_path]
    slug = path[1] if len(path) >= 2 and path[0] == "indicators" else None
    field = path[2] if len(path) >= 3 else None
    message = error.message
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = [p for p in cast(list[str], error.validator_value) if p not in instance]
        field = field or (missing[0] if missing else None)
        if "then" in error.schema_path:
            message = f"is required when aggregation is {instance.get('aggregation')!r}"
        else:
            message = "is required"
    elif error.validator == "not" and isinstance(instance, dict):
        extra = [p for p in ("numerator", "denominator", "multiplier", "weight") if p in instance]
        field = field or (extra[0] if extra else None)
        message = f"is not allowed when aggregation is {instance.get('aggregation')!r}"
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(cast(dict[str, Any], error.schema.get("properties", {})))
        extra = sorted(set(instance) - allowed)
        if slug is None and len(path) == 1 and path[0] == "indicators":
            slug = extra[0] if extra else None
        else:
            field = field or (extra[0] if extra else None)
            message = "is not a known field"
    elif error.validator == "pattern" and path[:1] == ["indicators"] and len(path) == 1:
        slug = str(instance)
        message = "is not a valid indicator slug"
    return slug, field, message


def validate_document(data: Mapping[str, Any], schema: Mapping[str, Any], origin: str = INDICATORS_FILE) -> list[str]:
    """Every schema error as one line naming the file, the indicator slug and the field."""
    validator = jsonschema.Draft202012Validator(schema)
    lines = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        slug, field, message = _describe(error)
        where = [origin]
        if slug:
            where.append(f"indicator {slug!r}")
        if field:
            where.append(f"field {field!r}")
        elif not slug and error.absolute_path:
            where.append(".".join(str(p) for p in error.absolute_path))
        lines.append(f"{': '.join(where)}: {message}")
    return lines


def parse_judgements(
    data: Mapping[str, Any], schema: Mapping[str, Any], origin: str = INDICATORS_FILE
) -> dict[str, Judgement]:
    errors = validate_document(data, schema, origin)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise JudgementError(errors[0] + more)
    out: dict[str, Judgement] = {}
    for slug, entry in cast(dict[str, dict[str, Any]], data["indicators"]).items():
        out[slug] = Judgement(
            slug=slug,
            polarity=entry["polarity"],
            aggregation=entry["aggregation"],
            comparison=entry["comparison"],
            numerator=entry.get("numerator"),
            denominator=entry.get("denominator"),
            multiplier=float(entry.get("multiplier", 1.0)),
            weight=entry.get("weight"),
            note=entry.get("note"),
            unit=entry.get("unit"),
            measure=entry.get("measure"),
            period_label=entry.get("period_label"),
            prices=entry.get("prices"),
            no_benchmark=entry.get("no_benchmark"),
            not_comparable_over_time=entry.get("not_comparable_over_time"),
        )
    return out


def load_judgements(path: Path | None = None) -> dict[str, Judgement]:
    """Read and validate the judgement file (default: ``metadata/indicators.toml``)."""
    path = path or default_metadata_dir() / INDICATORS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise JudgementError(f"{path}: judgement metadata file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise JudgementError(f"{path}: not valid TOML: {exc}") from exc
    schema_path = path.with_name(SCHEMA_FILE)
    if not schema_path.is_file():
        schema_path = default_metadata_dir() / SCHEMA_FILE
    return parse_judgements(data, load_schema(schema_path), str(path))


def check_against_release(
    judgements: Mapping[str, Judgement], release_slugs: Iterable[str], origin: str = f"metadata/{INDICATORS_FILE}"
) -> list[Finding]:
    """Entries naming slugs the release lacks are warnings; release indicators without an entry are info."""
    slugs = set(release_slugs)
    findings: list[Finding] = []
    for slug, j in sorted(judgements.items()):
        if slug not in slugs:
            findings.append(
                Finding(
                    "judgement.unknown-indicator",
                    Severity.WARNING,
                    origin,
                    f"judgement metadata names indicator {slug!r}, which is not in this release",
                    column=slug,
                    value=slug,
                )
            )
        for field, ref in (("weight", j.weight), ("numerator", j.numerator), ("denominator", j.denominator)):
            if ref is not None and ref != PUBLISHED and ref not in slugs:
                findings.append(
                    Finding(
                        "judgement.unknown-reference",
                        Severity.WARNING,
                        origin,
                        f"indicator {slug!r}: {field} {ref!r} is not an indicator in this release; "
                        "its group values are reported as not computable",
                        column=field,
                        value=ref,
                    )
                )
    for slug in sorted(slugs - set(judgements)):
        findings.append(
            Finding(
                "judgement.missing",
                Severity.INFO,
                origin,
                f"indicator {slug!r} has no reviewed judgement metadata: treated as no-judgement, not-aggregable",
                column=slug,
                value=slug,
            )
        )
    return findings
