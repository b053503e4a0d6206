"""`schema.graphql` at the repository root is the SDL of the served schema, and `movie-stats schema` prints it."""

from __future__ import annotations

import json
from pathlib import Path

from schema import build_schema
from tests.test_cli import cli_output

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schema.graphql"
REGENERATE = "run `movie-stats schema > schema.graphql` and commit the file"


def test_schema_graphql_is_the_served_schema() -> None:
    served = build_schema().as_str() + "\n"
    assert SCHEMA_FILE.read_text(encoding="utf-8") == served, f"schema.graphql differs from the code: {REGENERATE}"


def test_the_schema_command_prints_the_file(tmp_path: Path) -> None:
    printed = cli_output(tmp_path, "schema")
    assert printed.exit_code == 0, printed.stderr
    assert printed.stdout == SCHEMA_FILE.read_text(encoding="utf-8"), REGENERATE
    as_json = cli_output(tmp_path, "schema", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == {"sdl": printed.stdout}
