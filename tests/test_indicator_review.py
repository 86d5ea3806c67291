"""Every indicator's subtitle and polarity, checked against what its publisher's file says (#10 item 9).

- Subtitle: an ONS Explore Local Statistics indicator shows the publisher's own ``subtitle`` from the
  dataset's JSON metadata, word for word; every other indicator has a one-line definition too.
- Polarity: the direction that is better follows from what the publisher says the figure measures. The
  wellbeing scales state their ends in the CSV's ``measure`` column ("0 is 'not at all anxious' and 10 is
  'completely anxious'"); the IoD files state that rank 1 is the most deprived and that a higher score is
  more deprived; for the rest, the publisher's subtitle names either an outcome people want (survival,
  employment, coverage, attainment, healthy years …) or one they do not (obesity, smoking, mortality,
  unemployment, poverty, absence, emissions, travel time …). Each judged indicator must match exactly
  one such reading of its own subtitle, so a new indicator cannot be judged without a reviewed reading.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from observatory.store import Store
from tests.conftest import SHARED

pytestmark = pytest.mark.slow

ELS = SHARED / "ons-els"

# What the publisher's subtitle says is measured → which direction is better. First match wins.
UNWANTED = (
    "obesity", "smoke cigarettes", "mortality", "absent", "unemploy", "not in employment", "relative low income",
    "homicide", "greenhouse gas emissions", "do not have access", "travel time", "no qualifications",
    "median house price to median", "claiming unemployment", "without a job",
)  # fmt: skip
WANTED = (
    "survived", "in employment", "coverage", "expected level", "expected standard", "achieving", "good health",
    "happiness", "life satisfaction", "worthwhile", "level 3 or above", "engaging with the arts", "visiting",
    "within a 30 minute walk", "programme starts", "programme achievements", "participating", "value added",
    "income per person", "gross median weekly pay", "newly registered", "growth in employment", "chargers",
    "museums per", "sports facilities per", "net additions", "diagnosed at stages 1 and 2",
)  # fmt: skip


def _release(store: Store) -> tuple[dict[str, tuple[str, str | None]], dict[str, str]]:
    with store.open() as con:
        labels = {r[1]: (r[0], r[2]) for r in con.execute("SELECT slug, label, subtitle FROM indicators").fetchall()}
        polarity = dict(con.execute("SELECT indicator, polarity FROM indicator_judgements").fetchall())
    return labels, polarity


def _els_blocks() -> list[tuple[Path, dict[str, Any]]]:
    """(dataset folder, indicator metadata block) for every indicator in the ELS JSON files."""
    out = []
    for path in sorted(ELS.glob("*/*.json")):
        meta = json.loads(path.read_text(encoding="utf-8-sig")).get("ess-beta-metadata")
        if meta is None:  # the small-area GVA folder's files are a different (schema.org) metadata
            continue
        blocks = [meta] if "label" in meta else [v for k, v in meta.items() if k != "shared" and isinstance(v, dict)]
        out += [(path.parent, b) for b in blocks]
    return out


@pytest.fixture(scope="module")
def release(full_build: Any) -> tuple[dict[str, tuple[str, str | None]], dict[str, str]]:
    return _release(full_build[0])


def test_els_subtitles_are_the_publishers_word_for_word(release: Any) -> None:
    labels, _ = release
    checked = 0
    for folder, block in _els_blocks():
        if block["label"] not in labels:
            assert not list(folder.glob("*.csv")), f"{folder.name}: {block['label']} has data but is not released"
            continue
        _, subtitle = labels[block["label"]]
        assert subtitle == (block.get("subtitle") or None), block["label"]
        checked += 1
    assert checked >= 85  # 89 ELS indicators with data in this copy


def test_every_indicator_has_a_one_line_definition(release: Any) -> None:
    labels, _ = release
    missing = sorted(slug for slug, subtitle in labels.values() if not subtitle)
    assert missing == []
    for slug, subtitle in labels.values():
        assert subtitle is not None and "\n" not in subtitle, slug


def _scale_tops() -> set[str]:
    """The top ends of the wellbeing scales, from the CSV's own ``measure`` column."""
    path = ELS / "personal-wellbeing-estimates" / "personal-wellbeing-estimates.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        measures = {r["measure"] for r in csv.DictReader(fh)}
    return {m.group(1) for text in measures if (m := re.search(r"10 is 'completely (\w+)'", text))}


def test_polarities_follow_what_each_publisher_says_is_measured(release: Any) -> None:
    labels, polarity = release
    tops = _scale_tops()
    assert tops == {"anxious", "happy", "satisfied", "worthwhile"}
    checked = 0
    for _folder, block in _els_blocks():
        if block["label"] not in labels:
            continue
        slug, _ = labels[block["label"]]
        got = polarity.get(slug, "no-judgement")
        text = (block.get("subtitle") or "").lower()
        scale = re.search(r"10 = 'completely (\w+)'", text)
        if scale:  # a 0–10 rating: better is towards the end people want
            assert scale.group(1) in tops
            assert got == ("lower-better" if scale.group(1) == "anxious" else "higher-better"), slug
            checked += 1
            continue
        if got == "no-judgement":
            continue
        bad = [w for w in UNWANTED if w in text]
        good = [w for w in WANTED if w in text]
        assert bad or good, f"{slug}: judged {got}, but no reviewed reading of its subtitle {text!r}"
        expected = "lower-better" if bad else "higher-better"
        assert got == expected, f"{slug}: {got}, but the publisher says it measures {text!r} ({bad or good})"
        checked += 1
    assert checked >= 50


def test_deprivation_directions_follow_the_iod_files(release: Any, full_build: Any) -> None:
    """IoD2019 LSOA file: rank 1 = most deprived; decile 1 = most deprived 10% (File 1 of MHCLG's release)."""
    path = SHARED / "imd2019-lsoa" / "DERIVED_IMD2019_south_essex_lsoa11.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)" in header
    assert "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)" in header
    _, polarity = release
    with full_build[0].open() as con:
        slugs = [r[0] for r in con.execute("SELECT slug FROM indicators WHERE dataset = 'imd2019-lsoa'").fetchall()]
    ranks = [s for s in slugs if s.endswith(("-rank", "-decile"))]
    assert ranks
    assert all(polarity[s] == "higher-better" for s in ranks)  # a higher rank or decile is less deprived
    shares = [s for s in slugs if "most-deprived" in s]
    assert shares and all(polarity[s] == "lower-better" for s in shares)
