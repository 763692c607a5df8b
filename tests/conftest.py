"""Shared fixtures: a store URL for each database the store must work on."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("AUDITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AUDITOR_TEST_REDIS", "redis://127.0.0.1:6379/15")
# The entry cache's per-user key (auditor/checks/cache.py) goes under XDG_CACHE_HOME: a folder of the test run's own,
# never the real home folder (the CLI runs the tests start inherit it).
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="auditor-tests-cache-")


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means the server is not there
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or a schema of its own in the PostgreSQL `test` database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'auditor.db'}"
        return
    yield from _pg_schema()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty store in a schema of its own in the PostgreSQL `test` database."""
    yield from _pg_schema()


def _pg_schema() -> Iterator[str]:
    _require(_pg_available(), f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    """The local Redis (database 15, which nothing else here uses)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        reachable = True
    except redis.RedisError:
        reachable = False
    _require(reachable, f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def _require(available: bool, why: str) -> None:
    """A missing service fails the test in CI (.ci/run starts it) and skips it elsewhere."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why}; .ci/run should have started it")
    pytest.skip(why)


@pytest.fixture(scope="session")
def canary_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections: the network canary of every test that does not set its own."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # closed at the end of the session
                return
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture(autouse=True)
def _links_stay_on_this_machine(monkeypatch: pytest.MonkeyPatch, canary_port: int) -> None:
    """The link checker resolves no public name and asks no real Wayback Machine in any test: only `localhost`,
    IP literals and `.invalid` names resolve (the others answer "does not resolve"), `link_wayback_url`
    defaults to empty, and the network canary (`link_canary_hosts`) is a local port that answers. Tests that want
    a resolver, a Wayback stub or a failing canary pass their own."""
    import ipaddress

    from auditor.links import checker, net
    from auditor.settings import DEFAULTS

    async def local_only(host: str, port: int) -> list[str]:
        name = host.strip("[]").lower().rstrip(".")
        try:
            ipaddress.ip_address(name)
            is_literal = True
        except ValueError:
            is_literal = False
        if is_literal or name == "localhost" or name.endswith(".invalid"):
            return await net.system_resolver(host, port)
        raise net.NameNotFound(f"DNS: {host} does not resolve (tests resolve no public name)", network_level=False)

    monkeypatch.setattr(checker, "system_resolver", local_only)
    monkeypatch.setitem(DEFAULTS, "link_wayback_url", "")
    monkeypatch.setitem(DEFAULTS, "link_canary_hosts", [f"127.0.0.1:{canary_port}"])
