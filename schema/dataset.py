"""Dataset: the version that answers a request."""

from __future__ import annotations

from datetime import UTC

import strawberry

from db.versions import Version


@strawberry.type(description="A dataset version: one loaded file.")
class Dataset:
    version: str
    loaded_at: str = strawberry.field(description="ISO 8601, UTC.")
    movies: int
    rejected: int
    duplicates: int
    status: str = strawberry.field(description="live, staged, retired...")
    source: str = strawberry.field(description="Name of the file it was loaded from.")

    @classmethod
    def from_row(cls, row: Version) -> Dataset:
        """From a `dataset_versions` row."""
        return cls(
            version=str(row.id),
            loaded_at=row.loaded_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            movies=row.movies,
            rejected=row.rejected,
            duplicates=row.duplicates,
            status=row.status,
            source=row.source_name,
        )
