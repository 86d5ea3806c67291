"""One figure everywhere: each value, period, rank and judgement an HTML page shows equals the page's
JSON, the API and (for area pages) the text of the printed PDF report — over every indicator page and
every South Essex area page (the six authorities and the group), for the same release.

The HTML is parsed with a real parser (``html.parser``) through the ``data-*`` attributes the templates
put on their cells (``data-indicator``, ``data-area``, ``data-period``, ``data-value``, ``data-judgement``,
``data-role``); what a reader sees is the cell's text, compared as text. The API side is read from
independent endpoints (``/api/v1/observations`` as CSV, ``/api/v1/indicators/{slug}/map``,
``/api/v1/judgements``, ``/api/v1/areas/{code}/profile``), so a page that rounds, relabels or picks
another period than the store holds is caught. Each area's PDF is generated once (through the site's
cached report route) and its text searched row by row, in page order.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow

AUTHORITIES = ("E07000066", "E07000068", "E07000069", "E07000075", "E06000033", "E06000034")
GROUP = "south-essex"
AREAS = (*AUTHORITIES, GROUP)
VERDICTS = {  # the same words as the short page's (GLANCE_WORDS below): one wording on every page and report
    "no-test": "Not tested",
    "not-comparable": "Not compared",  # a total, or a figure with no benchmark (the reason says which)
    "single value": "One value only",
}
RANK = re.compile(r"ranks (\d+)(?:st|nd|rd|th) of (\d+)")
SKIPPED_CLASSES = ("ci", "visually-hidden")
VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr", "area", "base", "embed", "param", "track"}


# --- reading the HTML -------------------------------------------------------------------------------------


@dataclass
class Cell:
    row: dict[str, str]  # data-* attributes of the enclosing <tr>
    attrs: dict[str, str]  # data-* attributes of the cell
    text: list[str] = field(default_factory=list)
    verdict: list[str] = field(default_factory=list)
    reason: list[str] = field(default_factory=list)
    note: list[str] = field(default_factory=list)  # "No value for …; latest with a value: …" (not the value)
    chip: list[str] = field(default_factory=list)  # the one-word verdict of an at-a-glance cell
    period: list[str] = field(default_factory=list)  # "in 2021": a benchmark of the earlier period judged

    def shown(self, part: str = "text") -> str:
        return " ".join("".join(getattr(self, part)).split())


class Cells(HTMLParser):
    """Every table cell that carries a ``data-*`` attribute, with its visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[Cell] = []
        self._stack: list[tuple[str, set[str]]] = []  # open elements and their classes
        self._row: dict[str, str] = {}
        self._cell: Cell | None = None
        self._cell_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        a = {k: v or "" for k, v in attrs}
        data = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
        self._stack.append((tag, set(a.get("class", "").split())))
        if tag == "tr":
            self._row = data
        elif tag in ("td", "th") and data and self._cell is None:
            self._cell = Cell(dict(self._row), data)
            self._cell_depth = len(self._stack)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self._stack:
            open_tag, _cls = self._stack.pop()
            if self._cell is not None and len(self._stack) < self._cell_depth:
                self.cells.append(self._cell)
                self._cell = None
            if open_tag == tag:
                break
        if tag == "tr":
            self._row = {}

    def handle_data(self, data: str) -> None:
        if self._cell is None:
            return
        classes = set().union(*(c for _t, c in self._stack[self._cell_depth - 1 :]))
        if classes & set(SKIPPED_CLASSES):
            return
        if "latest-with-value" in classes:
            self._cell.note.append(data)
            return
        if "chip" in classes:
            self._cell.chip.append(data)
            return
        if "benchmark-period" in classes:
            self._cell.period.append(data)
            return
        self._cell.text.append(data)
        if "verdict" in classes:
            self._cell.verdict.append(data)
        if "reason" in classes:
            self._cell.reason.append(data)


def cells_of(client: TestClient, path: str) -> list[Cell]:
    response = client.get(path)
    assert response.status_code == 200, f"{path}: {response.status_code}"
    parser = Cells()
    parser.feed(response.text)
    parser.close()
    return parser.cells


# --- what each output should show -------------------------------------------------------------------------


