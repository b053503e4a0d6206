"""The layer contracts of pyproject.toml ([tool.importlinter]) hold: layers only look down, no circles.

And which database the code runs on is asked only where the store is opened, inside the
modules of one store, and in migrations (db.load is the seam the rest goes through).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "db", "importer", "resolvers", "schema")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")  # installed with the test extra


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` run on the packages under `root`, against its pyproject.toml."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_layers_only_look_down_and_the_modules_form_no_circle() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 5 kept, 0 broken." in result.stdout


def test_a_resolver_importing_the_app_breaks_the_contract(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "node_modules")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / "resolvers" / "years.py").open("a") as years:
        years.write("from app.settings import Settings  # noqa: F401\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "resolvers is not allowed to import app" in result.stdout
    assert "resolvers.years -> app.settings" in result.stdout


# Asking which database this is: by the dialect, the URL, or the encoder a store picked.
BACKEND_CHECK = re.compile(
    r"\bis_sqlite\(|\.dialect\.name\b|\bdialect\s*[!=]=|get_backend_name\(\)"
    r"|\.startswith\(\s*[\"'](sqlite|postgres)|\bis\s+encode_for_copy\b|\bpartitions\.in_use\("
)
STORE_MODULE = re.compile(r"sqlite|postgres|script")  # a module named for one store (or the script)
# Where the store is opened or named: (module, function), "*" for every function of the module.
STORE_OPENERS = {
    ("db/engine.py", "*"),  # engines, and the store's load (open_load)
    ("db/api_database.py", "open_database"),  # the API's handle on the store
    ("db/live_version.py", "watch_live_version"),  # the watcher of the store's live version
    ("app/settings.py", "*"),  # the settings that name the store, checked before anything connects
    ("app/serving.py", "describe_store"),  # the store in words, at start
}


def backend_checks(root: Path) -> list[str]:
    """Each place under `root`'s packages that asks which database it runs on, outside the allowed ones."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = path.relative_to(root).as_posix()
            if "/migrations/" in module or STORE_MODULE.search(path.name) or (module, "*") in STORE_OPENERS:
                continue
            source = path.read_text()
            functions = [
                n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
            for number, line in enumerate(source.splitlines(), start=1):
                if not BACKEND_CHECK.search(line):
                    continue
                enclosing = [f for f in functions if f.lineno <= number <= (f.end_lineno or f.lineno)]
                function = max(enclosing, key=lambda f: f.lineno).name if enclosing else ""
                if (module, function) not in STORE_OPENERS:
                    found.append(f"{module}:{number}: {line.strip()}")
    return found


def test_which_database_is_asked_only_where_the_store_is_opened_and_in_its_own_modules() -> None:
    assert backend_checks(ROOT) == []


def test_a_backend_check_in_the_pipeline_is_found(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    shutil.copy(ROOT / "importer" / "pipeline.py", tmp_path / "importer")
    shutil.copy(ROOT / "db" / "api_database.py", tmp_path / "db")
    with (tmp_path / "importer" / "pipeline.py").open("a") as pipeline:
        pipeline.write("\n\ndef _on_sqlite(engine):\n    return engine.dialect.name == 'sqlite'\n")
    with (tmp_path / "db" / "api_database.py").open("a") as database:  # allowed in open_database only
        database.write("\n\ndef _tune(engine):\n    return is_sqlite(engine)\n")
    pipeline_lines = len((tmp_path / "importer" / "pipeline.py").read_text().splitlines())
    database_lines = len((tmp_path / "db" / "api_database.py").read_text().splitlines())
    assert backend_checks(tmp_path) == [
        f"db/api_database.py:{database_lines}: return is_sqlite(engine)",
        f"importer/pipeline.py:{pipeline_lines}: return engine.dialect.name == 'sqlite'",
    ]
