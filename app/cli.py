"""The `movie-stats` command: import, inspect, promote and serve dataset versions.

Errors become messages and exit codes here and nowhere else: 0 done, 1 refused or failed
(the database is unchanged, or the version stays staged), 2 usage error.
"""

from __future__ import annotations

import errno
import functools
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from app import render
from app.document_files import DocumentRefused, read_document_files
from app.settings import DEFAULT_SQLITE_PATH, Settings
from db import versions
from db.engine import make_engine
from db.locks import ImportBusy
from db.migrate import upgrade
from db.partitions import PartitionsBusy
from db.tables import MAX_INTEGER
from importer.checks import DEFAULT_MAX_REJECTED_SHARE, DEFAULT_MAX_SHRINK_SHARE, CheckLimits
from importer.errors import ImportRefused
from importer.pipeline import (
    AUTO_WORKERS,
    AUTO_WORKERS_MIN_BYTES,
    FULL,
    INCREMENTAL,
    MAX_WORKERS,
    ImportOptions,
    ImportReport,
    import_file,
)

cli = typer.Typer(
    name="movie-stats",
    help="Movie statistics per release year: load movies_metadata.csv, manage dataset versions, serve GraphQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
if not out.is_terminal:
    out.width = 160  # piped output: tables keep their columns instead of wrapping at 80

EXIT_FAILED = 1
EXIT_USAGE = 2  # as click exits on a usage error
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")]
VERSION_RANGE = {"min": 1, "max": MAX_INTEGER}  # outside it: a usage error, not a database error
MAX_SERVE_WORKERS = 64


def _output_path(path: Path | None) -> Path | None:
    """A usage error unless `path` can be created: its folder exists (the file itself may not)."""
    if path is not None and not path.parent.is_dir():
        raise typer.BadParameter(f"the folder {path.parent} does not exist; create it first")
    return path


class CommandFailed(Exception):
    """A command finished without doing what was asked (already reported); exit 1."""


class CannotServe(Exception):
    """The address to serve on is taken or unusable; exit 1 before anything is loaded."""


def main() -> None:
    """Console entry point: run the command, turn known errors into a message and exit 1."""
    try:
        cli()
    except (ImportRefused, ImportBusy, versions.VersionError, PartitionsBusy, CannotServe, DocumentRefused) as error:
        err.print(f"[red]error:[/] {error}", highlight=False)
        sys.exit(EXIT_FAILED)
    except CommandFailed:
        sys.exit(EXIT_FAILED)
    except ValidationError as error:  # the environment or .env holds a setting that cannot be used
        for problem in error.errors():
            name = "_".join(str(part) for part in problem["loc"]).upper()
            err.print(f"[red]error:[/] setting {name}: {problem['msg'].removeprefix('Value error, ')}", highlight=False)
        err.print("Fix the environment variable (or the .env file); the README's Settings table lists them all.")
        sys.exit(EXIT_USAGE)
    except OSError as error:  # a file that cannot be read or written (permissions, a full disk, ...)
        err.print(f"[red]error:[/] {error.strerror or error}: {error.filename}", highlight=False)
        sys.exit(EXIT_FAILED)
    except OperationalError as error:
        err.print(f"[red]database error:[/] {error.orig}", highlight=False)
        err.print("Check DATABASE_URL (when it is unset, the embedded SQLite file is used) and that the server is up.")
        sys.exit(EXIT_FAILED)
    except DBAPIError as error:  # the transaction was rolled back: nothing changed
        err.print(f"[red]database error:[/] {error.orig}", highlight=False)
        err.print("Nothing was changed. Please report this error with the command and file that caused it.")
        sys.exit(EXIT_FAILED)


@functools.cache
def read_settings() -> Settings:
    """The environment's settings, read once per command."""
    return Settings()


@contextmanager
def store(*, quiet: bool = False) -> Iterator[Engine]:
    """The migrated store the settings point at."""
    settings = read_settings()
    if not settings.database_url and not quiet:
        err.print(
            f"Using the embedded SQLite database {DEFAULT_SQLITE_PATH.resolve()} (set DATABASE_URL for PostgreSQL)."
        )
    engine = make_engine(settings.resolved_database_url())
    try:
        upgrade(engine)
        removed = versions.remove_abandoned_if_idle(engine)
        if removed and not quiet:
            listed = ", ".join(map(str, removed))
            plural = "s" if len(removed) > 1 else ""
            err.print(f"Removed unfinished version{plural} {listed}: an import was killed before it finished.")
        yield engine
    finally:
        engine.dispose()


@cli.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="movies_metadata.csv, plain or .gz")
    ],
    mode: Annotated[
        str, typer.Option(help="full: replace the dataset; incremental: upsert by id into a copy of the live one.")
    ] = FULL,
    stage: Annotated[bool, typer.Option("--stage", help="Load and check, but do not go live.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Load an unchanged file again; go live despite failed checks.")
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Queue behind a running import, or fail at once.")
    ] = True,
    max_rejected_share: Annotated[
        float, typer.Option(min=0, max=1, help="Check: largest share of rejected records.")
    ] = DEFAULT_MAX_REJECTED_SHARE,
    max_shrink_share: Annotated[
        float, typer.Option(min=0, max=1, help="Check: largest drop in movies against the live version (full loads).")
    ] = DEFAULT_MAX_SHRINK_SHARE,
    emit_sql: Annotated[
        Path | None,
        typer.Option(
            "--emit-sql",
            metavar="OUT.sql",
            dir_okay=False,
            callback=_output_path,
            help="Write the load as a psql script instead of loading it.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=MAX_WORKERS,
            show_default=False,
            help="Processes that clean records while this one reads and loads, 0 for none "
            f"(default: {AUTO_WORKERS} for files of {AUTO_WORKERS_MIN_BYTES >> 20} MiB or more, else 0).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Load a file into a new dataset version; it goes live if it passes its checks."""
    if mode not in (FULL, INCREMENTAL):
        raise typer.BadParameter(f"use {FULL} or {INCREMENTAL}", param_hint="--mode")
    options = ImportOptions(
        mode=mode, stage_only=stage, force=force, wait_for_lock=wait, workers=workers,
        limits=CheckLimits(max_rejected_share=max_rejected_share, max_shrink_share=max_shrink_share),
    )  # fmt: skip
    try:
        if emit_sql is not None:
            from importer.sql_script import write_sql_script

            report = write_sql_script(file, emit_sql, options=options)
        else:
            with store(quiet=as_json) as engine:
                report = _run_import(engine, file, options, show_progress=not as_json)
    except ImportRefused as error:
        if as_json:  # a script reading stdout learns of the refusal too; stderr still says it
            print_json({"status": "refused", "source": file.name, "message": str(error)})
        raise
    _finish_import(report, as_json)


def _run_import(engine: Engine, file: Path, options: ImportOptions, *, show_progress: bool) -> ImportReport:
    if not (show_progress and err.is_terminal):
        return import_file(engine, file, options)
    columns = (*Progress.get_default_columns()[:-1], DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"Reading {file.name}", total=file.stat().st_size)

        def show(done: int, total: int) -> None:
            # Once the file is read, the database builds, precomputes and checks the version.
            label = "Building the version (precompute, checks)" if done >= total else f"Reading {file.name}"
            bar.update(task, completed=done, description=label)

        return import_file(engine, file, options, progress=show)


def _finish_import(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report)
    else:
        render.import_report(out, report)
    if report.failed_checks and report.status == "staged":
        raise CommandFailed()


@cli.command()
def generate(
    out_file: Annotated[
        Path,
        typer.Argument(metavar="OUT", dir_okay=False, callback=_output_path, help="Where to write; .gz compresses."),
    ],
    records: Annotated[int, typer.Option(min=1, help="How many records.")] = 45_000,
    seed: Annotated[int, typer.Option(help="Same seed, same bytes.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Write a realistic synthetic movies_metadata.csv (calibrated on the real file, dirt included)."""
    from importer.generate import generate_file

    with Progress(console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task(f"Generating {out_file.name}", total=records)
        report = generate_file(
            out_file, records=records, seed=seed, progress=lambda done: bar.update(task, completed=done)
        )
    if as_json:
        print_json(report)
    else:
        out.print(f"Wrote {records:,} generated records (seed {seed}) to {out_file} in {report.seconds:.1f} s.")


@cli.command()
def datasets(as_json: JsonFlag = False) -> None:
    """List dataset versions: live, staged and retired."""
    with store(quiet=as_json) as engine, engine.connect() as connection:
        rows = versions.list_versions(connection)
    if as_json:
        print_json({"versions": rows})
    else:
        render.versions_table(out, rows)


@cli.command()
def diff(
    a: Annotated[
        int | None, typer.Argument(**VERSION_RANGE, help="Version to compare from [default: the live one].")
    ] = None,
    b: Annotated[
        int | None, typer.Argument(**VERSION_RANGE, help="Version to compare to [default: the newest staged one].")
    ] = None,
    examples: Annotated[int, typer.Option(min=0, help="Movies named for each kind of change.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """Show what changed between two versions: movies added, removed, changed, and the years that moved most."""
    from app.render_diff import diff_text
    from db.diff import default_versions, diff_versions

    if (a is None) != (b is None):
        raise typer.BadParameter("name both versions, or neither (staged against live)", param_hint="A B")
    with store(quiet=as_json) as engine, engine.connect() as connection:
        if a is None or b is None:
            a, b = default_versions(connection)
        result = diff_versions(connection, a, b, examples=examples)
    if as_json:
        print_json(result)
    else:
        diff_text(out, result)


@cli.command()
def promote(
    version: Annotated[int, typer.Argument(**VERSION_RANGE, help="A staged or retired version id.")],
    as_json: JsonFlag = False,
) -> None:
    """Take a version live, atomically; the live one retires (and stays for rollback)."""
    with store(quiet=as_json) as engine, engine.begin() as connection:
        previous = versions.promote(connection, version)
    if previous == version:
        message = f"Version {version} was live already; nothing changed."
    else:
        message = f"Version {version} is live" + (f" (was {previous})." if previous is not None else ".")
    _say({"live": version, "previous": previous}, message, as_json)


@cli.command()
def rollback(as_json: JsonFlag = False) -> None:
    """Take the previously live version live again, atomically."""
    with store(quiet=as_json) as engine, engine.begin() as connection:
        current, previous = versions.rollback(connection)
    _say({"live": previous, "previous": current}, f"Rolled back: version {previous} is live (was {current}).", as_json)


@cli.command()
def prune(
    keep: Annotated[int | None, typer.Option(min=1, help="Versions to keep [default: KEEP_VERSIONS, 3].")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete old dataset versions, keeping the newest N and always the live one."""
    keep = keep or read_settings().keep_versions
    with store(quiet=as_json) as engine, engine.begin() as connection:
        removed = versions.prune(connection, keep)
    listed = ", ".join(map(str, removed))
    text = (
        f"Removed versions {listed}; kept the newest {keep}."
        if removed
        else f"Nothing to remove: prune keeps the newest {keep} and the live one."
    )
    _say({"removed": removed, "kept": keep}, text, as_json)


documents_cli = typer.Typer(help="Trusted GraphQL documents: the only ones answered with TRUSTED_DOCUMENTS_ONLY=true.")
cli.add_typer(documents_cli, name="documents")


@documents_cli.callback(invoke_without_command=True)
def documents(context: typer.Context, as_json: JsonFlag = False) -> None:
    """List the registered documents (sha256, operation names, file, when added)."""
    if context.invoked_subcommand is not None:
        return
    from db.documents import list_documents

    with store(quiet=as_json) as engine, engine.connect() as connection:
        rows = list_documents(connection)
    if as_json:
        print_json({"documents": rows})
    else:
        render.documents_table(out, rows)


@documents_cli.command("add")
def documents_add(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, readable=True, help=".graphql files, or Apollo manifests (.json)"),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Register GraphQL documents ahead, checked against the schema; clients send them by id."""
    from db.documents import add_document

    found = read_document_files(files)
    with store(quiet=as_json) as engine, engine.begin() as connection:
        added = [(*add_document(connection, d.document, name=d.name, source=d.source), d) for d in found]
    rows = [{"id": f"sha256:{sha256}", "new": new, "name": d.name, "source": d.source} for sha256, new, d in added]
    new_count = sum(row["new"] for row in rows)
    lines = [
        f"{row['id']}  {row['name']}  ({row['source']}{'' if row['new'] else ', already registered'})" for row in rows
    ]
    _say({"documents": rows}, "\n".join([*lines, f"Registered {new_count} new document(s) of {len(rows)}."]), as_json)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, max=MAX_SERVE_WORKERS, help="Processes answering requests (uvicorn's process manager)."),
    ] = 1,
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql in a browser)."""
    _ensure_free(host, port)
    _serve(host, port, quiet=False, workers=workers)


def _ensure_free(host: str, port: int) -> None:
    """CannotServe unless (host, port) can be listened on, bound as uvicorn binds it."""
    try:
        family, kind, _protocol, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            advice = (
                "Another server (another movie-stats?) may be using it: stop it, or choose another port with --port."
            )
        else:
            advice = "Check --host and --port."
        raise CannotServe(f"cannot serve on {host}:{port} ({error.strerror or error}). {advice}") from error


def _serve(host: str, port: int, *, quiet: bool, workers: int = 1) -> None:
    import uvicorn

    with store(quiet=quiet):
        pass  # migrate before serving
    err.print(
        f"GraphQL API and GraphiQL at http://{host}:{port}/graphql" + (f" ({workers} workers)" if workers > 1 else "")
    )
    # access_log=False: the app writes its own access log, one JSON line per request (ACCESS_LOG).
    if workers == 1:
        from app.asgi import create_app

        uvicorn.run(create_app(read_settings()), host=host, port=port, log_level="info", access_log=False)
        return
    from app.workers import metrics_shared_by_workers

    # Each worker process imports the app factory and runs its own lifespan (engine, caches).
    with metrics_shared_by_workers():
        uvicorn.run(
            "app.asgi:create_app_from_environment", factory=True, workers=workers,
            host=host, port=port, log_level="info", access_log=False,
        )  # fmt: skip


@cli.command()
def quickstart(
    file: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="Your movies_metadata.csv; omit for a generated sample."),
    ] = None,
    records: Annotated[int, typer.Option(help="Size of the generated sample.")] = 45_000,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
) -> None:
    """Load FILE (or a generated sample) and serve the API: the one command to try the service."""
    _ensure_free(host, port)  # before spending time on a load
    if file is None:
        from importer.generate import generate_file

        file = Path("movie-stats-data") / f"generated-sample-{records}-seed0.csv.gz"
        err.print(
            f"[yellow]No file given: loading a GENERATED sample of {records:,} synthetic records (not real data) from {file}.[/]"
        )
        if not file.exists():
            file.parent.mkdir(parents=True, exist_ok=True)
            generate_file(file, records=records, seed=0)
    with store() as engine:
        report = _run_import(engine, file, ImportOptions(), show_progress=True)
    render.import_report(out, report)
    _serve(host, port, quiet=True)


def _say(payload: dict, text: str, as_json: bool) -> None:
    if as_json:
        print_json(payload)
    else:
        out.print(text)


def print_json(value: object) -> None:
    """Write one JSON document to stdout, untouched by rich."""
    sys.stdout.write(render.to_json(value) + "\n")
