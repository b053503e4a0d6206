"""bench/import_path_lines.py counts raw and code lines of a known file, and picks the import path's files."""

from __future__ import annotations

from bench.import_path_lines import count_lines, on_import_path

TINY = '''"""A module docstring
over two lines."""

# a comment
import os  # a trailing comment


def f() -> str:
    """One line."""
    return """not a docstring
but a string"""
'''


def test_counts_raw_lines_and_code_lines_of_a_tiny_file() -> None:
    # code: import os, def f, return + its string's second line = 4 of 11 lines
    assert count_lines(TINY) == (11, 4)


def test_the_import_path_leaves_out_the_generator_migrations_and_api_modules() -> None:
    assert on_import_path("importer/read.py") and on_import_path("db/tables.py")
    assert not on_import_path("importer/sample/generate.py") and not on_import_path("importer/generate_profile.py")
    assert not on_import_path("db/migrations/env.py") and not on_import_path("db/live_version.py")
    assert not on_import_path("db/postgres_json.py")
    assert not on_import_path("db/postgres_loop.py")
    assert not on_import_path("schema/query.py") and not on_import_path("db/README.md")
