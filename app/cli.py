"""The `movie-stats` command: import, inspect, promote and serve dataset versions.

Errors become messages and exit codes in `main` and nowhere else (app.cli_errors): 0 done,
1 refused or failed (the database is unchanged, or the version stays staged), 2 usage error.
With `--json` every command prints exactly one JSON object on stdout, whatever the outcome.

Only typer, rich's console and light modules are imported at start: each command imports
what it needs (SQLAlchemy, the importer, the API), so `movie-stats --help` starts at once.
"""

from __future__ import annotations

import errno
import functools
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from app.cli_errors import EXIT_FAILED, EXIT_INTERRUPTED, INTERRUPTED, CannotServe, CommandFailed, Failure, describe
from db.limits import MAX_INTEGER
from importer.checks import DEFAULT_MAX_REJECTED_SHARE, DEFAULT_MAX_SHRINK_SHARE, CheckLimits
from importer.options import AUTO_WORKERS, AUTO_WORKERS_MIN_BYTES, FULL, INCREMENTAL, MAX_WORKERS, ImportOptions

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from app.settings import Settings
    from importer.report import ImportReport

cli = typer.Typer(
    name="movie-stats",
    help="Movie statistics per release year: load movies_metadata.csv, manage dataset versions, serve GraphQL.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich markup would eat "[default: ...]" and cut long option names
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
if not out.is_terminal:
    out.width = 160  # piped output: tables keep their columns instead of wrapping at 80

JSON_FLAG = "--json"
JsonFlag = Annotated[bool, typer.Option(JSON_FLAG, help="Print the result, or the error, as one JSON object.")]
MAX_PORT = 65_535
Port = Annotated[int, typer.Option(min=1, max=MAX_PORT, help="TCP port.")]
Host = Annotated[str, typer.Option(help="Interface to listen on.")]
MAX_SERVE_WORKERS = 64
Workers = Annotated[
    int, typer.Option(min=1, max=MAX_SERVE_WORKERS, help="Processes answering requests (uvicorn's process manager).")
]
Force = Annotated[bool, typer.Option("--force", help="Load an unchanged file again; go live despite failed checks.")]
MaxRejectedShare = Annotated[float, typer.Option(min=0, max=1, help="Check: largest share of rejected records.")]
MaxShrinkShare = Annotated[
    float,
    typer.Option(min=0, max=1, help="Check: largest share of the live version's movies a full load may drop."),
]


PROGRESS_LINE_SECONDS = 10.0  # how often an import writes a progress line when stderr is not a terminal


def main() -> None:
    """Console entry point: run the command; a known error becomes a message (and JSON) and an exit code."""
    as_json = JSON_FLAG in sys.argv[1:]
    try:
        code = cli(standalone_mode=False)
    except typer.TyperException as error:  # a usage error, as click words it: exit 2
        if as_json:
            print_json(Failure("usage", error.format_message(), exit_code=error.exit_code).as_json())
        error.show()  # type: ignore[attr-defined]  # every one raised while parsing is a click exception
        sys.exit(error.exit_code)
    except typer.Abort:
        sys.exit(EXIT_FAILED)
    except CommandFailed:
        sys.exit(EXIT_FAILED)
    except Exception as error:
        failure = describe(error)
        if failure is None:  # a bug: its traceback follows on stderr, and a script still reads one object
            if as_json:
                print_json(Failure("internal", f"{type(error).__name__}: {error}", "Please report it.").as_json())
            raise
        _report_failure(failure, as_json)
        sys.exit(failure.exit_code)
    if code == EXIT_INTERRUPTED:  # typer's answer to Ctrl-C (KeyboardInterrupt), once the command has unwound
        _report_failure(INTERRUPTED, as_json)
    sys.exit(code if isinstance(code, int) else 0)


def _report_failure(failure: Failure, as_json: bool) -> None:
    if as_json:
        print_json(failure.as_json())
    from rich.text import Text

    for line in failure.message.splitlines():  # as Text: brackets in a message are not markup
        err.print(Text.assemble((f"{failure.label}:", "red"), f" {line}"), highlight=False)
    if failure.advice:
        err.print(failure.advice, highlight=False, markup=False)


@functools.cache
def read_settings() -> Settings:
    """The environment's settings, read once per command."""
    from app.settings import Settings

    return Settings()


@contextmanager
def store(*, quiet: bool = False) -> Iterator[Engine]:
    """The migrated store the settings point at; without DATABASE_URL, the SQLite file in DATA_DIR, named."""
    from db import versions
    from db.engine import make_engine
    from db.migrate import upgrade

    settings = read_settings()
    if not settings.database_url:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        if not quiet:
            err.print(
                f"Using the embedded SQLite database {settings.sqlite_path} (set DATABASE_URL for PostgreSQL).",
                highlight=False,
            )
    elif not quiet:
        from db.engine import store_name

        err.print(f"Using {store_name(settings.database_url)} (DATABASE_URL).", highlight=False)
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


def _output_path(path: Path | None) -> Path | None:
    """A usage error unless `path` can be created: its folder exists (the file itself may not)."""
    if path is not None and not path.parent.is_dir():
        raise typer.BadParameter(f"the folder {path.parent} does not exist; create it first")
    return path


def _version_id(value: int | None) -> int | None:
    """A usage error for a version id no version can have (ids are positive 32-bit integers)."""
    if value is not None and not 1 <= value <= MAX_INTEGER:
        raise typer.BadParameter(f"{value} is not a version id (1 to {MAX_INTEGER})")
    return value


@cli.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, readable=True, help="movies_metadata.csv, plain or .gz")],
    mode: Annotated[
        str, typer.Option(help="full: replace the dataset; incremental: upsert by id into a copy of the live one.")
    ] = FULL,
    stage: Annotated[bool, typer.Option("--stage", help="Load and check, but do not go live.")] = False,
    force: Force = False,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Queue behind a running import, or fail at once.")
    ] = True,
    max_rejected_share: MaxRejectedShare = DEFAULT_MAX_REJECTED_SHARE,
    max_shrink_share: MaxShrinkShare = DEFAULT_MAX_SHRINK_SHARE,
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
    # A stop request (`docker stop`, systemd) ends a load as Ctrl-C does: what it began is removed at once.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if mode not in (FULL, INCREMENTAL):
        raise typer.BadParameter(f"use {FULL} or {INCREMENTAL}", param_hint="--mode")
    options = ImportOptions(
        mode=mode, stage_only=stage, force=force, wait_for_lock=wait, workers=workers,
        limits=CheckLimits(max_rejected_share=max_rejected_share, max_shrink_share=max_shrink_share),
    )  # fmt: skip
    if emit_sql is not None:
        from importer.sql_script import write_sql_script

        report = _refusal_named(file, lambda: write_sql_script(file, emit_sql, options=options), as_json)
    else:
        with store(quiet=as_json) as engine:
            report = _refusal_named(
                file, lambda: _run_import(engine, file, options, show_progress=not as_json), as_json
            )
    _finish_import(report, as_json)


