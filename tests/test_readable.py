"""Readable and take-away (issue 14): name addresses, favicon, footer, chart and map downloads, embeds,
permalinks, compare by names, plain headings and the age of figures. In-process app on the full release."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from observatory.store import Store

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
