"""X filtered-stream rules from tracked topics, synced without touching other tools' rules.

One rule per topic: tag = the topic name (so `matching_rules` tags *are* topic names, live
and in a replayed archive), value = its keywords joined with OR, phrases and anything with
punctuation quoted, plus an optional suffix such as `lang:en -is:retweet`.

Which rules are tweetwatch's? X stores no owner, and the tag must stay the topic name, so
tweetwatch records the ids of the rules it created in `<state dir>/x-rules.json` (per API
URL). A rule is tweetwatch's when its id is recorded there, or when it is exactly a rule
tweetwatch wants (same tag and value: adopted). Every other rule is left alone.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tweetwatch.errors import UsageError
from tweetwatch.pipeline.text import Topic
from tweetwatch.sanitize import clean_text, shown_path
from tweetwatch.secret import mask_url

log = logging.getLogger(__name__)

RECORD_FILE = "x-rules.json"
MAX_RULE_LENGTH = 1024
"""X's longest rule at the Pro access level (Enterprise allows more; X says so when a rule is too long)."""
_PLAIN = re.compile(r"[#@$]?\w+")
_OPERATOR_WORDS = frozenset({"OR"})
"""Bare words X's rule syntax reads as operators. X's boolean operators are a space (AND),
`OR`, `-` (NOT) and parentheses: the uppercase `OR` is the only word among them (`or`, `AND` and
`NOT` are keywords). Everything else with an operator's meaning has punctuation and is quoted anyway."""


@dataclass(frozen=True)
class Rule:
    value: str
    tag: str | None = None
    id: str | None = None

    def line(self, ours: bool) -> str:
        """`id<TAB>tag<TAB>value<TAB>owner` for `tweetwatch rules`; the API's fields cleaned
        for the terminal (rules another app added can hold anything)."""
        owner = "tweetwatch" if ours else "other"
        fields = (self.id or "-", self.tag or "-", self.value)
        return "\t".join([*(clean_text(field) or "-" for field in fields), owner])


def quote_keyword(keyword: str) -> str:
    """A plain word, #hashtag, @mention or $cashtag as is; anything else, and a word that is an
    operator (`OR`), as an exact phrase: a keyword never becomes an operator."""
    if _PLAIN.fullmatch(keyword) and keyword not in _OPERATOR_WORDS:
        return keyword
    return '"' + keyword.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rule_value(topic: Topic, suffix: str = "") -> str:
    terms = [quote_keyword(k) for k in topic.keywords]
    value = " OR ".join(terms)
    suffix = suffix.strip()
    if suffix:
        value = f"({value}) {suffix}" if len(terms) > 1 else f"{value} {suffix}"
    return value


def desired_rules(topics: Iterable[Topic], suffix: str = "") -> list[Rule]:
    rules = [Rule(rule_value(t, suffix), t.name) for t in topics]
    for rule in rules:
        if len(rule.value) > MAX_RULE_LENGTH:
            raise UsageError(
                f"the X rule for topic {rule.tag!r} is {len(rule.value)} characters long "
                f"(X allows at most {MAX_RULE_LENGTH} at the Pro access level): track fewer keywords"
            )
    return rules


@dataclass
class SyncPlan:
    keep: list[Rule]
    add: list[Rule]
    delete: list[Rule]
    foreign: list[Rule]


def is_ours(rule: Rule, wanted: Sequence[Rule], recorded: set[str]) -> bool:
    """Whether `rule` is tweetwatch's: recorded, or exactly a wanted rule (adopted). `rules
    list`, `sync` and `clear` all decide by this."""
    return rule.id in recorded or any(rule.tag == w.tag and rule.value == w.value for w in wanted)


def plan_sync(current: Sequence[Rule], wanted: Sequence[Rule], recorded: set[str]) -> SyncPlan:
    """What to add and delete so that tweetwatch's rules are exactly `wanted`."""
    wanted_pairs = {(r.tag, r.value) for r in wanted}
    keep: list[Rule] = []
    delete: list[Rule] = []
    foreign: list[Rule] = []
    kept_pairs: set[tuple[str | None, str]] = set()
    for rule in current:
        pair = (rule.tag, rule.value)
        if not is_ours(rule, wanted, recorded):
            foreign.append(rule)
        elif pair in wanted_pairs and pair not in kept_pairs:
            keep.append(rule)
            kept_pairs.add(pair)
        else:
            delete.append(rule)  # stale, or a second copy of a wanted rule
    add = [r for r in wanted if (r.tag, r.value) not in kept_pairs]
    return SyncPlan(keep=keep, add=add, delete=delete, foreign=foreign)


class RuleRecord:
    """Ids of the rules tweetwatch created, per API URL, in the state directory."""

    def __init__(self, state_dir: Path, api_url: str) -> None:
        self.path = state_dir / RECORD_FILE
        self.api_url = mask_url(api_url.rstrip("/"))  # the file's key: no password on disk

    def _load_all(self) -> dict[str, list[str]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", shown_path(self.path), exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: [str(i) for i in v] for k, v in data.items() if isinstance(v, list)}

    def load(self) -> set[str]:
        return set(self._load_all().get(self.api_url, []))

    def save(self, ids: Iterable[str]) -> None:
        data = self._load_all()
        data[self.api_url] = sorted(set(ids))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = self.path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(data, indent=1) + "\n")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("cannot record tweetwatch's X rule ids in %s: %s", shown_path(self.path), exc)
