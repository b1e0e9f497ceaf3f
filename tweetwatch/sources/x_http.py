"""How tweepy reaches the X API: a transport adapter on tweepy's own requests session.

tweepy 4.x addresses every v2 request, rules and stream alike, to the fixed host
`https://api.twitter.com`. Rather than patching tweepy, `ApiHostAdapter` is mounted on the
client's documented `session` attribute (a plain `requests.Session`) for that prefix; it
sends each request to `--x-api-url` instead (X's own `https://api.x.com` by default, a
proxy, a gateway or the test suite's fake server) and gives every request a bounded
timeout: the stream's read timeout is the stall timeout (no byte, not even a keep-alive,
for that long ends the read), the rules requests get a plain one. Its responses are
`LineResponse`s, whose `iter_lines` (tweepy's stream loop reads the stream with it) takes time
linear in a line's length and never holds a line over MAX_LINE_BYTES (`split_lines`).

`Session.mount` and `HTTPAdapter.send` are public requests API; the only tweepy facts this
relies on are the documented `session` attribute and that its requests start with
`https://api.twitter.com`.

Never log a request from here: its headers carry the bearer token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies
from urllib3 import BaseHTTPResponse

from tweetwatch.pipeline.model import MAX_LINE_BYTES, OVERSIZED_LINE


TWEEPY_HOST = "https://api.twitter.com"
CONNECT_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 30.0
"""Read timeout for the (small) rules requests."""
READ_BYTES = 64 * 1024
"""The stream is read this much at a time at most (a chunked response: each HTTP chunk as it comes)."""


def split_lines(chunks: Iterable[bytes], max_line: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of a byte stream, without their `\\n` or `\\r\\n` (a keep-alive is `b""`), in
    time linear in the bytes: the unfinished tail is kept as a list of pieces, joined once
    its newline arrives. A line longer than `max_line` is never held whole: `OVERSIZED_LINE`
    is yielded in its place and the rest of it is dropped up to the next newline.

    requests' `iter_lines`, which tweepy's stream loop uses with 512-byte reads, re-joins
    and re-splits the unfinished line on every read: a 4 MB line took 13 s, 8 MB 50 s, 16 MB over 2 min."""
    pieces: list[bytes] = []
    held = 0
    skipping = False
    for chunk in chunks:
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if not skipping:
                pieces.append(chunk[start:end])
                yield _line(pieces, max_line)
            pieces.clear()
            held = 0
            skipping = False
            start = end + 1
        if skipping or start == len(chunk):
            continue
        pieces.append(chunk[start:] if start else chunk)
        held += len(chunk) - start
        if held > max_line + 1:  # + 1: the line's `\r` may be among them
            pieces.clear()
            held = 0
            skipping = True
            yield OVERSIZED_LINE  # the collector warns of it, as of any rejected line
    if pieces:
        yield _line(pieces, max_line)


def _line(pieces: list[bytes], max_line: int) -> bytes:
    line = b"".join(pieces)
    if line.endswith(b"\r"):
        line = line[:-1]
    return line if len(line) <= max_line else OVERSIZED_LINE




class LineResponse(requests.Response):
    """A response whose `iter_lines` (what tweepy's stream loop reads) is `split_lines` over
    reads of up to READ_BYTES; requests' own exceptions (a read timeout is a ConnectionError,
    a broken chunk a ChunkedEncodingError) come through unchanged."""

    def iter_lines(  # type: ignore[override]
        self, chunk_size: int | None = None, decode_unicode: bool = False, delimiter: bytes | None = None
    ) -> Iterator[bytes]:
        return split_lines(self.iter_content(READ_BYTES))


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

    def build_response(self, req: requests.PreparedRequest, resp: BaseHTTPResponse) -> requests.Response:
        """requests' response, as a LineResponse (the documented hook for adapter subclasses)."""
        response = super().build_response(req, resp)
        response.__class__ = LineResponse  # a subclass adding one method: nothing else changes
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
