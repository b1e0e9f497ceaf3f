"""Where a live source resumes after a restart: its checkpoint, stored with the counts.

A source that can resume (Jetstream: a `cursor` in microseconds) offers two optional methods:
`checkpoint()`, its resume position after the last line it yielded (None while it has none),
and `resume_from(position)`, called once before `lines()`. A replay keeps one checkpoint per
file instead: `checkpoint_field()` names the current file's, `checkpoint_fields()` all of
them, and `resume_from_many({field: position})` takes what is stored. The collector takes the
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
    """(field, resume position) after the last line `source` yielded, when it has one. The
    field is the source's label, or what its `checkpoint_field()` says (a replay keeps one per
    file)."""
    get = getattr(source, "checkpoint", None)
    position = get() if callable(get) else None
    if position is None:
        return None
    get_field = getattr(source, "checkpoint_field", None)
    name = get_field() if callable(get_field) else None
    return name or label_of(source), position


def resume_source(source: object, store: Store) -> None:
    """Hand `source` the position the last run stored for it (a source that cannot resume,
    or a namespace with nothing stored, is left alone; so is everything when Redis is away:
    the source then starts from now, as without a checkpoint)."""
    resume_from = getattr(source, "resume_from", None)
    resume_from_many = getattr(source, "resume_from_many", None)
    if not callable(resume_from) and not callable(resume_from_many):
        return
    label = label_of(source)
    try:
        if callable(resume_from_many):  # every field of the source: a file may have grown since (replay.py)
            positions = store.read_checkpoints_named(f"{label}:")
        else:
            positions = store.read_checkpoints([label])
    except StoreUnavailable as exc:
        log.warning("%s: could not read where the last run stopped (%s); starting from now", label, exc)
        return
    if callable(resume_from_many):
        resume_from_many(positions)
    elif label in positions:
        resume_from(positions[label])  # type: ignore[misc]
