"""`tweetwatch export` through real processes against real servers: CSV, JSON and a PNG cloud."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis
from PIL import Image
from support import FIXTURES, run_cli

from tweetwatch.config import parse_duration
from tweetwatch.store.keys import Keys
from tweetwatch.store.redis_store import window_minutes

T0 = datetime(2021, 4, 1, 15, 0, tzinfo=UTC)


def collect(server_url: str, namespace: str, *extra: str, replay: Path = FIXTURES / "v2_mixed.jsonl") -> None:
    result = run_cli("collect", "--redis", server_url, "--namespace", namespace, "--replay", str(replay), *extra)
    assert result.returncode == 0, result.stderr


def v2_line(n: int, text: str, at: datetime, hashtags: Sequence[str] = (), mentions: Sequence[str] = ()) -> str:
    """One v2 stream line (as in fixtures/v2_mixed.jsonl) with hashtag and mention entities."""
    data = {"id": str(10**18 + n), "text": text, "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "author_id": f"a{n % 50}", "lang": "en",
            "entities": {"hashtags": [{"tag": t} for t in hashtags], "mentions": [{"username": m} for m in mentions]}}
    return json.dumps({"data": data}) + "\n"


@pytest.mark.parametrize("retention", ["5m", "30m"])
def test_windows_longer_than_rolled_read_the_exact_union(
    server_url: str, namespace: str, client: redis.Redis, tmp_path: Path, retention: str
) -> None:
    """With a retention shorter than a dashboard window the collector keeps no rolling set for
    it: summary and export must not read one (they showed no keywords, hashtags or mentions),
    and a window longer than the retention shows the retention's minutes under their name."""
    rng = random.Random(3)
    words, tags, users = ["economy", "jobs", "wall", "taxes", "vote", "court"], ["maga", "news", "vote2020"], ["cnn", "potus"]
    stream = tmp_path / "stream.jsonl"
    stream.write_text("".join(  # 90 minutes, a post every 6 s
        v2_line(n, "trump " + " ".join(rng.choices(words, k=3)), T0 + timedelta(seconds=6 * n),
                [rng.choice(tags)], [rng.choice(users)])
        for n in range(900)))
    collect(server_url, namespace, "--retention", retention, replay=stream)
    keys = Keys(namespace)
    clock_s = int(client.zscore(keys.clock, "clock")) // 1000

    def top(family: str, window_s: int) -> list[list[object]]:  # the union path, done here
        prefix = keys.minute_prefix(family)
        ranked = client.zunion({f"{prefix}{m}": -1 for m in window_minutes(clock_s, window_s)}, withscores=True)
        return [[w, int(-score)] for w, score in ranked[:10]]

    for window in ("1m", "5m", "15m", "1h"):
        window_s = min(parse_duration(window), parse_duration(retention))
        union = {family: top(family, window_s) for family in ("kw:trump", "ht", "mn")}
        common = ("--window", window, "--redis", server_url, "--namespace", namespace)
        result = run_cli("summary", "--json", *common)
        assert result.returncode == 0, result.stderr
        assert ("longer than the collector's retention" in result.stderr) == (window_s < parse_duration(window))
        summary = json.loads(result.stdout)
        assert summary["window_s"] == window_s
        assert all(union.values())
        assert summary["topics"]["trump"]["keywords"] == union["kw:trump"], window
        assert summary["mix"]["hashtags"] == union["ht"], window
        assert summary["mix"]["mentions"] == union["mn"], window
        doc = json.loads(run_cli("export", "json", "-o", "-", *common).stdout)
        assert doc["window_s"] == window_s
        for kind, family in (("hashtag", "ht"), ("mention", "mn")):
            assert [[r["name"], r["count"]] for r in doc["mix"] if r["kind"] == kind] == union[family], window


def test_export_wordcloud_writes_a_png_of_the_asked_size(server_url: str, namespace: str, tmp_path: Path) -> None:
    collect(server_url, namespace)
    topics = json.loads(run_cli("summary", "--json", "--redis", server_url, "--namespace", namespace,
                                "--window", "24h").stdout)["topics"]
    topic = max(topics, key=lambda name: topics[name]["count"])
    out = tmp_path / "clouds" / "cloud.png"
    result = run_cli("export", "wordcloud", "--topic", topic, "-o", str(out), "--size", "640x320",
                     "--window", "24h", "--redis", server_url, "--namespace", namespace)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"wrote {out}"]  # Latin words: the bundled font, no note
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
    assert "export wordcloud unknown topic 'nope' (topics: " in result.stderr
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
    dash = run_cli("export", "csv", "-o", "-", "--redis", server_url, "--namespace", namespace, state_dir=tmp_path)
    assert dash.returncode == 2 and "(export json -o - writes to standard output)" in dash.stderr
    assert not Path("-").exists() and not (tmp_path / "-").exists()


