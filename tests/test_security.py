"""Security with real servers: TLS (rediss://) and an ACL user allowed only the namespace's keys;
passwords never shown; the embedded server is unix-socket only with private modes."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from support import FIXTURES, run_cli

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("openssl") is None,
    reason="needs redis-server (with TLS) and openssl",
)
PASSWORD = "s3cret-Pa55-word-zzq"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    port = free_port()
    acl = tmp / "users.acl"
    # the collector's user: only keys of namespace `sec`, only the commands tweetwatch needs
    acl.write_text(
        "user default off\n"
        f"user admin on >{PASSWORD}admin ~* &* +@all\n"
        f"user tw on >{PASSWORD} ~{{sec}}:* resetchannels -@all +@read +@write +@hash +@sortedset +@set"
        " +@hyperloglog +@stream +@string +@keyspace +@scripting +@transaction +@connection"
        " -@dangerous +info +client|setname +client|getname\n")
    proc = subprocess.Popen(
        ["redis-server", "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(tmp / "cert.pem"),
         "--tls-key-file", str(tmp / "key.pem"), "--tls-ca-cert-file", str(tmp / "cert.pem"),
         "--tls-auth-clients", "no", "--aclfile", str(acl), "--save", "", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    admin = redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=str(tmp / "cert.pem"),
                        username="admin", password=PASSWORD + "admin")
    deadline = time.monotonic() + 10
    while True:
        try:
            admin.ping()
            break
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.1)
    ca = tmp / "cert.pem"
    url = f"rediss://tw:{PASSWORD}@127.0.0.1:{port}/0?ssl_cert_reqs=required&ssl_ca_certs={ca}"
    yield url, admin
    proc.terminate()
    proc.wait(10)


def test_collect_and_summary_over_tls_with_acl_user(tls_server, tmp_path: Path) -> None:
    url, admin = tls_server
    result = run_cli("collect", "--redis", url, "--namespace", "sec",
                     "--replay", str(FIXTURES / "v1_mixed.jsonl"), state_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    out = run_cli("summary", "--json", "--redis", url, "--namespace", "sec", state_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["total"], data["control"], data["rejected"], data["duplicates"]) == (5, 2, 3, 1)
    # everything tweetwatch wrote stays inside the namespace the ACL allows
    assert all(k.startswith(b"{sec}:") for k in admin.scan_iter(match="*"))
    for output in (result.stdout, result.stderr, out.stdout, out.stderr):
        assert PASSWORD not in output
    log = (tmp_path / "tweetwatch.log").read_text()
    assert PASSWORD not in log


def test_acl_user_cannot_touch_other_namespaces(tls_server, tmp_path: Path) -> None:
    url, _ = tls_server
    result = run_cli("collect", "--redis", url, "--namespace", "other",
                     "--replay", str(FIXTURES / "v1_mixed.jsonl"), state_dir=tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("tweetwatch: ")


def test_a_password_in_the_query_string_works_and_is_never_shown(tls_server, tmp_path: Path) -> None:
    """redis-py reads `?password=` as a connection option: it must be masked like one in
    the userinfo, on stderr and in the log."""
    url, _ = tls_server
    userinfo_password = ":" + PASSWORD + "@"
    assert userinfo_password in url
    in_query = url.replace(userinfo_password, "@") + ("&" if "?" in url else "?") + f"password={PASSWORD}"
    good = run_cli("summary", "--json", "--redis", in_query, "--namespace", "sec", state_dir=tmp_path)
    assert good.returncode == 0, good.stderr
    bad = run_cli("summary", "--redis", in_query.replace(PASSWORD, "wrong-" + PASSWORD), state_dir=tmp_path)
    assert bad.returncode == 3
    away = run_cli("summary", "--redis", f"redis://127.0.0.1:{free_port()}/0?password={PASSWORD}", state_dir=tmp_path)
    assert away.returncode == 3
    assert "redis://127.0.0.1:" in away.stderr and "/0?password=*** unreachable" in away.stderr
    for text in (good.stdout, good.stderr, bad.stderr, away.stderr, (tmp_path / "tweetwatch.log").read_text()):
        assert PASSWORD not in text


@pytest.mark.parametrize("command", [
    ("summary",),
    ("collect", "--replay", str(FIXTURES / "v1_mixed.jsonl")),  # these two wait for an
    ("process", "--exit-when-idle"),                            # unreachable server, not for this
])
def test_wrong_password_is_one_masked_line(tls_server, tmp_path: Path, command: tuple[str, ...]) -> None:
    url, _ = tls_server
    bad = url.replace(PASSWORD, "wrong-" + PASSWORD)
    out = run_cli(*command, "--namespace", "sec", env={"TWEETWATCH_REDIS_URL": bad}, state_dir=tmp_path, timeout=30)
    assert out.returncode == 3
    assert PASSWORD not in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        "tweetwatch: Redis authentication failed: invalid username-password pair or user is disabled."]
    flagged = run_cli(*command, "--redis", bad, "--namespace", "sec", state_dir=tmp_path, timeout=30)
    assert PASSWORD not in flagged.stderr and flagged.returncode == 3
    note = "tweetwatch: note: the password in --redis can be read by every user of this machine"
    assert (note in flagged.stderr) == (command[0] != "summary")  # a long-running command's `ps` line


def test_rediss_to_a_plain_port_says_what_is_likely_wrong(tmp_path: Path) -> None:
    """A TLS client waits for the server to speak; a plain Redis waits for the client: the
    connection times out with nothing to go on but a hint."""
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.exceptions.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        result = run_cli("summary", "--redis", f"rediss://127.0.0.1:{port}/0", state_dir=tmp_path, timeout=60)
    finally:
        server.terminate()
        server.wait(10)
    assert result.returncode == 3
    assert result.stderr.splitlines() == [
        f"tweetwatch: rediss://127.0.0.1:{port}/0 unreachable: Timeout connecting to server (rediss:// speaks "
        "TLS first: is this the server's TLS port? a plain one never answers)"]
