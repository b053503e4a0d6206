"""What every resolver of one request shares: the database, the version it reads, loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

import strawberry

from db.api_database import Database
from resolvers.drill_down_loaders import DrillDownLoaders, make_drill_down_loaders
from resolvers.loaders import Loaders, make_loaders

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    """The context of one request, bound to one dataset version."""

    db: Database
    version_id: int
    loaders: Loaders
    max_page_size: int
    drill_down: DrillDownLoaders

    @classmethod
    def for_version(cls, db: Database, version_id: int, max_page_size: int) -> Context:
        """A fresh context (and fresh loaders) reading `version_id`."""
        loaders, drill_down = make_loaders(db, version_id), make_drill_down_loaders(db, version_id)
        return cls(db, version_id, loaders, max_page_size, drill_down)


Info = strawberry.Info[Context, None]
# The `from` bound of a year range (`from` is a Python keyword, so the parameter is `from_`).
FromYear = Annotated[int | None, strawberry.argument(name="from")]


def given(value: T | None) -> T | None:
    """An optional argument's value, None when the client left it out (UNSET prints no default)."""
    return None if value is strawberry.UNSET else value