FORMULAS = ["=cmd|' /c calc'!A0", '=HYPERLINK("http://evil.example/?q=1","click")', "@SUM(1+1)", "+1+1", "-2+3"]


def test_csv_cells_from_the_network_never_start_a_formula(server_url: str, namespace: str, tmp_path: Path) -> None:
    """Hashtags and mentions reached mix.csv as `=cmd|...`, `=HYPERLINK(...)`, `@sum(...)`:
    a spreadsheet runs those. CSV text cells get a leading `'`; numbers stay numbers, JSON exact."""
    stream = tmp_path / "formulas.jsonl"
    stream.write_text("".join(v2_line(n, "trump rally", T0 + timedelta(seconds=n), [text, "fine"], [text])
                              for n, text in enumerate(FORMULAS)))
    collect(server_url, namespace, replay=stream)
    common = ("--window", "24h", "--redis", server_url, "--namespace", namespace)
    result = run_cli("export", "csv", "-o", str(tmp_path / "tables"), *common)
    assert result.returncode == 0, result.stderr
    for table in ("counters", "series", "keywords", "mix"):
        with open(tmp_path / "tables" / f"{table}.csv", newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                        float(cell)  # only a number (a negative sentiment mean) may start so
    mix = pd.read_csv(tmp_path / "tables" / "mix.csv")
    assert mix["count"].dtype == "int64"
    folded = sorted(" ".join(f.casefold().split()).replace(" ", "_") for f in FORMULAS)
    for kind in ("hashtag", "mention"):
        rows = mix[mix.kind == kind]
        assert sorted(rows.name) == sorted(["'" + f for f in folded] + (["fine"] if kind == "hashtag" else []))
        assert set(rows["count"]) == ({1, len(FORMULAS)} if kind == "hashtag" else {1})
    doc = json.loads(run_cli("export", "json", "-o", "-", *common).stdout)
    assert sorted(r["name"] for r in doc["mix"] if r["kind"] == "mention") == folded  # JSON stays exact


def test_csv_defuses_tab_and_carriage_return_but_not_numbers(tmp_path: Path) -> None:
    from tweetwatch.export import write_csv

    frame = pd.DataFrame({"name": ["\tx", "-x", "ok", "\rx"], "count": [-2, 3, -1, 0], "share": [-0.5, 0.1, None, 1.0]})
    write_csv(dict.fromkeys(("counters", "series", "keywords", "mix"), frame), tmp_path)
    text = (tmp_path / "mix.csv").read_bytes().decode()  # not read_text: it turns a CR into a newline
    assert text.startswith("name,count,share\n'\tx,-2,-0.5\n'-x,3,0.1\nok,-1,\n'\rx,0,1.0\n")
    assert pd.read_csv(tmp_path / "mix.csv", nrows=3)["count"].tolist() == [-2, 3, -1]  # numbers stay numbers
    assert frame.name.tolist() == ["\tx", "-x", "ok", "\rx"]  # the caller's frame (JSON's) is untouched


def test_export_json_to_a_full_standard_output_is_one_line(server_url: str, namespace: str, tmp_path: Path) -> None:
    collect(server_url, namespace)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWEETWATCH_")}
    env.update(TWEETWATCH_STATE_DIR=str(tmp_path), TWEETWATCH_CONFIG=str(FIXTURES / "empty-config.toml"))
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "tweetwatch", "export", "json", "-o", "-", "--redis", server_url,
                                 "--namespace", namespace], stdout=full, stderr=subprocess.PIPE, text=True, env=env,
                                timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["tweetwatch: cannot write to standard output: No space left on device"]


def installed_fonts(pattern: str = ":scalable=true") -> list[str]:
    """Font files fontconfig lists for `pattern` (sorted), or a skip when fontconfig is absent."""
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig (fc-list) is not installed")
    listed = subprocess.run(["fc-list", "--format", "%{file}\n", pattern], capture_output=True, text=True, check=True)
    return sorted(set(listed.stdout.split()))