def value_text(v: dict[str, Any], missing: str = "–") -> str:
    """A value cell as a reader sees it: the display (or ``missing`` when there is no value; a total's benchmark
    says it is not comparable), then [status]."""
    shown = v["display"] if v.get("value") is not None or v.get("not_comparable") else missing
    return f"{shown} [{v['status']}]" if v.get("status") else shown


def verdict_text(j: dict[str, Any] | None) -> str:
    if not j:
        return ""
    word = j["judgement"] if j.get("judgement") and j["judgement"] != "not-judged" else j.get("outcome")
    return str(VERDICTS.get(word or "", (word or "not judged").capitalize()))


def same_number(a: str, b: object) -> bool:
    if b is None:
        return a == ""
    return a != "" and float(a) == float(str(b))


def api_values(client: TestClient, params: str) -> dict[tuple[str, str, str], str]:
    """(indicator, area, ISO period) -> the value as the API's CSV writes it ('' for none)."""
    response = client.get(f"/api/v1/observations?{params}&format=csv")
    assert response.status_code == 200, response.text[:300]
    return {
        (r["indicator"], r["area_code"], r["period"]): r["value"] for r in csv.DictReader(io.StringIO(response.text))
    }


class Problems:
    """Collects every disagreement, so one run lists them all (each naming page, cell and outputs)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, ok: bool, where: str, what: str) -> None:
        if not ok:
            self.items.append(f"{where}: {what}")

    def assert_none(self) -> None:
        assert not self.items, f"{len(self.items)} disagreements:\n" + "\n".join(self.items[:60])


# --- indicator pages --------------------------------------------------------------------------------------


def indicator_slugs(client: TestClient) -> list[str]:
    data = client.get("/indicators.json").json()
    slugs = [str(r["slug"]) for r in data["table"]]
    assert len(slugs) > 100, "the release should have every indicator listed"
    return slugs


def check_indicator_page(client: TestClient, slug: str, problems: Problems) -> None:
    path = f"/indicators/{slug}"
    page = client.get(f"{path}.json").json()
    cells = cells_of(client, path)
    numbers = {(c.attrs["area"], c.attrs["period"]): c for c in cells if "period" in c.attrs and "area" in c.attrs}
    codes = ",".join(s["code"] for s in page["series"])
    api = api_values(client, f"indicator={slug}&area={codes}") if codes else {}
    for s in page["series"]:
        for pt in s["points"]:
            where = f"{path} table {s['code']} {pt['period']}"
            cell = numbers.get((s["code"], pt["period"]))
            if cell is None:
                problems.check(False, where, "in the JSON, not in the HTML table")
                continue
            expected = value_text(pt, missing=pt["display"])  # the chart's table writes the display ("no data")
            problems.check(cell.shown() == expected, where, f"HTML {cell.shown()!r} != JSON {expected!r}")
            problems.check(same_number(cell.attrs["value"], pt["value"]), where, "HTML data-value != JSON value")
            got = api.get((slug, s["code"], pt["period"]))
            problems.check(got is not None and same_number(got, pt["value"]), where, f"API {got!r} != {pt['value']!r}")
    # the ranked table: rank and value per area, HTML = JSON = API map
    ranked = {c.row["area"]: c for c in cells if c.attrs.get("role") == "rank"}
    values = {c.row["area"]: c for c in cells if c.attrs.get("role") == "value"}
    if page["ranking"]:
        amap = client.get(f"/api/v1/indicators/{slug}/map").json()
        problems.check(amap["period"] == page["latest"]["period"], path, "API map period != page's latest period")
        by_code = {v["area_code"]: v for v in amap["values"]}
        for r in page["ranking"]:
            where = f"{path} ranked {r['code']}"
            rank = "–" if r["rank"] is None else str(r["rank"])
            problems.check(ranked[r["code"]].shown() == rank, where, "HTML rank != JSON rank")
            problems.check(values[r["code"]].shown() == value_text(r), where, "HTML value != JSON display [status]")
            problems.check(ranked[r["code"]].row.get("period") == page["latest"]["period"], where, "period")
            a = by_code.get(r["code"])
            problems.check(
                a is not None and a["rank"] == r["rank"], where, f"API rank {a and a['rank']} != {r['rank']}"
            )
            problems.check(a is not None and a["value"] == r["value"], where, "API value != JSON value")
    # the table at the top of the page (each South Essex authority's latest value, rank and verdicts, leading
    # with the answer): the same value and rank as the ranked table, the same verdicts as the judgements, and a
    # judgement of another period than the value's labelled with its period
    glance = {(c.row["area"], c.attrs["glance"]): c for c in cells if "glance" in c.attrs}
    judgements = {j["code"]: j for j in page["judgements"]}
    south_essex = [r for r in page["ranking"] if r.get("south_essex")]
    problems.check({a for a, _ in glance} == {r["code"] for r in south_essex}, path, "top table != ranked South Essex")
    for r in south_essex:
        where = f"{path} top table {r['code']}"
        value, rank = glance.get((r["code"], "value")), glance.get((r["code"], "rank"))
        problems.check(value is not None and value.shown() == value_text(r), where, "value != JSON display [status]")
        want_rank = "–" if r["rank"] is None else str(r["rank"])
        problems.check(rank is not None and rank.shown() == want_rank, where, "rank != JSON rank")
        for kind in ("comparison", "trend"):
            j = judgements.get(r["code"], {}).get(kind)
            cell = glance.get((r["code"], kind))
            problems.check(cell is not None and cell.shown("verdict") == verdict_text(j), f"{where} {kind}", "verdict")
            if j and cell is not None and j["period"] != page["latest"]["period"]:
                problems.check(f"({j['period_label']})" in cell.shown(), f"{where} {kind}", "other period unlabelled")
    # judgements: verdict and sentence, HTML = JSON = API
    if page["judgements"]:
        api_j = client.get(f"/api/v1/judgements?indicator={slug}").json()["judgements"]
        judged = {(c.row["area"], c.attrs["judgement"]): c for c in cells if "judgement" in c.attrs}
        for j in page["judgements"]:
            for kind in ("comparison", "trend"):
                r = j[kind]
                where = f"{path} {kind} {j['code']}"
                cell = judged.get((j["code"], kind))
                if cell is None:
                    problems.check(False, where, "missing in the HTML")
                    continue
                problems.check(cell.shown("verdict") == verdict_text(r), where, "HTML verdict != JSON")
                if r:
                    problems.check(cell.shown("reason") == (r.get("sentence") or r.get("reason")), where, "reason")
                    problems.check(
                        any(x["area_code"] == j["code"] and x["kind"] == kind and x["period"] == r["period"]
                            and x["outcome"] == r["outcome"] and x["reason"] == r["reason"] for x in api_j),
                        where, "no API judgement with the same period, outcome and reason",
                    )  # fmt: skip


# --- area pages -------------------------------------------------------------------------------------------


def area_rows(page: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for theme in page["themes"]:
        yield from theme["indicators"]


GLANCE_WORDS = {  # the short page's one-word verdicts, from the comparison with England (issue 14 item 1)
    "better": "Better", "similar": "Similar", "worse": "Worse", "higher": "Higher", "lower": "Lower",
}  # fmt: skip


def glance_word(j: dict[str, Any] | None) -> str:
    """The one word the short page must show for a comparison with England: the tested judgement, else why not."""
    if not j:
        return "No comparison"
    if j.get("judgement") in GLANCE_WORDS:
        return GLANCE_WORDS[j["judgement"]]
    return "Not compared" if j.get("outcome") == "not-comparable" else "Not tested"


def by_indicator(cells: list[Cell]) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = {}
    for c in cells:
        if "indicator" in c.row:
            out.setdefault(c.row["indicator"], []).append(c)
    return out


def check_area_page(client: TestClient, code: str, problems: Problems) -> None:
    """The short page (headline cards, at-a-glance rows) and every theme's detail page (``/areas/{code}/{theme}``,
    one step away) agree with the page's JSON and the API; so does ``/areas/{code}/all`` (every theme at once)."""
    path = f"/areas/{code}"
    page = client.get(f"{path}.json").json()
    profile = client.get(f"/api/v1/areas/{code}/profile").json()
    problems.check(profile == page, path, "the API profile differs from the page's JSON")
    group = page["area"]["is_group"]
    benchmark_codes = {b.get("source_code") or b["code"] for r in area_rows(page) for b in r["benchmarks"]}
    member_codes = {m["code"] for r in area_rows(page) for m in r.get("members", [])}
    codes = sorted(benchmark_codes | member_codes | ({code} if not group else set()))
    api = api_values(client, f"area={','.join(codes)}")
    everything = by_indicator(cells_of(client, f"{path}/all"))
    for theme in page["themes"]:
        detail = by_indicator(cells_of(client, f"{path}/{theme['slug']}"))
        for r in theme["indicators"]:
            check_detail_row(r, detail.get(r["slug"], []), f"{path}/{theme['slug']} {r['slug']}", code, group, api,
                             problems)  # fmt: skip
            check_detail_row(r, everything.get(r["slug"], []), f"{path}/all {r['slug']}", code, group, api, problems)
    check_short_page(client, page, code, problems)


