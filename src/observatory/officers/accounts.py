"""Officer accounts: Argon2id password hashes (argon2-cffi), roles, sign-in with throttling and lockout.

Roles: ``viewer`` (signed-in read access, including embargoed uploads), ``editor`` for one organisation
(a council's GSS code: uploads its local data) and/or one programme of the action plan (records progress
on its actions), ``admin`` (everything, and the audit log). Accounts are only ever made by an admin on the
command line (``observatory users add``); there is no default account and no default password.

Throttling: sign-in attempts are kept in the database, so every worker sees them. After
``ACCOUNT_LIMIT`` failed passwords for one account within ``WINDOW``, that account is locked until
``WINDOW`` after its last failure (a right password is refused meanwhile); after ``IP_LIMIT`` failures
from one client address within ``WINDOW``, that address is refused the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from observatory.officers import audit
from observatory.officers.models import ROLES, SignInAttempt, User, utcnow

HASHER = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory defaults
ACCOUNT_LIMIT = 5
IP_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
GSS = re.compile(r"^[EWSN][0-9]{8}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DUMMY: dict[str, str] = {}  # per hasher parameters: a hash no password matches


def _dummy_hash() -> str:
    """A sign-in for an unknown email still costs one Argon2 verification (no timing oracle)."""
    key = f"{HASHER.time_cost}/{HASHER.memory_cost}/{HASHER.parallelism}"
    if key not in _DUMMY:
        _DUMMY[key] = HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY[key]


class AccountError(ValueError):
    """An account cannot be made or changed; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class SignInResult:
    user: User | None
    reason: str = ""  # why not, in words for the sign-in page
    locked_until: dt.datetime | None = None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def add_user(
    session: Session,
    email: str,
    password: str,
    role: str,
    *,
    org_code: str | None = None,
    programme: str | None = None,
    by: str = "(command line)",
) -> User:
    """Make an account. Raises ``AccountError`` for a bad email, role, scope, short password or a duplicate."""
    email = normalise_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"email: {email!r} is not an email address")
    if role not in ROLES:
        raise AccountError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: must be at least {MIN_PASSWORD} characters")
    if org_code is not None and not GSS.match(org_code):
        raise AccountError(f"org: {org_code!r} is not a GSS code such as E06000033")
    if programme is not None and not SLUG.match(programme):
        raise AccountError(f"programme: {programme!r} is not a programme id such as enterprise-growth")
    if role == "editor" and org_code is None and programme is None:
        raise AccountError("an editor needs --org CODE (a council), --programme SLUG, or both")
    if role != "editor" and (org_code or programme):
        raise AccountError("--org and --programme apply to editors only")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(f"email: an account for {email} already exists")
    user = User(email=email, password_hash=hash_password(password), role=role, org_code=org_code,
                programme=programme, disabled=False, created_at=utcnow())  # fmt: skip
    session.add(user)
    session.flush()
    audit.record(session, "user.add", email, actor_email=by,
                 after={"email": email, "role": role, "org": org_code, "programme": programme})  # fmt: skip
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def disable_user(session: Session, email: str, *, by: str = "(command line)") -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise AccountError(f"email: there is no account for {normalise_email(email)}")
    if not user.disabled:
        user.disabled = True
        audit.record(session, "user.disable", user.email, actor_email=by, before={"disabled": False},
                     after={"disabled": True})  # fmt: skip
    return user


def _failures(session: Session, since: dt.datetime, *, email: str | None = None, ip: str | None = None) -> int:
    query = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.at >= since, ~SignInAttempt.ok)
    if email is not None:
        query = query.where(SignInAttempt.email == email)
    if ip is not None:
        query = query.where(SignInAttempt.ip == ip)
    return int(session.scalar(query) or 0)


def _last_failure(session: Session, *, email: str | None = None, ip: str | None = None) -> dt.datetime | None:
    query = select(func.max(SignInAttempt.at)).where(~SignInAttempt.ok)
    if email is not None:
        query = query.where(SignInAttempt.email == email)
    if ip is not None:
        query = query.where(SignInAttempt.ip == ip)
    value = session.scalar(query)
    if value is None:
        return None
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def locked_until(session: Session, email: str, ip: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the account or the client address may try again, if either is locked now."""
    now = now or utcnow()
    since = now - WINDOW
    ends = []
    if _failures(session, since, email=email) >= ACCOUNT_LIMIT:
        last = _last_failure(session, email=email)
        ends.append((last or now) + WINDOW)
    if _failures(session, since, ip=ip) >= IP_LIMIT:
        last = _last_failure(session, ip=ip)
        ends.append((last or now) + WINDOW)
    future = [e for e in ends if e > now]
    return max(future) if future else None


def sign_in(session: Session, email: str, password: str, ip: str, now: dt.datetime | None = None) -> SignInResult:
    """Check a password, counting the attempt and writing it to the audit log, whatever the outcome."""
    now = now or utcnow()
    email = normalise_email(email)[:254]
    until = locked_until(session, email, ip, now)
    if until is not None:
        session.add(SignInAttempt(email=email, ip=ip[:64], at=now, ok=False))
        audit.record(session, "sign-in.locked", email, actor_email=email, ip=ip,
                     after={"locked_until": until.isoformat()})  # fmt: skip
        return SignInResult(None, "Too many failed attempts. Try again later.", until)
    user = session.scalar(select(User).where(User.email == email))
    ok = False
    try:
        ok = HASHER.verify(user.password_hash if user else _dummy_hash(), password) and user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if ok and user is not None and user.disabled:
        ok = False
    session.add(SignInAttempt(email=email, ip=ip[:64], at=now, ok=ok))
    if not ok or user is None:
        audit.record(session, "sign-in.failed", email, actor_email=email, ip=ip)
        session.flush()
        until = locked_until(session, email, ip, now)
        return SignInResult(None, "The email address or password is not right.", until)
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = now
    audit.record(session, "sign-in", email, actor=user, ip=ip)
    return SignInResult(user)
