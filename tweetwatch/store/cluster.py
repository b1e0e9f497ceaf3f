"""Redis Cluster: talk to the one master that owns the namespace's slot.

Every key of a namespace carries the hash tag `{NS}` (store/keys.py), so the whole namespace
lives in one slot on one master. Rather than a cluster client (redis-py's `RedisCluster`
splits pipelines per node and has no MULTI/EXEC), tweetwatch keeps its plain `redis.Redis`
and points its connections at that master: every write stays one MULTI/EXEC in one round
trip, every read one transaction, exactly as on a single server.

A `NamespaceRoute` knows the address. Connections of a routed client (`RoutedConnection`)
ask it on every checkout from the pool, so all clients sharing the route (the store's, the
raw stream's bytes client, the dashboard's reader) follow it together. The first connection
goes to the URL's node and asks it `INFO cluster` (and, on a cluster, `CLUSTER SLOTS`, in
Redis since 3.0) on that same connection; a standalone server costs one extra round trip at
start and nothing after. Later:

- a `MOVED` reply (slot migrated, failover) names the new owner: `Store._call` points the
  route there (`follow_moved`) and retries the call once; a MULTI/EXEC that got MOVED was
  aborted whole (EXECABORT), so the retry cannot count anything twice.
- a connection error (the master died) reaches the store's `recover` hook, `refresh`: it
  asks the known nodes (the URL's, then every node CLUSTER SLOTS listed) who owns the slot
  now. Until a replica is promoted the collector holds its batches in memory, as for any
  outage.
- `ASK`/`TRYAGAIN`/`CLUSTERDOWN` (the slot is being migrated, the cluster is failing over)
  are transient: the call fails as "unavailable" and the caller retries later.

Unix-socket URLs (the embedded server) are never routed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from redis.crc import key_slot

from tweetwatch.store.keys import Keys

log = logging.getLogger(__name__)

Address = tuple[str, int]

_NETWORK_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class NamespaceRoute:
    """Where the master owning one namespace's slot is (thread-safe)."""

    def __init__(self, namespace: str, seed: Address, connection_class: type[redis.Connection],
                 options: dict[str, Any]) -> None:
        self.slot = key_slot(Keys(namespace).prefix.encode())
        self.seed = seed
        self.is_cluster = False
        self._connection_class = connection_class
        """The plain (unrouted) class, for `refresh`'s probes."""
        self._options = options
        self._lock = threading.Lock()
        self._address: Address | None = None
        self._nodes: tuple[Address, ...] = ()

    @property
    def address(self) -> Address | None:
        """The node to talk to; None until the first connection asked the URL's node."""
        return self._address

    def learn(self, conn: redis.Connection) -> Address:
        """Ask the node `conn` is connected to whether it is a cluster and who owns the slot."""
        asked: Address = (conn.host, int(conn.port))
        owner = asked if self._address is None else self._address
        nodes: tuple[Address, ...] = self._nodes
        try:
            conn.send_command("INFO", "cluster")
            info = _text(conn.read_response())
        except redis.exceptions.ResponseError as exc:  # INFO refused by an ACL: a MOVED reply will tell
            log.info("INFO cluster refused (%s); assuming a single server", _text(exc)[:100])
            info = ""
        clustered = "cluster_enabled:1" in info
        if clustered:
            try:
                conn.send_command("CLUSTER", "SLOTS")
                owner, nodes = _owner(conn.read_response(), self.slot, asked)
            except redis.exceptions.ResponseError as exc:
                log.info("CLUSTER SLOTS refused (%s); following MOVED replies only", _text(exc)[:100])
        else:
            owner = self.seed
        with self._lock:
            self.is_cluster = clustered
            self._nodes = nodes
            if self._address != owner:
                log.info("namespace slot %d: talking to %s:%d", self.slot, *owner)
            self._address = owner
        return owner

    def moved(self, address: Address) -> None:
        """A MOVED reply named the slot's new owner."""
        with self._lock:
            self.is_cluster = True
            if self._address != address:
                log.info("namespace slot %d moved to %s:%d", self.slot, *address)
            self._address = address

    def refresh(self) -> None:
        """After a connection error: ask the known nodes who owns the slot now.

        A no-op for a single server. Never raises; if no node answers the address is kept
        and the caller's next failure brings it back here."""
        if not self.is_cluster:
            return
        with self._lock:
            candidates = list(dict.fromkeys(a for a in (self._address, self.seed, *self._nodes) if a))
        for host, port in candidates:
            conn = self._connection_class(**self._options, host=host, port=port)
            try:
                conn.connect()
                self.learn(conn)
                return
            except (*_NETWORK_ERRORS, redis.exceptions.ResponseError):
                continue
            finally:
                conn.disconnect()