def _refusal_named(file: Path, load: Callable[[], ImportReport], as_json: bool) -> ImportReport:
    """Run `load`; a refused file is reported with its name (`{"status": "refused", "source", ...}`)."""
    from importer.errors import ImportRefused

    try:
        return load()
    except ImportRefused as error:
        failure = Failure("refused", str(error))
        _report_failure(failure, as_json=False)  # stderr says it in every mode
        if as_json:
            print_json({**failure.as_json(), "source": file.name})
        raise CommandFailed() from error


def _run_import(engine: Engine, file: Path, options: ImportOptions, *, show_progress: bool) -> ImportReport:
    from importer.pipeline import import_file

    if not show_progress:
        return import_file(engine, file, options)
    if not err.is_terminal:  # a log (cron, a container): a line every PROGRESS_LINE_SECONDS, and when read
        return import_file(engine, file, options, progress=_progress_lines(file))
    from rich.progress import DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    columns = (*Progress.get_default_columns()[:-1], DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"Reading {file.name}", total=file.stat().st_size)

        def show(done: int, total: int) -> None:
            # Once the file is read, the database builds, precomputes and checks the version.
            label = "Building the version (precompute, checks)" if done >= total else f"Reading {file.name}"
            bar.update(task, completed=done, description=label)

        return import_file(engine, file, options, progress=show)


def _progress_lines(file: Path) -> Callable[[int, int], None]:
    """Progress as plain lines on stderr, for a log rather than a terminal."""
    last_line = time.monotonic()
    read = False

    def show(done: int, total: int) -> None:
        nonlocal last_line, read
        if read:
            return
        if done >= total:
            read = True
            err.print(f"Read {file.name}; building the version (precompute, checks).", highlight=False)
        elif time.monotonic() - last_line >= PROGRESS_LINE_SECONDS:
            err.print(f"Reading {file.name}: {done / total:.0%} of {total / 1e6:,.1f} MB", highlight=False)
        else:
            return
        last_line = time.monotonic()

    return show


