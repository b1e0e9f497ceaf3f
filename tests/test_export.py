"""`tweetwatch export` through real processes against real servers: CSV, JSON and a PNG cloud."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from PIL import Image
from support import FIXTURES, run_cli


def collect(server_url: str, namespace: str, *extra: str) -> None:
    result = run_cli("collect", "--redis", server_url, "--namespace", namespace,
                     "--replay", str(FIXTURES / "v2_mixed.jsonl"), *extra)
    assert result.returncode == 0, result.stderr


def test_export_wordcloud_writes_a_png_of_the_asked_size(server_url: str, namespace: str, tmp_path: Path) -> None:
    collect(server_url, namespace)
    topics = json.loads(run_cli("summary", "--json", "--redis", server_url, "--namespace", namespace,
                                "--window", "24h").stdout)["topics"]
    topic = max(topics, key=lambda name: topics[name]["count"])
    out = tmp_path / "clouds" / "cloud.png"
    result = run_cli("export", "wordcloud", "--topic", topic, "-o", str(out), "--size", "640x320",
                     "--window", "24h", "--redis", server_url, "--namespace", namespace)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stderr
    with Image.open(out) as image:
        assert image.format == "PNG"
        assert image.size == (640, 320)
        low, high = image.convert("L").getextrema()
        assert high - low > 100  # dark words drawn on the white background


def test_export_wordcloud_needs_a_known_topic(server_url: str, namespace: str, tmp_path: Path) -> None:
    collect(server_url, namespace)
    result = run_cli("export", "wordcloud", "--topic", "nope", "-o", str(tmp_path / "x.png"),
                     "--redis", server_url, "--namespace", namespace)
    assert result.returncode == 2
    assert "needs --topic NAME (topics: " in result.stderr
    assert not (tmp_path / "x.png").exists()
    for target in (tmp_path, tmp_path / "cloud.jpg"):  # PIL said "unknown file extension: "
        wrong = run_cli("export", "wordcloud", "--topic", "trump", "-o", str(target), "--redis", server_url,
                        "--namespace", namespace)
        assert wrong.returncode == 2
        assert wrong.stderr.startswith("tweetwatch: export wordcloud writes a PNG image: give -o a file name ending")


def test_export_csv_and_json_agree_with_summary(server_url: str, namespace: str, tmp_path: Path) -> None:
    collect(server_url, namespace)
    common = ("--window", "24h", "--redis", server_url, "--namespace", namespace)
    summary = json.loads(run_cli("summary", "--json", *common).stdout)

    result = run_cli("export", "csv", "-o", str(tmp_path / "tables"), *common)
    assert result.returncode == 0, result.stderr
    counters = pd.read_csv(tmp_path / "tables" / "counters.csv")
    assert counters.set_index("topic").loc["all", "total"] == summary["total"]
    for name, topic in summary["topics"].items():
        assert counters.set_index("topic").loc[name, "window"] == topic["count_window"]
    authors_cells = [line.split(",")[4] for line in (tmp_path / "tables" / "counters.csv").read_text().splitlines()]
    assert authors_cells[0] == "unique_authors" and authors_cells[1] == ""  # the "all" row has none
    assert [int(cell) for cell in authors_cells[2:]] == [t["unique_authors"] for t in summary["topics"].values()]
    series = pd.read_csv(tmp_path / "tables" / "series.csv")
    assert {"start", "bucket_s", "all", *summary["topics"]} <= set(series.columns)
    assert series["all"].sum() == summary["total_window"]
    keywords = pd.read_csv(tmp_path / "tables" / "keywords.csv")
    for name, topic in summary["topics"].items():
        mine = keywords[keywords.topic == name].sort_values("rank")
        assert [[w, int(c)] for w, c in zip(mine.word, mine["count"])][:10] == topic["keywords"]
    mix = pd.read_csv(tmp_path / "tables" / "mix.csv")
    assert set(mix.kind) >= {"posts", "retweets", "quotes", "replies", "links", "language"}

    out = tmp_path / "export.json"
    result = run_cli("export", "json", "-o", str(out), *common)
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text())
    assert doc["namespace"] == namespace and doc["window_s"] == 86400
    assert {row["topic"]: row["total"] for row in doc["counters"]}["all"] == summary["total"]
    assert [row["unique_authors"] for row in doc["counters"]] == [
        None, *(t["unique_authors"] for t in summary["topics"].values())]
    assert all(isinstance(row["unique_authors"], int) for row in doc["counters"][1:])
    assert len(doc["series"]) == len(series)
    stdout = run_cli("export", "json", "-o", "-", *common)
    assert json.loads(stdout.stdout)["counters"] == doc["counters"]


def test_export_csv_refuses_a_file_name(server_url: str, namespace: str, tmp_path: Path) -> None:
    result = run_cli("export", "csv", "-o", str(tmp_path / "out.csv"), "--redis", server_url, "--namespace", namespace)
    assert result.returncode == 2
    assert "give a directory" in result.stderr