def check_detail_row(r: dict[str, Any], row: list[Cell], where: str, code: str, group: bool,
                     api: dict[tuple[str, str, str], str], problems: Problems) -> None:  # fmt: skip
    """One indicator's row on a detail page: period, every value, the group value, both verdicts and reasons."""
    slug = r["slug"]
    if not row:
        problems.check(False, where, "in the JSON, not in the HTML")
        return
    period = next((c for c in row if c.attrs.get("role") == "period"), None)
    problems.check(period is not None and period.shown() == r["period_label"], where, "HTML period != JSON")
    problems.check(row[0].row.get("period") == r["period"], where, "HTML data-period != JSON period")
    shown = {c.attrs["area"]: c for c in row if "area" in c.attrs}
    values = [*r.get("members", []), *r["benchmarks"]]
    if not group:
        values.insert(0, {**r, "code": code})
    for v in values:
        cell = shown.get(v["code"])
        if cell is None:
            problems.check(False, f"{where} {v['code']}", "not in the HTML row")
            continue
        problems.check(cell.shown() == value_text(v), f"{where} {v['code']}",
                       f"HTML {cell.shown()!r} != JSON {value_text(v)!r}")  # fmt: skip
        check_benchmark_period(cell, v, r, f"{where} {v['code']}", problems)
        earlier = v.get("latest_with_value")
        if earlier:  # the latest value is missing: the cell names the latest one with a value, and its period
            note = cell.shown("note")
            shows = earlier["display"] in note and earlier["period_label"] in note
            problems.check(shows, f"{where} {v['code']}", f"the note {note!r} lacks {earlier['display']}")
        if v.get("value") is not None:
            at = v.get("period") or r["period"]  # a benchmark beside an earlier judged value is of that period
            key = (slug, v.get("source_code") or v["code"], at)
            got = api.get(key)
            problems.check(got is not None and same_number(got, v["value"]), f"{where} {v['code']}",
                           f"API {got!r} != page {v['value']!r} for {at}")  # fmt: skip
    if group and r.get("group_value"):
        gv, cell = r["group_value"], shown.get(code)
        problems.check(cell is not None and same_number(cell.attrs["value"], gv["value"]), where, "group value")
        if cell is not None and gv.get("complete"):
            problems.check(cell.shown().startswith(gv["display"]), where, "group value display")
    for kind in ("comparison", "trend"):
        j = r.get(kind)
        cell = next((c for c in row if c.attrs.get("judgement") == kind), None)
        if cell is None:
            continue
        problems.check(cell.shown("verdict") == verdict_text(j), f"{where} {kind}", "HTML verdict != JSON")
        if j:
            problems.check(cell.shown("reason") == (j.get("reason") or ""), f"{where} {kind}", "HTML reason")