def _finish_import(report: ImportReport, as_json: bool) -> None:
    from app import render

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
    overwrite: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Write a realistic synthetic movies_metadata.csv (calibrated on the real file, dirt included)."""
    from rich.progress import Progress

    from importer.sample.generate import generate_file

    if out_file.exists() and not overwrite:  # it may be the real file
        raise typer.BadParameter(f"{out_file} exists; pass --force to replace it", param_hint="OUT")

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
    from app import render
    from db import versions

    with store(quiet=as_json) as engine, engine.connect() as connection:
        rows = versions.list_versions(connection)
    if as_json:
        print_json({"versions": rows})
    else:
        render.versions_table(out, rows)


@cli.command()
def diff(
    a: Annotated[
        int | None,
        typer.Argument(min=1, callback=_version_id, help="Version to compare from (default: the live one)."),
    ] = None,
    b: Annotated[
        int | None,
        typer.Argument(min=1, callback=_version_id, help="Version to compare to (default: the newest staged one)."),
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
    version: Annotated[int, typer.Argument(min=1, callback=_version_id, help="A staged or retired version id.")],
    force: Annotated[bool, typer.Option("--force", help="Take it live even if it failed its checks.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Take a version live, atomically; the live one retires (and stays for rollback)."""
    from db import versions

    with store(quiet=as_json) as engine, engine.begin() as connection:
        previous = versions.promote(connection, version, force=force)
    if previous == version:
        message = f"Version {version} was live already; nothing changed."
    else:
        message = f"Version {version} is live" + (f" (was {previous})." if previous is not None else ".")
    _say({"live": version, "previous": previous}, message, as_json)


@cli.command()
def rollback(as_json: JsonFlag = False) -> None:
    """Take the previously live version live again, atomically."""
    from db import versions

    with store(quiet=as_json) as engine, engine.begin() as connection:
        current, previous = versions.rollback(connection)
    _say({"live": previous, "previous": current}, f"Rolled back: version {previous} is live (was {current}).", as_json)


