"""Bluesky Jetstream events -> Tweet records (filled in by the Jetstream source work)."""

from __future__ import annotations

from typing import Any

from tweetwatch.pipeline.model import Control, Record


def normalize_jetstream(obj: dict[str, Any]) -> list[Record]:
    return [Control(f"jetstream-{obj.get('kind')}")]
