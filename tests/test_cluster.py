"""Redis Cluster with real servers: three `redis-server --cluster-enabled yes` masters, and the
real CLI (`collect`, `collect --raw-only` + `process`, `summary`) pointed at one node while the
namespace's slot lives on another. Counts must equal a single-server run of the same data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot
from support import FIXTURES, REPO, run_cli

from tweetwatch.errors import StoreUnavailable
from tweetwatch.sources.demo import virtual_time_source, write_lines
from tweetwatch.store.cluster import route_of
from tweetwatch.store.keys import Keys
from tweetwatch.store.redis_store import Store, open_client

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None or REDIS_CLI is None,
    reason="redis-server/redis-cli are not installed (CI installs Debian's redis-server)",
)

TOPICS = [("trump", ["trump", "realdonaldtrump"]), ("biden", ["biden", "joebiden"])]


def _free_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port > 55_000:
            continue
        try:
            with socket.socket() as bus:
                bus.bind(("127.0.0.1", port + 10_000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair")


@dataclass
class Cluster:
    ports: list[int]
    procs: list[subprocess.Popen[bytes]]

    def url(self, index: int) -> str:
        return f"redis://127.0.0.1:{self.ports[index]}"

    def node(self, index: int) -> redis.Redis:
        return redis.Redis(port=self.ports[index], decode_responses=True)

    def owner_port(self, slot: int, via: int = 0) -> int:
        for start, end, master, *_ in self.node(via).execute_command("CLUSTER", "SLOTS"):
            if int(start) <= slot <= int(end):
                return int(master[1])
        raise AssertionError(f"slot {slot} is not served")

    def namespace_on(self, index: int) -> str:
        """A fresh namespace whose slot is owned by node `index`."""
        while True:
            ns = f"c{uuid.uuid4().hex[:10]}"
            if self.owner_port(key_slot(Keys(ns).prefix.encode())) == self.ports[index]:
                return ns


def _cluster_info(node: redis.Redis) -> str:
    reply = node.execute_command("CLUSTER INFO")
    return reply if isinstance(reply, str) else "".join(f"{k}:{v}\n" for k, v in reply.items())


def _wait_for(check, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (redis.exceptions.ConnectionError, redis.exceptions.ResponseError):
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for the cluster")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three masters on free local ports, slots spread by `redis-cli --cluster create`."""
    tmp = tmp_path_factory.mktemp("cluster")
    ports: list[int] = []
    while len(ports) < 3:
        port = _free_port()
        if port not in ports:
            ports.append(port)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for port in ports:
            node_dir = tmp / str(port)
            node_dir.mkdir()
            procs.append(subprocess.Popen(
                [str(REDIS_SERVER), "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                 "--cluster-config-file", str(node_dir / "nodes.conf"), "--cluster-node-timeout", "5000",
                 "--save", "", "--appendonly", "no", "--dir", str(node_dir)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        cluster = Cluster(ports, procs)
        for index in range(3):
            _wait_for(lambda i=index: cluster.node(i).ping())
        created = subprocess.run(
            [str(REDIS_CLI), "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True, text=True, timeout=60)
        assert created.returncode == 0, created.stdout + created.stderr
        for index in range(3):
            _wait_for(lambda i=index: "cluster_state:ok" in _cluster_info(cluster.node(i))
                      and len(cluster.node(i).execute_command("CLUSTER", "SLOTS")) == 3)
        yield cluster
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(10)


def demo_file(path: Path, lines: int) -> Path:
    write_lines(path, virtual_time_source(TOPICS, rate=500, seed=5, limit=lines))
    with open(path, "ab") as out:  # junk and a repeat, so every counter is exercised
        out.write(b"{broken\n" + (FIXTURES / "v2_mixed.jsonl").read_bytes())
        out.write((FIXTURES / "v2_mixed.jsonl").read_bytes())
    return path


def summary(*redis_args: str, namespace: str, state_dir: Path | None = None, window: str = "24h") -> dict:
    out = run_cli("summary", "--json", "--window", window, *redis_args, "--namespace", namespace,
                  state_dir=state_dir)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    data.pop("namespace")
    return data


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_file(tmp_path_factory.mktemp("data") / "demo.jsonl", 6_000)


@pytest.fixture(scope="module")
def expected(data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The same file collected into a single (embedded) server."""
    state = tmp_path_factory.mktemp("single")
    result = run_cli("collect", "--replay", str(data), "--namespace", "single", state_dir=state)
    assert result.returncode == 0, result.stderr
    counts = summary(namespace="single", state_dir=state)
    assert counts["total"] >= 6_000 and counts["duplicates"] == 5 and counts["rejected"] >= 1
    # the 5m window's top lists come from the rolling sets that scripts.ROLL keeps (a script
    # that builds key names inside Lua: legal in a cluster because they share the slot)
    return {"24h": counts, "5m": summary(namespace="single", state_dir=state, window="5m")}


def _keys_only_on(cluster: Cluster, namespace: str, index: int) -> None:
    """Every key of the namespace is on node `index` (and nowhere else)."""
    pattern = Keys(namespace).match_all()
    for i in range(3):
        found = list(cluster.node(i).scan_iter(match=pattern, count=1000))
        assert bool(found) == (i == index), (i, len(found))


@pytest.mark.parametrize("owner", [1, 2, 0])
def test_collect_and_summary_through_any_node(cluster: Cluster, data: Path, expected: dict, owner: int) -> None:
    namespace = cluster.namespace_on(owner)
    result = run_cli("collect", "--replay", str(data), "--redis", cluster.url(0), "--namespace", namespace)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    _keys_only_on(cluster, namespace, owner)
    for via in range(3):  # a summary through every node, owner or not, reads the same counts
        assert summary("--redis", cluster.url(via), namespace=namespace) == expected["24h"]
    assert summary("--redis", cluster.url(1), namespace=namespace, window="5m") == expected["5m"]


def test_raw_only_and_workers_through_other_nodes(cluster: Cluster, data: Path, expected: dict) -> None:
    namespace = cluster.namespace_on(2)
    result = run_cli("collect", "--raw-only", "--replay", str(data), "--redis", cluster.url(0),
                     "--namespace", namespace)
    assert result.returncode == 0, result.stderr
    assert cluster.node(2).xlen(Keys(namespace).raw) > 6_000
    workers = [_worker(cluster.url(i), namespace, f"w{i}", "--exit-when-idle") for i in (0, 1)]
    for proc in workers:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    _keys_only_on(cluster, namespace, 2)
    assert summary("--redis", cluster.url(1), namespace=namespace) == expected["24h"]


def test_reset_through_another_node_deletes_the_namespace(cluster: Cluster, data: Path) -> None:
    """SCAN does not redirect: it must run on the owner, not on the URL's node."""
    namespace = cluster.namespace_on(1)
    assert run_cli("collect", "--replay", str(data), "--redis", cluster.url(2), "--namespace", namespace).returncode == 0
    result = run_cli("reset", "--yes", "--redis", cluster.url(0), "--namespace", namespace)
    assert result.returncode == 0, result.stderr
    assert "deleted 0 keys" not in result.stderr
    assert not list(cluster.node(1).scan_iter(match=Keys(namespace).match_all()))


def _worker(url: str, namespace: str, consumer: str, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWEETWATCH_", "REDIS_URL"))}
    env["TWEETWATCH_CONFIG"] = str(FIXTURES / "empty-config.toml")
    return subprocess.Popen(
        [sys.executable, "-m", "tweetwatch", "process", "--redis", url, "--namespace", namespace,
         "--consumer", consumer, "--claim-idle", "1", *extra],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _migrate_slot(cluster: Cluster, slot: int, source: int, target: int) -> None:
    """Move one slot with its keys, the way `redis-cli --cluster reshard` does."""
    src, dst = cluster.node(source), cluster.node(target)
    src_id, dst_id = src.execute_command("CLUSTER", "MYID"), dst.execute_command("CLUSTER", "MYID")
    dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id)
    src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id)
    while keys := src.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 100):
        src.execute_command("MIGRATE", "127.0.0.1", cluster.ports[target], "", 0, 5000, "KEYS", *keys)
    for index in (target, source, *(i for i in range(3) if i not in (source, target))):
        cluster.node(index).execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id)
    _wait_for(lambda: all(cluster.owner_port(slot, via=i) == cluster.ports[target] for i in range(3)))



def _group_done(node: redis.Redis, namespace: str) -> bool:
    key = Keys(namespace).raw
    groups = node.xinfo_groups(key)
    return bool(groups) and groups[0]["pending"] == 0 and groups[0]["lag"] == 0


def test_worker_follows_the_namespace_to_another_master(cluster: Cluster, data: Path, expected: dict,
                                                        tmp_path: Path) -> None:
    """MOVED: the slot is resharded while a worker runs; it follows and counts exactly."""
    namespace = cluster.namespace_on(1)
    slot = key_slot(Keys(namespace).prefix.encode())
    lines = data.read_bytes().splitlines(keepends=True)
    halves = [tmp_path / "first.jsonl", tmp_path / "second.jsonl"]
    halves[0].write_bytes(b"".join(lines[: len(lines) // 2]))
    halves[1].write_bytes(b"".join(lines[len(lines) // 2 :]))

    def forward(part: Path) -> None:
        result = run_cli("collect", "--raw-only", "--replay", str(part), "--redis", cluster.url(0),
                         "--namespace", namespace)
        assert result.returncode == 0, result.stderr

    forward(halves[0])
    proc = _worker(cluster.url(0), namespace, "mover")
    try:
        _wait_for(lambda: _group_done(cluster.node(1), namespace), timeout=120)
        _migrate_slot(cluster, slot, source=1, target=2)
        _keys_only_on(cluster, namespace, 2)
        forward(halves[1])  # a new process: goes straight to the new owner
        _wait_for(lambda: _group_done(cluster.node(2), namespace), timeout=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    _keys_only_on(cluster, namespace, 2)
    assert summary("--redis", cluster.url(1), namespace=namespace) == expected["24h"]


def test_a_dead_master_sends_the_store_back_to_the_cluster(cluster: Cluster, data: Path) -> None:
    """Failover path: a connection error makes `recover` ask the known nodes who owns the slot."""
    namespace = cluster.namespace_on(2)
    assert run_cli("collect", "--replay", str(data), "--redis", cluster.url(0), "--namespace", namespace).returncode == 0
    client = open_client(cluster.url(1), "test", namespace)
    route = route_of(client)
    assert route is not None
    store = Store(client, namespace)
    store.recover = route.refresh  # as cli.connect does
    assert store.read_meta() is not None
    assert route.is_cluster and route.address == ("127.0.0.1", cluster.ports[2])
    route.moved(("127.0.0.1", _free_port()))  # as if the owner had died: nothing listens there
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.read_meta()
    assert route.address == ("127.0.0.1", cluster.ports[2])  # asked the seed and the known nodes
    assert store.read_meta() is not None
    client.close()
