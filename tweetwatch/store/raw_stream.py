"""The raw-line stream that connects `collect --raw-only` to `process` workers.

A collector appends raw lines with XADD (capped, MAXLEN ~); any number of workers, on any
machine, read them through one consumer group. A worker acknowledges a batch (XACK) in the
same MULTI/EXEC that writes the batch's aggregates, so a batch is counted and acknowledged
together or not at all. Entries a dead worker left pending are claimed by the others with
XAUTOCLAIM once they have been idle for `claim_idle_ms`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from tweetwatch.store.redis_store import Store

DEFAULT_RAW_MAXLEN = 200_000
"""Raw lines kept in the stream (~200 MB for 1 KB lines); workers must keep up within it."""
DEFAULT_GROUP = "tweetwatch"
LINE_FIELD = "l"


@dataclass(frozen=True)
class RawEntry:
    entry_id: str
    line: bytes | None
    """None when the entry was trimmed from the stream before anyone processed it."""


class RawStream:
    def __init__(self, store: Store, maxlen: int = DEFAULT_RAW_MAXLEN) -> None:
        self.store = store
        self.key = store.keys.raw
        self.maxlen = maxlen
        # raw lines are bytes: a client that does not decode responses
        kwargs = dict(store.client.connection_pool.connection_kwargs)
        kwargs["decode_responses"] = False
        self.client = redis.Redis(connection_pool=redis.ConnectionPool(
            connection_class=store.client.connection_pool.connection_class, **kwargs))

    # -- producer --------------------------------------------------------------------------
    def append(self, lines: Sequence[bytes]) -> None:
        """XADD every line (one pipelined round trip)."""

        def run() -> None:
            pipe = self.client.pipeline(transaction=False)
            for line in lines:
                pipe.xadd(self.key, {LINE_FIELD: line}, maxlen=self.maxlen, approximate=True)
            pipe.execute()

        self.store._call(run)

    # -- consumers -------------------------------------------------------------------------
    def ensure_group(self, group: str) -> None:
        def run() -> None:
            try:
                self.client.xgroup_create(self.key, group, id="0", mkstream=True)
            except redis.exceptions.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

        self.store._call(run)

    def read(self, group: str, consumer: str, count: int, block_ms: int) -> list[RawEntry]:
        reply = self.store._call(
            lambda: self.client.xreadgroup(group, consumer, {self.key: ">"}, count=count, block=block_ms)
        )
        return _entries(reply[0][1]) if reply else []

    def claim_stale(self, group: str, consumer: str, idle_ms: int, count: int) -> list[RawEntry]:
        """Take over entries other consumers left pending for longer than `idle_ms`."""
        reply = self.store._call(
            lambda: self.client.xautoclaim(self.key, group, consumer, idle_ms, "0-0", count=count)
        )
        claimed = reply[1] if reply else []
        entries = _entries(claimed)
        deleted = reply[2] if len(reply) > 2 else []
        entries.extend(RawEntry(_text(d), None) for d in deleted)
        return entries

    def ack_in(self, pipe: Any, group: str, entry_ids: Sequence[str]) -> None:
        """Queue the XACK into a transaction the caller executes."""
        if entry_ids:
            pipe.xack(self.key, group, *entry_ids)

    def ack(self, group: str, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            self.store._call(lambda: self.client.xack(self.key, group, *entry_ids))

    def pending_count(self, group: str) -> int:
        info = self.store._call(lambda: self.client.xpending(self.key, group))
        return int(info["pending"]) if info else 0

    def length(self) -> int:
        return int(self.store._call(lambda: self.client.xlen(self.key)))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entries(raw: list[Any]) -> list[RawEntry]:
    out: list[RawEntry] = []
    for entry_id, fields in raw:
        line = fields.get(LINE_FIELD.encode()) if fields else None
        out.append(RawEntry(_text(entry_id), line))
    return out
