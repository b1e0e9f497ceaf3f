"""A corpus of hostile and broken input, built at test time (a 20 MB line does not belong in git).

Each case is raw bytes plus the counts tweetwatch must report for it. Posts are dated from a
fixed 2021 snowflake-era base, and every hostile text mentions `trump` so it reaches the topic,
keyword and feed panels.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

BASE_ID = 1377650090978992000
"""A real-looking snowflake (2021-04-01); ids count up from here."""


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    tweets: int
    control: int = 0
    rejected: int = 0
    duplicates: int = 0


def tweet(n: int, text: str, **extra: object) -> bytes:
    data = {"id": str(BASE_ID + n), "text": text, "created_at": "2021-04-01T15:52:31.000Z", "author_id": "7"}
    data.update(extra)
    return json.dumps({"data": data}).encode()


HOSTILE_TEXTS = {
    "osc52": "trump \x1b]52;c;SGFja2VkIGNsaXBib2FyZA==\x07 copy me",
    "osc52_st": "trump \x1b]52;c;SGFja2Vk\x1b\\ st-terminated",
    "clear": "trump \x1b[2J\x1b[H screen wipe",
    "sgr": "trump \x1b[31;1;5mred blink\x1b[0m",
    "dcs": "trump \x1bPtmux;\x1b\x1b]52;c;SGFja2Vk\x07\x1b\\ passthrough",
    "c1": "trump \x9b2J \x9d0;title\x9c c1 controls",
    "c0": "trump \x00\x01\x07\x08\x0b\x0c\x7f bell and friends",
    "bidi": "trump \u202egnp.exe\u202c \u2066isolate\u2069",
    "zero_width": "trump z\u200bero\u200cwidth\u200d\ufeff",
    "markup": "trump [bold red]x[/] [link=https://evil]click[/link] [/]",
    "cjk": "trump 特朗普 选举 ニュース 대통령",
    "zwj": "trump 👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽",
    "combining": "trump Z̷̢̛̛a̸̧͎l̶̰̈́g̵͍͆o̴̱͑ e\u0301",
    "newlines": "trump line1\nline2\r\nline3\ttabbed",
}


def build(directory: Path) -> list[tuple[Case, Path]]:
    n = 0

    def next_tweet(text: str, **extra: object) -> bytes:
        nonlocal n
        n += 1
        return tweet(n, text, **extra)

    ok = next_tweet("trump ok before")
    cases = [
        Case("invalid_json", ok + b"\n{\"data\": {\"id\": \"1\n" + next_tweet("trump ok after") + b"\n", 2, rejected=1),
        Case("truncated", next_tweet("trump a") + b"\n" + next_tweet("trump b")[:40] + b"\n", 1, rejected=1),
        Case("invalid_utf8", b'{"data": {"id": "1377650090978999999", "text": "bad \xff\xfe"}}\n' + next_tweet("trump c") + b"\n", 1, rejected=1),
        Case("nul_bytes", b"\x00\x00\x00\n" + next_tweet("trump \\u0000 escaped nul") + b"\n", 1, rejected=1),
        Case("huge_line", next_tweet("trump " + "x" * 16_000_000) + b"\n" + next_tweet("trump " + "x" * 20_000_000)
             + b"\n" + next_tweet("trump small") + b"\n", 2, rejected=1),  # over MAX_LINE_BYTES: rejected
        Case("deep_nesting", b"[" * 100_000 + b"]" * 100_000 + b"\n" + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"\n", 0, rejected=2),
        Case("wrong_types", b"\n".join([
            b'{"data": {"id": 12345, "text": null}}',
            b'{"id_str": 5, "text": [], "user": []}',
            b'{"data": [1, "two", null]}',
            b'{"data": {"id": "1377650090978991111", "text": "trump typed", "entities": [], "lang": 5,'
            b' "referenced_tweets": {"x": 1}, "author_id": ["a"]}, "includes": [], "matching_rules": "x"}',
            b'{"user": "me", "id_str": "720000000000000007", "text": "v1 trump", "entities": "none",'
            b' "retweeted_status": "nope", "extended_tweet": 7}',
        ]) + b"\n", 2, rejected=5),
        Case("entity_types", b"\n".join([
            tweet(3001, "trump nested", entities={"hashtags": [{"tag": ["a", "list"]}], "mentions": [{"username": ["x"]}]}),
            tweet(3002, "trump mixed", entities={
                "hashtags": [{"tag": ["a"]}, {"tag": "ok"}, {"tag": {"x": 1}}, "bare"],
                "mentions": [{"username": 5}], "urls": "no"}),
        ]) + b"\n", 2),
        Case("empty_author", json.dumps({  # a user with id "" named by an empty author_id
            "data": {"id": str(BASE_ID + 3003), "text": "trump nobody", "author_id": ""},
            "includes": {"users": [{"id": "", "username": "ghost"}]}}).encode() + b"\n", 1),
        Case("missing_fields", b'{"data": {"text": "no id trump"}}\n{"data": {"id": "1377650090978992555"}}\n', 0, rejected=2),
        Case("unknown_types", b'{"event": "follow"}\n{"friends": [1, 2]}\n{"limit": {"track": 3}}\n', 0, control=1, rejected=2),
        Case("duplicates", next_tweet("trump dup") * 0 + (tweet(900, "trump same") + b"\n") * 3, 1, duplicates=2),
        Case("times", b"\n".join([
            tweet(901, "trump from the future", created_at="2999-01-01T00:00:00.000Z"),  # snowflake time used
            json.dumps({"data": {"id": "12", "text": "trump ancient", "created_at": "1970-01-01T00:00:00Z"}}).encode(),
            json.dumps({"data": {"id": "13", "text": "trump future short id", "created_at": "2999-01-01T00:00:00Z"}}).encode(),
        ]) + b"\n", 1, rejected=2),
        Case("empty", b"", 0),
        Case("blank_lines", b"\n\r\n   \n\t\n", 0),
        Case("hostile_texts", b"\n".join(  # the same texts as hashtags and mentioned usernames too
            tweet(1000 + i, text, entities={"hashtags": [{"tag": text[6:]}], "mentions": [{"username": text[6:]}]})
            for i, text in enumerate(HOSTILE_TEXTS.values())) + b"\n", len(HOSTILE_TEXTS)),
    ]
    out: list[tuple[Case, Path]] = []
    for case in cases:
        path = directory / f"{case.name}.jsonl"
        path.write_bytes(case.data)
        out.append((case, path))
    # gzip that ends in the middle of a member: the complete lines before the cut still count
    good = b"".join(tweet(2000 + i, f"trump gz {i}") + b"\n" for i in range(50))
    packed = gzip.compress(good)
    cut = directory / "gzip_cut.jsonl.gz"
    cut.write_bytes(gzip.compress(good[: len(good) // 2].rsplit(b"\n", 1)[0] + b"\n") + packed[: len(packed) // 2])
    out.append((Case("gzip_cut", b"", tweets=-1), cut))  # -1: at least the first member's lines
    return out
