"""How the `movie-stats` command reports a failure: one place maps each known error to a kind,
a message for people, advice, and an exit code (1 refused or failed, 2 usage).

The error classes are imported only once an error happens, so that starting the command
(`movie-stats --help`) never pays for SQLAlchemy or pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_FAILED = 1
EXIT_USAGE = 2  # as click exits on a usage error
EXIT_INTERRUPTED = 130  # 128 + SIGINT: as a shell reports a command that Ctrl-C stopped (typer exits so)


class CannotServe(Exception):
    """The address to serve on is taken or unusable; exit 1 before anything is loaded."""


class CommandFailed(Exception):
    """A command finished without doing what was asked, and has said so; exit 1."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure as the CLI reports it: `kind` is stable, for scripts reading `--json`."""

    kind: str
    message: str  # one line per problem
    advice: str = ""
    exit_code: int = EXIT_FAILED
    label: str = "error"  # what starts each line of the message on stderr

    def as_json(self) -> dict[str, object]:
        """The one JSON object `--json` prints on stdout for this failure."""
        status = "refused" if self.kind == "refused" else "error"
        message = _one_line(self.message)
        separator = " " if message.endswith((".", ":", "?", "!")) or not self.advice else ". "
        text = (message + separator + self.advice).strip()
        return {"status": status, "error": self.kind, "message": text, "exit_code": self.exit_code}


INTERRUPTED = Failure(
    "interrupted",
    "Interrupted (Ctrl-C, or SIGTERM during an import): what the command had begun and not finished is undone.",
    "Run `movie-stats datasets` to see which version is live.",
    EXIT_INTERRUPTED,
)


def describe(error: BaseException) -> Failure | None:
    """The Failure of a known error; None for a bug, which keeps its traceback."""
    from pydantic import ValidationError
    from sqlalchemy.exc import DBAPIError, OperationalError

    from app.document_files import DocumentRefused
    from db.locks import ImportBusy
    from db.partitions import PartitionsBusy
    from db.versions import FailedChecks, VersionError
    from importer.errors import ImportRefused

    if isinstance(error, DocumentRefused):
        return Failure("document", str(error))
    if isinstance(error, CannotServe):
        return Failure("address", str(error))
    if isinstance(error, ImportRefused):
        return Failure("refused", str(error))
    if isinstance(error, FailedChecks):
        return Failure("failed_checks", str(error))
    if isinstance(error, ImportBusy | PartitionsBusy):
        return Failure("busy", str(error))
    if isinstance(error, VersionError):
        return Failure("version", str(error))
    if isinstance(error, ValidationError):  # the environment or .env holds a setting that cannot be used
        problems = "\n".join(
            f"setting {'_'.join(str(part) for part in problem['loc']).upper()}: "
            + problem["msg"].removeprefix("Value error, ")
            for problem in error.errors()
        )
        advice = "Fix the environment variable (or the .env file); the README's Settings table lists them all."
        return Failure("settings", problems, advice, EXIT_USAGE)
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        message = "The SQLite store is locked by another writer: an import, or a command that changes versions."
        return Failure("busy", message, "Nothing was changed. Run the command again once it has finished.")
    if isinstance(error, OperationalError):
        advice = "Check DATABASE_URL (when it is unset, the embedded SQLite file is used) and that the server is up."
        return Failure("database", _one_line(error.orig), advice, label="database error")
    if isinstance(error, DBAPIError):  # the transaction was rolled back: nothing changed
        advice = "Nothing was changed. Please report this error with the command and file that caused it."
        return Failure("database", _one_line(error.orig), advice, label="database error")
    if isinstance(error, OSError):  # a file that cannot be read or written (permissions, a full disk, ...)
        return Failure("file", f"{error.strerror or error}: {error.filename}")
    return None


def _one_line(error: object) -> str:
    """A message that may run over several lines and tabs (a driver's, several settings problems) as one line."""
    return " ".join(str(error).split())
