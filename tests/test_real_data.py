"""Replay the real recorded streams in ../shared/data/real and check counts computed here
independently (plain json + a regex), not with tweetwatch's own normalizer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import REAL_DATA, run_cli

V1_FILES = [
    "David-Statistics__STA323D_Final__tweets.json",
    "simonmunzert__rscraping-jsm-2016__tweets_stream.json",
    "nbreznau__rscraping-eui-2017__clintontrump_2017-05-17-17-24-05.json",
    "DUanalytics__BARtaxila__tweetsabouttrump.json",
    "Amithus1__iimbg__tweetsabouttrump.json",
    "tosi-n__NLP_R__tweetsabouttrump.json",
    "pablobarbera__social-media-workshop__tweets_geo.json",
    "thclee32__CS172-ElasticsearchTweets__twitter_data5.txt",
    "prodsa__Managing_-Analysing_Streaming_Twitter_Data__twitter_data.txt",
    "Xeaphii__Coursera-Data-Science-At-Scale-Assignments__output.txt",
    "houxu__datasci_course_materials__output.txt",
]
V2_FILES = [
    "DocNow__twarc-csv__streaming_output.jsonl",
    "DocNow__twarc-csv__streaming_output_with_error.jsonl",
    "DocNow__twarc-csv__2sets.jsonl",
    "DocNow__twarc-csv__withheld.jsonl",
    "DocNow__twarc-csv__entities_test.jsonl",
]
CONTROL = {"limit", "delete", "warning", "disconnect", "scrub_geo", "status_withheld", "user_withheld"}

pytestmark = pytest.mark.skipif(not REAL_DATA.is_dir(), reason="../shared/data/real is not present")


def expected_counts(paths: list[Path]) -> dict[str, object]:
    """Independent count: one JSON document per non-blank line."""
    ids: set[str] = set()
    total = control = rejected = duplicates = 0
    trump = 0
    word = re.compile(r"(?<!\w)(trump|realdonaldtrump)(?!\w)")

    def full_text(status: dict) -> str:
        ext = status.get("extended_tweet") or {}
        return ext.get("full_text") or status.get("full_text") or status.get("text") or ""

    for path in paths:
        for raw in path.read_bytes().split(b"\n"):
            if not raw.strip():
                continue
            try:
                doc = json.loads(raw)
            except ValueError:
                rejected += 1
                continue
            if not isinstance(doc, dict):
                rejected += 1
                continue
            if "data" in doc:
                items = doc["data"] if isinstance(doc["data"], list) else [doc["data"]]
                if not items and "errors" in doc:
                    control += 1
                pairs = [(str(i.get("id")), None) if "text" in i else (None, None) for i in items]
            elif "errors" in doc:
                control += 1
                continue
            elif CONTROL & doc.keys():
                control += 1
                continue
            elif "user" in doc and "id_str" in doc:
                pairs = [(doc["id_str"], doc)]
            else:
                rejected += 1
                continue
            for tweet_id, status in pairs:
                if tweet_id is None:
                    rejected += 1
                elif tweet_id in ids:
                    duplicates += 1
                else:
                    ids.add(tweet_id)
                    total += 1
                    if status is not None:
                        text = full_text(status.get("retweeted_status") or status)
                        # a quote's quoted post counts; so does the quoted post of a retweeted quote
                        quoted = status.get("quoted_status") or (status.get("retweeted_status") or {}).get("quoted_status")
                        if quoted:
                            text += "\n" + full_text(quoted)
                        text = re.sub(r"https?://\S+", " ", text.casefold())
                        trump += bool(word.search(text))
    return {"total": total, "control": control, "rejected": rejected, "duplicates": duplicates, "trump_v1": trump}


def replay(server_url: str, namespace: str, names: list[str], extra: tuple[str, ...] = ()) -> dict:
    args = ["collect", "--redis", server_url, "--namespace", namespace, *extra]
    for name in names:
        args += ["--replay", str(REAL_DATA / name)]
    result = run_cli(*args, timeout=300)
    assert result.returncode == 0, result.stderr
    out = run_cli("summary", "--json", "--redis", server_url, "--namespace", namespace)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_real_v1_files(server_url: str, namespace: str) -> None:
    names = [n for n in V1_FILES if (REAL_DATA / n).exists()]
    expected = expected_counts([REAL_DATA / n for n in names])
    data = replay(server_url, namespace, names, extra=("--track", "trump:trump,realdonaldtrump"))
    assert data["total"] == expected["total"]
    assert data["control"] == expected["control"]
    assert data["rejected"] == expected["rejected"]
    assert data["duplicates"] == expected["duplicates"]
    assert data["topics"]["trump"]["count"] == expected["trump_v1"]
    assert data["total"] > 4000 and data["control"] > 200  # sanity: the files were really read


def test_real_v2_files(server_url: str, namespace: str) -> None:
    names = [n for n in V2_FILES if (REAL_DATA / n).exists()]
    expected = expected_counts([REAL_DATA / n for n in names])
    data = replay(server_url, namespace, names)
    for key in ("total", "control", "rejected", "duplicates"):
        assert data[key] == expected[key], key
    assert data["control"] >= 1  # the operational-disconnect line
