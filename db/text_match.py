"""Case-insensitive matching of names and titles, the same on both stores.

Names and titles are stored in code point order (db.tables.CodePointText): on PostgreSQL
that is the "C" collation, under which lower() leaves every non-ASCII letter as it is. So
lower() reads them under the database's default collation there; on SQLite the API
registers a Unicode lower() (db.api_database).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import Text


class lowered(GenericFunction[str]):
    """lower(text) by the store's Unicode rules."""

    type = Text()
    inherit_cache = True


@compiles(lowered)
def _lowered(element: lowered, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(lowered, "postgresql")
def _lowered_postgresql(element: lowered, compiler: SQLCompiler, **kw: Any) -> str:
    return f'lower(({compiler.process(element.clauses, **kw)}) COLLATE "default")'


def contains_text(column: ColumnElement[str], search: str) -> ColumnElement[bool]:
    """Whether `column` contains `search`, in any case, literally (`%` and `_` match themselves)."""
    return lowered(column).contains(search.lower(), autoescape=True)
