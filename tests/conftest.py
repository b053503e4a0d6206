"""Shared fixtures: real SQLite and PostgreSQL stores (and Redis), never mocks.

Every PostgreSQL test runs in a schema of its own, so tests and CI runs never see each
other's data. Without PostgreSQL or Redis the tests that need them skip, except under
CI=true, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy.exc import DBAPIError

from bench.catalogs import vacuum_catalogs
from db.engine import make_engine
from db.migrate import upgrade

HEAD5000 = Path(__file__).resolve().parents[2] / "shared" / "data" / "movies_metadata_head5000.csv.gz"
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ("sqlite", "postgresql")

# The API tests' fixtures (a loaded store per backend, a live server) live in their own module.
pytest_plugins = ("tests.api_support",)


def unavailable(what: str, error: Exception) -> None:
    """Skip a test whose service is missing; under CI=true, fail it instead."""
    message = f"{what} is not reachable ({error.__class__.__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI must provide it", pytrace=False)
    pytest.skip(f"{message}; start it to run this test")


def head5000() -> Path:
    """The real first 5,000 records, or a skip where ../shared is absent (a user's clone)."""
    if not HEAD5000.exists():
        pytest.skip(f"{HEAD5000} is absent: these tests need ../shared/data beside the checkout")
    return HEAD5000


@pytest.fixture(scope="session")
def head5000_path() -> Path:
    """Path of the real head-5000 file."""
    return head5000()


_postgres_schemas_made = 0


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After a run that made PostgreSQL schemas, vacuum the catalogs they bloated (see bench.catalogs)."""
    if _postgres_schemas_made:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        try:
            outcome = vacuum_catalogs(admin)
        except DBAPIError as error:  # the server went away meanwhile
            outcome = f"could not vacuum the system catalogs ({error.__class__.__name__})"
        finally:
            admin.dispose()
        terminalreporter.write_line(f"PostgreSQL at {make_url(POSTGRES_URL)}: {outcome}")  # password hidden


def _postgres_schema_url() -> Iterator[str]:
    global _postgres_schemas_made
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except Exception as error:  # noqa: BLE001 - any failure to connect means "not available"
        admin.dispose()
        unavailable(f"PostgreSQL at {POSTGRES_URL}", error)
    _postgres_schemas_made += 1
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _database_url(backend: str, directory: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'movie-stats.sqlite3'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated store of each backend, private to one test."""
    generator = _database_url(request.param, tmp_path)
    url = next(generator)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    next(generator, None)


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """An engine on a migrated private PostgreSQL schema, for tests of PostgreSQL alone."""
    urls = _postgres_schema_url()
    engine = make_engine(next(urls))
    upgrade(engine)
    yield engine
    engine.dispose()
    next(urls, None)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's own store."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
