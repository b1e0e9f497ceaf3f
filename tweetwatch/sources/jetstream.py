"""Bluesky Jetstream: live posts over a WebSocket, free and without credentials.

One connection at a time through the `websockets` sync client, inside the collector thread.
Each message is one event, yielded as the raw JSON bytes exactly as received (the archive
stores them and `jetstream_shape` maps them). On a disconnect the source waits (exponential
backoff with jitter, capped) and reconnects with `cursor` = newest `time_us` seen minus
`rewind_s`, so events near the cut are replayed rather than lost; the replayed events it
already yielded are recognised and skipped, so nothing is counted twice (the collector's
dedupe by post id stays as the backstop). See docs/jetstream.md.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException
from websockets.sync.client import ClientConnection, connect

from tweetwatch.config import DEFAULT_JETSTREAM_URL
from tweetwatch.errors import UsageError
from tweetwatch.pipeline.jetstream_shape import POST_COLLECTION
from tweetwatch.sanitize import clean_text
from tweetwatch.secret import mask_url

log = logging.getLogger(__name__)

POLL_S = 0.1
"""Longest wait without yielding None (the collector flushes on those)."""
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""Far above any real event; a bigger message closes the connection (code 1009)."""
CLOSE_TIMEOUT_S = 1.0
"""Closing waits this long for the server's answer (with unread messages queued, websockets
waits the whole close timeout; the default 10 s would delay every stop)."""
_MESSAGE_TOO_BIG = 1009
RESUME_MAX_AGE_S = 24 * 3600
"""A stored cursor older than this is not resumed from (public Jetstream instances keep about
three days; catching up a whole day of posts already takes minutes): the source starts live."""


@dataclass
class Backoff:
    """Exponential delays with "equal jitter": each delay is 50-100% of the current step."""

    initial_s: float = 0.5
    max_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    _step: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._step = self.initial_s

    def next_delay(self) -> float:
        delay = self._step * (0.5 + self.rng.random() / 2)
        self._step = min(self._step * 2, self.max_s)
        return delay

    def reset(self) -> None:
        self._step = self.initial_s


@dataclass
class _RecentEvents:
    """Identities of the events yielded in the last `span_us`, to skip them when replayed."""

    span_us: int
    _order: deque[tuple[int, str]] = field(default_factory=deque)
    _keys: set[str] = field(default_factory=set)

    def add(self, key: str, time_us: int, newest_us: int) -> None:
        self._order.append((time_us, key))
        self._keys.add(key)
        while self._order and self._order[0][0] < newest_us - self.span_us:
            self._keys.discard(self._order.popleft()[1])

    def __contains__(self, key: str) -> bool:
        return key in self._keys


