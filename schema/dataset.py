"""Dataset: a dataset version, its load's figures and its data quality."""

from __future__ import annotations

from datetime import UTC

import strawberry

from resolvers.data_quality import rejections_of
from resolvers.datasets import Version
from schema.context import Info
from schema.errors import check_page_size
from schema.rejection import RejectionConnection, WarningCount


@strawberry.type(description="A dataset version: one loaded file.")
class Dataset:
    version: str
    loaded_at: str = strawberry.field(description="ISO 8601, UTC.")
    movies: int
    rejected: int
    duplicates: int
    status: str = strawberry.field(description="live, staged or retired.")
    source: str = strawberry.field(description="The loaded file's name.")
    sha256: str = strawberry.field(description="The loaded file's SHA-256, in hex.")
    records: int = strawberry.field(description="Records read from the file.")
    warnings: list[WarningCount] = strawberry.field(
        description="Values a data rule turned into unknown, counted by kind (e.g. unparsable_budget)."
    )
    version_id: strawberry.Private[int]

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
            sha256=row.source_sha256,
            records=row.records,
            warnings=[WarningCount(kind=kind, count=count) for kind, count in sorted(row.warnings.items())],
            version_id=row.id,
        )

    @strawberry.field(description="The rejected records, in file order, with their line and reason.")
    async def rejections(
        self, info: Info, first: int = 100, after: str | None = strawberry.UNSET
    ) -> RejectionConnection:
        check_page_size(first, info.context.max_page_size)
        after_ = None if after is strawberry.UNSET else after
        page = await rejections_of(info.context.db, version_id=self.version_id, first=first, after=after_)
        return RejectionConnection.from_row(page)