def check_short_page(client: TestClient, page: dict[str, Any], code: str, problems: Problems) -> None:
    """The short page: each indicator once per at-a-glance table (and again under "differs" when tested different),
    its period, value(s) and England's as on the detail pages, and the one-word verdict of the comparison with
    England for the period judged; a group's members each with their own comparison, read from the API."""
    path = f"/areas/{code}"
    group = page["area"]["is_group"]
    rows = by_indicator(cells_of(client, path))
    member_j: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    if group:
        for m in page["members"]:
            found = client.get(f"/api/v1/judgements?area={m['code']}&latest=false&limit=10000").json()
            assert found["next"] is None, f"{m['code']}: more than one page of judgements"
            for j in found["judgements"]:
                if j["kind"] == "comparison":
                    member_j[(j["indicator"], j["area_code"], j["period"], j["benchmark_code"])] = j
    check_headline_cards(client.get(path).text, page, problems)
    for r in area_rows(page):
        where = f"{path} at a glance {r['slug']}"
        row = rows.get(r["slug"], [])
        periods = [c for c in row if c.attrs.get("role") == "period"]
        problems.check(bool(periods), where, "in the JSON, not at a glance")
        problems.check(all(c.shown() == r["period_label"] for c in periods), where, "period")
        england = next((b for b in r["benchmarks"] if b["role"] == "england"), None)
        for c in row:
            area = c.attrs.get("area")
            if area == "E92000001" and england is not None:
                total = england["value"] is None and (england.get("not_comparable") or "total" in england["display"])
                shown = england["display"] if total else value_text(england)  # a total: "not comparable", no value
                problems.check(c.shown() == shown, where, f"England {c.shown()!r} != {shown!r}")
                check_benchmark_period(c, england, r, where, problems)
            elif not group and area == code:
                problems.check(c.shown() == value_text(r), where, f"value {c.shown()!r} != {value_text(r)!r}")
                earlier = r.get("latest_with_value")
                if earlier:
                    note = c.shown("note")
                    problems.check(earlier["display"] in note and earlier["period_label"] in note, where, note)
            elif not group and c.attrs.get("glance") == "comparison":
                word = glance_word(r.get("comparison"))
                problems.check(c.shown("chip") == word, where, f"verdict {c.shown('chip')!r} != {word!r}")
                if r.get("latest_with_value") and r.get("comparison"):
                    problems.check(c.shown().startswith(f"{r['judgement_period_label']}:"), where, "judged period")
            elif group and area:
                member = next((m for m in r["members"] if m["code"] == area), None)
                problems.check(member is not None, where, f"{area} is no member")
                if member is None:
                    continue
                problems.check(c.shown() == value_text(member), where, f"{area} {c.shown()!r} != {value_text(member)}")
                england_code = (england or {}).get("source_code") or "E92000001"  # e.g. TLB: England in ITL terms
                j = member_j.get((r["slug"], area, r["period"], england_code)) if member["value"] is not None else None
                word = glance_word(j) if member["value"] is not None else ""
                problems.check(c.shown("chip") == word, where, f"{area} verdict {c.shown('chip')!r} != {word!r}")


