"""Small movies_metadata.csv files written by tests, in the real file's exact format."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

HEADER = [
    "adult",
    "belongs_to_collection",
    "budget",
    "genres",
    "homepage",
    "id",
    "imdb_id",
    "original_language",
    "original_title",
    "overview",
    "popularity",
    "poster_path",
    "production_companies",
    "production_countries",
    "release_date",
    "revenue",
    "runtime",
    "spoken_languages",
    "status",
    "tagline",
    "title",
    "video",
    "vote_average",
    "vote_count",
]

DEFAULTS = {
    "adult": "False",
    "budget": "0",
    "genres": "[{'id': 99, 'name': 'Documentary'}]",
    "original_language": "en",
    "popularity": "1.0",
    "production_companies": "[{'name': 'Default Pictures', 'id': 1}]",
    "production_countries": "[]",
    "release_date": "2000-01-01",
    "revenue": "0.0",
    "runtime": "90.0",
    "spoken_languages": "[]",
    "status": "Released",
    "video": "False",
    "vote_average": "5.0",
    "vote_count": "10.0",
}


def genres(*pairs: tuple[int, str]) -> str:
    """A `genres` literal as the real file writes it: id first."""
    return repr([{"id": i, "name": n} for i, n in pairs])


def companies(*pairs: tuple[int, str]) -> str:
    """A `production_companies` literal as the real file writes it: name first."""
    return repr([{"name": n, "id": i} for i, n in pairs])


def movie(movie_id: int | str, **fields: str) -> dict[str, str]:
    """One record: the real columns, with defaults for what the test does not care about."""
    record = {column: DEFAULTS.get(column, "") for column in HEADER}
    record["id"] = str(movie_id)
    record["title"] = record["original_title"] = f"Movie {movie_id}"
    record.update(fields)
    return record


def write_csv(path: Path, records: list[dict[str, str]] | list[list[str]], header: list[str] = HEADER) -> Path:
    """Write records (dicts by column, or raw field lists) under a header; gzip when path ends .gz."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        for record in records:
            writer.writerow([record.get(column, "") for column in header] if isinstance(record, dict) else record)
    return path


def catalogue(count: int, *, budget: int = 1000, first_id: int = 1) -> list[dict[str, str]]:
    """`count` movies over three years, two genres and two companies."""
    return [
        movie(
            i,
            budget=str(budget + i),
            revenue=f"{2 * (budget + i)}.0",
            popularity=f"{i % 7}.5",
            release_date=f"{2000 + i % 3}-05-01",
            genres=genres((18, "Drama")) if i % 2 else genres((35, "Comedy"), (18, "Drama")),
            production_companies=companies((6194, "Warner Bros.") if i % 3 else (4, "Paramount Pictures")),
        )
        for i in range(first_id, first_id + count)
    ]
