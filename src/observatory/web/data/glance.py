"""The short view of an area or group page: headline figures and an "at a glance" table per theme.

Issue 14 item 1: an area page leads with the answer — a few headline figures, each with a one-word verdict
against England — then a compact profile in the style of public-health profiles (each indicator's value,
period, England and a verdict shown as a colour AND a word), while the long detail (trend sentences,
ranks, region and county, sparklines, spine charts, neighbourhoods) sits one step away on the area's
section pages (``/areas/{code}/{section}``).

Nothing here computes a statistic: a verdict is the build's own comparison with England (``comparisons``
table, read through ``release/read.py``) for exactly the period shown, put into one word. Shapes:

- ``verdict(j)`` → ``{"key": str, "word": str}``; ``key`` is one of ``VERDICT_WORDS``.
- ``area_glance(payload, config)`` / ``group_glance(cur, payload, config)`` →
  ``{"headlines": [row, …], "themes": [{"slug", "name", "programme", "tally": [{"key", "word", "count"}],
  "rows": [row, …]}], "sections": [{"slug", "name", "count"}]}`` where each row names the payload's
  indicator row by ``slug`` and adds its ``verdict`` (groups: one per member).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import duckdb

from observatory.config import Config
from observatory.release import read
from observatory.sources.nomis_xlsx import SURVEY_HINT, SURVEY_NOT_MODELLED

ENGLAND = "E92000001"
HEADLINES_PER_PROGRAMME = 2  # the home page shows three for all six authorities; an area page leads with two

# one word (or two) per verdict, in the order a key lists them; a verdict is never shown by colour alone
VERDICT_WORDS: dict[str, str] = {
    "better": "Better",
    "similar": "Similar",
    "worse": "Worse",
    "higher": "Higher",
    "lower": "Lower",
    "not-tested": "Not tested",
    "not-compared": "Not compared",
    "none": "No comparison",
}
# The word for a judgement's outcome where no verdict was reached, on every page and report (detail pages, PDFs):
# the same words as the short page's verdicts, so one figure never carries two wordings.
JUDGEMENT_WORDS: dict[str, str] = {
    "no-test": VERDICT_WORDS["not-tested"],
    "not-comparable": VERDICT_WORDS["not-compared"],
    "single value": "One value only",
}
TESTED = ("better", "worse", "higher", "lower")  # a 95% confidence interval test found a difference from England
VERDICT_MEANINGS: dict[str, str] = {
    "better": "better than England: England's value lies outside the area's 95% confidence interval",
    "similar": "similar to England: England's value lies inside the area's 95% confidence interval",
    "worse": "worse than England: England's value lies outside the area's 95% confidence interval",
    "higher": "higher than England (tested), for a measure where neither direction is better",
    "lower": "lower than England (tested), for a measure where neither direction is better",
    "not-tested": "no 95% confidence interval is published, so no significance test is made",
    "not-compared": "a count or total, or a share whose England figure measures something else: no benchmark",
    "none": "England has no figure for this period",
}


def verdict(j: dict[str, Any] | None) -> dict[str, str]:
    """The one-word verdict of a comparison with England (a ``comparisons`` row as the page carries it)."""
    if not j:
        key = "none"
    elif j.get("judgement") in ("better", "similar", "worse", "higher", "lower"):
        key = str(j["judgement"])
    elif j.get("outcome") == "not-comparable":
        key = "not-compared"
    else:
        key = "not-tested"
    return {"key": key, "word": VERDICT_WORDS[key]}


def judgement_word(j: Any) -> str:
    """The word shown for a judgement (a ``judgements`` or ``comparisons`` row as pages carry it, a mapping): its
    verdict ("Better", "Similar", "Improving" …) or, where none was reached, why not ("Not tested", "Not
    compared"). The template filter ``judgement_word``; one wording for web pages and print reports."""
    if not j:
        return ""
    judged = j.get("judgement")
    word = judged if judged and judged != "not-judged" else j.get("outcome")
    return JUDGEMENT_WORDS.get(word or "", str(word or "not judged").capitalize())


def _tally(verdicts: list[str]) -> list[dict[str, Any]]:
    counts = Counter(verdicts)
    return [{"key": k, "word": w, "count": counts[k]} for k, w in VERDICT_WORDS.items() if counts[k]]


def _programmes(config: Config) -> set[str]:
    return {t.slug for t in config.themes if t.programme}


def _has_value(row: dict[str, Any]) -> bool:
    return row.get("value") is not None or bool(row.get("latest_with_value"))


def _hint(slug: str) -> dict[str, str] | None:
    """A survey estimate's pointer to the measure ONS recommends locally: {"text", "slug", "label"}, or None."""
    found = SURVEY_NOT_MODELLED.get(slug)
    return {"text": SURVEY_HINT, "slug": found[0], "label": found[1]} if found else None


def area_glance(payload: dict[str, Any], config: Config) -> dict[str, Any]:
    """Headlines and the at-a-glance rows of one authority's page (see the module docstring).

    Headlines: the first ``HEADLINES_PER_PROGRAMME`` indicators of each of the strategy's programmes (the
    configured order, as on the home page) that have a value for the area.
    """
    programmes = _programmes(config)
    headlines: list[dict[str, Any]] = []
    themes: list[dict[str, Any]] = []
    for t in payload["themes"]:
        rows = [
            {"slug": r["slug"], "verdict": verdict(r["comparison"]), "england": _england(r), "hint": _hint(r["slug"])}
            for r in t["indicators"]
        ]
        themes.append(_theme(t, rows, [x["verdict"]["key"] for x in rows], programmes))
        if t["slug"] in programmes:
            valued = [x for x, r in zip(rows, t["indicators"], strict=True) if _has_value(r)]
            headlines += [{**x, "theme": t["name"]} for x in valued[:HEADLINES_PER_PROGRAMME]]
    differs = [{**x, "theme": t["name"]} for t in themes for x in t["rows"] if x["verdict"]["key"] in TESTED]
    return {"headlines": headlines, "differs": differs, "themes": themes, "sections": _sections(payload),
            "key": _key(themes)}  # fmt: skip


def group_glance(cur: duckdb.DuckDBPyConnection, payload: dict[str, Any], config: Config) -> dict[str, Any]:
    """Headlines and the at-a-glance rows of a group's page: each member's verdict against England for the
    row's period (the build's comparison for exactly that period, else "No comparison"). Headlines: per
    programme, the first indicators with a complete group value (the build's ``aggregates``), then the first
    others."""
    members = [m["code"] for m in payload["members"]]
    found = read.comparisons(cur, areas=members, roles=["england"])
    by_key = {(c.indicator, c.area_code, c.period): c for c in found}
    programmes = _programmes(config)
    headlines: list[dict[str, Any]] = []
    themes: list[dict[str, Any]] = []
    for t in payload["themes"]:
        rows = []
        for r in t["indicators"]:
            verdicts = []
            for m in r["members"]:
                c = by_key.get((r["slug"], m["code"], r["period"])) if m["value"] is not None else None
                j = {"judgement": c.judgement, "outcome": c.outcome} if c is not None else None
                verdicts.append({"code": m["code"], "name": m["name"], "period": c.period if c else None,
                                 "reason": c.reason if c else None, **verdict(j)})  # fmt: skip
            rows.append({"slug": r["slug"], "england": _england(r), "members": verdicts,
                         "tally": _tally([v["key"] for v in verdicts])})  # fmt: skip
        themes.append(_theme(t, rows, [v["key"] for x in rows for v in x["members"]], programmes))
        if t["slug"] in programmes:  # the group's own figures first, where the rules give one
            own = [x for x, r in zip(rows, t["indicators"], strict=True) if (r["group_value"] or {}).get("complete")]
            rest = [x for x in rows if x not in own]
            headlines += [{**x, "theme": t["name"]} for x in (own + rest)[:HEADLINES_PER_PROGRAMME]]
    return {"headlines": headlines, "themes": themes, "sections": _sections(payload), "key": _key(themes)}


def _england(r: dict[str, Any]) -> dict[str, Any] | None:
    return next((b for b in r["benchmarks"] if b["role"] == "england"), None)


def _theme(t: dict[str, Any], rows: list[dict[str, Any]], keys: list[str], programmes: set[str]) -> dict[str, Any]:
    return {"slug": t["slug"], "name": t["name"], "programme": t["slug"] in programmes, "tally": _tally(keys),
            "rows": rows}  # fmt: skip


def _key(themes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The verdicts a page uses, each with its word and meaning (the page's colour key, in words)."""
    used = {v["key"] for t in themes for v in t["tally"]}
    return [{"key": k, "word": w, "meaning": VERDICT_MEANINGS[k]} for k, w in VERDICT_WORDS.items() if k in used]


def _sections(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's detail pages, one per theme (then neighbourhoods), each with its number of indicators."""
    out = [{"slug": t["slug"], "name": t["name"], "count": len(t["indicators"])} for t in payload["themes"]]
    if payload.get("neighbourhoods"):
        out.append({"slug": "neighbourhoods", "name": "Deprivation neighbourhood by neighbourhood", "count": None})
    return out


def with_glance(cur: duckdb.DuckDBPyConnection, payload: dict[str, Any], config: Config) -> dict[str, Any]:
    """The payload with its ``glance`` (authorities and groups with indicators; other pages unchanged)."""
    if not payload.get("themes"):
        return payload
    if payload["area"].get("is_group"):
        return {**payload, "glance": group_glance(cur, payload, config)}
    return {**payload, "glance": area_glance(payload, config)}


ALL = "all"  # every theme in full on one page (long: for searching the page and for print)


def section_page(payload: dict[str, Any], section: str) -> dict[str, Any]:
    """One detail page of an area or group: one theme's full table (or ``all`` of them, or the
    neighbourhoods), with the page's header fields; its CSV rows are the section's indicators only.

    Raises ``NotFound`` (naming the sections there are) for a section the page does not have.
    """
    from observatory.web.errors import NotFound

    code, name = payload["area"]["code"], payload["area"]["name"]
    sections = {s["slug"]: s for s in payload.get("glance", {}).get("sections", [])}
    if section not in sections and section != ALL:
        suggestions = [(s["name"], f"/areas/{code}/{s['slug']}") for s in sections.values()]
        raise NotFound(f"{name} has no section {section[:40]!r}", suggestions)
    themes = [t for t in payload["themes"] if section in (ALL, t["slug"])]
    slugs = {r["slug"] for t in themes for r in t["indicators"]}
    title = "All indicators" if section == ALL else sections[section]["name"]
    out = {k: v for k, v in payload.items() if k not in ("glance", "themes", "table", "neighbourhoods", "places")}
    return {
        **out,
        "title": f"{name}: {title}",
        "section": {"slug": section, "name": title},
        "sections": list(sections.values()),
        "themes": themes,
        "neighbourhoods": payload.get("neighbourhoods") if section == "neighbourhoods" else None,
        "places": payload.get("places") if section == "neighbourhoods" else None,
        "table": [r for r in payload["table"] if r.get("indicator") in slugs],
    }