@cli.command()
def prune(
    keep: Annotated[
        int | None, typer.Option(min=1, help="Versions to keep (default: the KEEP_VERSIONS setting, 3).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete old dataset versions, keeping the newest N, the live one and the one rollback would take live."""
    from db import versions

    keep = keep or read_settings().keep_versions
    with store(quiet=as_json) as engine, engine.begin() as connection:
        removed = versions.prune(connection, keep)
    listed = ", ".join(map(str, removed))
    text = (
        f"Removed version{'s' if len(removed) > 1 else ''} {listed}; kept the newest {keep}."
        if removed
        else f"Nothing to remove: prune keeps the newest {keep}, the live one and the one rollback would take live."
    )
    _say({"removed": removed, "kept": keep}, text, as_json)


@cli.command()
def schema(as_json: JsonFlag = False) -> None:
    """Print the GraphQL schema the API serves, as SDL (the repository keeps it in schema.graphql)."""
    from schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if as_json:
        print_json({"sdl": sdl})
    else:
        sys.stdout.write(sdl)


documents_cli = typer.Typer(
    help="Trusted GraphQL documents (the only ones answered with TRUSTED_DOCUMENTS_ONLY=true); "
    "without a command, list them.",
    rich_markup_mode=None,
)
cli.add_typer(documents_cli, name="documents")


@documents_cli.callback(invoke_without_command=True)
def documents(context: typer.Context, as_json: JsonFlag = False) -> None:
    """List the registered documents (sha256, operation names, file, when added)."""
    if context.invoked_subcommand is not None:
        return
    from app import render
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
    from app.document_files import read_document_files
    from db.documents import add_document

    found = read_document_files(files)
    with store(quiet=as_json) as engine, engine.begin() as connection:
        added = [(*add_document(connection, d.document, name=d.name, source=d.source), d) for d in found]
    rows = [{"id": f"sha256:{sha256}", "new": new, "name": d.name, "source": d.source} for sha256, new, d in added]
    new_count = sum(new for _sha256, new, _document in added)
    lines = [
        f"{row['id']}  {row['name']}  ({row['source']}{'' if row['new'] else ', already registered'})" for row in rows
    ]
    _say({"documents": rows}, "\n".join([*lines, f"Registered {new_count} new document(s) of {len(rows)}."]), as_json)


@cli.command()
def serve(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1, as_json: JsonFlag = False) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql in a browser, unless GRAPHIQL=false)."""
    _ensure_free(host, port)
    _serve(host, port, as_json=as_json, workers=workers)


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


def _serve(host: str, port: int, *, as_json: bool, loaded: ImportReport | None = None, workers: int = 1) -> None:
    """Migrate, say what is served (and what is not), then run the API until interrupted."""
    import uvicorn

    from app.asgi import create_app
    from app.server import SERVER_OPTIONS
    from app.serving import describe_serving

    settings = read_settings()
    with store(quiet=True) as engine, engine.connect() as connection:  # the start-up lines name the store
        serving = describe_serving(connection, settings, host=host, port=port)
    if as_json:
        print_json(serving.as_json() if loaded is None else {"import": loaded, "serving": serving.as_json()})
    for line in serving.lines():
        err.print(line, highlight=False, markup=False)
    # access_log=False: the app writes its own access log, one JSON line per request (ACCESS_LOG).
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False, **SERVER_OPTIONS)
        return
    from app.workers import metrics_shared_by_workers

    err.print(f"{workers} worker processes, each with its own connections and caches.", highlight=False)
    with metrics_shared_by_workers():  # each worker imports the app factory and runs its own lifespan
        uvicorn.run(
            "app.asgi:create_app_from_environment", factory=True, workers=workers,
            host=host, port=port, log_level="info", access_log=False, **SERVER_OPTIONS,
        )  # fmt: skip


@cli.command()
def quickstart(
    file: Annotated[
        Path | None,
        typer.Argument(exists=True, dir_okay=False, help="Your movies_metadata.csv; omit for a generated sample."),
    ] = None,
    records: Annotated[int, typer.Option(min=1, help="Size of the generated sample.")] = 45_000,
    host: Host = "127.0.0.1",
    port: Port = 8000,
    force: Force = False,
    max_rejected_share: MaxRejectedShare = DEFAULT_MAX_REJECTED_SHARE,
    max_shrink_share: MaxShrinkShare = DEFAULT_MAX_SHRINK_SHARE,
    as_json: JsonFlag = False,
) -> None:
    """Load FILE (or a generated sample) and serve the API: the one command to try the service.

    A generated sample is marked as such in its version, and FILE replaces a live sample
    whatever its size (no shrink check against a sample).
    """
    _ensure_free(host, port)  # before spending time on a load
    limits = CheckLimits(max_rejected_share=max_rejected_share, max_shrink_share=max_shrink_share)
    if file is None and (real := _live_real_file()) is not None:
        if not as_json:  # a sample never replaces a real file: serve what is live
            err.print(f"No file given: serving the live version {real}; give a FILE to load another.")
        _serve(host, port, as_json=as_json)
        return
    if file is None:
        file = _generated_sample(records, quiet=as_json)
        options = ImportOptions(sample=True, force=force, limits=limits)
    else:
        options = ImportOptions(replace_sample=True, force=force, limits=limits)
    with store(quiet=as_json) as engine:
        report = _refusal_named(file, lambda: _run_import(engine, file, options, show_progress=not as_json), as_json)
    if not as_json:
        from app import render

        render.import_report(out, report)
    _serve(host, port, as_json=as_json, loaded=report)


def _live_real_file() -> str | None:
    """The live version, as `N (source)`, when it was loaded from a real file rather than a generated sample."""
    from db import versions
    from importer.options import is_sample

    with store(quiet=True) as engine, engine.connect() as connection:
        live_id = versions.live_version_id(connection)
        live = versions.get_version(connection, live_id) if live_id is not None else None
    if live is None or is_sample(live.source_name):
        return None
    return f"{live.id} ({live.source_name})"


def _generated_sample(records: int, *, quiet: bool) -> Path:
    """quickstart's sample in DATA_DIR, generated once per size."""
    from importer.sample.generate import generate_file

    file = read_settings().data_dir / f"generated-sample-{records}-seed0.csv.gz"
    if not quiet:
        err.print(
            f"[yellow]No file given: loading a GENERATED sample of {records:,} synthetic records (not real data) "
            f"from {file}.[/]",
            highlight=False,
        )
    if not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        generate_file(file, records=records, seed=0)
    return file


def _say(payload: dict[str, Any], text: str, as_json: bool) -> None:
    if as_json:
        print_json(payload)
    else:
        out.print(text)


def print_json(value: object) -> None:
    """Write one JSON document to stdout, untouched by rich."""
    from app.render import to_json

    sys.stdout.write(to_json(value) + "\n")
