"""The Jetstream source against a real local WebSocket server (websockets' own, on 127.0.0.1).

`FakeJetstream` keeps an event log ordered by time_us, like Jetstream's store. The first
connection gets the events in "live" order (slightly out of time_us order, as real Jetstream
output is), then the server drops the socket mid-stream; a reconnect with `cursor` gets every
logged event with time_us >= cursor, in time_us order. Only a client that rewinds the cursor
gets the late events, and only one that skips what it already has counts each post once.
"""

from __future__ import annotations

import gzip
import json
import logging
import random
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from support import cli_process, run_cli
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tweetwatch.pipeline.workers import RawForwarder
from tweetwatch.sources.archive import Archive, ArchivingSource
from tweetwatch.sources.jetstream import RESUME_MAX_AGE_S, Backoff, JetstreamSource
from tweetwatch.store.raw_stream import RawStream
from tweetwatch.store.redis_store import Store, open_client

T0_US = 1_783_175_888_000_000  # 2026-07-04T14:38:08Z
STEP_US = 500_000
DID = "did:plc:{:024d}"
POST = "app.bsky.feed.post"


# --- the fake upstream ----------------------------------------------------------------------


@dataclass
class FakeJetstream:
    log: list[tuple[int, bytes]]
    """(time_us, raw event) ordered by time_us: what a cursor replays from."""
    live_order: list[int]
    """Indexes into `log` in the order the first connection sends them."""
    drop_after: int
    """The first connection is cut after this many events."""
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    first_delivered: list[int] = field(default_factory=list)
    closing: threading.Event = field(default_factory=threading.Event)
    server: Server | None = None

    def handle(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)  # type: ignore[union-attr]
        self.requests.append(query)
        try:
            if len(self.requests) == 1:
                for index in self.live_order[: self.drop_after]:
                    ws.send(self.log[index][1].decode())
                    self.first_delivered.append(index)
                time.sleep(0.2)  # let the client read what was sent, then cut the wire
                ws.socket.shutdown(socket.SHUT_RDWR)
                return
            if "cursor" in query:  # without one: live tail, and nothing new happens
                cursor = int(query["cursor"][0])
                for time_us, raw in self.log:
                    if time_us >= cursor:
                        ws.send(raw.decode())
            self.closing.wait(60)  # stay connected and quiet
        except ConnectionClosed:
            pass

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/subscribe"


@pytest.fixture
def fake_jetstream() -> Iterator[FakeJetstream]:
    log, live_order = make_log()
    fake = FakeJetstream(log, live_order, drop_after=24)
    with serve(fake.handle, "127.0.0.1", 0) as server:
        fake.server = server
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield fake
        fake.closing.set()
        server.shutdown()
        thread.join(10)


def make_log(t0_us: int = T0_US) -> tuple[list[tuple[int, bytes]], list[int]]:
    """30 posts, 3 deletes, an identity, an account event and a malformed line, every
    STEP_US from `t0_us`."""
    events: list[dict | str] = []
    for n in range(30):
        topic = ("bluesky", "atproto", "weather")[n % 3]
        record = {
            "$type": POST,
            "createdAt": f"2026-07-04T14:38:{8 + n // 2:02d}.{(n % 2) * 5}00Z",
            "langs": ["en"],
            "text": f"post {n} about {topic} #tag{n % 4}",
        }
        events.append({"commit": {"operation": "create", "collection": POST, "rkey": f"3post{n:09d}",
                                  "rev": f"3rev{n:09d}", "record": record, "cid": f"bafy{n}"}})
    for n in range(3):
        events.append({"commit": {"operation": "delete", "collection": POST, "rkey": f"3gone{n:09d}",
                                  "rev": f"3del{n:09d}"}})
    events.insert(5, "{this is not json")  # early: before any cursor the client will send
    events.insert(20, {"kind": "identity", "identity": {"handle": "x.bsky.social", "seq": 1}})
    events.insert(27, {"kind": "account", "account": {"active": True, "seq": 2}})
    log: list[tuple[int, bytes]] = []
    for n, event in enumerate(events):
        time_us = t0_us + n * STEP_US
        if isinstance(event, str):
            log.append((time_us, event.encode()))
            continue
        kind = event.pop("kind", "commit")
        full = {"did": DID.format(n), "time_us": time_us, "kind": kind, **event}
        log.append((time_us, json.dumps(full, separators=(",", ":")).encode()))
    # live order: neighbours swapped here and there, as events arrive from many PDSes
    live_order = list(range(len(log)))
    for i in (3, 10, 17, 23):  # 23/24 straddle the drop: event 23 arrives late
        live_order[i], live_order[i + 1] = live_order[i + 1], live_order[i]
    return log, live_order


