"""Pinned answers are immutable, unpinned ones brief and pointing at their pinned URL (issue 23, item 1)."""

from __future__ import annotations

from pathlib import Path

from db import versions
from tests.api_support import api_settings, load, serve, write_subset
from tests.conftest import head5000

QUERY = "{ dataset { version movies } }"
IMMUTABLE = "public, max-age=31536000, immutable"


def _three_versions(database_url: str, tmp_path: Path) -> tuple[int, int, int]:
    """Version 1 retired, 2 live, 3 staged: 400, 300 and 200 records of the real file."""
    ids = []
    for keep in (400, 300, 200):
        ids.append(load(database_url, _subset(tmp_path, keep), stage_only=bool(ids)))
    return ids[0], ids[1], ids[2]


def test_pinned_answers_are_immutable_and_unpinned_ones_name_their_version(database_url: str, tmp_path: Path) -> None:
    first, second, staged = _three_versions(database_url, tmp_path)
    with serve(api_settings(database_url, http_max_age_seconds=30)) as api:
        with api.engine.begin() as connection:
            versions.promote(connection, second, force=True)  # a subset: it failed the shrink check
        api.await_live(second)  # a process learns of a promote by itself, within a second

        unpinned = api.get(QUERY)
        assert unpinned.status_code == 200
        assert unpinned.headers["cache-control"] == "public, max-age=30, stale-while-revalidate=30"
        assert unpinned.headers["dataset-version"] == str(second)
        location = unpinned.headers["content-location"]
        assert location.startswith("/graphql?") and location.endswith(f"&dataset={second}")

        pinned = api.client.get(location)  # the URL a client or CDN switches to
        assert pinned.status_code == 200 and pinned.content == unpinned.content
        assert pinned.headers["cache-control"] == IMMUTABLE and pinned.headers["dataset-version"] == str(second)
        assert "content-location" not in pinned.headers
        assert api.client.get(location).headers["x-cache"] == "hit"
        revalidated = api.client.get(location, headers={"if-none-match": pinned.headers["etag"]})
        assert revalidated.status_code == 304 and revalidated.headers["cache-control"] == IMMUTABLE

        for version, movies in ((first, 400), (staged, 200)):  # retired and staged versions are pinned too
            response = api.get(QUERY, dataset=str(version))
            assert response.headers["cache-control"] == IMMUTABLE and response.headers["etag"]
            assert response.json()["data"]["dataset"]["version"] == str(version)
            assert movies - 5 <= response.json()["data"]["dataset"]["movies"] <= movies

        # The live version moves on: the unpinned answer follows, the pinned one is unchanged.
        with api.engine.begin() as connection:
            versions.promote(connection, staged, force=True)  # a subset: it failed the shrink check
        api.await_live(staged)
        moved = api.get(QUERY)
        assert moved.headers["dataset-version"] == str(staged) and moved.content != unpinned.content
        assert api.client.get(location).content == pinned.content

        with api.engine.begin() as connection:
            assert versions.prune(connection, keep=2) == [first]
        pruned = api.get(QUERY, dataset=str(first))
        assert pruned.status_code == 404 and pruned.headers["cache-control"] == "no-store"
        assert pruned.json()["errors"][0] == {
            "message": f"There is no dataset version '{first}' (pruned, or never loaded); "
            f"versions that exist: {staged} (live), {second} (retired).",
            "extensions": {"code": "DATASET_NOT_FOUND"},
        }


def test_errors_are_never_stored_pinned_or_not(database_url: str, tmp_path: Path) -> None:
    live = load(database_url, _subset(tmp_path, 100))
    with serve(api_settings(database_url)) as api:
        for params in ({}, {"dataset": str(live)}):
            response = api.get("{ nosuchfield }", **params)
            assert response.status_code == 400 and response.headers["cache-control"] == "no-store"
            assert "etag" not in response.headers


def _subset(tmp_path: Path, keep: int) -> Path:
    path = tmp_path / f"head{keep}.csv.gz"
    write_subset(head5000(), path, keep=keep)
    return path
