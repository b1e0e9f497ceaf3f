"""A secret value (bearer token, password) that never prints itself.

`str()`, `repr()` and f-strings show only a masked form such as `AAAA…wxyz`, so a Settings
object, a log line or a traceback cannot leak the token by accident. Use `.reveal()` at the
one place the real value is needed (the HTTP Authorization header).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit

from tweetwatch.sanitize import clean_text

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
    """Whether `mask_url` hides something in `url` (a password, a secret parameter), whether
    or not the rest of it is a valid URL."""
    return _without_secret_parameters(_without_password(url)) != url


def mask_url(url: str) -> str:
    """The URL with its password, and the value of any query parameter named like a secret,
    replaced by `***`, and without escape sequences or control characters (`clean_text`):
    safe to print and log. Everything else is left as written; a URL urlsplit refuses (a bad
    port, an unclosed `[`) is `<invalid URL>`."""
    masked = _without_secret_parameters(_without_password(url))
    try:
        urlsplit(masked).port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "<invalid URL>"
    return clean_text(masked)


def user_info_is_cut(url: str) -> bool:
    """Whether an unencoded `/`, `?` or `#` in the password surely ends the host part before
    its `@`: urlsplit, redis-py and requests then take the user name (or nothing: localhost)
    for the host, and the rest of the password for a path, query or fragment. Sure when the
    host part they see ends with an empty or non-numeric port (`default:`, `:`); a host part
    with a port (`localhost:1/0?client_name=qa@x`) is taken as written (its `@` may be in
    the query), and masked either way."""
    parts = _split_user_info(url)
    if parts is None or _ENDS_HOST_PART.search(parts[1]) is None:
        return False
    host_part = _host_part(url, len(parts[0]))
    if host_part.endswith("@") or ":" not in host_part:
        return False
    port = host_part.rpartition(":")[2]
    return not port.isdigit()


_AUTHORITY_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_ENDS_HOST_PART = re.compile(r"[/?#]")


def _split_user_info(url: str) -> tuple[str, str, str] | None:
    """`url` as (`scheme://`, user info, `@` and the rest), the user info being everything
    between `//` and the LAST `@`, unencoded `/`, `?` and `#` included (a password may hold
    them: urlsplit would end the host part there and see no password). None when no `@`
    follows `scheme://`, or when the host part is empty (`unix:///run/a@b.sock`: a path)."""
    start = _AUTHORITY_START.match(url)
    if start is None or url.startswith("/", start.end()):
        return None
    host_part = _host_part(url, start.end())
    if host_part.endswith("@"):  # a user info, then no host: `unix://:pw@/run/a@b.sock` keeps its path
        at = start.end() + len(host_part) - 1
    else:
        at = url.rfind("@", start.end())
    if at < 0:
        return None
    return url[: start.end()], url[start.end() : at], url[at:]


def _host_part(url: str, start: int) -> str:
    """What parsers take for the host part: from `start` (after `//`) to the first `/`, `?` or `#`."""
    end = _ENDS_HOST_PART.search(url, start)
    return url[start : end.start() if end else len(url)]


def _without_password(url: str) -> str:
    """`url` with the password in its user info replaced by `***`; the user name stays when it
    can be told apart (it holds no `/`, `?` or `#`), else the whole user info is `***`."""
    parts = _split_user_info(url)
    if parts is None:
        return url
    head, user_info, tail = parts
    user, has_password, _ = user_info.partition(":")
    if _ENDS_HOST_PART.search(user):
        return f"{head}***{tail}"
    return f"{head}{user}:***{tail}" if has_password else url


def _without_secret_parameters(url: str) -> str:
    """`url` with the value of each query parameter named like a secret replaced by `***`.
    The query runs from the first `?` to the first `#` (a password holding them is masked
    by `_without_password` first)."""
    before_fragment, hash_sign, fragment = url.partition("#")
    head, question_mark, query = before_fragment.partition("?")
    if not query:
        return url
    masked = "&".join(  # names as the client reads them: `p%61ssword` is `password` to redis-py
        f"{pair.partition('=')[0]}=***" if _SECRET_PARAMETER.search(unquote_plus(pair.partition("=")[0])) else pair
        for pair in query.split("&")
    )
    return f"{head}{question_mark}{masked}{hash_sign}{fragment}"