EXPECTED = {"total": 30, "control": 5, "rejected": 1}


# --- the source in-process ------------------------------------------------------------------


def collect_in_process(source: JetstreamSource, want: int, timeout: float = 30) -> list[bytes]:
    stop = threading.Event()
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    for line in source.lines(stop):
        if line is not None:
            got.append(line)
        if len(got) >= want or time.monotonic() > deadline:
            stop.set()
    return got


def test_reconnect_resumes_from_rewound_cursor_without_loss_or_repeats(fake_jetstream: FakeJetstream) -> None:
    source = JetstreamSource(url=fake_jetstream.url)
    got = collect_in_process(source, want=len(fake_jetstream.log))
    assert sorted(got) == sorted(raw for _, raw in fake_jetstream.log)  # each event exactly once
    assert source.connections == 2
    first, second = fake_jetstream.requests
    assert first["wantedCollections"] == [POST] and "cursor" not in first
    assert second["wantedCollections"] == [POST]
    newest_before_drop = max(fake_jetstream.log[i][0] for i in fake_jetstream.first_delivered)
    assert int(second["cursor"][0]) == newest_before_drop - 5_000_000
    # the late (swapped) event came only through the rewound cursor
    assert any(i not in fake_jetstream.first_delivered and fake_jetstream.log[i][0] < newest_before_drop
               for i in range(len(fake_jetstream.log)))
    assert source.state == "stopped (stop requested)"


def test_lines_are_the_raw_bytes_as_sent(fake_jetstream: FakeJetstream) -> None:
    source = JetstreamSource(url=fake_jetstream.url)
    got = collect_in_process(source, want=5)
    assert got == [fake_jetstream.log[i][1] for i in fake_jetstream.live_order[:5]]


def test_state_while_connected_and_when_upstream_is_down() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    source = JetstreamSource(url=f"ws://127.0.0.1:{port}/subscribe", backoff=Backoff(initial_s=0.2, max_s=0.4))
    stop = threading.Event()
    states: list[str] = []
    for line in source.lines(stop):
        assert line is None
        states.append(source.state)
        if len(states) > 40:
            stop.set()
    assert states[0] == "connecting" or states[0].startswith("reconnecting")
    retry = [s for s in states if s.startswith("reconnecting in")]
    assert retry and "connect failed" in retry[0]
    assert source.state == "stopped (stop requested)"


def test_stop_is_noticed_while_the_handshake_hangs() -> None:
    with socket.socket() as listener:  # accepts TCP (backlog) but never answers the upgrade
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        source = JetstreamSource(url=f"ws://127.0.0.1:{port}/subscribe", open_timeout_s=60)
        stop = threading.Event()
        idle = 0
        started = time.monotonic()
        for line in source.lines(stop):
            assert line is None
            idle += 1
            if idle == 5:
                assert source.state == "connecting"
                stop.set()
        assert time.monotonic() - started < 30  # well before the 60 s open timeout


def test_connected_state_reports_time_since_last_event(fake_jetstream: FakeJetstream) -> None:
    fake_jetstream.drop_after = 3
    source = JetstreamSource(url=fake_jetstream.url)
    stop = threading.Event()
    seen: list[str] = []
    for line in source.lines(stop):
        if line is not None:
            seen.append(source.state)
            stop.set()
    assert seen and seen[0].startswith("connected (last event ") and seen[0].endswith(" s ago)")


def test_oversized_message_closes_and_resumes_live(fake_jetstream: FakeJetstream) -> None:
    huge = json.dumps({"did": DID.format(1), "time_us": T0_US + 999, "kind": "commit",
                       "commit": {"record": {"text": "x" * (5 * 1024 * 1024)}}}).encode()
    fake_jetstream.log.insert(1, (T0_US + 999, huge))
    fake_jetstream.live_order = list(range(len(fake_jetstream.log)))
    source = JetstreamSource(url=fake_jetstream.url, backoff=Backoff(initial_s=0.1))
    stop = threading.Event()
    got: list[bytes] = []
    deadline = time.monotonic() + 20
    for line in source.lines(stop):
        if line is not None:
            got.append(line)
        if source.connections == 2 and source.state.startswith("connected") or time.monotonic() > deadline:
            stop.set()
    assert got == [fake_jetstream.log[0][1]]
    assert source.connections == 2
    assert "cursor" not in fake_jetstream.requests[1]  # the poison event is not asked for again


