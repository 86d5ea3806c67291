"""Fixtures for the officers' tests: the database on SQLite and on a real PostgreSQL, a small release, the app.

PostgreSQL: ``OBSERVATORY_TEST_POSTGRES_URL`` (``.ci/run`` starts a throwaway server with
``scripts/test-postgres.sh`` and sets it). Without it the PostgreSQL cases are skipped on a developer's
machine and FAIL in CI (``CI`` set), so CI can never pass without testing PostgreSQL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from observatory.config import Config, load_config
from observatory.officers import accounts
from observatory.officers.db import Database
from observatory.officers.service import Officers
from observatory.pipeline.build import build_release
from observatory.store import Store
from observatory.web.app import create_app
from observatory.web.pages import clear_caches
from tests.conftest import CONFIG_PATH

PASSWORD = "correct horse battery staple"
POSTGRES_ENV = "OBSERVATORY_TEST_POSTGRES_URL"
SMALL_DATASET = "research-and-development-business"  # a 5 KB ELS file: keeps the release builds fast
SOUTHEND, THURROCK = "E06000033", "E06000034"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with argon2-cffi's cheapest parameters: the same code path, without 64 MiB per hash."""
    monkeypatch.setattr(accounts, "HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))


def postgres_url() -> str:
    """The test server's URL; under pytest-xdist, a database of this worker's own on the same server.

    Every PostgreSQL test empties its database first, so two workers sharing one would empty each
    other's tables mid-test: each worker (``PYTEST_XDIST_WORKER``, e.g. ``gw0``) gets ``<name>_gw0``.
    """
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} is not set: CI must test the officers' database on PostgreSQL (.ci/run)")
        pytest.skip(f"{POSTGRES_ENV} is not set (scripts/test-postgres.sh start gives one)")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    if not re.fullmatch(r"gw[0-9]+", worker):
        raise AssertionError(f"unexpected PYTEST_XDIST_WORKER {worker!r}")
    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")
    if worker not in _WORKER_DATABASES:
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as con:
                exists = con.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own.database})
                if exists.first() is None:
                    con.execute(text(f'CREATE DATABASE "{own.database}"'))
        finally:
            engine.dispose()
        _WORKER_DATABASES.add(worker)
    return own.render_as_string(hide_password=False)


_WORKER_DATABASES: set[str] = set()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'officers.sqlite'}"
    url = postgres_url()
    db = Database(url)
    with db.engine.begin() as con:  # every test starts from an empty database
        con.execute(text("DROP SCHEMA public CASCADE"))
        con.execute(text("CREATE SCHEMA public"))
    return url


@pytest.fixture
def officers(db_url: str, tmp_path: Path) -> Officers:
    db = Database(db_url)
    db.upgrade()
    folder = tmp_path / "officers"
    folder.mkdir()
    return Officers(db, folder)


@pytest.fixture
def users(officers: Officers) -> dict[str, str]:
    """One account of each kind; returns role name → email."""
    made = {
        "admin": ("admin@example.org", "admin", None, None),
        "viewer": ("viewer@example.org", "viewer", None, None),
        "southend": ("editor@southend.example.org", "editor", SOUTHEND, None),
        "growth": ("growth@example.org", "editor", None, "enterprise-growth"),
    }
    with officers.db.session() as s:
        for email, role, org, programme in made.values():
            accounts.add_user(s, email, PASSWORD, role, org_code=org, programme=programme)
    return {k: v[0] for k, v in made.items()}


def small_config() -> Config:
    """The deployment's config reading only ONS ELS and the lookups (no boundaries, no small areas)."""
    cfg = load_config(CONFIG_PATH)
    return cfg.model_copy(update={
        "sources": [s for s in cfg.sources if s.name in ("ons-els", "ons-geography-lookups")],
        "small_area_scope": [],
        "comparators": [c for c in cfg.comparators if c != "K02000001"],  # the UK is in the boundaries only
    })  # fmt: skip


@pytest.fixture(scope="session")
def small_sources(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    """A sources folder of symlinks: the lookups and one small ELS dataset."""
    root = tmp_path_factory.mktemp("officers-sources")
    os.symlink(shared / "ons-geography-lookups", root / "ons-geography-lookups")
    (root / "ons-els").mkdir()
    os.symlink(shared / "ons-els" / SMALL_DATASET, root / "ons-els" / SMALL_DATASET)
    return root


@pytest.fixture(scope="session")
def small_release(tmp_path_factory: pytest.TempPathFactory, small_sources: Path) -> Store:
    """One small release shared by the tests that only read it (pages, progress, uploads' checks)."""
    store = Store(tmp_path_factory.mktemp("officers-store"))
    build_release(small_config(), small_sources, store)
    return store


@pytest.fixture
def client(small_release: Store, officers: Officers) -> Iterator[TestClient]:
    clear_caches()
    app = create_app(small_release, small_config(), officers=officers)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as c:
        yield c
    clear_caches()


CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns a CSRF token valid for the new session."""
    page = client.get("/officers/sign-in")
    assert page.status_code == 200
    response = client.post("/officers/sign-in", data={"csrf_token": csrf_of(page.text), "email": email,
                                                      "password": password})  # fmt: skip
    assert response.status_code == 303, response.text[:500]
    home = client.get("/officers")
    assert home.status_code == 200
    return csrf_of(home.text)
