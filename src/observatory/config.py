"""The deployment config (`observatory.toml`): areas of interest, groups, comparators, themes, sources.

Validated with pydantic so a mistake is reported by its key path (``sources.2.format: …``) rather
than surfacing later as a wrong page. The config's hash is recorded in every release.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_CONFIG = "observatory.toml"
AREA_CODE = r"^[A-Z0-9]{3,12}$"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

SourceFormat = Literal[
    "ons-els",
    "ons-boundaries",
    "ons-geography-lookups",
    "imd2019-lsoa",
    "iod-lad-summaries",
    "small-area-boundaries",
    "ons-gva-itl3",
    "ons-geography-lookups-2021",
    "nomis-uk-business-counts",
    "nomis-aps",
    "nomis-api-population",
    "dfe-apprenticeships",
    "census-od-travel-to-work",
]


class ConfigError(ValueError):
    """The config cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Group(_Strict):
    slug: Annotated[str, Field(pattern=SLUG)]
    name: str
    members: Annotated[list[Annotated[str, Field(pattern=AREA_CODE)]], Field(min_length=1)]
    description: str = ""


class Theme(_Strict):
    slug: Annotated[str, Field(pattern=SLUG)]
    name: str
    programme: bool = False  # one of the strategy's four programmes
    aim: str = ""
    indicators: list[Annotated[str, Field(pattern=SLUG)]] = []


class Source(_Strict):
    name: Annotated[str, Field(pattern=SLUG)]  # also the folder name under the sources directory
    format: SourceFormat
    publisher: str
    url: str  # the publisher's page for people
    download_base: str  # files are fetched from download_base + relative path
    licence: str = "OGL-UK-3.0"
    attribution: str = ""


class Deployment(_Strict):
    name: str
    short_name: str
    keep_releases: Annotated[int, Field(ge=1, le=1000)] = 10
    licence: str = "OGL-UK-3.0"


class Config(_Strict):
    deployment: Deployment
    areas_of_interest: Annotated[list[Annotated[str, Field(pattern=AREA_CODE)]], Field(min_length=1)]
    comparators: list[Annotated[str, Field(pattern=AREA_CODE)]]
    small_area_scope: list[Annotated[str, Field(pattern=AREA_CODE)]] = []  # empty: keep every small area
    groups: list[Group] = []
    themes: list[Theme] = []
    sources: Annotated[list[Source], Field(min_length=1)]
    hash: str = ""  # filled by load_config: sha256 of the normalised content

    @field_validator("areas_of_interest", "comparators")
    @classmethod
    def _unique(cls, codes: list[str]) -> list[str]:
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {', '.join(dupes)}")
        return codes

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        for label, items in (("groups", self.groups), ("themes", self.themes), ("sources", self.sources)):
            keys: list[str] = [str(getattr(i, "slug", None) or getattr(i, "name", "")) for i in items]
            dupes = sorted({k for k in keys if keys.count(k) > 1})
            if dupes:
                raise ValueError(f"{label}: duplicate name {', '.join(dupes)}")
        return self

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)

    def group(self, slug: str) -> Group | None:
        return next((g for g in self.groups if g.slug == slug), None)


def _key_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def parse_config(text: str, origin: str = DEFAULT_CONFIG) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from exc
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{origin}: {_key_path(first['loc'])}: {first['msg']}{more}") from exc
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
    return cfg.model_copy(update={"hash": digest})


def default_config_path() -> Path:
    return Path(os.environ.get("OBSERVATORY_CONFIG", DEFAULT_CONFIG))


def load_config(path: Path | None = None) -> Config:
    path = path or default_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    return parse_config(text, str(path))


def slugify(text: str) -> str:
    """Stable URL slug of a publisher's label ("Claimant Count" -> "claimant-count")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
