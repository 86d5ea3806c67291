"""Data for /search: indicators and areas, typo-tolerant and ranked (rapidfuzz).

People type what they mean, not the publisher's label: "productivity" is GVA per hour worked, "wages" is
median pay. A short list of synonyms bridges that gap; fuzzy matching (WRatio) forgives typos
("productvity", "basldon"); an exact code or slug always comes first. The search lists are built once per
release and kept, so as-you-type requests stay cheap.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
from rapidfuzz import fuzz, process, utils

from observatory.release import read
from observatory.web.data.areas import type_label
from observatory.web.data.places import POSTCODE_NOTE, load_places, place_results, postcode_area, postcode_lookup
from observatory.web.errors import BadRequest

MAX_QUERY = 100
LIMIT = 10
CUTOFF = 72.0
RELATIVE = 0.85  # a result scoring well below the best one is noise ("South Norfolk" for "southend")
SEARCH_COLUMNS = ["kind", "label", "detail", "code", "url", "score"]  # the .csv header, also when nothing is found
# What people call things, by a fragment of the indicator slug.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "gross-value-added": ("productivity", "GVA", "output", "economy"),
    "gross-median-weekly-pay": ("wages", "earnings", "salary", "income"),
    "gross-disposable-household-income": ("income", "GDHI", "living standards"),
    "employment-rate": ("jobs", "employment", "work"),
    "unemployment": ("jobless", "out of work"),
    "claimant-count": ("unemployment benefit", "jobseekers", "universal credit"),
    "economically-inactive": ("inactivity", "not working"),
    "business-births": ("start-ups", "new businesses", "enterprise"),
    "business-deaths": ("closures", "business failures"),
    "survival-rate": ("business survival",),
    "housing-affordability": ("house prices", "affordability", "housing costs"),
    "net-additions-to-the-housing-stock": ("house building", "new homes", "housing supply"),
    "gigabit": ("broadband", "internet", "full fibre", "digital"),
    "premises-below-30mbps": ("slow broadband", "internet", "digital"),
    "4g-coverage": ("mobile signal", "digital"),
    "5g-coverage": ("mobile signal", "digital"),
    "greenhouse-gas-emissions": ("carbon", "CO2", "climate", "net zero"),
    "electric-vehicle": ("EV", "charging points", "electric cars"),
    "apprenticeship": ("apprentices", "skills", "training"),
    "qualifications": ("skills", "education"),
    "further-education": ("FE", "college", "skills"),
    "life-expectancy": ("health", "longevity"),
    "obesity": ("overweight", "health"),
    "smokers": ("smoking", "tobacco"),
    "poverty": ("deprivation", "low income"),
    "research-and-development": ("R&D", "innovation"),
    "foreign-direct-investment": ("FDI", "investment", "inward investment"),
    "exports": ("trade", "exports"),
    "happiness": ("wellbeing", "personal wellbeing"),
    "satisfaction": ("wellbeing", "life satisfaction"),
    "anxiety": ("wellbeing", "mental health"),
}
# Places people look up most are ranked above small statistical areas with similar names.
TYPE_BOOST = {"group": 4.0, "ltla": 3.0, "utla": 3.0, "ctry": 3.0, "uk": 3.0, "rgn": 2.5, "cauth": 1.0, "soa": -6.0,
              "other": -6.0}  # fmt: skip


HIDDEN_TYPES = ("soa", "other", "ward", "msoa")  # "other": areas only the data names, e.g. NI wards


@dataclass(frozen=True, slots=True)
class _Index:
    indicators: list[dict[str, Any]]
    areas: list[dict[str, Any]]
    ind_texts: list[str]
    ind_owner: list[int]
    area_texts: list[str]
    area_norm: list[str]  # names lower-cased without punctuation, for prefix matching
    places: list[dict[str, Any]]  # the release's place search index (towns, wards, neighbourhoods, parishes)


_CACHE: OrderedDict[str, _Index] = OrderedDict()
_LOCK = threading.Lock()


def _build(cur: duckdb.DuckDBPyConnection) -> _Index:
    inds: list[dict[str, Any]] = [
        {"slug": i.slug, "label": i.label, "subtitle": i.subtitle, "experimental": i.experimental}
        for i in sorted(read.indicators(cur), key=lambda i: i.label)
    ]
    areas: list[dict[str, Any]] = [
        {"code": a.code, "name": a.name, "type": a.type, "valid_to": a.valid_to}
        for a in sorted(read.areas(cur), key=lambda a: a.name)
    ]
    texts: list[str] = []
    owner: list[int] = []
    for i, ind in enumerate(inds):
        words = [ind["label"], ind["subtitle"] or "", ind["slug"].replace("-", " ")]
        words += [w for frag, syns in SYNONYMS.items() if frag in ind["slug"] for w in syns]
        for w in dict.fromkeys(w for w in words if w):
            texts.append(w)
            owner.append(i)
    for a in areas:
        a["type_label"] = type_label(a) + (" (former)" if a["valid_to"] is not None else "")
    names = [a["name"] for a in areas]
    return _Index(inds, areas, texts, owner, names, [utils.default_process(n) for n in names], load_places(cur))


def _index(cur: duckdb.DuckDBPyConnection) -> _Index:
    key = read.release_info(cur).id
    with _LOCK:
        idx = _CACHE.get(key)
        if idx is not None:
            _CACHE.move_to_end(key)
            return idx
    idx = _build(cur)
    with _LOCK:
        _CACHE[key] = idx
        while len(_CACHE) > 4:
            _CACHE.popitem(last=False)
    return idx


def _clean(q: str | None) -> str:
    text = " ".join((q or "").split())
    if len(text) > MAX_QUERY:
        raise BadRequest("q", f"the search is longer than {MAX_QUERY} characters", f"up to {MAX_QUERY} characters")
    return text


def _place_part(cur: duckdb.DuckDBPyConnection, idx: _Index, text: str) -> dict[str, Any]:
    """Places, a postcode or a postcode district/sector for ``text``, and where a confident match leads."""
    if not text or not idx.places:
        return {"places": [], "postcode": None, "postcode_area": None, "go": None}
    postcode = postcode_lookup(cur, text)
    district = None if postcode else postcode_area(cur, text)
    places = [] if postcode or (district and district["total"]) else place_results(idx.places, text)
    go = None
    if postcode and postcode.get("found") and postcode.get("in_scope") and postcode.get("ward"):
        go = f"/areas/{postcode['ward']}?postcode={postcode['postcode'].replace(' ', '+')}"
    else:
        exact = [p for p in places if p["exact"] and p["south_essex"]]
        if len(exact) == 1:
            go = exact[0]["url"]
    return {"places": places, "postcode": postcode, "postcode_area": district, "go": go,
            "postcode_note": POSTCODE_NOTE if postcode or district else None}  # fmt: skip


def search_page(cur: duckdb.DuckDBPyConnection, q: str | None, limit: int = LIMIT) -> dict[str, Any]:
    """Places, postcodes, indicators and areas matching ``q``, best first; an empty query returns the form.

    ``go`` is the page a confident match leads to (a South Essex postcode, or one exact place name), which
    the results page offers first.
    """
    text = _clean(q)
    idx = _index(cur)
    indicators: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = []
    found = _place_part(cur, idx, text)
    if utils.default_process(text) or text:
        ind_scores, area_scores = _indicator_scores(idx, text), _area_scores(idx, text)
        # one floor for both lists: an exact area name makes weak indicator matches noise, and vice versa
        floor = max([*ind_scores.values(), *area_scores.values()], default=0.0) * RELATIVE
        indicators = [
            {**{k: idx.indicators[i][k] for k in ("slug", "label", "subtitle", "experimental")},
             "url": f"/indicators/{idx.indicators[i]['slug']}", "score": round(min(ind_scores[i], 100.0), 1)}
            for i in _keep(ind_scores, floor, lambda i: (-ind_scores[i], idx.indicators[i]["label"]), limit)
        ]  # fmt: skip
        order = lambda i: (-area_scores[i], len(idx.areas[i]["name"]), idx.areas[i]["name"])  # noqa: E731
        areas = [
            {"code": idx.areas[i]["code"], "name": idx.areas[i]["name"], "type": idx.areas[i]["type"],
             "type_label": idx.areas[i]["type_label"], "url": f"/areas/{idx.areas[i]['code']}",
             "score": round(min(area_scores[i], 100.0), 1)}
            for i in _keep(area_scores, floor, order, limit)
        ]  # fmt: skip
    place_rows = [{"kind": "place", "label": p["name"],
                   "detail": ", ".join(filter(None, [p["kind_label"], p["authority_name"]])), "code": p["code"] or "",
                   "url": p["url"], "score": None} for p in found["places"]]  # fmt: skip
    pc = found["postcode"]
    if pc and pc.get("found") and pc.get("ward"):
        place_rows.insert(0, {"kind": "postcode", "label": pc["postcode"],
                              "detail": f"{pc['ward_name']}, {pc['authority_name']}", "code": pc["postcode"],
                              "url": found["go"] or f"/areas/{pc['ward']}", "score": None})  # fmt: skip
    table = place_rows + sorted(  # columns: SEARCH_COLUMNS
        [{"kind": "indicator", "label": r["label"], "detail": r["subtitle"] or "", "code": r["slug"],
          "url": r["url"], "score": r["score"]} for r in indicators]
        + [{"kind": "area", "label": r["name"], "detail": f"{r['type_label']}, {r['code']}", "code": r["code"],
            "url": r["url"], "score": r["score"]} for r in areas],
        key=lambda r: -float(r["score"]),
    )  # fmt: skip
    title = f"Search results for “{text}”" if text else "Search"
    return {"title": title, "q": text, **found, "indicators": indicators, "areas": areas, "count": len(table),
            "table": table, "table_columns": SEARCH_COLUMNS}  # fmt: skip


def _keep(scores: dict[int, float], floor: float, order: Callable[[int], tuple[Any, ...]], limit: int) -> list[int]:
    """The best matches at or above the floor, in order."""
    return sorted((i for i, score in scores.items() if score >= floor), key=order)[:limit]


def _indicator_scores(idx: _Index, text: str) -> dict[int, float]:
    """Best score per indicator over its label, subtitle, slug and synonyms; an exact slug or label wins."""
    best: dict[int, float] = {}
    exact = text.lower()
    for i, ind in enumerate(idx.indicators):
        if ind["slug"] == exact or ind["label"].lower() == exact:
            best[i] = 105.0
    matches = process.extract(text, idx.ind_texts, scorer=fuzz.WRatio, processor=utils.default_process,
                              limit=None, score_cutoff=CUTOFF)  # fmt: skip
    for _match, score, pos in matches:
        owner = idx.ind_owner[pos]
        best[owner] = max(best.get(owner, 0.0), float(score))
    return best


def _area_scores(idx: _Index, text: str) -> dict[int, float]:
    """Best score per area on its name (fuzzy) and code (exact or prefix), nudged by how sought-after its type is."""
    best: dict[int, float] = {}
    code, name = text.upper(), text.lower()
    for i, a in enumerate(idx.areas):
        if a["code"].upper() == code:
            best[i] = 120.0
        elif a["name"].lower() == name:
            best[i] = 105.0
        elif len(code) >= 4 and a["code"].upper().startswith(code):
            best[i] = 90.0
    matches = process.extract(text, idx.area_texts, scorer=fuzz.WRatio, processor=utils.default_process,
                              limit=200, score_cutoff=CUTOFF)  # fmt: skip
    # a misspelt start of a name ("southnd") matches the name's start better than WRatio's partial match does
    query = utils.default_process(text)
    prefixes = [name[: len(query) + 1] for name in idx.area_norm]
    matches += process.extract(query, prefixes, scorer=fuzz.ratio, processor=None, limit=50, score_cutoff=CUTOFF)
    for _match, score, pos in matches:
        best[pos] = max(best.get(pos, 0.0), float(score))
    for i in [i for i in best if idx.areas[i]["type"] in HIDDEN_TYPES and best[i] < 120.0]:
        del best[i]  # NI small areas only by their code, never for a town's name; wards and MSOAs are places
    for i in best:
        best[i] += TYPE_BOOST.get(idx.areas[i]["type"], 0.0) - (3.0 if idx.areas[i]["valid_to"] is not None else 0.0)
    return best
