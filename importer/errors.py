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
