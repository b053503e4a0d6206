"""The straightforward pandas import the benchmark compares against.

read_csv + ast.literal_eval + to_sql of the same tables, then the same precompute SQL, so
the two pipelines end with identical figures in the same PostgreSQL. No dirt handling beyond
what pandas does by itself plus the rules needed to make the tables loadable.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, text

from db import partitions
from db.precompute import precompute_statements


def _entities(value: object) -> list[dict]:
    try:
        parsed = ast.literal_eval(value) if isinstance(value, str) and value else []
    except (ValueError, SyntaxError):
        return []
    return (
        [e for e in parsed if isinstance(e, dict) and isinstance(e.get("id"), int) and e.get("name")]
        if isinstance(parsed, list)
        else []
    )


def pandas_import(engine: Engine, path: Path, version_id: int) -> int:
    """Load `path` as version `version_id` with pandas; returns the number of movies."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame[frame["id"].str.strip().str.fullmatch(r"[0-9]+")]
    frame = frame.drop_duplicates("id", keep="last")
    money = {c: pd.to_numeric(frame[c], errors="coerce").round() for c in ("budget", "revenue")}
    dates = pd.to_datetime(frame["release_date"], format="%Y-%m-%d", errors="coerce")
    movies = pd.DataFrame(
        {
            "version_id": version_id,
            "id": frame["id"].astype(int),
            "title": frame["title"],
            "release_date": dates.dt.strftime("%Y-%m-%d"),
            "release_year": dates.dt.year.astype("Int64"),
            "budget": money["budget"].where(money["budget"] > 0).astype("Int64"),
            "revenue": money["revenue"].where(money["revenue"] > 0).astype("Int64"),
            "popularity": pd.to_numeric(frame["popularity"], errors="coerce").where(lambda p: p >= 0),
        }
    )
    links = {}
    for column, entity in (("genres", "genre"), ("production_companies", "company")):
        pairs = [
            (int(movie_id), item["id"], item["name"])
            for movie_id, value in zip(frame["id"], frame[column], strict=True)
            for item in _entities(value)
        ]
        table = pd.DataFrame(pairs, columns=["movie_id", f"{entity}_id", "name"]).drop_duplicates(
            ["movie_id", f"{entity}_id"], keep="last"
        )
        table.insert(0, "version_id", version_id)
        links[entity] = table
    with engine.begin() as connection:
        # Into the version's own tables, indexed once full and then attached, as our importer
        # does (on one connection here: the plain way).
        partitions.create_for_load(connection, version_id)
        targets = partitions.version_tables(version_id)
        options = {"con": connection, "if_exists": "append", "index": False, "chunksize": 10_000, "method": "multi"}
        movies.to_sql(targets["movies"], **options)
        for entity, link_table, entity_table in (
            ("genre", "movie_genres", "genres"),
            ("company", "movie_companies", "companies"),
        ):
            link = links[entity]
            link[["version_id", "movie_id", f"{entity}_id"]].to_sql(targets[link_table], **options)
            names = link.drop_duplicates(f"{entity}_id", keep="last")[["version_id", f"{entity}_id", "name"]]
            names.rename(columns={f"{entity}_id": "id"}).to_sql(targets[entity_table], **options)
        for statement in precompute_statements(targets).values():
            connection.execute(text(statement), {"v": version_id})
        connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{partitions.INDEX_MAINTENANCE_WORK_MEM}'")
        for statements in partitions.index_statements(version_id).values():
            for statement in statements:
                connection.exec_driver_sql(statement)
        partitions.attach(connection, version_id)
    return len(movies)
