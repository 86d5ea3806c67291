"""Readable and take-away (issue 14): name addresses, favicon, footer, chart and map downloads, embeds,
permalinks, compare by names, plain headings and the age of figures. In-process app on the full release."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from observatory.config import Config
from observatory.store import Store
from observatory.web import charts, figures
from observatory.web.pages import clear_caches

pytestmark = pytest.mark.slow

# GSS codes of the six authorities, as published by ONS (the brief's list; also observatory.toml).
THURROCK, CASTLE_POINT, SOUTHEND = "E06000034", "E07000069", "E06000033"


@pytest.mark.parametrize(
    ("name", "code"),
    [("thurrock", THURROCK), ("castle-point", CASTLE_POINT), ("southend-on-sea", SOUTHEND), ("Thurrock", THURROCK)],
)
def test_name_addresses_redirect_permanently_to_the_code_address(client: TestClient, name: str, code: str) -> None:
    r = client.get(f"/areas/{name}", follow_redirects=False)
    assert r.status_code in (301, 308), r.text[:200]
    assert r.headers["location"] == f"/areas/{code}"
    followed = client.get(f"/areas/{name}")
    assert followed.status_code == 200 and "<h1" in followed.text


def test_name_addresses_keep_the_format_and_query(client: TestClient) -> None:
    r = client.get("/areas/thurrock.json?release=current", follow_redirects=False)
    assert r.status_code in (301, 308)
    assert r.headers["location"] == f"/areas/{THURROCK}.json?release=current"


def test_group_and_code_addresses_are_not_redirected(client: TestClient) -> None:
    assert client.get("/areas/south-essex", follow_redirects=False).status_code == 200
    assert client.get(f"/areas/{THURROCK}", follow_redirects=False).status_code == 200


def test_unknown_name_is_a_404_with_suggestions(client: TestClient) -> None:
    r = client.get("/areas/thurock", follow_redirects=False)
    assert r.status_code == 404
    assert f'href="/areas/{THURROCK}"' in r.text  # the misspelt authority is suggested


def test_favicon_and_footer_name_the_release(client: TestClient, store: Store) -> None:
    html = client.get("/").text
    assert 'rel="icon"' in html and "/static/favicon.svg" in html
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    release_id = store.current_id()
    assert release_id is not None
    created = date.fromisoformat(release_id[:4] + "-" + release_id[4:6] + "-" + release_id[6:8])  # id = UTC time…
    footer = html[html.index("<footer") :]
    assert f"Last updated {created.day} {created:%B %Y}" in footer
    assert f'release <a href="/changes"><code>{release_id}</code></a>' in footer


# --------------------------------------------------------------------------------------------------------------
# Charts and maps people can take away

GVA = "gross-value-added-per-hour-worked"


def _els_metadata(shared: Path) -> dict[str, Any]:
    """The publisher's metadata for GVA per hour worked (ONS ELS JSON): label, source organisation and date."""
    raw = json.loads((shared / "ons-els" / "gross-value-added" / "gross-value-added.json").read_text(encoding="utf-8"))
    block = raw["ess-beta-metadata"]
    shared_block = block["shared"]
    day, month, year = (int(x) for x in shared_block["sourceDate"].split("/"))  # "19/06/2025"
    return {"label": block["Gross value added per hour worked"]["label"], "source": shared_block["sourceOrg"],
            "published": date(year, month, day)}  # fmt: skip


def _svg_text(svg: bytes) -> str:
    root = ET.fromstring(svg)
    return " ".join(" ".join(el.itertext()) for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("text", "title"))


