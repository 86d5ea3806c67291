"""The command line for the officers' database, on SQLite and PostgreSQL: db upgrade, users add/list/disable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from observatory.cli import app
from observatory.officers import accounts, migrate
from observatory.officers.db import Database
from observatory.officers.models import User
from tests.officers.conftest import PASSWORD


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OBSERVATORY_DATABASE_URL", db_url)
    monkeypatch.setenv("OBSERVATORY_OFFICERS_DIR", str(tmp_path / "officers"))
    return tmp_path / "store"


def test_db_upgrade_and_users_from_the_command_line(env: Path, db_url: str) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["db", "upgrade", "--store", str(env)])
    assert done.exit_code == 0, done.output
    assert migrate.current(Database(db_url).engine) == migrate.head()
    assert runner.invoke(app, ["users", "list", "--store", str(env)]).output.count("@") == 0  # no default account

    added = runner.invoke(app, ["users", "add", "Lead@Example.org", "--role", "editor", "--org", "E06000033",
                                "--store", str(env)], input=PASSWORD + "\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "lead@example.org (editor, organisation E06000033)" in added.output
    viewer = ["users", "add", "x@example.org", "--role", "viewer", "--store", str(env)]
    short = runner.invoke(app, viewer, input="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    again = runner.invoke(app, ["users", "add", "lead@example.org", "--role", "admin", "--store", str(env)],
                          input=PASSWORD + "\n")  # fmt: skip
    assert again.exit_code == 2 and "already exists" in again.output

    listed = runner.invoke(app, ["users", "list", "--store", str(env)])
    assert "lead@example.org" in listed.output and "x@example.org" not in listed.output
    assert runner.invoke(app, ["users", "disable", "lead@example.org", "--store", str(env)]).exit_code == 0
    with Database(db_url).session() as s:
        user = s.scalars(select(User)).one()
        assert user.disabled and user.password_hash.startswith("$argon2id$")
        assert accounts.sign_in(s, "lead@example.org", PASSWORD, "127.0.0.1").user is None
