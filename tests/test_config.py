"""Settings precedence: flags beat environment beat the config file beat defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import FIXTURES, run_cli

from tweetwatch.config import DEMO_NAMESPACE, parse_duration, parse_topic, resolve
from tweetwatch.errors import UsageError

EMPTY = str(FIXTURES / "empty-config.toml")


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults(tmp_path: Path) -> None:
    s = resolve({"command": "run", "config": None}, {"TWEETWATCH_CONFIG": EMPTY})
    assert s.source == "demo" and s.namespace == DEMO_NAMESPACE
    assert [t.name for t in s.topics] == ["trump", "biden"]
    assert s.topics[0].keywords == ("trump", "realdonaldtrump")
    assert s.speed == 1.0 and s.redis_url is None and s.refresh_s == 1.0


def test_collect_defaults_to_max_speed(tmp_path: Path) -> None:
    s = resolve({"command": "collect", "replay": [str(tmp_path / "x")]}, {"TWEETWATCH_CONFIG": EMPTY})
    assert s.speed is None and s.source == "replay" and s.namespace == "tweetwatch"


def test_readers_use_the_real_namespace_unless_demo_is_explicit(tmp_path: Path) -> None:
    env = {"TWEETWATCH_CONFIG": EMPTY}
    assert resolve({"command": "summary"}, env).namespace == "tweetwatch"
    assert resolve({"command": "summary", "source": "demo"}, env).namespace == DEMO_NAMESPACE


def test_precedence_flag_env_file(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        'redis = "redis://file:1/0"\nnamespace = "fromfile"\nrefresh = 5\nspeed = "max"\n'
        'track = ["ohio:ohio,columbus"]\n',
    )
    env = {"TWEETWATCH_CONFIG": str(config)}
    from_file = resolve({"command": "run"}, env)
    assert from_file.redis_url == "redis://file:1/0"
    assert from_file.namespace == "fromfile" and from_file.refresh_s == 5.0 and from_file.speed is None
    assert [t.spec for t in from_file.topics] == ["ohio:ohio,columbus"]

    env_wins = resolve({"command": "run"}, {**env, "REDIS_URL": "redis://env2:1", "TWEETWATCH_REDIS_URL": "redis://env:1"})
    assert env_wins.redis_url == "redis://env:1"

    flag_wins = resolve({"command": "run", "redis": "redis://flag:1", "namespace": "flagged",
                         "track": ["x:y"]}, {**env, "TWEETWATCH_REDIS_URL": "redis://env:1"})
    assert flag_wins.redis_url == "redis://flag:1" and flag_wins.namespace == "flagged"
    assert [t.name for t in flag_wins.topics] == ["x"]


def test_topics_table_in_config(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[topics]\nohio = ["ohio", "columbus ohio"]\n')
    s = resolve({"command": "run"}, {"TWEETWATCH_CONFIG": str(config)})
    assert s.topics[0].keywords == ("ohio", "columbus ohio")


def test_explicit_missing_config_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="config file not found"):
        resolve({"command": "run", "config": str(tmp_path / "missing.toml")}, {})


def test_invalid_toml_is_an_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "redis = [unclosed")
    with pytest.raises(UsageError, match="not valid TOML"):
        resolve({"command": "run"}, {"TWEETWATCH_CONFIG": str(config)})


@pytest.mark.parametrize(("text", "message"), [
    ('[topics]\ntrump = "trump"', r"topics.trump must be a list of strings"),  # was: keywords t, r, u, m, p
    ("[topics]\ntrump = [1, 2]", r"topics.trump must be a list of strings"),
    ('track = "trump:trump"', r"'track' must be a list of strings"),
    ("track = [1, 2]", r"'track' must be a list of strings"),
    ("replay = [5]", r"'replay' must be a list of strings"),
    ('archive = "no"', r"'archive' must be true or false"),
    ("speed = true", r"'speed' must be a number or a string"),
    ("redis = 6379", r"'redis' must be a string"),
    ('windw = "5m"', r"unknown key 'windw' \(known: archive, "),  # a typo is not ignored
])
def test_config_values_of_the_wrong_type_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    config = write_config(tmp_path, text)
    with pytest.raises(UsageError, match=message):
        resolve({"command": "run"}, {"TWEETWATCH_CONFIG": str(config)})


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b"\xff\xfen = 1\n")
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        resolve({"command": "run"}, {"TWEETWATCH_CONFIG": str(config)})


def test_bearer_token_selects_x_and_is_masked(tmp_path: Path) -> None:
    token = "AAAAAAAAAAAAAAAAAAAAAsecretsecretsecretwxyz"
    s = resolve({"command": "summary"}, {"TWEETWATCH_CONFIG": EMPTY, "X_BEARER_TOKEN": token})
    assert s.source == "x"
    assert token not in repr(s) and token not in str(s.bearer_token)
    assert s.bearer_token is not None and s.bearer_token.reveal() == token
    assert str(s.bearer_token) == "AAAA…wxyz"


def test_topic_and_duration_parsing() -> None:
    assert parse_topic("Trump").keywords == ("trump",)
    assert parse_topic("ny:new york, nyc").keywords == ("new york", "nyc")
    assert parse_duration("90") == 90 and parse_duration("5m") == 300 and parse_duration("1h") == 3600
    with pytest.raises(UsageError):
        parse_duration("0s")
    with pytest.raises(UsageError):
        parse_topic("_hidden:x")


def test_bad_live_urls_are_usage_errors() -> None:
    for flags in ({"jetstream_url": "ws://[::1"}, {"jetstream_url": "http://x"}, {"x_api_url": "ftp://x"},
                  {"x_api_url": "http://h:99999"}):
        with pytest.raises(UsageError):
            resolve({"command": "run", **flags}, {"TWEETWATCH_CONFIG": EMPTY})


@pytest.mark.parametrize("kind", ["fifo", "char-device", "oversized"])
def test_a_config_that_is_not_a_small_regular_file_is_a_one_line_usage_error(tmp_path: Path, kind: str) -> None:
    """`--config /dev/zero` read without end; `--config some.fifo` waited for a writer."""
    if kind == "fifo":
        config = tmp_path / "config.fifo"
        os.mkfifo(config)
        message = f"config file {config} is not a regular file"
    elif kind == "char-device":
        config = Path("/dev/zero")
        message = "config file /dev/zero is not a regular file"
    else:
        config = tmp_path / "config.toml"
        config.write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
        message = f"config file {config} is over 1 MiB: not a tweetwatch config"
    result = run_cli("summary", "--config", str(config), timeout=10)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"tweetwatch: {message}"]
