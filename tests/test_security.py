"""Issue 11, items 1–4, against a real served release (``observatory serve`` as a process, real HTTP).

The release is the full build's, copied into a store of its own with one change made the way a hostile or
careless publisher would: the GVA indicator's ``sourceURL`` is ``javascript:alert(document.domain)``.
The server is told its public address (``OBSERVATORY_BASE_URL``); every absolute URL must come from it.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator

import duckdb
import httpx
import pytest

from observatory.pipeline.build import BuildReport
from observatory.store import Store
from observatory.web.httpcache import Entry, ResponseCache, normalise_query
from observatory.web.security import MAX_QUERY_BYTES, safe_link
from tests.conftest import serving

GVA = "gross-value-added-per-hour-worked"
SOUTHEND = "E06000033"
BASE_URL = "https://observatory.example.org"
EVIL = "evil.example"
HOSTILE_SOURCE = "javascript:alert(document.domain)"

# one page of each kind (HTML), and API/data answers
PAGES = [
    "/", "/indicators", f"/indicators/{GVA}", "/areas", f"/areas/{SOUTHEND}", "/areas/south-essex",
    f"/compare?areas={SOUTHEND}&indicators={GVA}", "/themes/future-work", "/search?q=southend", "/changes",
    "/about", "/methodology", "/accessibility", "/strategy", "/strategy/actions", "/invest", "/api/v1/docs",
]  # fmt: skip
DATA = [f"/indicators/{GVA}.json", "/api/v1/indicators", f"/api/v1/indicators/{GVA}", "/catalog.jsonld",
        "/api/v1/releases/current/observations.csv-metadata.json"]  # fmt: skip


@pytest.fixture(scope="module")
def poisoned_store(full_build: tuple[Store, BuildReport], tmp_path_factory: pytest.TempPathFactory) -> Store:
    source, _ = full_build
    release = source.resolve(None)
    store = Store(tmp_path_factory.mktemp("store-hostile"))
    store.ensure()
    target = store.release_path(release)
    shutil.copyfile(source.release_path(release), target)
    with duckdb.connect(str(target)) as con:
        con.execute("UPDATE indicators SET source_url = $u WHERE slug = $s", {"u": HOSTILE_SOURCE, "s": GVA})
    (store.root / "CURRENT").write_text(release)
    return store


@pytest.fixture(scope="module")
def base(poisoned_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("serve-hostile") / "serve.log"
    with serving(poisoned_store.root, log, env={"OBSERVATORY_BASE_URL": BASE_URL}) as url:
        yield url


@pytest.fixture(scope="module")
def http(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=120) as client:
        yield client


# ---------------------------------------------------------------------------------------------------------------
# 1. Host header


def test_a_foreign_host_header_is_refused_and_poisons_nothing(http: httpx.Client) -> None:
    for path in [f"/indicators/{GVA}", "/catalog.jsonld", f"/api/v1/indicators/{GVA}"]:
        hostile = http.get(path, headers={"Host": EVIL})
        assert hostile.status_code == 400, path
        assert EVIL not in hostile.text
        for forwarded in ("X-Forwarded-Host", "Forwarded"):
            also = http.get(path, headers={forwarded: EVIL if forwarded != "Forwarded" else f"host={EVIL}"})
            assert EVIL not in also.text, (path, forwarded)
    for path in [f"/indicators/{GVA}", "/catalog.jsonld", f"/api/v1/indicators/{GVA}", f"/indicators/{GVA}.json"]:
        normal = http.get(path)
        assert normal.status_code == 200, path
        assert EVIL not in normal.text, path


def test_absolute_urls_come_from_the_configured_base_url(http: httpx.Client, base: str) -> None:
    page = http.get(f"/indicators/{GVA}").text
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert found, "the indicator page carries schema.org JSON-LD"
    jsonld = json.loads(found.group(1))
    assert jsonld["@id"].startswith(BASE_URL + "/"), jsonld["@id"]
    assert jsonld["url"].startswith(BASE_URL + "/"), jsonld["url"]
    catalog = http.get("/catalog.jsonld").json()
    ids = re.findall(r'"@id": ?"(https?://[^"/]+)', json.dumps(catalog))
    ours = [i for i in ids if "example.org" in i or "127.0.0.1" in i]
    assert ours and all(i == BASE_URL for i in ours), sorted(set(ours))
    assert base.split("//")[1] not in json.dumps(catalog)  # the address the request came in on is not used


# ---------------------------------------------------------------------------------------------------------------
# 2. Bounded memory: query length, normalised keys, a cache that counts everything it holds


def test_a_query_longer_than_the_limit_is_refused(http: httpx.Client) -> None:
    hostile = "&".join(["release=current"] * 4000)  # ~64 KB, as in the issue
    answer = http.get(f"/api/v1/indicators/{GVA}?{hostile}")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == 400 and problem["title"] == "URI Too Long"
    assert f"{MAX_QUERY_BYTES:,} bytes" in problem["detail"]
    assert http.get(f"/indicators/{GVA}?{hostile}").status_code == 400
    within = "&".join(["release=current"] * ((MAX_QUERY_BYTES - 100) // 16))
    assert len(within) <= MAX_QUERY_BYTES
    answer = http.get(f"/api/v1/indicators/{GVA}?{within}")
    assert answer.status_code == 200
    assert answer.headers["etag"] == http.get(f"/api/v1/indicators/{GVA}?release=current").headers["etag"]


def test_equivalent_queries_share_one_cache_key() -> None:
    assert normalise_query("b=2&a=1&a=1") == normalise_query("a=1&b=2") == "a=1&b=2"
    assert normalise_query("area=x&area=y") != normalise_query("area=y&area=x")  # a list keeps its order


def test_the_cache_counts_keys_and_headers_not_only_bodies() -> None:
    cache = ResponseCache(max_bytes=1_000_000)
    for i in range(5_000):  # 5,000 one-byte bodies under 2 KB keys: ~10 MB of keys if keys were free
        cache.put(("api", "r", f"/x?{i}&{'q' * 2000}"), Entry(b"x", [(b"etag", b'"t"')], b'"t"', False))
    assert cache.bytes_held <= 1_000_000
    assert len(cache) < 500


# ---------------------------------------------------------------------------------------------------------------
# 3. Safe links and browser protections


def test_a_javascript_source_url_is_never_a_link(http: httpx.Client) -> None:
    page = http.get(f"/indicators/{GVA}").text
    assert 'href="javascript:' not in page.lower()
    assert not re.search(r"href=\"\s*javascript", page, re.I)
    assert "Office for National Statistics" in page  # the publisher is still named, as text
    for url in ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:x", "data:text/html,x", "vbscript:x",
                "//evil.example/x", "http:/x"]:  # fmt: skip
        assert safe_link(url) == "", url
    for url in ["https://www.ons.gov.uk/x", "http://example.org/", "mailto:a@b.example", "/about"]:
        assert safe_link(url) == url


def test_every_html_page_carries_the_browser_protections(http: httpx.Client) -> None:
    for path in [*PAGES, "/indicators/no-such-indicator"]:
        answer = http.get(path)
        assert answer.status_code in (200, 404), path
        h = answer.headers
        assert h["content-type"].startswith("text/html"), path
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert h["x-frame-options"] == "DENY", path
        assert h["x-content-type-options"] == "nosniff", path
        assert h["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/ld\+json\"))", answer.text), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", answer.text), path
    for path in DATA:
        h = http.get(path).headers
        assert h["x-content-type-options"] == "nosniff", path
    embed = http.get("/embed/anything")  # embeds (issue 14) live under /embed/ and may be framed
    assert "x-frame-options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["content-security-policy"]


# ---------------------------------------------------------------------------------------------------------------
# 4. HTTP: HEAD, 405 + Allow, weak ETags, PDFs 304


def test_head_is_answered_wherever_get_is(http: httpx.Client) -> None:
    for path in [*PAGES[:6], *DATA, "/static/site.css", "/api/v1/openapi.json"]:
        got = http.get(path)
        head = http.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers.get("etag") == got.headers.get("etag"), path


def test_an_unsupported_method_is_405_with_allow(http: httpx.Client) -> None:
    for path in ["/", f"/indicators/{GVA}", f"/api/v1/indicators/{GVA}", "/api/v1/observations"]:
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            answer = http.request(method, path)
            assert answer.status_code == 405, (method, path)
            allowed = {m.strip() for m in answer.headers["allow"].split(",")}
            assert {"GET", "HEAD"} <= allowed and method not in allowed, (method, path)


def test_weak_and_listed_etags_revalidate_pages_api_and_pdfs(http: httpx.Client) -> None:
    for path in [f"/indicators/{GVA}", f"/areas/{SOUTHEND}", f"/api/v1/indicators/{GVA}", "/catalog.jsonld",
                 f"/areas/{SOUTHEND}/report.pdf"]:  # fmt: skip
        first = http.get(path)
        assert first.status_code == 200, path
        tag = first.headers["etag"]
        for sent in (tag, f"W/{tag}", f'"nope", W/{tag}', "*"):
            again = http.get(path, headers={"If-None-Match": sent})
            assert again.status_code == 304, (path, sent)
            assert again.headers["etag"] == tag
        assert http.get(path, headers={"If-None-Match": '"nope"'}).status_code == 200, path


def test_judgements_without_parameters_are_accepted_as_the_schema_says(http: httpx.Client) -> None:
    answer = http.get("/api/v1/judgements")
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] > 0 and len(body["judgements"]) == min(body["count"], 1000)
    doc = http.get("/api/v1/openapi.json").json()
    params = doc["paths"]["/api/v1/indicators/{slug}/map"]["get"]["parameters"]
    example = next(p for p in params if p["name"] == "period")["schema"]["examples"][0]
    assert http.get(f"/api/v1/indicators/{GVA}/map", params={"period": example}).status_code == 200
