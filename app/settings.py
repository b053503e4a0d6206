"""Settings, read once from the environment (or a `.env` file) and passed down as arguments."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

SQLITE_FILE_NAME = "movie-stats.sqlite3"


def user_data_dir() -> Path:
    """$XDG_DATA_HOME/movie-stats (~/.local/share/movie-stats): the same folder from any working directory."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "movie-stats"


SUPPORTED_DATABASES = ("postgresql", "sqlite")


class Settings(BaseSettings):
    """Every setting of the service; the README documents each one."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; unset means the embedded SQLite file.",
    )
    data_dir: Path = Field(
        default_factory=user_data_dir,
        description="Folder of the embedded SQLite file (when DATABASE_URL is unset) and of quickstart's sample.",
    )
    database_read_url: str | None = Field(
        default=None, description="PostgreSQL read replicas (comma-separated URLs) the API reads from."
    )
    redis_url: str | None = Field(default=None, description="Shared response cache; unset means in-memory.")
    cache_ttl_seconds: int = Field(
        default=3600, ge=0, description="Lifetime of a cached response; 0 turns caching off."
    )
    cache_namespace: str = Field(
        default="movie-stats:responses", min_length=1, description="Prefix of every response cache key (shared Redis)."
    )
    cache_max_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=0,
        description="Bound of each process's in-memory response cache (an LRU, in front of Redis if set); 0: none.",
    )
    http_max_age_seconds: int = Field(
        default=60, ge=0, description="Cache-Control max-age of unpinned GET answers (pinned ones are immutable)."
    )
    statement_timeout_ms: int = Field(
        default=1000,
        ge=0,
        description="Limit on one SQL statement of the API (each reads precomputed tables by index, in milliseconds).",
    )
    max_page_size: int = Field(default=100, ge=1, description="Largest accepted `first` argument.")
    max_query_depth: int = Field(default=10, ge=1, description="Deepest accepted selection nesting.")
    max_query_tokens: int = Field(default=2000, ge=1, description="Longest accepted query, in GraphQL tokens.")
    max_query_aliases: int = Field(default=30, ge=1, description="Most aliases accepted in one query.")
    max_query_cost: int = Field(
        default=50_000, ge=1, description="Most fields an answer may hold, estimated before the query runs."
    )
    request_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A request still running after this long answers 503 and is stopped."
    )
    max_response_bytes: int = Field(default=4_194_304, ge=1, description="Largest answer body sent, in bytes.")
    graphiql: bool = Field(default=True, description="Serve the GraphiQL playground to browsers.")
    cors_origins: str = Field(
        default="*", description="Origins browser apps may call the API from, comma-separated; `*` means any."
    )
    introspection: bool = Field(default=True, description="Answer introspection queries.")
    access_log: bool = Field(default=True, description="Print one JSON line per request on stderr.")
    db_max_connections: int = Field(default=10, ge=1, description="Database calls the API runs at once.")
    trusted_documents_only: bool = Field(
        default=False, description="Answer only documents registered with `movie-stats documents add`."
    )
    keep_versions: int = Field(default=3, ge=1, description="Dataset versions kept by `movie-stats prune`.")

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, url: str | None) -> str | None:
        """Refuse a URL of any other database before anything connects; empty means unset."""
        if not url:
            return None
        try:
            backend = make_url(normalize_database_url(url)).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in SUPPORTED_DATABASES:
            # The message never repeats the URL: it may hold a password.
            raise ValueError(
                "expected a PostgreSQL URL (postgresql://user@host:5432/database) or a SQLite one "
                "(sqlite:///path/to/file.sqlite3); unset it for the embedded SQLite file"
            )
        return url

    @field_validator("database_read_url")
    @classmethod
    def _postgresql_replicas(cls, urls: str | None) -> str | None:
        """Every replica URL must be PostgreSQL's; empty means none."""
        if not urls or not urls.strip():
            return None
        for url in urls.split(","):
            try:
                backend = make_url(normalize_database_url(url.strip())).get_backend_name()
            except ArgumentError:
                backend = None
            if backend != "postgresql":
                raise ValueError(
                    "expected PostgreSQL URLs separated by commas "
                    "(postgresql://user@replica-1:5432/database,postgresql://user@replica-2:5432/database)"
                )
        return urls

    def read_database_urls(self) -> list[str]:
        """The replicas' URLs (DATABASE_READ_URL), none when unset."""
        if not self.database_read_url:
            return []
        return [normalize_database_url(url.strip()) for url in self.database_read_url.split(",")]

    def cors_origin_list(self) -> list[str]:
        """CORS_ORIGINS as a list; empty allows no other origin."""
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @property
    def sqlite_path(self) -> Path:
        """The embedded SQLite file, used when DATABASE_URL is unset."""
        return self.data_dir.expanduser().absolute() / SQLITE_FILE_NAME

    def resolved_database_url(self) -> str:
        """The URL to connect to: DATABASE_URL, or the embedded SQLite file in DATA_DIR."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.sqlite_path}"


def normalize_database_url(url: str) -> str:
    """Pin bare PostgreSQL URLs to psycopg2 (SQLAlchemy 2.1 reads `postgresql://` as psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url