def test_find_font_gives_an_installed_font_with_the_characters_or_none(monkeypatch: pytest.MonkeyPatch) -> None:
    """Which font has which characters comes from this machine's fonts (CJK ones or not)."""
    from tweetwatch.export import cloud_font, find_font, font_chars

    fonts = [f for f in installed_fonts() if font_chars(f)]
    if not fonts:
        pytest.skip("no scalable font installed")
    letters = [chr(c) for c in sorted(font_chars(fonts[0])) if chr(c).isalpha()]
    chars = "".join(letters[:: max(1, len(letters) // 5)])  # letters across the font's range
    found = find_font(chars)
    assert found is not None and all(ord(c) in font_chars(found) for c in chars), (chars, found)
    assert find_font(chars) == found  # the same font every time
    nobody = "\U00010000\ue000"  # Linear B syllable A and the first private-use code point
    if not installed_fonts(":charset=10000 e000"):
        assert find_font(nobody) is None
        assert cloud_font(["trump", nobody]) == (None, "".join(sorted(nobody)))
    assert cloud_font(["trump", "économie", "ελλάδα"]) == (None, "")  # the bundled font has them
    monkeypatch.setenv("PATH", "")  # no fontconfig: no lookup
    assert find_font(chars) is None


def test_export_wordcloud_draws_in_the_given_font(server_url: str, namespace: str, tmp_path: Path) -> None:
    from wordcloud import WordCloud

    from tweetwatch.export import CLOUD_RANDOM_STATE

    fonts = installed_fonts(":scalable=true:charset=41")
    font = next((f for f in fonts if f.endswith("/DejaVuSans.ttf")), fonts[0] if fonts else None)
    if font is None:
        pytest.skip("no scalable font with Latin letters installed")
    words = ["economy", "jobs", "wall", "taxes", "vote", "court"]
    stream = tmp_path / "stream.jsonl"
    stream.write_text("".join(v2_line(n, f"trump {word}", T0 + timedelta(seconds=n))
                              for n, word in enumerate(w for k, w in enumerate(words) for _ in range(k + 1))))
    collect(server_url, namespace, replay=stream)
    common = ("--topic", "trump", "--size", "400x200", "--window", "24h", "--redis", server_url, "--namespace", namespace)
    result = run_cli("export", "wordcloud", "-o", str(tmp_path / "font.png"), "--font", font, *common)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"wrote {tmp_path / 'font.png'}"]
    assert run_cli("export", "wordcloud", "-o", str(tmp_path / "default.png"), *common).returncode == 0
    frequencies = {w: k + 1 for k, w in reversed(list(enumerate(words)))}
    expected = WordCloud(font_path=font, width=400, height=200, background_color="white",
                         random_state=CLOUD_RANDOM_STATE, max_words=len(words), prefer_horizontal=0.9,
                         normalize_plurals=False).generate_from_frequencies(frequencies).to_array()
    with Image.open(tmp_path / "font.png") as drawn, Image.open(tmp_path / "default.png") as default:
        assert np.array_equal(np.asarray(drawn.convert("RGB")), expected)
        assert not np.array_equal(np.asarray(default.convert("RGB")), expected)


def test_export_wordcloud_refuses_a_font_it_cannot_use(tmp_path: Path) -> None:
    text = tmp_path / "notes.ttf"
    text.write_text("not a font\n")
    for font, reason in ((tmp_path / "nope.ttf", "No such file or directory"), (tmp_path, "Is a directory"),
                         (text, "not a font file (TrueType, OpenType or a collection)")):
        result = run_cli("export", "wordcloud", "--topic", "trump", "-o", str(tmp_path / "x.png"), "--font", str(font),
                         state_dir=tmp_path / "state")
        assert result.returncode == 2
        assert result.stderr.splitlines() == [f"tweetwatch: cannot use --font {font}: {reason}"]
    assert not (tmp_path / "x.png").exists()


def test_export_wordcloud_without_a_font_for_its_words_says_so(server_url: str, namespace: str, tmp_path: Path) -> None:
    """Linear B words (no usual font has them): the cloud is written, with one line saying so."""
    if installed_fonts(":charset=10000 10001"):
        pytest.skip("an installed font has Linear B")
    linear_b = "\U00010000\U00010001"
    stream = tmp_path / "stream.jsonl"
    stream.write_text("".join(v2_line(n, f"trump economy {linear_b * (n % 2 + 1)}", T0 + timedelta(seconds=n))
                              for n in range(6)))
    collect(server_url, namespace, replay=stream)
    out = tmp_path / "cloud.png"
    result = run_cli("export", "wordcloud", "--topic", "trump", "-o", str(out), "--size", "400x200", "--window", "24h",
                     "--redis", server_url, "--namespace", namespace)
    assert result.returncode == 0, result.stderr
    note, wrote = result.stderr.splitlines()
    assert note == (f"tweetwatch: note: no installed font has all the LINEAR B characters {linear_b}: words with "
                    "them are drawn as empty boxes in the word cloud; install a font that has them (Debian/Ubuntu: apt "
                    "install fonts-noto-cjk for Chinese, Japanese and Korean, fonts-noto for most other scripts) or pass "
                    "one with --font PATH")
    assert wrote == f"wrote {out}"
    with Image.open(out) as image:
        assert image.size == (400, 200)
