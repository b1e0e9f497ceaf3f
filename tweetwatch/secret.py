"""A secret value (bearer token, password) that never prints itself.

`str()`, `repr()` and f-strings show only a masked form such as `AAAA…wxyz`, so a Settings
object, a log line or a traceback cannot leak the token by accident. Use `.reveal()` at the
one place the real value is needed (the HTTP Authorization header).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SECRET_PARAMETER = re.compile(r"pass|secret|token|key|auth|sig|credential", re.IGNORECASE)
"""Query parameters whose value is masked: `?password=` works in a Redis URL (redis-py
passes query parameters on as connection options), `?token=` or `?api_key=` in a gateway's."""


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value.strip()

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        value = self._value
        if len(value) <= 12:
            return "…" * min(len(value), 3)
        return f"{value[:4]}…{value[-4:]}"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not picklable")


def url_has_secret(url: str) -> bool:
    """Whether `mask_url` would hide something in `url` (a password, a secret parameter)."""
    masked = mask_url(url)
    return masked != url and masked != "<invalid URL>"


def mask_url(url: str) -> str:
    """The URL with its password, and the value of any query parameter named like a secret,
    replaced by `***`: safe to print and log. Everything else is left as written."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    masked = url
    if parts.password is not None:
        host = parts.hostname or ""
        if ":" in host:  # IPv6
            host = f"[{host}]"
        if port:
            host = f"{host}:{port}"
        masked = masked.replace(f"//{parts.netloc}", f"//{parts.username or ''}:***@{host}", 1)
    if parts.query:
        query = "&".join(
            f"{pair.partition('=')[0]}=***" if _SECRET_PARAMETER.search(pair.partition("=")[0]) else pair
            for pair in parts.query.split("&")
        )
        head, _, tail = masked.partition("?")
        masked = f"{head}?{query}{tail[len(parts.query):]}"
    return masked
