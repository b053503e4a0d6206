"""What every resolver of one request shares: the database, the version it reads, loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

import strawberry

from app.database import Database
from resolvers.loaders import Loaders, make_loaders

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Context:
    """The context of one request, bound to one dataset version."""

    db: Database
    version_id: int
    loaders: Loaders
    max_page_size: int

    @classmethod
    def for_version(cls, db: Database, version_id: int, max_page_size: int) -> Context:
        """A fresh context (and fresh loaders) reading `version_id`."""
        return cls(db, version_id, make_loaders(db, version_id), max_page_size)


Info = strawberry.Info[Context, None]
# The `from` bound of a year range (`from` is a Python keyword, so the parameter is `from_`).
FromYear = Annotated[int | None, strawberry.argument(name="from")]


def given(value: T | None) -> T | None:
    """An optional argument's value, None when the client left it out (UNSET prints no default)."""
    return None if value is strawberry.UNSET else value
