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
from tweetwatch.store.scripts import CREATE_GROUP

DEFAULT_RAW_MAXLEN = 200_000
"""Raw lines kept in the stream (~200 MB for 1 KB lines); workers must keep up within it."""
DEFAULT_GROUP = "tweetwatch"
LINE_FIELD = "l"


@dataclass(frozen=True)
class RawEntry:
    entry_id: str
    line: bytes | None
    """None when the entry was trimmed from the stream before anyone processed it."""


@dataclass(frozen=True)
class Claim:
    """What `RawStream.claim_stale` took over."""

    entries: list[RawEntry]
    own_fence: str | None = None
    """Our own fence's value after the claim bumped it (some entries were pending under our
    own name), to guard our writes with from now on; None when it was left alone."""


class RawStream:
    def __init__(self, store: Store, maxlen: int = DEFAULT_RAW_MAXLEN) -> None:
        self.store = store
        self.key = store.keys.raw
        self.maxlen = maxlen
        # raw lines are bytes: a client that does not decode responses; the copied options carry
        # the store's cluster route (store/cluster.py), so both clients talk to the same master
        kwargs = dict(store.client.connection_pool.connection_kwargs)
        kwargs["decode_responses"] = False
        self.client = redis.Redis(connection_pool=redis.ConnectionPool(
            connection_class=store.client.connection_pool.connection_class, **kwargs))

    # -- producer --------------------------------------------------------------------------
    def append(self, lines: Sequence[bytes], checkpoint: tuple[str, str] | None = None,
               token: str | None = None, group: str | None = None) -> None:
        """XADD every line, and store the source's `checkpoint` (see pipeline/checkpoint.py),
        in one MULTI/EXEC, at most once per `token` (`Store.begin_once`): a retry after a lost
        reply must not append the lines again (workers drop repeated post ids, but control
        lines have none, and posts older than the retention are no longer remembered).

        `group`: the consumer group the lines are for, created first in the same transaction
        when missing (no worker started yet, a server restarted empty, a `reset`), at the
        stream's start. The lines are then unread *for it* until its workers come, so what
        the cap trims before that shows in `trimmed_unread`; with no group, nothing would."""

        def queue(pipe: Any) -> None:
            if group is not None:
                self._create_group(pipe, group)
            for line in lines:
                pipe.xadd(self.key, {LINE_FIELD: line}, maxlen=self.maxlen, approximate=True)
            if checkpoint is not None:
                pipe.hset(self.store.keys.checkpoints, *checkpoint)

        self.store.apply_once(queue, token)

    # -- consumers -------------------------------------------------------------------------
    def ensure_group(self, group: str) -> None:
        """Create `group` at the stream's start (and the stream) unless it exists."""
        self.store._call(lambda: self._create_group(self.client, group))

    def _create_group(self, target: Any, group: str) -> None:
        """Run, or queue into a pipeline, the creation of `group` (none if it exists)."""
        target.eval(CREATE_GROUP, 1, self.key, group)

    def read(self, group: str, consumer: str, count: int, block_ms: int) -> list[RawEntry]:
        reply = self.store._call(
            lambda: self.client.xreadgroup(group, consumer, {self.key: ">"}, count=count, block=block_ms)
        )
        return _entries(reply[0][1]) if reply else []

    def claim_stale(self, group: str, consumer: str, idle_ms: int, count: int) -> Claim:
        """Take over entries consumers left pending for longer than `idle_ms`.

        The previous owners' fences are bumped *before* the claim, so an owner that was only
        slow (not dead) finds its fence moved when it tries to write and drops the batch
        (`BatchLost`) instead of counting it a second time. That holds when the previous owner
        has our own name (a worker restarted under the same `--consumer`, or a live twin of
        that name): our fence is bumped too, and the claimer guards its writes with the new
        value (`Claim.own_fence`), the twin with the old one.
        """
        keys = self.store.keys

        def run() -> Claim:
            pending = self.client.xpending_range(self.key, group, "-", "+", count, idle=idle_ms)
            if not pending:
                return Claim([])
            owners = sorted({_text(p["consumer"]) for p in pending})
            ids = [_text(p["message_id"]) for p in pending]
            pipe = self.client.pipeline(transaction=False)
            for owner in owners:
                pipe.incr(keys.fence(owner))
            pipe.xclaim(self.key, group, consumer, idle_ms, ids)
            *fences, claimed = pipe.execute()
            own_fence = str(fences[owners.index(consumer)]) if consumer in owners else None
            entries = _entries([c for c in claimed if c is not None])
            found = {e.entry_id for e in entries}
            # ids still pending but whose entry was trimmed from the stream: nothing to count
            entries.extend(RawEntry(i, None) for i in ids if i not in found and self._still_pending(group, i))
            return Claim(entries, own_fence)

        return self.store._call(run)

    def _still_pending(self, group: str, entry_id: str) -> bool:
        return bool(self.client.xpending_range(self.key, group, entry_id, entry_id, 1))

    def fence(self, consumer: str) -> str | None:
        value = self.store._call(lambda: self.client.get(self.store.keys.fence(consumer)))
        return _text(value) if value is not None else None

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

    def trimmed_unread(self) -> dict[str, int]:
        """Per consumer group, how many lines the cap (MAXLEN) trimmed before the group read
        them: lines added, minus lines the group read, minus those still waiting for it.
        Empty on servers older than Redis 7 (no `entries-read`) and before any group exists
        (`append` with its `group` creates the workers' group with the stream)."""

        def run() -> dict[str, int]:
            try:
                groups = self.client.xinfo_groups(self.key)
                added = self.client.xinfo_stream(self.key).get("entries-added")
            except redis.exceptions.ResponseError:  # no such key yet
                return {}
            if added is None:
                return {}
            lost: dict[str, int] = {}
            for group in groups:
                lag = group.get("lag")
                if lag is None:
                    continue
                read = group.get("entries-read") or 0
                lost[_text(group["name"])] = max(int(added) - int(read) - int(lag), 0)
            return lost

        return self.store._call(run)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entries(raw: list[Any]) -> list[RawEntry]:
    out: list[RawEntry] = []
    for entry_id, fields in raw:
        line = fields.get(LINE_FIELD.encode()) if fields else None
        out.append(RawEntry(_text(entry_id), line))
    return out