def check_benchmark_period(cell: Cell, v: dict[str, Any], r: dict[str, Any], where: str, problems: Problems) -> None:
    """A benchmark of another period than its row's (the latest has no value; the row shows the earlier value
    judged, and the benchmark of that period) says its period in the cell; one of the row's period says none."""
    if v.get("role") not in ("england", "region", "county"):
        return
    other = r.get("latest_with_value")
    want = f"in {other['period_label']}" if other and v.get("other_period") else ""
    problems.check(cell.shown("period") == want, where, f"benchmark period {cell.shown('period')!r} != {want!r}")
    if other:  # the benchmark beside an earlier judged value is of that period, never of the row's latest
        problems.check(v.get("period") == r["judgement_period"], where, f"benchmark of {v.get('period')}")


CARD = re.compile(r'<li class="card" data-indicator="([^"]+)" data-period="([^"]*)">(.*?)</li>', re.S)


def check_headline_cards(html: str, page: dict[str, Any], problems: Problems) -> None:
    """Each headline card shows its indicator's value (or, when the latest is missing, the latest with a value)
    with that value's period, England's value, and the verdict word (authorities) — as the JSON has them."""
    rows = {r["slug"]: r for r in area_rows(page)}
    cards = CARD.findall(html)
    problems.check(len(cards) >= 4, page["area"]["code"], f"only {len(cards)} headline cards")
    for slug, period, body in cards:
        r = rows.get(slug)
        where = f"/areas/{page['area']['code']} headline {slug}"
        if r is None:
            problems.check(False, where, "a card for an indicator not in the JSON")
            continue
        text = " ".join(re.sub(r"<[^>]+>", " ", body).split()).replace("&#39;", "'")
        problems.check(period == r["period"], where, f"data-period {period} != {r['period']}")
        if page["area"]["is_group"]:
            gv = r.get("group_value") or {}
            want = f"{gv['display']} {gv['period_label']}" if gv.get("complete") else f"{r['period_label']}"
        else:
            earlier = r.get("latest_with_value")
            shown = earlier if r["value"] is None and earlier else r
            want = f"{shown['display'] if shown.get('value') is not None else '–'} {shown['period_label']}"
            problems.check(f"{glance_word(r.get('comparison'))} against England" in text, where, f"verdict in {text!r}")
        problems.check(want in text, where, f"{want!r} not in {text!r}")
        england = next((b for b in r["benchmarks"] if b["role"] == "england"), None)
        if england is not None and england["value"] is not None:  # of the judged period, labelled when earlier
            problems.check(f"England: {england['display']}" in text, where, f"England {england['display']!r}")
            if england.get("other_period"):
                label = f"England: {england['display']} in {england['period_label']}"
                problems.check(label in text, where, f"{label!r} not in {text!r}")