def test_credentials_in_the_url_are_never_shown(
    fake_jetstream: FakeJetstream, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """A private instance behind a proxy may take a password or a token in its URL."""
    caplog.set_level(logging.INFO)
    url = fake_jetstream.url.replace("ws://", "ws://bob:s3cret-pw@") + "?token=t0k3n-zz"
    assert len(collect_in_process(JetstreamSource(url=url), want=3)) == 3
    assert "connected to ws://bob:***@127.0.0.1:" in caplog.text and "token=***" in caplog.text
    bad = run_cli("collect", "--source", "jetstream", "--jetstream-url", "http://bob:s3cret-pw@x/?token=t0k3n-zz",
                  state_dir=tmp_path)
    assert bad.returncode == 2 and "expected a ws or wss URL" in bad.stderr
    for text in (caplog.text, bad.stderr):  # (a bad option stops it before the log file opens)
        assert "s3cret-pw" not in text and "t0k3n-zz" not in text


def test_subscribe_url_keeps_user_parameters() -> None:
    source = JetstreamSource(url="wss://example.test/subscribe?wantedDids=did:plc:x&cursor=5")
    parts = parse_qs(urlsplit(source.subscribe_url()).query)
    assert parts == {"wantedDids": ["did:plc:x"], "wantedCollections": [POST]}


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    backoff = Backoff(initial_s=1, max_s=8, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    steps = [1, 2, 4, 8, 8, 8, 8, 8]
    assert all(step / 2 <= d <= step for d, step in zip(delays, steps, strict=True))
    assert len(set(delays)) == len(delays)  # jittered
    backoff.reset()
    assert backoff.next_delay() <= 1


# --- end to end: real processes -------------------------------------------------------------


def stop_cli(proc: subprocess.Popen[str], stop_signal: int = signal.SIGTERM) -> str:
    """Ask for a clean stop; its stderr."""
    proc.send_signal(stop_signal)
    return proc.communicate(timeout=30)[1]


def summary(server_url: str, namespace: str, state_dir: Path) -> dict:
    result = run_cli("summary", "--json", "--redis", server_url, "--namespace", namespace, state_dir=state_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_for_counts(server_url: str, namespace: str, state_dir: Path, proc: subprocess.Popen[str]) -> dict:
    deadline = time.monotonic() + 60
    data: dict = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        data = summary(server_url, namespace, state_dir)
        if all(data[k] >= v for k, v in EXPECTED.items()):
            return data
        time.sleep(0.3)
    raise AssertionError(f"counts not reached in time: {data}")


TRACK = ("--track", "bluesky:bluesky", "--track", "atproto:atproto,tag1")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_collect_jetstream_across_a_reconnect_then_replay_the_archive(
    fake_jetstream: FakeJetstream, server_url: str, namespace: str, tmp_path: Path, stop_signal: int,
) -> None:
    archive_dir = tmp_path / "archive"
    state_dir = tmp_path / "state"
    with cli_process("collect", "--source", "jetstream", "--jetstream-url", fake_jetstream.url,
                     "--redis", server_url, "--namespace", namespace, "--archive-dir", str(archive_dir),
                     *TRACK, state_dir=state_dir) as proc:
        wait_for_counts(server_url, namespace, state_dir, proc)
        time.sleep(0.5)  # anything extra (a double count) would have arrived by now
        stderr = stop_cli(proc, stop_signal)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "reconnecting in" in stderr  # the drop was noticed and logged

    live = summary(server_url, namespace, state_dir)
    assert {k: live[k] for k in (*EXPECTED, "duplicates")} == {**EXPECTED, "duplicates": 0}
    assert live["source"] == "jetstream"
    assert live["topics"]["bluesky"]["count"] == 10
    assert live["topics"]["atproto"]["count"] == 10 + 5  # 'atproto' posts, plus '#tag1' ones of other topics
    assert live["stream_clock"] == "2026-07-04T14:38:22.500000Z"  # newest createdAt

    assert len(fake_jetstream.requests) == 2
    assert all(q["wantedCollections"] == [POST] for q in fake_jetstream.requests)
    newest_before_drop = max(fake_jetstream.log[i][0] for i in fake_jetstream.first_delivered)
    assert int(fake_jetstream.requests[1]["cursor"][0]) == newest_before_drop - 5_000_000

    files = sorted(archive_dir.glob("jetstream-*.jsonl.gz"))
    assert files
    archived = [line for f in files for line in gzip.decompress(f.read_bytes()).splitlines()]
    assert sorted(archived) == sorted(raw for _, raw in fake_jetstream.log)

    fresh = namespace + "r"
    replay = run_cli("collect", "--redis", server_url, "--namespace", fresh, *TRACK,
                     *[arg for f in files for arg in ("--replay", str(f))], state_dir=state_dir)
    assert replay.returncode == 0, replay.stderr
    replayed = summary(server_url, fresh, state_dir)
    for data in (live, replayed):
        data.pop("namespace"), data.pop("source")
    assert replayed == live


# --- resuming across runs (the checkpoint stored with the counts) --------------------------


@dataclass
class ResumableJetstream:
    """Every connection without a cursor gets the first `live_count` events (what happened
    while the first run was up); one with a cursor gets every event from it on (what a
    restarted run asks to catch up). Then the connection stays open and quiet."""

    log: list[tuple[int, bytes]]
    live_count: int
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    closing: threading.Event = field(default_factory=threading.Event)

    def handle(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)  # type: ignore[union-attr]
        self.requests.append(query)
        try:
            if "cursor" in query:
                events = [raw for time_us, raw in self.log if time_us >= int(query["cursor"][0])]
            else:
                events = [raw for _, raw in self.log[: self.live_count]]
            for raw in events:
                ws.send(raw.decode())
            self.closing.wait(60)
        except ConnectionClosed:
            pass


@pytest.fixture
def resumable_jetstream() -> Iterator[tuple[ResumableJetstream, str]]:
    now_us = int(time.time() * 1_000_000)
    log, _ = make_log(t0_us=now_us - 120_000_000)  # two minutes ago: well inside RESUME_MAX_AGE_S
    fake = ResumableJetstream(log, live_count=24)
    with serve(fake.handle, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield fake, f"ws://127.0.0.1:{server.socket.getsockname()[1]}/subscribe"
        fake.closing.set()
        server.shutdown()
        thread.join(10)


def is_post(raw: bytes) -> bool:
    try:
        event = json.loads(raw)
    except ValueError:
        return False
    return event.get("commit", {}).get("operation") == "create"


def wait_until(check: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not check():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_killed_collector_resumes_where_its_written_counts_end(
    resumable_jetstream: tuple[ResumableJetstream, str], server_url: str, namespace: str, tmp_path: Path,
) -> None:
    """SIGKILL after the first run's counts are in; the restart asks Jetstream for the events
    from the stored cursor (rewound 5 s), so the posts that happened while it was down are
    counted, and the replayed ones are recognised: every post exactly once."""
    fake, url = resumable_jetstream
    client = redis.Redis.from_url(server_url, decode_responses=True)
    checkpoints = "{" + namespace + "}:checkpoints"
    state_dir = tmp_path / "state"
    args = ("collect", "--source", "jetstream", "--jetstream-url", url, "--redis", server_url,
            "--namespace", namespace, "--no-archive", *TRACK)
    first_posts = sum(is_post(raw) for _, raw in fake.log[: fake.live_count])
    first_newest = max(time_us for time_us, _ in fake.log[: fake.live_count])

    with cli_process(*args, state_dir=state_dir) as first:
        wait_until(lambda: summary(server_url, namespace, state_dir)["total"] == first_posts, first, "run 1's posts")
        # the cursor is written with the counts: here once the last batch's counts are
        wait_until(lambda: client.hget(checkpoints, "jetstream") == str(first_newest), first, "run 1's cursor")
        first.kill()
    assert summary(server_url, namespace, state_dir)["total"] == first_posts

    with cli_process(*args, state_dir=state_dir) as second:
        wait_until(lambda: summary(server_url, namespace, state_dir)["total"] >= 30, second, "every post")
        wait_until(lambda: client.hget(checkpoints, "jetstream") == str(fake.log[-1][0]), second, "run 2's cursor")
        time.sleep(0.5)  # a double count would have arrived by now
        stderr = stop_cli(second)
    assert second.returncode == 0, stderr
    assert "resuming where the last run's counts end" in (state_dir / "tweetwatch.log").read_text()

    cursor = first_newest - 5_000_000
    assert "cursor" not in fake.requests[0]
    assert int(fake.requests[1]["cursor"][0]) == cursor
    data = summary(server_url, namespace, state_dir)
    assert data["total"] == 30  # none lost while it was down, none counted twice
    replayed_posts = sum(is_post(raw) for time_us, raw in fake.log[: fake.live_count] if time_us >= cursor)
    assert replayed_posts > 0
    assert data["duplicates"] == replayed_posts
    assert data["topics"]["bluesky"]["count"] == 10

    with cli_process(*args, "--no-resume", state_dir=state_dir) as third:
        wait_until(lambda: len(fake.requests) == 3, third, "run 3's connection")
        stop_cli(third)
    assert "cursor" not in fake.requests[2]  # --no-resume: live


def test_resume_from_a_stored_cursor_connects_with_it_rewound() -> None:
    now_s = 1_800_000_000.0
    stored = int((now_s - 90) * 1_000_000)
    source = JetstreamSource(url="ws://127.0.0.1:9/subscribe")
    assert source.checkpoint() is None
    source.resume_from(str(stored), now_s=now_s)
    query = parse_qs(urlsplit(source.subscribe_url()).query)
    assert query["cursor"] == [str(stored - 5_000_000)]
    assert source.checkpoint() == str(stored)


@pytest.mark.parametrize("position", [
    str(int((1_800_000_000 - RESUME_MAX_AGE_S - 60) * 1_000_000)),  # older than Jetstream is worth asking
    str(int((1_800_000_000 + 3600) * 1_000_000)),  # an hour in the future
    "not-a-number\x1b[2J",
], ids=["too-old", "future", "garbage"])
def test_an_unusable_stored_cursor_starts_live(position: str, caplog: pytest.LogCaptureFixture) -> None:
    source = JetstreamSource(url="ws://127.0.0.1:9/subscribe")
    source.resume_from(position, now_s=1_800_000_000.0)
    assert "cursor" not in parse_qs(urlsplit(source.subscribe_url()).query)
    assert "starting live" in caplog.text
    assert "\x1b" not in caplog.text


def test_the_archiving_wrapper_passes_the_checkpoint_through(tmp_path: Path) -> None:
    inner = JetstreamSource(url="ws://127.0.0.1:9/subscribe")
    wrapped = ArchivingSource(inner, Archive(tmp_path, inner.label))
    stored = int((time.time() - 30) * 1_000_000)
    wrapped.resume_from(str(stored))
    assert wrapped.checkpoint() == inner.checkpoint() == str(stored)


def test_raw_only_forwarder_stores_the_cursor_with_the_lines(
    resumable_jetstream: tuple[ResumableJetstream, str], server_url: str, namespace: str,
) -> None:
    fake, url = resumable_jetstream
    store = Store(open_client(server_url, "test"), namespace)
    raw = RawStream(store)

    def forward(resume: bool, until: Callable[[], bool]) -> None:
        forwarder = RawForwarder(JetstreamSource(url=url), raw, resume=resume)
        stop = threading.Event()
        thread = threading.Thread(target=forwarder.run, args=(stop,), daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not until() and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        thread.join(15)

    forward(True, lambda: raw.length() >= fake.live_count)
    assert raw.length() == fake.live_count
    newest = max(time_us for time_us, _ in fake.log[: fake.live_count])
    assert store.read_checkpoints(["jetstream"]).get("jetstream") == str(newest)
    assert "cursor" not in fake.requests[0]

    newest_of_all = str(fake.log[-1][0])
    forward(True, lambda: store.read_checkpoints(["jetstream"]).get("jetstream") == newest_of_all)  # restarted: catches up
    assert store.read_checkpoints(["jetstream"]).get("jetstream") == newest_of_all
    cursor = newest - 5_000_000
    assert fake.requests[1]["cursor"] == [str(cursor)]
    assert raw.length() == fake.live_count + sum(1 for time_us, _ in fake.log if time_us >= cursor)
    forward(False, lambda: len(fake.requests) == 3)  # resume=False (--no-resume): live
    assert "cursor" not in fake.requests[2]
