"""The officers' database from empty, on SQLite and PostgreSQL: migrations, accounts, lockout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from observatory.officers import accounts, migrate
from observatory.officers.db import Database
from observatory.officers.models import SignInAttempt, User
from observatory.officers.service import Officers
from tests.officers.conftest import PASSWORD

TABLES = {"users", "auth_sessions", "sign_in_attempts", "action_updates", "uploads", "audit_events"}


def test_migrations_from_empty_create_every_table_and_can_be_undone(db_url: str) -> None:
    db = Database(db_url)
    assert migrate.current(db.engine) is None
    assert not TABLES & set(inspect(db.engine).get_table_names())
    assert db.upgrade() == migrate.head() == "0001"
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    assert db.upgrade() == "0001"  # idempotent: serve and build run it every time
    columns = {c["name"] for c in inspect(db.engine).get_columns("uploads")}
    assert {"sha256", "embargo_until", "org_code", "status", "user_id"} <= columns
    migrate.downgrade(db.engine, "base")
    assert not TABLES & set(inspect(db.engine).get_table_names())
    assert db.upgrade() == "0001"


def test_no_account_exists_until_an_admin_adds_one(officers: Officers) -> None:
    with officers.db.session() as s:
        assert accounts.list_users(s) == []
        user = accounts.add_user(s, " Officer@Example.org ", PASSWORD, "viewer")
        assert user.email == "officer@example.org"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("email", "password", "role", "org", "programme", "field"),
    [
        ("not-an-email", PASSWORD, "viewer", None, None, "email"),
        ("a@example.org", "short", "viewer", None, None, "password"),
        ("a@example.org", PASSWORD, "owner", None, None, "role"),
        ("a@example.org", PASSWORD, "editor", None, None, "editor needs"),
        ("a@example.org", PASSWORD, "editor", "Southend", None, "org"),
        ("a@example.org", PASSWORD, "viewer", "E06000033", None, "editors only"),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(
    officers: Officers, email: str, password: str, role: str, org: str | None, programme: str | None, field: str
) -> None:
    with officers.db.session() as s, pytest.raises(accounts.AccountError, match=field):
        accounts.add_user(s, email, password, role, org_code=org, programme=programme)


def test_lockout_after_repeated_bad_passwords_per_account(officers: Officers, users: dict[str, str]) -> None:
    email = users["viewer"]
    t0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with officers.db.session() as s:
        assert accounts.sign_in(s, email, PASSWORD, "10.0.0.1", t0).user is not None
        for i in range(accounts.ACCOUNT_LIMIT):
            result = accounts.sign_in(s, email, "wrong password", "10.0.0.1", t0 + dt.timedelta(seconds=i))
            assert result.user is None
        last_failure = t0 + dt.timedelta(seconds=accounts.ACCOUNT_LIMIT - 1)
        # locked: even the right password is refused, from any address, until WINDOW after the last failure
        locked = accounts.sign_in(s, email, PASSWORD, "10.0.0.2", t0 + dt.timedelta(minutes=1))
        assert locked.user is None and locked.locked_until == last_failure + accounts.WINDOW
        later = last_failure + accounts.WINDOW + dt.timedelta(seconds=1)
        assert accounts.sign_in(s, email, PASSWORD, "10.0.0.1", later).user is not None
        # every attempt was counted
        assert len(list(s.scalars(select(SignInAttempt).where(SignInAttempt.email == email)))) == 8


def test_lockout_per_client_address_across_accounts(officers: Officers, users: dict[str, str]) -> None:
    t0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with officers.db.session() as s:
        for i in range(accounts.IP_LIMIT):  # a different (unknown) account each time: no account lockout
            accounts.sign_in(s, f"guess{i}@example.org", "x", "192.0.2.9", t0 + dt.timedelta(seconds=i))
        assert accounts.sign_in(s, users["admin"], PASSWORD, "192.0.2.9", t0 + dt.timedelta(minutes=2)).user is None
        assert accounts.sign_in(s, users["admin"], PASSWORD, "192.0.2.10", t0 + dt.timedelta(minutes=2)).user


def test_disabled_account_cannot_sign_in(officers: Officers, users: dict[str, str]) -> None:
    with officers.db.session() as s:
        accounts.disable_user(s, users["viewer"])
        assert accounts.sign_in(s, users["viewer"], PASSWORD, "10.0.0.1").user is None
        assert s.scalar(select(User).where(User.email == users["viewer"])).disabled  # type: ignore[union-attr]


def test_sqlite_schema_changes_are_transactional(tmp_path: Path) -> None:
    """A migration interrupted half-way leaves nothing behind (sqlite3 would otherwise commit DDL at once)."""
    db = Database(f"sqlite:///{tmp_path / 'o.sqlite'}")
    with pytest.raises(RuntimeError), db.engine.begin() as con:
        con.exec_driver_sql("CREATE TABLE half_made (x INTEGER)")
        raise RuntimeError("killed mid-migration")
    assert "half_made" not in inspect(db.engine).get_table_names()