# --- PDF text -----------------------------------------------------------------------------------------------


def pdf_tokens(body: bytes, pages: slice = slice(None)) -> list[str]:
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages[pages]).split()


def _find(tokens: list[str], words: list[str], start: int, stop: int) -> int:
    """Index just after the first run of ``words`` in tokens[start:stop], or -1."""
    n = len(words)
    for i in range(start, max(start, stop - n + 1)):
        if tokens[i : i + n] == words:
            return i + n
    return -1


def _find_label(tokens: list[str], label: str, period: str, start: int) -> int:
    """Where a row's label starts: the label (compared without spaces, since the PDF wraps long labels, even
    at hyphens) followed within a few lines by the row's period — so a chart's label is not taken for the row.
    """
    target = "".join(label.split())
    for i in range(start, len(tokens)):
        if target.startswith(tokens[i]):
            joined, j = "", i
            while j < len(tokens) and len(joined) < len(target):
                joined += tokens[j]
                j += 1
            if joined.startswith(target) and _find(tokens, period.split(), j, j + 60) >= 0:
                return i
    return -1


def check_pdf_cover(page: dict[str, Any], tokens: list[str], problems: Problems) -> None:
    """The cover's key figures: the first rows with a value of each programme (as the report chooses them), each
    label followed by its period, the area's value (a group: its members' values) and England's, in that order."""
    from observatory.web.data.home import HEADLINES_PER_PROGRAMME

    programmes = {"vibrant-places", "enterprise-growth", "future-work", "data-transformation"}
    cursor, shown = 0, 0
    for theme in (t for t in page["themes"] if t["slug"] in programmes):
        group = page["area"]["is_group"]
        for r in [r for r in theme["indicators"] if group or r["value"] is not None][:HEADLINES_PER_PROGRAMME]:
            where = f"PDF cover {page['area']['code']} {r['slug']}"
            at = _find_label(tokens, r["label"], r["period_label"], cursor)
            problems.check(at >= 0, where, "key figure not on the cover (in order)")
            if at < 0:
                continue
            pos = _find(tokens, r["period_label"].split(), at, len(tokens))
            england = next(b for b in r["benchmarks"] if b["role"] == "england")
            for v in [*(r["members"] if group else [r]), england]:
                found = _find(tokens, value_text(v).split(), pos, len(tokens))
                problems.check(found >= 0, where, f"{v.get('code')} {value_text(v)!r} not in order")
                pos = found if found >= 0 else pos
            cursor, shown = at + 1, shown + 1
    problems.check(shown >= 4, f"PDF cover {page['area']['code']}", f"only {shown} key figures")