def _owner(reply: Any, slot: int, asked: Address) -> tuple[Address, tuple[Address, ...]]:
    """The master serving `slot` and every node, from a raw CLUSTER SLOTS reply.

    Each entry is `[start, end, [host, port, id, ...], replicas...]`; an empty or `?` host
    means "the host you asked"."""
    owner = asked
    nodes: list[Address] = []
    for entry in reply or ():
        start, end, *members = entry
        addresses = [(_text(m[0]) if m[0] not in (None, b"", "", b"?", "?") else asked[0], int(m[1]))
                     for m in members]
        nodes.extend(addresses)
        if addresses and int(start) <= slot <= int(end):
            owner = addresses[0]
    return owner, tuple(dict.fromkeys(nodes))


class _Routed:
    """Mixin for redis-py connection classes: connect to the route's current address."""

    route: NamespaceRoute
    host: str
    port: int

    def __init__(self, *, route: NamespaceRoute, **kwargs: Any) -> None:
        self.route = route
        super().__init__(**kwargs)  # type: ignore[call-arg]

    def connect(self) -> None:
        target = self.route.address
        if target is None:  # the first connection: ask the URL's node
            self._go(self.route.seed)
            super().connect()  # type: ignore[misc]
            target = self.route.learn(self)  # type: ignore[arg-type]
        self._go(target)
        super().connect()  # type: ignore[misc]

    def _go(self, target: Address) -> None:
        if (self.host, self.port) != target:
            self.disconnect()  # type: ignore[attr-defined]
            self.host, self.port = target


class RoutedConnection(_Routed, redis.Connection):
    pass


class RoutedSSLConnection(_Routed, redis.SSLConnection):
    pass


def route_client(client: redis.Redis, namespace: str) -> redis.Redis:
    """A client like `client` whose connections go to the master owning `namespace`'s slot
    when the server is a cluster (and to the URL's server otherwise). Unix sockets: as is."""
    pool = client.connection_pool
    plain = pool.connection_class
    if not isinstance(plain, type) or not issubclass(plain, redis.Connection) or issubclass(plain, _Routed):
        return client
    options = dict(pool.connection_kwargs)
    seed: Address = (str(options.pop("host", "localhost")), int(options.pop("port", 6379)))
    route = NamespaceRoute(namespace, seed, plain, options)
    routed = RoutedSSLConnection if issubclass(plain, redis.SSLConnection) else RoutedConnection
    routed_client = redis.Redis(connection_pool=redis.ConnectionPool(
        connection_class=routed, route=route, host=seed[0], port=seed[1], **options))
    routed_client.auto_close_connection_pool = True  # close() disconnects, as for from_url
    return routed_client


def route_of(client: redis.Redis) -> NamespaceRoute | None:
    route = client.connection_pool.connection_kwargs.get("route")
    return route if isinstance(route, NamespaceRoute) else None


def follow_moved(client: redis.Redis, exc: redis.exceptions.MovedError) -> bool:
    """Point `client`'s route at the node a MOVED reply named; False if it is not routed."""
    route = route_of(client)
    if route is None:
        return False
    route.moved((str(exc.host), int(exc.port)))
    return True
