"""Named errors of the importer. Each carries a message that tells the user what to do."""

from __future__ import annotations


class ImportRefused(Exception):
    """The file cannot be loaded at all; the database was left exactly as it was."""


class MissingColumnsError(ImportRefused):
    """The header lacks required columns."""

    def __init__(self, path: str, missing: list[str], found: list[str]) -> None:
        self.missing = missing
        hint = "" if set(found) & {"id", "title"} else " It does not look like movies_metadata.csv."
        super().__init__(
            f"{path}: missing required column(s): {', '.join(missing)}.{hint} "
            "Export the file with its header row, or fix the column names."
        )


class NotCsvError(ImportRefused):
    """The file is not a UTF-8 CSV file (binary, wrong encoding, empty)."""


class NoRecordsError(ImportRefused):
    """The file holds a header and nothing else."""

    def __init__(self, path: str) -> None:
        super().__init__(
            f"{path}: the file has a header but no records, so there is nothing to load. "
            "Check that the export or download finished."
        )


class TooWideError(ImportRefused):
    """The header has more columns than rule 22 allows."""

    def __init__(self, path: str, width: int, limit: int) -> None:
        super().__init__(
            f"{path}: the header has {width:,} columns, more than {limit:,}. "
            "movies_metadata.csv has 24: check that the first line is its header."
        )


class HeaderTooLongError(ImportRefused):
    """The header is longer than a record may be (rule 22)."""


class DuplicateColumnsError(ImportRefused):
    """The header names a column twice, so which one holds its values is unknown (rule 22)."""

    def __init__(self, path: str, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"{path}: the header names {', '.join(names)} more than once. "
            "Rename or remove the extra column(s) so that each name is given once."
        )


class NotRegularFileError(ImportRefused):
    """The path is a FIFO, a device or a directory: it cannot be read twice as the import needs."""


class FileChangedError(ImportRefused):
    """The file changed while it was read (rule 22); nothing was staged."""