def check_pdf(client: TestClient, code: str, problems: Problems) -> None:
    """The report's cover (page 1) shows the key figures, the pages after it every row of the area page."""
    page = client.get(f"/areas/{code}.json").json()
    response = client.get(f"/areas/{code}/report.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF"), f"{code}: no PDF"
    check_pdf_cover(page, pdf_tokens(response.content, slice(0, 1)), problems)
    tokens = pdf_tokens(response.content, slice(1, None))
    rows = list(area_rows(page))
    starts: list[int] = []
    cursor = 0
    for r in rows:
        at = _find_label(tokens, r["label"], r["period_label"], cursor)
        problems.check(at >= 0, f"PDF {code} {r['slug']}", f"label {r['label']!r} not found after token {cursor}")
        starts.append(at if at >= 0 else cursor)
        cursor = at + 1 if at >= 0 else cursor
    bounds = [*starts[1:], len(tokens)]
    for r, start, stop in zip(rows, starts, bounds, strict=True):
        where = f"PDF {code} {r['slug']}"
        pos = _find(tokens, r["period_label"].split(), start, stop)
        problems.check(pos >= 0, where, f"period {r['period_label']!r} not in its row")
        pos = max(pos, start)
        shown = [*r.get("members", []), *r["benchmarks"]]
        if not page["area"]["is_group"]:
            shown.insert(0, r)
        for v in shown:
            words = value_text(v).split()
            found = _find(tokens, words, pos, stop)
            problems.check(found >= 0, where, f"{v.get('code', code)} {' '.join(words)!r} not in order in its row")
            pos = found if found >= 0 else pos
        for kind in ("comparison", "trend"):
            j = r.get(kind)
            if not j:
                continue
            verdict = verdict_text(j).split()
            problems.check(_find(tokens, verdict, start, stop) >= 0, where, f"{kind} verdict {verdict} not in row")
            rank = RANK.search(j.get("reason") or "")
            if rank:
                phrase = ["ranks", f"{rank.group(0).split()[1]}", "of", rank.group(2)]
                problems.check(_find(tokens, phrase, start, stop) >= 0, where, f"rank {' '.join(phrase)!r} not in row")


# --- the tests ----------------------------------------------------------------------------------------------


# Disagreements found by this test that belong to another part of the work and are not fixed yet: excluded from
# the test over every page (none now; see test_judgements_of_a_suppressed_latest_period_agree).
KNOWN_UNFIXED: set[str] = set()


def _known(item: str) -> bool:
    return item.partition(": ")[0] in KNOWN_UNFIXED


SHARDS = 8  # the indicator pages in eight tests of ~20 pages each, so no one test runs for minutes


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_indicator_page_agrees_with_its_json_and_the_api(client: TestClient, shard: int) -> None:
    started = time.perf_counter()
    problems = Problems()
    slugs = indicator_slugs(client)[shard::SHARDS]
    for slug in slugs:
        check_indicator_page(client, slug, problems)
    print(f"{len(slugs)} indicator pages checked in {time.perf_counter() - started:.1f} s")
    problems.items = [i for i in problems.items if not _known(i)]
    problems.assert_none()


def test_judgements_of_a_suppressed_latest_period_agree(client: TestClient) -> None:
    """Issue 10 item 4: where an authority's latest value is suppressed (cancer diagnosis 2022 in Brentwood, Castle
    Point, Rochford and Southend; no qualifications in Castle Point), the page shows the comparison of the latest
    period with a value, and /api/v1/judgements?latest=true now gives the same one (it once gave none)."""
    problems = Problems()
    for slug in ("cancer-diagnosis-at-stage-1-and-2", "no-qualifications"):
        check_indicator_page(client, slug, problems)
    problems.assert_none()


@pytest.mark.parametrize("code", AREAS)
def test_area_page_agrees_with_its_json_the_api_and_its_pdf(client: TestClient, code: str) -> None:
    started = time.perf_counter()
    problems = Problems()
    check_area_page(client, code, problems)
    check_pdf(client, code, problems)
    print(f"{code}: page and PDF checked in {time.perf_counter() - started:.1f} s")
    problems.assert_none()