@pytest.mark.parametrize("figure", ["chart", "map"])
def test_svg_download_carries_title_units_source_licence_and_release(
    client: TestClient, store: Store, shared: Path, figure: str
) -> None:
    meta = _els_metadata(shared)
    r = client.get(f"/indicators/{GVA}/{figure}.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    release_id = store.current_id()
    assert r.headers["x-observatory-release"] == release_id
    assert f"{GVA}-{figure}-{release_id}.svg" in r.headers["content-disposition"]
    text = " ".join(_svg_text(r.content).split())
    assert meta["label"] in text  # the title
    assert "Units: £" in text  # the publisher's prefix "GBPSign": pounds
    published = meta["published"]
    assert f"Source: {meta['source']}, published {published.day} {published:%B %Y}" in text
    assert "Licence: Open Government Licence v3.0" in text
    assert f"release {release_id}" in text
    if figure == "map":
        assert "by local authority, 2023" in text  # the latest period of the publisher's file (2004 to 2023)


@pytest.mark.parametrize("figure", ["chart", "map"])
def test_png_download_is_drawn_from_the_captioned_spec(
    client: TestClient, store: Store, shared: Path, figure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PNG is rendered by vl-convert from the captioned spec (chart) or captioned SVG (map): spy on the calls."""
    seen: list[Any] = []
    real_spec, real_svg = figures.vlc.vegalite_to_png, figures.vlc.svg_to_png

    def spy_spec(spec: Any, **kw: Any) -> bytes:
        seen.append(json.dumps(spec, ensure_ascii=False))
        return bytes(real_spec(spec, **kw))

    def spy_svg(svg: str, **kw: Any) -> bytes:
        seen.append(_svg_text(svg.encode()))
        return bytes(real_svg(svg, **kw))

    monkeypatch.setattr(figures.vlc, "vegalite_to_png", spy_spec)
    monkeypatch.setattr(figures.vlc, "svg_to_png", spy_svg)
    clear_caches()  # render afresh, not from an earlier test
    r = client.get(f"/indicators/{GVA}/{figure}.png?areas=E06000034,E92000001")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n" and len(r.content) > 10_000
    assert len(seen) == 1
    meta = _els_metadata(shared)
    for expected in (meta["label"], "Units: £", f"Source: {meta['source']}", "Open Government Licence v3.0",
                     f"release {store.current_id()}"):  # fmt: skip
        assert expected in seen[0], f"{expected!r} is not drawn in the {figure} PNG"


def test_figure_csv_is_the_chart_and_map_numbers(client: TestClient, shared: Path) -> None:
    """Thurrock's GVA per hour worked in 2023, read from the publisher's CSV, is in both downloads."""
    with (shared / "ons-els" / "gross-value-added" / "gross-value-added.csv").open(encoding="utf-8-sig") as f:
        published = next(
            float(r["observation"])
            for r in csv.DictReader(f)
            if r["areacd"] == THURROCK and r["indicator"] == "Gross value added per hour worked"
            and r["period"] == "2023-01-01/P1Y"
        )  # fmt: skip

    def value_of(text: str, period: str) -> float:
        found = [r for r in csv.DictReader(io.StringIO(text)) if r["area_code"] == THURROCK and r["period"] == period]
        assert len(found) == 1, found
        return float(found[0]["value"])

    chart = client.get(f"/indicators/{GVA}/chart.csv?areas={THURROCK}")
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("text/csv")
    assert {r["area_code"] for r in csv.DictReader(io.StringIO(chart.text))} == {THURROCK}
    assert value_of(chart.text, "2023-01-01/P1Y") == pytest.approx(published, abs=1e-9)
    assert value_of(client.get(f"/indicators/{GVA}/map.csv").text, "2023-01-01/P1Y") == pytest.approx(published)


def test_each_area_keeps_its_colour_whatever_else_is_selected(config: Config) -> None:
    def colours(codes: list[str]) -> dict[str, str]:
        series = [charts.Series(c, c, [charts.Point(date(2020, 1, 1), "2020", 1.0)]) for c in codes]
        spec = charts.line_chart_spec(series, y_title="", highlight=list(config.areas_of_interest),
                                      comparators=["E92000001", "E12000006", "E10000012"])  # fmt: skip
        layer = next(la for la in spec["layer"] if la["mark"]["type"] == "point")
        scale = layer["encoding"]["color"]["scale"]
        return dict(zip(scale["domain"], scale["range"], strict=True))

    everyone = colours([*config.areas_of_interest, "E92000001"])
    for subset in ([THURROCK], [THURROCK, "E92000001"], [CASTLE_POINT, THURROCK], ["E92000001", THURROCK]):
        for code, colour in colours(subset).items():
            assert colour == everyone[code], f"{code} changes colour when {subset} is selected"
    assert len(set(everyone.values())) == len(everyone)


def test_an_area_without_data_is_named_not_drawn(client: TestClient) -> None:
    """Essex (E10000012, a county) has no figures in the publisher's GVA per hour file (lower-tier and ITL data)."""
    html = client.get(f"/indicators/{GVA}?areas={THURROCK},E10000012").text
    assert "No data for Essex for this indicator" in html
    # the downloaded chart says so inside the image too (the SVG's text; the PNG is drawn from the same spec)
    svg = client.get(f"/indicators/{GVA}/chart.svg?areas={THURROCK},E10000012").text
    assert "No data for Essex in this release, so it is not drawn." in svg


def test_permalink_reproduces_the_same_selection_and_release(client: TestClient, store: Store) -> None:
    html = client.get(f"/indicators/{GVA}?areas={THURROCK},{CASTLE_POINT},{SOUTHEND}").text
    link = re.search(r'id="permalink"[^>]*value="([^"]+)"', html)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert f"areas={THURROCK},{CASTLE_POINT},{SOUTHEND}" in url and f"release={store.current_id()}" in url
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    again = client.get(path)
    assert again.status_code == 200 and again.headers["x-observatory-release"] == store.current_id()
    checked = set(re.findall(r'name="area" value="([^"]+)" checked', again.text))
    assert checked == {THURROCK, CASTLE_POINT, SOUTHEND}


def test_embed_page_may_be_framed_and_links_back(client: TestClient) -> None:
    r = client.get(f"/embed/indicators/{GVA}?areas={THURROCK}")
    assert r.status_code == 200
    policy = r.headers["content-security-policy"]  # the site's whole policy, with only framing opened
    assert "frame-ancestors *" in policy and "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "x-frame-options" not in {k.lower() for k in r.headers}
    assert "<svg" in r.text and f'href="/indicators/{GVA}?areas={THURROCK}&amp;release=' in r.text
    assert "Source: Office for National Statistics" in r.text
    assert "frame-ancestors 'none'" in client.get("/").headers.get("content-security-policy", "")


# --------------------------------------------------------------------------------------------------------------
# Data that reads as prose


def test_home_headings_name_the_periods_and_say_where_south_essex_has_no_figure(client: TestClient) -> None:
    """GVA per hour worked: the publisher's file runs to 2023 for every authority, so the changes are since 2022
    and since 2018 (five periods back); GVA per hour is a ratio whose totals are not published, so no South Essex
    figure may be computed (README: never an average of rates)."""
    html = client.get("/").text
    assert "Change over 5 periods" not in html and "Change since previous" not in html
    start = html.index('href="/indicators/gross-value-added-per-hour-worked"')
    row = html[start : html.index("</tr>", start)]  # the GVA row: a cell per authority, South Essex, England
    cells = row.split("<td")[1:]
    assert len(cells) == 8, row
    for cell in (*cells[:6], cells[7]):  # the six authorities and England: both changes, their periods named
        assert " since 2022</span>" in cell and " since 2018</span>" in cell, cell
    assert "no figure" in cells[6] and "since" not in cells[6]  # South Essex: no figure, so no change either
    assert "over 5 periods" not in row
    table_end = html.index("</table>", start)
    note = html[table_end : html.index("</section>", table_end)]
    assert "No South Essex figure for Gross value added per hour worked: this measure cannot be added up" in note
    assert "South Essex</a>" in html[html.rindex("<thead", 0, start) : start]
    assert "own figure is shown only where the rules allow" in html


def test_south_essex_figure_is_shown_where_the_rule_allows(store: Store, shared: Path, config: Config) -> None:
    """Active businesses are a count: South Essex's figure is the sum of the six authorities' latest (2024)
    figures in the publisher's business demography file; the home page's group row uses ``group_figure``."""
    import duckdb

    from observatory.web.data.home import group_figure

    with (shared / "ons-els" / "business-demography" / "business-demography.csv").open(encoding="utf-8-sig") as f:
        expected = sum(
            float(r["observation"])
            for r in csv.DictReader(f)
            if r["areacd"] in config.areas_of_interest and r["indicator"] == "Active businesses"
            and r["period"] == "2024-01-01/P1Y"
        )  # fmt: skip
    con = duckdb.connect(str(store.release_path(str(store.current_id()))), read_only=True)
    try:
        ind = {"slug": "active-businesses", "prefix": None, "suffix": None, "decimals": 0, "unit": "Number"}
        found = group_figure(con.cursor(), "south-essex", ind)
    finally:
        con.close()
    assert found is not None and found["period"] == "2024" and found["why_not"] is None
    assert found["value"] == pytest.approx(expected)  # 36,280


def test_indicator_page_gives_the_age_cycle_and_next_release(client: TestClient, shared: Path, store: Store) -> None:
    """GVA per hour: published 19/06/2025 (ELS metadata), yearly periods 2004–2023, no announced next release."""
    from observatory.web.data.freshness import months_between, span_words

    meta = _els_metadata(shared)
    release_id = str(store.current_id())
    built = date(int(release_id[:4]), int(release_id[4:6]), int(release_id[6:8]))
    age = months_between(meta["published"], built)
    html = client.get(f"/indicators/{GVA}").text
    assert f"{span_words(age)} since publication; usually updated yearly" in html
    due = date(2026, 6, 19)  # 19 June 2025 + the yearly cycle
    if due < built:
        assert "Not announced; on its usual cycle one was due about June 2026" in html
    else:
        assert "Not announced; about June 2026 if the usual cycle holds" in html
    assert ("This may not be the newest figure." in html) == (age > 12)


def test_freshness_rules() -> None:
    from observatory.web.data.freshness import cycle_months, freshness, span_words

    quarters = [date(2024, m, 1) for m in (1, 4, 7, 10)]
    assert cycle_months(quarters) == 3 and cycle_months([date(2020, 1, 1)]) is None
    assert cycle_months([date(y, 1, 1) for y in (2015, 2016, 2017, 2019)]) == 12  # one gap of two years
    assert span_words(17) == "1 year 5 months" and span_words(12) == "1 year" and span_words(0) == "less than a month"
    fresh = freshness(date(2025, 6, 19), [date(2022, 1, 1), date(2023, 1, 1)], date(2025, 12, 1))
    assert fresh["age_months"] == 5 and not fresh["older_than_usual"] and fresh["next_estimate"] == date(2026, 6, 19)
    stale = freshness(date(2024, 6, 19), [date(2022, 1, 1), date(2023, 1, 1)], date(2025, 12, 1))
    assert stale["age_months"] == 17 and stale["older_than_usual"]
    assert freshness(None, quarters, date(2025, 1, 1))["age_words"] is None


# --------------------------------------------------------------------------------------------------------------
# Compare without codes


def _compare(client: TestClient, query: str) -> str:
    r = client.get(f"/compare?{query}", follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return str(r.headers["location"])


def test_compare_by_typed_names_gives_a_shareable_address(client: TestClient) -> None:
    location = _compare(client, f"area={SOUTHEND}&names=Thurrock,+castle+point&indicator={GVA}")
    assert location == f"/compare?areas={SOUTHEND},{THURROCK},{CASTLE_POINT}&indicators={GVA}"
    page = client.get(location)
    assert page.status_code == 200
    head = page.text[page.text.index("<thead>") : page.text.index("</thead>")]
    assert all(f"/areas/{c}" in head for c in (SOUTHEND, THURROCK, CASTLE_POINT))
    assert 'list="area-name-list"' in page.text and '<option value="Castle Point">' in page.text


def test_compare_reports_a_name_it_cannot_find_with_suggestions(client: TestClient) -> None:
    r = client.get("/compare?names=Thurock")
    assert r.status_code == 200 and "No area is called “Thurock”" in r.text
    assert "Thurrock (E06000034)" in r.text


def test_compare_adds_an_authority_with_its_statistical_neighbours(client: TestClient, store: Store) -> None:
    import duckdb

    con = duckdb.connect(str(store.release_path(str(store.current_id()))), read_only=True)
    try:
        sql = "SELECT neighbour_code FROM neighbours WHERE area_code = ? ORDER BY rank"
        nearest = [c for (c,) in con.execute(sql, [THURROCK]).fetchall()]
    finally:
        con.close()
    assert len(nearest) == 10  # README: the 10 nearest English authorities
    location = _compare(client, f"neighbours_of={THURROCK}")
    assert location == f"/compare?areas={','.join([THURROCK, *nearest])}"


def test_compare_adds_a_whole_group_and_a_whole_theme(client: TestClient, config: Config) -> None:
    location = _compare(client, "area=E92000001&group=south-essex")
    assert location == f"/compare?areas=E92000001,{','.join(config.areas_of_interest)}"
    future = next(t for t in config.themes if t.slug == "future-work")
    location = _compare(client, f"areas={THURROCK}&theme=future-work")
    slugs = location.split("indicators=", 1)[1].split(",")
    assert slugs and set(slugs) <= set(future.indicators)
    assert client.get(location).status_code == 200