@dataclass
class JetstreamSource:
    url: str = DEFAULT_JETSTREAM_URL
    rewind_s: float = 5.0
    """How far before the newest seen `time_us` a reconnect resumes (Jetstream's advice)."""
    backoff: Backoff = field(default_factory=Backoff)
    stall_s: float = 30.0
    """No event for this long on an open connection means a stalled stream: reconnect."""
    open_timeout_s: float = 10.0
    label: str = "jetstream"
    topics_from_rules: bool = False
    connections: int = field(default=0, init=False)
    _newest_us: int | None = field(default=None, init=False)
    _phase: str = field(default="connecting", init=False)
    _reason: str = field(default="", init=False)
    _retry_at: float = field(default=0.0, init=False)
    _last_event: float | None = field(default=None, init=False)
    _recent: _RecentEvents = field(init=False)

    def __post_init__(self) -> None:
        self._recent = _RecentEvents(span_us=int(self.rewind_s * 2_000_000))

    # -- what the collector and the status line see -----------------------------------------
    @property
    def state(self) -> str:
        phase = self._phase
        if phase == "connected":
            if self._last_event is None:
                return "connected (no event yet)"
            return f"connected (last event {time.monotonic() - self._last_event:.1f} s ago)"
        if phase == "reconnecting":
            left = max(0.0, self._retry_at - time.monotonic())
            return f"reconnecting in {math.ceil(left)} s ({self._reason})"
        if phase == "stopped":
            return f"stopped ({self._reason})"
        return "connecting"

    def where(self) -> str:
        return f"jetstream (newest time_us {self._newest_us})" if self._newest_us is not None else "jetstream"

    def subscribe_url(self) -> str:
        """The endpoint with `wantedCollections` for posts and, once known, the resume `cursor`."""
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "cursor"]
        if ("wantedCollections", POST_COLLECTION) not in query:
            query.append(("wantedCollections", POST_COLLECTION))
        if self._newest_us is not None:
            query.append(("cursor", str(self.resume_cursor())))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def checkpoint(self) -> str | None:
        """The newest `time_us` yielded: where the next run resumes (minus `rewind_s`)."""
        return None if self._newest_us is None else str(self._newest_us)

    def resume_from(self, position: str, now_s: float | None = None) -> None:
        """Start at a checkpoint of an earlier run instead of live (when it is usable)."""
        try:
            newest_us = int(position)
        except ValueError:
            log.warning("jetstream: ignoring a stored cursor that is not a number (%s); starting live",
                        clean_text(position, 40))
            return
        age_s = (time.time() if now_s is None else now_s) - newest_us / 1_000_000
        if age_s < -60:
            log.warning("jetstream: the last run's cursor lies %.0f s in the future (a clock moved?); "
                        "starting live", -age_s)
            return
        if age_s > RESUME_MAX_AGE_S:
            log.warning("jetstream: the last run's cursor is %.0f h old (over %.0f h); starting live",
                        age_s / 3600, RESUME_MAX_AGE_S / 3600)
            return
        self._newest_us = newest_us
        log.info("jetstream: resuming where the last run's counts end (cursor %d, %.0f s ago, rewound %.0f s)",
                 newest_us, age_s, self.rewind_s)

    def resume_cursor(self) -> int | None:
        if self._newest_us is None:
            return None
        return max(0, self._newest_us - int(self.rewind_s * 1_000_000))

    # -- the stream -------------------------------------------------------------------------
    def lines(self, stop: threading.Event) -> Iterator[bytes | None]:
        try:
            while not stop.is_set():
                yield from self._one_connection(stop)
                if stop.is_set():
                    break
                delay = self.backoff.next_delay()
                log.warning("jetstream: %s; reconnecting in %.1f s", self._reason, delay)
                self._phase, self._retry_at = "reconnecting", time.monotonic() + delay
                while not stop.is_set() and time.monotonic() < self._retry_at:
                    stop.wait(min(POLL_S, max(0.0, self._retry_at - time.monotonic())))
                    yield None
        except UsageError as exc:
            self._reason = str(exc)
            raise
        finally:
            if stop.is_set():
                self._reason = "stop requested"
            self._phase = "stopped"

    def _one_connection(self, stop: threading.Event) -> Iterator[bytes | None]:
        """Connect, then yield events until the connection ends; sets `_reason` on the way out."""
        self._phase = "connecting"
        url = self.subscribe_url()
        ws = yield from self._open(url, stop)
        if ws is None:
            return
        self.connections += 1
        log.info("jetstream: connected to %s", clean_text(mask_url(url), 300))
        self._phase, self._last_event = "connected", None
        opened = time.monotonic()
        with ws:
            while not stop.is_set():
                try:
                    message = ws.recv(timeout=POLL_S)
                except TimeoutError:
                    idle = time.monotonic() - (self._last_event or opened)
                    if idle >= self.stall_s:
                        self._reason = f"no event for {idle:.0f} s"
                        return
                    yield None
                    continue
                except ConnectionClosed as exc:
                    self._reason = _closed_reason(exc)
                    if exc.sent is not None and exc.sent.code == _MESSAGE_TOO_BIG:
                        log.warning("jetstream: a message over %d bytes; resuming live, events in between are lost",
                                    MAX_MESSAGE_BYTES)
                        self._newest_us = None  # the oversized event would come back: live tail
                    return
                line = self._accept(message)
                if line is not None:
                    yield line

    def _open(self, url: str, stop: threading.Event) -> Generator[None, None, ClientConnection | None]:
        """Connect in a helper thread, yielding None meanwhile (DNS and TLS can hang)."""
        outcome: list[ClientConnection | BaseException] = []
        lock = threading.Lock()
        abandoned = False

        def attempt() -> None:
            try:
                result: ClientConnection | BaseException = connect(
                    url, open_timeout=self.open_timeout_s, close_timeout=CLOSE_TIMEOUT_S, max_size=MAX_MESSAGE_BYTES
                )
            except BaseException as exc:  # handed over to the collector thread below
                result = exc
            with lock:
                if abandoned and isinstance(result, ClientConnection):
                    result.close()
                outcome.append(result)

        thread = threading.Thread(target=attempt, name="tweetwatch-jetstream-connect", daemon=True)
        thread.start()
        while thread.is_alive() and not stop.is_set():
            thread.join(POLL_S)
            yield None
        with lock:
            if stop.is_set():
                abandoned = True
                if outcome and isinstance(outcome[0], ClientConnection):
                    outcome[0].close()
                return None
        result = outcome[0] if outcome else RuntimeError("connect ended without a result")
        if isinstance(result, InvalidURI):
            # not str(result): it holds the whole URL, password included
            raise UsageError(f"invalid --jetstream-url {clean_text(mask_url(self.url), 200)}: "
                             f"{clean_text(result.msg, 200)}")
        if isinstance(result, (OSError, TimeoutError, WebSocketException)):
            self._reason = f"connect failed: {clean_text(str(result) or type(result).__name__, 120)}"
            return None
        if isinstance(result, BaseException):
            raise result
        return result

    def _accept(self, message: str | bytes) -> bytes | None:
        """The raw line to yield, or None for an empty message or an event already yielded."""
        line = message.encode("utf-8") if isinstance(message, str) else message
        if b"\n" in line or b"\r" in line:
            # JSON whitespace between tokens; a raw break inside a string is invalid anyway.
            # Kept on one line so the archive holds one event per line.
            line = line.replace(b"\r", b" ").replace(b"\n", b" ")
        if not line.strip():
            return None
        self._last_event = time.monotonic()
        self.backoff.reset()
        identity = _identity(line)
        if identity is None:
            return line  # not a Jetstream event: the normalizer rejects it
        key, time_us = identity
        if key in self._recent:
            return None  # replayed after a reconnect, already yielded
        newest = time_us if self._newest_us is None else max(self._newest_us, time_us)
        self._newest_us = newest
        self._recent.add(key, time_us, newest)
        return line


def _identity(line: bytes) -> tuple[str, int] | None:
    """(a key naming the event, its time_us); None when the line is not a Jetstream event."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(obj, dict):
        return None
    time_us = obj.get("time_us")
    if not isinstance(time_us, int) or isinstance(time_us, bool) or time_us < 0:
        return None
    commit = obj.get("commit")
    commit = commit if isinstance(commit, dict) else {}
    parts: list[Any] = [obj.get("did"), time_us, obj.get("kind")]
    parts += [commit.get(k) for k in ("operation", "collection", "rkey", "rev", "cid")]
    key = "\x1f".join(p if isinstance(p, str) else str(p) if isinstance(p, int) else "" for p in parts)
    return key, time_us


def _closed_reason(exc: ConnectionClosed) -> str:
    close = exc.rcvd or exc.sent
    if close is None:
        return "connection lost"
    reason = clean_text(close.reason, 80) if close.reason else ""
    return f"closed {close.code}" + (f": {reason}" if reason else "")