def test_the_html_parser_reads_cells_as_shown() -> None:
    parser = Cells()
    parser.feed(
        '<table><tr data-indicator="x" data-period="2024"><th>Label</th><td data-role="period">2024/25</td>'
        '<td class="num" data-area="A" data-value="8.45"><strong>8.5</strong><span class="ci"> (8.1–8.9)</span>'
        ' <abbr title="low reliability">[u]</abbr></td><td data-judgement="trend"><strong class="verdict">Fell'
        '</strong> <span class="reason">It fell.</span> <a href="/m">How<span class="visually-hidden"> (x)</span>'
        "</a></td></tr></table>"
    )
    period, value, trend = parser.cells
    assert period.shown() == "2024/25" and period.row == {"indicator": "x", "period": "2024"}
    assert value.shown() == "8.5 [u]" and value.attrs == {"area": "A", "value": "8.45"}
    assert (
        trend.shown("verdict") == "Fell"
        and trend.shown("reason") == "It fell."
        and trend.shown() == "Fell It fell. How"
    )


# --- the printed report's columns ------------------------------------------------------------------------

# (ONS ELS dataset, indicator as the publisher names it, how the row's label starts on the page)
COLUMN_CASES = (
    ("housing-affordability-ratio", "Housing affordability ratio (residence-based)", "Housing affordability"),
    ("claimant-count", "Claimant Count", "Claimant Count"),
    ("gross-median-weekly-pay", "Gross median weekly pay", "Gross median weekly pay"),
    ("personal-wellbeing-estimates", "Happiness", "Happiness"),
    ("personal-wellbeing-estimates", "Anxiety", "Anxiety"),
)
THURROCK, ENGLAND = "E06000034", "E92000001"


def source_pair(shared: Path, dataset: str, indicator: str) -> tuple[float, float]:
    """Thurrock's latest value in the publisher's CSV and England's for the same period."""
    with open(shared / "ons-els" / dataset / f"{dataset}.csv", encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["indicator"] == indicator and r["areacd"] in (THURROCK, ENGLAND)]
    ours = max((r for r in rows if r["areacd"] == THURROCK and r["observation"]), key=lambda r: r["period"][:10])
    england = next(r for r in rows if r["areacd"] == ENGLAND and r["period"] == ours["period"])
    return float(ours["observation"]), float(england["observation"])


def _number(token: str) -> tuple[float, int] | None:
    text = token.replace("£", "").replace("%", "").replace(",", "")
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text):
        return None
    return float(text), len(text.partition(".")[2])


def _column_token(line: str, right_edge: int) -> str:
    """The token of a layout-mode line whose right edge is nearest a (right-aligned) heading's right edge
    (layout mode places text by character cells, so bold and regular text may drift a few cells)."""
    tokens = [(m.end(), m.group(0)) for m in re.finditer(r"\S+", line)]
    end, token = min(tokens, key=lambda t: abs(t[0] - right_edge))
    assert abs(end - right_edge) <= 5, f"no value ends under the heading (nearest {token!r} at {end}, not {right_edge})"
    return token


def test_report_columns_sit_under_their_headings(client: TestClient, shared: Path) -> None:
    """Thurrock's printed report: the value under "England" is England's, read from the ONS ELS file (issue 10,
    item 11: the hidden sparkline column once shifted England's 7.6 under "Over time")."""
    from pypdf import PdfReader

    response = client.get(f"/areas/{THURROCK}/report.pdf")
    assert response.status_code == 200
    pages = [p.extract_text(extraction_mode="layout") for p in PdfReader(io.BytesIO(response.content)).pages]
    checked = 0
    for dataset, indicator, starts in COLUMN_CASES:
        ours, england = source_pair(shared, dataset, indicator)
        found = False
        for text in pages:
            header: str | None = None
            for line in text.splitlines():
                if "Indicator" in line and "Period" in line and "Thurrock" in line and "England" in line:
                    header = line
                elif header is not None and line.strip().startswith(starts):
                    at = header.index("Thurrock")
                    for edge, expected in ((at + len("Thurrock"), ours), (header.index("England", at) + 7, england)):
                        got = _number(_column_token(line, edge))
                        assert got is not None, f"{indicator}: no number under the heading in {line.strip()!r}"
                        value, decimals = got
                        assert abs(value - expected) <= 0.5 * 10**-decimals + 1e-9, (indicator, line.strip())
                    found = True
                    break
            if found:
                break
        assert found, f"{indicator}: no row starting {starts!r} under a table heading in the report"
        checked += 1
    assert checked == len(COLUMN_CASES)
