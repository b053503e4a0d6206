"""Helpers for the API tests: the real app under uvicorn on a free port, real stores, real data.

`loaded_url` loads the head-5000 file once per backend for the whole session (read-only
tests share it); tests that promote or roll back use conftest's private `database_url`.
"""

from __future__ import annotations

import csv
import gzip
import io
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis
import uvicorn
from sqlalchemy import Engine, event

from app.asgi import create_app
from app.server import SERVER_OPTIONS
from app.settings import Settings
from db.engine import make_engine
from db.migrate import upgrade
from importer.pipeline import ImportOptions, import_file
from tests.conftest import BACKENDS, REDIS_URL, _database_url, head5000, unavailable


class Api:
    """A running app: `get`/`post` GraphQL, and the app itself for its engine."""

    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.app = app
        self.client = httpx.Client(base_url=base_url, timeout=30)

    @property
    def engine(self) -> Engine:
        """The engine the app opened in its lifespan."""
        return self.app.state.services.db.engine

    def get(self, query: str, variables: dict[str, Any] | None = None, **params: Any) -> httpx.Response:
        """GET /graphql."""
        query_params = {"query": query, **params}
        if variables is not None:
            query_params["variables"] = orjson.dumps(variables).decode()
        return self.client.get("/graphql", params=query_params)

    def post(self, query: str, variables: dict[str, Any] | None = None, **params: Any) -> httpx.Response:
        """POST /graphql."""
        return self.client.post("/graphql", params=params, json={"query": query, "variables": variables})

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a GET that must succeed."""
        response = self.get(query, variables)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    def await_live(self, version: int, within_seconds: float = 1.0) -> float:
        """Wait until the app answers from `version`; the seconds it took (a process learns of a promote by itself)."""
        started = time.monotonic()
        while (served := self.data("{ dataset { version } }")["dataset"]["version"]) != str(version):
            assert time.monotonic() - started < within_seconds, (
                f"still serving version {served} after {within_seconds} s"
            )
            time.sleep(0.01)
        return time.monotonic() - started


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(settings: Settings) -> Iterator[Api]:
    """Run `create_app(settings)` under uvicorn in a background thread until the block ends."""
    app = create_app(settings)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, **SERVER_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.01)
    api = Api(f"http://127.0.0.1:{port}", app)
    try:
        yield api
    finally:
        api.client.close()
        server.should_exit = True
        thread.join(10)


def api_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test app: no .env, no access log on stderr unless asked."""
    values: dict[str, Any] = {"database_url": database_url, "redis_url": None, "access_log": False, **overrides}
    return Settings(_env_file=None, **values)


def load(url: str, path: Path, **options: Any) -> int:
    """Import a file into the store at `url`; returns the new version id."""
    engine = make_engine(url)
    try:
        report = import_file(engine, path, ImportOptions(**options))
    finally:
        engine.dispose()
    assert report.version is not None, report.message
    return report.version


@pytest.fixture(scope="session", params=BACKENDS)
def loaded_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store of each backend holding head-5000 as its live version, shared by the session."""
    path = head5000()
    generator = _database_url(request.param, tmp_path_factory.mktemp(request.param))
    url = next(generator)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    load(url, path)
    yield url
    next(generator, None)


@pytest.fixture(scope="session")
def api(loaded_url: str) -> Iterator[Api]:
    """The app over the loaded store, for read-only tests."""
    with serve(api_settings(loaded_url)) as running:
        yield running


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def write_subset(source: Path, target: Path, keep: int) -> None:
    """A copy of a movies_metadata file with only its first `keep` records (CSV-aware)."""
    with gzip.open(source, "rt", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows[: keep + 1])
    with gzip.open(target, "wt", encoding="utf-8", newline="") as file:
        file.write(buffer.getvalue())


@pytest.fixture
def namespace() -> Iterator[str]:
    """A Redis namespace of this test's own on the shared Redis; its keys are removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        unavailable(f"Redis at {REDIS_URL}", error)
    name = f"movie-stats-test-{uuid.uuid4().hex[:12]}"
    yield name
    if keys := list(client.scan_iter(match=f"{name}*")):
        client.delete(*keys)
    client.close()
