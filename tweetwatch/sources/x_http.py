"""How tweepy reaches the X API: a transport adapter on tweepy's own requests session.

tweepy 4.x addresses every v2 request, rules and stream alike, to the fixed host
`https://api.twitter.com`. Rather than patching tweepy, `ApiHostAdapter` is mounted on the
client's documented `session` attribute (a plain `requests.Session`) for that prefix; it
sends each request to `--x-api-url` instead (X's own `https://api.x.com` by default, a
proxy, a gateway or the test suite's fake server) and gives every request a bounded
timeout: the stream's read timeout is the stall timeout (no byte, not even a keep-alive,
for that long ends the read), the rules requests get a plain one.

`Session.mount` and `HTTPAdapter.send` are public requests API; the only tweepy facts this
relies on are the documented `session` attribute and that its requests start with
`https://api.twitter.com`.

Never log a request from here: its headers carry the bearer token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies

TWEEPY_HOST = "https://api.twitter.com"
CONNECT_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 30.0
"""Read timeout for the (small) rules requests."""


class ApiHostAdapter(HTTPAdapter):
    """Sends tweepy's `https://api.twitter.com/...` requests to `api_url/...` instead."""

    def __init__(
        self,
        api_url: str,
        stream_read_timeout: float,
        on_response: Callable[[requests.Response], None] | None = None,
    ) -> None:
        super().__init__(max_retries=0)
        self.api_url = api_url.rstrip("/")
        self.stream_read_timeout = stream_read_timeout
        self.on_response = on_response

    def rewrite(self, url: str) -> str:
        if url.startswith(TWEEPY_HOST):
            return self.api_url + url[len(TWEEPY_HOST):]
        return url

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        request = request.copy()
        request.url = self.rewrite(request.url or "")
        read_timeout = self.stream_read_timeout if stream else REQUEST_TIMEOUT_S
        # Proxies were chosen (from the environment) for api.twitter.com; choose for the real target.
        proxies = get_environ_proxies(request.url) if proxies is not None else None
        response = super().send(
            request, stream=stream, timeout=(CONNECT_TIMEOUT_S, read_timeout),
            verify=verify, cert=cert, proxies=proxies,
        )
        if self.on_response is not None:
            self.on_response(response)
        return response


def mount(session: requests.Session, adapter: ApiHostAdapter) -> None:
    """Route every request tweepy makes on `session` through `adapter`."""
    session.mount(TWEEPY_HOST, adapter)


def quiet_tweepy_debug_logging() -> None:
    """tweepy logs request headers (the bearer token) at DEBUG; never let that through."""
    for name in ("tweepy", "tweepy.client", "tweepy.streaming"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
