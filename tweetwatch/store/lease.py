"""One collector per namespace and source: a lease in Redis that a second one is refused by.

Two collectors reading the same source into one namespace would count most posts twice. The
dedupe check and the write that records an id are two steps (the check runs while the next
lines are read), so a post both collectors receive at the same moment passes both checks;
with two Jetstream connections that is nearly every post. The same holds for a collector
beside a `collect --raw-only` forwarder of the same source. So whoever reads a source into a
namespace holds `{NS}:collector:<source label>`: a short-lived key, renewed every couple of
seconds, naming the holder. A second one is refused with a line that names the first.

A holder that died (SIGKILL, a crash, the machine gone) stops renewing and its lease expires
after `LEASE_TTL_MS`; on the holder's own host a dead pid is taken over at once, so a restart
right after a crash does not wait. The value is the holder's host, pid and start time: never
a secret.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from tweetwatch.errors import TweetwatchError
from tweetwatch.sanitize import clean_text
from tweetwatch.store.redis_store import Store

log = logging.getLogger(__name__)

LEASE_TTL_MS = 15_000
"""A holder renews every ~2 s; one that stopped renewing is taken over after this."""

_RENEW = """
local held = redis.call("GET", KEYS[1])
if held == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
if not held then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  return 0
end
return held
"""
"""Renew our lease (1); take it if it is gone (0); else return the other holder's value."""

_REPLACE = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
  return 1
end
return 0
"""
"""Take over a dead holder's lease, only if it is still that holder's."""

_RELEASE = """
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
"""


class NamespaceBusy(TweetwatchError):
    """Another live process already reads this source into this namespace."""

    exit_code = 4


class Renewal(Enum):
    HELD = "held"
    RETAKEN = "retaken"
    """The lease was gone and is ours again: it expired (Redis away for longer than the
    TTL), or the keys vanished (`reset`, a server restarted without its data)."""
    LOST = "lost"
    """Another process holds it now (it started while ours had expired)."""


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int
    since: float

    def describe(self, here: str) -> str:
        where = "this host" if self.host == here else f"host {clean_text(self.host, 64)}"
        started = datetime.fromtimestamp(self.since, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        return f"pid {self.pid} on {where}, since {started}"


class CollectorLease:
    def __init__(self, store: Store, label: str, ttl_ms: int = LEASE_TTL_MS) -> None:
        self.store = store
        self.label = label
        self.key = store.keys.collector(label)
        self.ttl_ms = ttl_ms
        self.host = socket.gethostname()
        self._value = json.dumps(
            {"host": self.host, "pid": os.getpid(), "since": round(time.time(), 3), "id": uuid.uuid4().hex}
        )
        self.held_since: float | None = None
        """monotonic time of the last successful acquire or renewal."""

    def acquire(self) -> None:
        """Take the lease, or raise NamespaceBusy naming the live holder."""
        client, key = self.store.client, self.key
        if self.store._call(lambda: client.set(key, self._value, nx=True, px=self.ttl_ms)):
            self.held_since = time.monotonic()
            return
        held = self.store._call(lambda: client.get(key))
        if held is None:  # expired in between
            return self.acquire()
        holder = _holder(str(held))
        if holder is not None and self._is_dead_here(holder):
            replaced = self.store._call(lambda: client.eval(_REPLACE, 1, key, held, self._value, self.ttl_ms))
            if replaced:
                log.info("took over the %s lease of %s (not running)", self.label, holder.describe(self.host))
                self.held_since = time.monotonic()
                return
            return self.acquire()
        what = holder.describe(self.host) if holder is not None else "an unreadable holder"
        namespace = self.store.namespace
        raise NamespaceBusy(
            f"namespace '{namespace}' already has a {self.label} collector ({what}); two would count "
            f"its posts twice. Watch it with `tweetwatch dashboard --namespace {namespace}`, or use "
            f"another --namespace (a stopped collector's claim expires within {self.ttl_ms // 1000} s)"
        )

    @property
    def guard(self) -> tuple[str, str]:
        """`Store.write`'s guard: the write is refused (`BatchLost`) once another process holds
        the lease, so a holder that stalled past the TTL (SIGSTOP, a VM paused, Redis cut off)
        cannot add what it counted to what its successor counts from the checkpoint."""
        return self.key, self._value

    def renew(self) -> Renewal:
        """Keep the lease (call every couple of seconds); raises StoreUnavailable."""
        reply = self.store._call(lambda: self.store.client.eval(_RENEW, 1, self.key, self._value, self.ttl_ms))
        now = time.monotonic()
        if reply == 1:
            self.held_since = now
            return Renewal.HELD
        if reply == 0:
            if self.held_since is not None and now - self.held_since < self.ttl_ms / 1000:
                log.warning(
                    "the keys of namespace '%s' vanished while collecting (a reset, or a server that "
                    "restarted without its data): what was counted before is gone; counting goes on",
                    self.store.namespace)
            self.held_since = now
            return Renewal.RETAKEN
        holder = _holder(str(reply))
        log.error("another %s collector took namespace '%s' over while this one could not renew its claim "
                  "(%s)", self.label, self.store.namespace,
                  holder.describe(self.host) if holder is not None else "unreadable")
        return Renewal.LOST

    def keep(self, restore: Callable[[], None]) -> NamespaceBusy | None:
        """Renew (call every couple of seconds). When the lease had to be taken again, the
        namespace's keys may have vanished (`reset`): `restore` writes what readers need
        (the meta). Returns the error to stop with when another process holds it now.
        Raises StoreUnavailable."""
        renewal = self.renew()
        if renewal is Renewal.RETAKEN:
            restore()
        if renewal is Renewal.LOST:
            return NamespaceBusy(
                f"another {self.label} collector took namespace '{self.store.namespace}' over while this one "
                f"could not renew its claim for {self.ttl_ms // 1000} s (paused, or cut off from Redis); "
                "stopped so the two do not count its posts twice")
        return None

    def release(self) -> None:
        """Give the lease up, if it is still ours (never raises)."""
        try:
            self.store._call(lambda: self.store.client.eval(_RELEASE, 1, self.key, self._value))
        except TweetwatchError as exc:
            log.warning("could not release the %s lease: %s", self.label, exc)

    def _is_dead_here(self, holder: Holder) -> bool:
        """A holder on this host whose process is gone (or is us: a pid reused by a restart)."""
        if holder.host != self.host:
            return False
        if holder.pid == os.getpid():
            return True
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # PermissionError: alive, another user's
            return False
        return False


def collector_running(store: Store, label: str) -> bool:
    """Whether a live process holds the namespace's lease of source `label`: a collector or a
    raw-only forwarder still reading it (through a lull too: it renews its lease meanwhile)."""
    return bool(store._call(lambda: store.client.exists(store.keys.collector(label))))


def _holder(value: str) -> Holder | None:
    try:
        data = json.loads(value)
        return Holder(str(data["host"]), int(data["pid"]), float(data["since"]))
    except (ValueError, KeyError, TypeError):
        return None
