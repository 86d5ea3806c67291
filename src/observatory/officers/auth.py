"""Signed session cookies, server-side session records, and CSRF tokens.

The session cookie carries a random token signed with itsdangerous (tamper-evident, timed); the
database keeps only the token's sha256, so a session can be ended (sign-out, disabled account) and a
stolen database gives no cookie. Cookies are HttpOnly and SameSite=Lax, and Secure when the request
came over HTTPS.

CSRF: every form carries ``csrf_token`` = HMAC-SHA256(key, session token) — a synchronizer token
bound to the session (OWASP's HMAC-based token pattern). Before sign-in the basis is a random
pre-session cookie, so the sign-in form is protected too.

The signing key is ``$OBSERVATORY_SECRET_KEY``, else ``secret.key`` in the officers' data folder,
generated (256 random bits, mode 0600) on first use and never part of the repository.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.officers.models import AuthSession, User, utcnow

SECRET_ENV = "OBSERVATORY_SECRET_KEY"  # noqa: S105 - the variable's name, not a secret
SESSION_COOKIE = "obs_session"
PRE_COOKIE = "obs_pre"
SESSION_LENGTH = dt.timedelta(hours=8)


def secret_key(folder: Path) -> bytes:
    """The deployment's signing key: from the environment, else read or created once in ``folder``."""
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode()
    path = folder / "secret.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = secrets.token_urlsafe(32).encode()
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    """Starting, finding and ending sessions; making and checking CSRF tokens."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._signer = URLSafeTimedSerializer(key, salt="observatory.officers.session")

    def start(self, session: Session, user: User, now: dt.datetime | None = None) -> str:
        """A new session for ``user``; returns the cookie value."""
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        session.add(AuthSession(token_hash=token_hash(token), user_id=user.id, created_at=now,
                                expires_at=now + SESSION_LENGTH))  # fmt: skip
        return self._signer.dumps(token)

    def token(self, cookie: str | None) -> str | None:
        """The session token inside a cookie, if the signature is good and not older than a session."""
        if not cookie:
            return None
        try:
            token = self._signer.loads(cookie, max_age=int(SESSION_LENGTH.total_seconds()))
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def user(self, session: Session, cookie: str | None, now: dt.datetime | None = None) -> User | None:
        """The signed-in user of a cookie: a live, unrevoked session of an account that is not disabled."""
        token = self.token(cookie)
        if token is None:
            return None
        now = now or utcnow()
        row = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            return None
        user = session.get(User, row.user_id)
        return None if user is None or user.disabled else user

    def end(self, session: Session, cookie: str | None) -> None:
        token = self.token(cookie)
        if token is None:
            return
        row = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()

    def csrf_token(self, basis: str) -> str:
        return hmac.new(self._key, b"csrf|" + basis.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, basis: str | None, sent: str | None) -> bool:
        if not basis or not sent:
            return False
        return hmac.compare_digest(self.csrf_token(basis), sent)


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)
