"""Users, organisations and OAuth2 tokens of the dev platform's web API.

Passwords are kept as scrypt records (salt and parameters beside the digest), tokens by
their sha256 only; comparisons are constant-time. Every user belongs to the default
organisation (its primary one) and to any other it is added to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
import uuid
from typing import Any, Final

import attrs

from ._webapi_store import WebApiStore, now_iso

__all__ = [
    "ACCESS_LIFETIME",
    "DEFAULT_ORGANIZATION",
    "Session",
    "UserError",
    "add_user",
    "check_password",
    "issue_tokens",
    "organizations_of",
    "token_session",
]

DEFAULT_ORGANIZATION: Final = "default"
"""The organisation every user belongs to."""

ACCESS_LIFETIME: Final = 3600.0
"""Seconds an access token lives (refresh tokens: 30 days)."""

REFRESH_LIFETIME: Final = 30 * 24 * 3600.0
_SCRYPT: Final = {"n": 2**14, "r": 8, "p": 1}
_MIN_PASSWORD: Final = 8


class UserError(ValueError):
    """Raised for a user or organisation that cannot be made as asked."""


@attrs.frozen
class Session:
    """Who a valid token belongs to."""

    user_id: str
    username: str
    org_id: str
    expired: bool = False


def _hash_password(password: str, salt: bytes) -> str:
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    parts = (base64.b64encode(salt).decode(), base64.b64encode(digest).decode())
    return "scrypt$" + "$".join(parts)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def default_org(store: WebApiStore) -> str:
    """The id of the default organisation, made on first use."""
    rows = store.query("SELECT id FROM webapi_organizations WHERE name = ?", DEFAULT_ORGANIZATION)
    if rows:
        return str(rows[0][0])
    org_id = str(uuid.uuid4())
    with store.transaction() as db:
        db.execute(
            "INSERT OR IGNORE INTO webapi_organizations VALUES (?, ?, ?)",
            (org_id, DEFAULT_ORGANIZATION, now_iso()),
        )
    return str(
        store.query("SELECT id FROM webapi_organizations WHERE name = ?", DEFAULT_ORGANIZATION)[0][
            0
        ]
    )


def add_user(
    store: WebApiStore, username: str, password: str, organizations: tuple[str, ...] = ()
) -> str:
    """Make a user (member of the default organisation and of `organizations`)."""
    if not username or any(c.isspace() for c in username) or len(username) > 200:
        raise UserError(f"a user name must be non-empty text without spaces: {username!r}")
    if len(password) < _MIN_PASSWORD:
        raise UserError(f"the password must have at least {_MIN_PASSWORD} characters")
    if store.query("SELECT 1 FROM webapi_users WHERE username = ?", username):
        raise UserError(f"user {username!r} exists already")
    user_id = str(uuid.uuid4())
    record = _hash_password(password, os.urandom(16))
    orgs = [default_org(store)]
    for name in organizations:
        rows = store.query("SELECT id FROM webapi_organizations WHERE name = ?", name)
        if rows:
            orgs.append(str(rows[0][0]))
            continue
        org_id = str(uuid.uuid4())
        with store.transaction() as db:
            db.execute(
                "INSERT INTO webapi_organizations VALUES (?, ?, ?)", (org_id, name, now_iso())
            )
        orgs.append(org_id)
    with store.transaction() as db:
        db.execute(
            "INSERT INTO webapi_users VALUES (?, ?, ?, ?)", (user_id, username, record, now_iso())
        )
        for index, org_id in enumerate(dict.fromkeys(orgs)):
            db.execute(
                "INSERT INTO webapi_members VALUES (?, ?, ?)", (user_id, org_id, int(index == 0))
            )
    return user_id


def check_password(store: WebApiStore, username: str, password: str) -> str | None:
    """The user's id if the password is right; ``None`` otherwise (same work either way)."""
    rows = store.query("SELECT id, password FROM webapi_users WHERE username = ?", username)
    record = str(rows[0][1]) if rows else "scrypt$AAAAAAAAAAAAAAAAAAAAAA==$"
    _, salt, digest = record.split("$")
    candidate = _hash_password(password, base64.b64decode(salt)).split("$")[2]
    if rows and hmac.compare_digest(candidate, digest):
        return str(rows[0][0])
    return None


def organizations_of(store: WebApiStore, user_id: str) -> list[dict[str, Any]]:
    """The user's organisations as the platform lists them (``id, name, isPrimary``)."""
    rows = store.query(
        "SELECT o.id, o.name, m.is_primary FROM webapi_members m"
        " JOIN webapi_organizations o ON o.id = m.org_id"
        " WHERE m.user_id = ? ORDER BY m.is_primary DESC, o.name",
        user_id,
    )
    return [{"id": r[0], "name": r[1], "isPrimary": bool(r[2])} for r in rows]


def resolve_org(store: WebApiStore, user_id: str, organization: str | None) -> str | None:
    """The organisation id a login asks for (id or name), if the user is a member."""
    orgs = organizations_of(store, user_id)
    if not organization:
        return str(orgs[0]["id"]) if orgs else None
    for org in orgs:
        if organization in (org["id"], org["name"]):
            return str(org["id"])
    return None


def issue_tokens(
    store: WebApiStore, user_id: str, org_id: str, lifetime: float = ACCESS_LIFETIME
) -> dict[str, Any]:
    """A new access and refresh token pair, as the token endpoint answers it."""
    access = "bat_" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    refresh = "brt_" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    now = time.time()
    with store.transaction() as db:
        db.execute(
            "INSERT INTO webapi_tokens VALUES (?, 'access', ?, ?, ?)",
            (_token_hash(access), user_id, org_id, now + lifetime),
        )
        db.execute(
            "INSERT INTO webapi_tokens VALUES (?, 'refresh', ?, ?, ?)",
            (_token_hash(refresh), user_id, org_id, now + REFRESH_LIFETIME),
        )
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": int(lifetime),
        "refresh_token": refresh,
        "scope": "api offline_access",
    }


def token_session(store: WebApiStore, token: str, kind: str = "access") -> Session | None:
    """Whose token this is (``expired`` set once past its time); ``None`` if unknown."""
    rows = store.query(
        "SELECT t.user_id, u.username, t.org_id, t.expires_at FROM webapi_tokens t"
        " JOIN webapi_users u ON u.id = t.user_id WHERE t.hash = ? AND t.kind = ?",
        _token_hash(token),
        kind,
    )
    if not rows:
        return None
    user_id, username, org_id, expires_at = rows[0]
    return Session(user_id, username, org_id, expired=float(expires_at) <= time.time())


def revoke(store: WebApiStore, token: str) -> None:
    """Forget a token (a used refresh token)."""
    with store.transaction() as db:
        db.execute("DELETE FROM webapi_tokens WHERE hash = ?", (_token_hash(token),))


def expire_access_tokens(store: WebApiStore, username: str | None = None) -> int:
    """Make the access tokens (of one user, or all) expired now; for tests. Returns a count."""
    with store.transaction() as db:
        cursor = db.execute(
            "UPDATE webapi_tokens SET expires_at = 0 WHERE kind = 'access'"
            " AND (? IS NULL OR user_id IN"
            " (SELECT id FROM webapi_users WHERE username = ?))",
            (username, username),
        )
        return cursor.rowcount
