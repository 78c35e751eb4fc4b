"""Who may see the dev server's pages: the holder of the admin token, by a sign-in cookie.

Signing in (a form POST of the admin token to ``/login``) sets an HttpOnly, SameSite=Strict
cookie holding an HMAC of a fixed label under the admin token: not the token itself, the
same for every sign-in, and void once the token changes. Tools may instead send the admin
token as ``Authorization: Bearer``. No token or key ever goes in a URL.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

from werkzeug.wrappers import Request, Response

from ._auth import bearer_token, key_hash, key_matches

__all__ = ["SESSION_DAYS", "PageSession", "safe_next"]

SESSION_DAYS: Final = 7
"""How long a sign-in lasts in the browser."""

_LABEL: Final = b"brevetti-job dev platform pages v1"
_NEXT: Final = re.compile(r"/(?![/\\])[^\s\\]*")


def safe_next(target: str | None, default: str = "/jobs") -> str:
    """`target` if it is a path on this server (no scheme, host or ``//``), else `default`."""
    if target and _NEXT.fullmatch(target):
        return target
    return default


class PageSession:
    """Checks and sets the sign-in cookie of one server (see the module docstring)."""

    def __init__(self, admin_token: str) -> None:
        self._admin_hash = key_hash(admin_token)
        self._value = hmac.new(admin_token.encode("utf-8"), _LABEL, hashlib.sha256).hexdigest()
        # one name per admin token: cookies ignore ports, so two local servers must not clash
        self.cookie = f"brevetti_devserver_{hashlib.sha256(self._value.encode()).hexdigest()[:8]}"

    def token_matches(self, token: str) -> bool:
        """Whether `token` is the admin token (constant-time)."""
        return key_matches(token, self._admin_hash)

    def authorised(self, request: Request) -> bool:
        """Whether the request carries the sign-in cookie or the admin token as a bearer."""
        cookie = request.cookies.get(self.cookie)
        if cookie is not None and hmac.compare_digest(cookie, self._value):
            return True
        token = bearer_token(request.headers.get("Authorization"))
        return token is not None and self.token_matches(token)

    def sign_in(self, response: Response) -> None:
        """Set the sign-in cookie on `response`."""
        response.set_cookie(
            self.cookie,
            self._value,
            max_age=SESSION_DAYS * 24 * 3600,
            path="/",
            httponly=True,
            samesite="Strict",
        )

    def sign_out(self, response: Response) -> None:
        """Remove the sign-in cookie."""
        response.delete_cookie(self.cookie, path="/", httponly=True, samesite="Strict")
