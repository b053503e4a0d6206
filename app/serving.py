"""What `movie-stats serve` says as it starts: where the API listens, which store and dataset it
serves, and what it does not serve (no live version, a newer version left staged)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import make_url
from sqlalchemy.engine import Connection

from app.settings import Settings
from db import versions
from db.tables import LIVE, STAGED
from importer.options import is_sample


@dataclass(frozen=True, slots=True)
class Serving:
    """The facts of one server's start; `lines` for people, `as_json` for scripts."""

    url: str
    graphiql: bool
    store: str  # the SQLite file, or the PostgreSQL URL without its password
    live: versions.Version | None
    staged: list[versions.Version]  # newer than the live version, so not served

    def lines(self) -> list[str]:
        """The start-up lines, on stderr before uvicorn's own."""
        playground = " (GraphiQL there in a browser)" if self.graphiql else ""
        home = self.url.removesuffix("graphql")
        lines = [f"GraphQL API at {self.url}{playground}, from {self.store}; home page and charts at {home}."]
        if self.live is None:
            lines.append(
                f"No dataset is live in {self.store}: every query answers an error until one is. "
                "Load one with `movie-stats import FILE` (or `movie-stats quickstart FILE`)."
            )
        elif is_sample(self.live.source_name):
            lines.append(
                f"Serving version {self.live.id}, a GENERATED sample of synthetic records, not real data. "
                "Load your file with `movie-stats quickstart FILE`."
            )
        else:
            lines.append(f"Serving version {self.live.id} ({self.live.source_name}, {self.live.movies:,} movies).")
        for version in self.staged:
            failed = ", ".join(check["name"] for check in version.failed_checks)
            why = f"it failed its checks ({failed})" if failed else "it was loaded with --stage"
            command = f"movie-stats promote {version.id}" + (" --force" if failed else "")
            lines.append(
                f"Version {version.id} ({version.source_name}) is STAGED, not served: {why}. "
                f"Take it live with `{command}`."
            )
        return lines

    def as_json(self) -> dict[str, object]:
        """One JSON object for `--json`."""
        return {
            "status": "serving",
            "url": self.url,
            "graphiql": self.graphiql,
            "store": self.store,
            "live": None if self.live is None else self.live.id,
            "live_is_sample": self.live is not None and is_sample(self.live.source_name),
            "staged": [version.id for version in self.staged],
        }


def describe_serving(connection: Connection, settings: Settings, *, host: str, port: int) -> Serving:
    """What a server started now with `settings` serves."""
    every = versions.list_versions(connection)
    live = next((version for version in every if version.status == LIVE), None)
    newest_live = live.id if live is not None else 0
    staged = [version for version in every if version.status == STAGED and version.id > newest_live]
    return Serving(
        url=f"http://{host}:{port}/graphql",
        graphiql=settings.graphiql,
        store=describe_store(settings),
        live=live,
        staged=sorted(staged, key=lambda version: version.id),
    )


def describe_store(settings: Settings) -> str:
    """The store in words, never with a password."""
    if not settings.database_url:
        return f"the SQLite file {settings.sqlite_path}"
    url = make_url(settings.resolved_database_url())
    if url.get_backend_name() == "sqlite":
        return f"the SQLite file {url.database}"
    return f"PostgreSQL at {url.render_as_string(hide_password=True)}"
