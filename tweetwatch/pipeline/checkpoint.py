"""Where a live source resumes after a restart: its checkpoint, stored with the counts.

A source that can resume (Jetstream: a `cursor` in microseconds) offers two optional methods:
`checkpoint()`, its resume position after the last line it yielded (None while it has none),
and `resume_from(position)`, called once before `lines()`. The collector takes the
checkpoint when it starts aggregating a batch, so it covers exactly the lines in that batch
and before; the batch's Delta carries it into the same MULTI/EXEC as its counts. What Redis
holds therefore never claims lines whose counts are not written: after a crash the next run
resumes at or before the first line not counted, and the dedupe by post id drops the posts
it sees again.
"""

from __future__ import annotations

import logging

from tweetwatch.errors import StoreUnavailable
from tweetwatch.sources.base import label_of
from tweetwatch.store.redis_store import Store

log = logging.getLogger(__name__)


def checkpoint_of(source: object) -> tuple[str, str] | None:
    """(source label, resume position) after the last line `source` yielded, when it has one."""
    get = getattr(source, "checkpoint", None)
    position = get() if callable(get) else None
    if position is None:
        return None
    return label_of(source), position


def resume_source(source: object, store: Store) -> None:
    """Hand `source` the position the last run stored for it (a source that cannot resume,
    or a namespace with nothing stored, is left alone; so is everything when Redis is away:
    the source then starts from now, as without a checkpoint)."""
    resume_from = getattr(source, "resume_from", None)
    if not callable(resume_from):
        return
    label = label_of(source)
    try:
        position = store.read_checkpoint(label)
    except StoreUnavailable as exc:
        log.warning("%s: could not read where the last run stopped (%s); starting from now", label, exc)
        return
    if position is not None:
        resume_from(position)
