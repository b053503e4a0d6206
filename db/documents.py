"""Trusted GraphQL documents: registered ahead by the operator, found by their sha256.

With TRUSTED_DOCUMENTS_ONLY the API answers these documents and no others. They live in the
database so that every API process, and every replica, knows the same list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from db.tables import trusted_documents


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    """One registered document."""

    sha256: str
    document: str
    name: str
    source: str
    added_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> TrustedDocument:
        """Build from a `trusted_documents` row (SQLite hands back naive datetimes)."""
        values = dict(row._mapping)
        if values["added_at"].tzinfo is None:
            values["added_at"] = values["added_at"].replace(tzinfo=UTC)
        return cls(**values)


def document_sha256(document: str) -> str:
    """The id of a document: the hex sha256 of its UTF-8 text, as Apollo's clients compute it."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def add_document(connection: Connection, document: str, *, name: str, source: str) -> tuple[str, bool]:
    """Register a document; returns (sha256, whether it was new). Adding one again changes nothing."""
    sha256 = document_sha256(document)
    if find_document(connection, sha256) is not None:
        return sha256, False
    connection.execute(
        trusted_documents.insert().values(
            sha256=sha256, document=document, name=name, source=source, added_at=datetime.now(UTC)
        )
    )
    return sha256, True


def find_document(connection: Connection, sha256: str) -> str | None:
    """The text of a registered document, or None."""
    return connection.execute(select(trusted_documents.c.document).where(trusted_documents.c.sha256 == sha256)).scalar()


def list_documents(connection: Connection) -> list[TrustedDocument]:
    """Every registered document, oldest first."""
    rows = connection.execute(
        select(trusted_documents).order_by(trusted_documents.c.added_at, trusted_documents.c.sha256)
    )
    return [TrustedDocument.from_row(row) for row in rows]
