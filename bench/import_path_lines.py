"""Lines of the import path (read, clean, stage, build, precompute), per file and in total.

    python -m bench.import_path_lines                  # this checkout
    python -m bench.import_path_lines --against c6195ae  # and an older commit, side by side

The import path is every `.py` file under importer/ and db/ except the sample generator
(importer/sample/, once importer/generate*.py), the migrations and the modules that serve the
API. Raw lines are the file's lines; code lines leave out blank lines, comments and docstrings.
"""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_MODULES = frozenset(
    f"db/{name}.py"
    for name in (
        "api_database", "live_version", "faults", "diff", "documents", "text_match", "replication",
        "json_plan", "postgres_json", "postgres_loop",
    )
)  # fmt: skip
EXCLUDED_PREFIXES = ("importer/sample/", "importer/generate", "db/migrations/")
NOT_CODE = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    | {tokenize.ENCODING, tokenize.ENDMARKER}
)


def on_import_path(path: str) -> bool:
    """Whether a repository path is one of the import path's modules."""
    return (
        path.endswith(".py")
        and path.startswith(("importer/", "db/"))
        and not path.startswith(EXCLUDED_PREFIXES)
        and path not in API_MODULES
    )


def _docstring_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def count_lines(source: str) -> tuple[int, int]:
    """Raw lines and code lines (not blank, not only a comment, not part of a docstring)."""
    docstrings = _docstring_lines(ast.parse(source))
    code: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in NOT_CODE:
            code.update(line for line in range(token.start[0], token.end[0] + 1) if line not in docstrings)
    return len(source.splitlines()), len(code)


def count_tree(revision: str | None) -> dict[str, tuple[int, int]]:
    """Raw and code lines of each import-path file, in the checkout or at a git revision."""
    if revision is None:
        paths = [path.relative_to(ROOT).as_posix() for path in ROOT.glob("*/**/*.py")]
        sources = {path: (ROOT / path).read_text(encoding="utf-8") for path in paths if on_import_path(path)}
    else:
        listing = subprocess.run(
            ["git", "ls-tree", "-r", "--name-only", revision, "--", "importer", "db"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        sources = {
            path: subprocess.run(
                ["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout
            for path in listing
            if on_import_path(path)
        }
    return {path: count_lines(source) for path, source in sorted(sources.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="REV", help="also count the import path at this git revision")
    args = parser.parse_args()
    columns = {"now": count_tree(None)}
    if args.against:
        columns[args.against] = count_tree(args.against)
    names = list(columns)
    print(f"{'file':32}" + "".join(f"{name + ' raw':>14}{name + ' code':>14}" for name in names))
    for path in sorted(set().union(*columns.values())):
        cells = [columns[name].get(path) for name in names]
        print(f"{path:32}" + "".join(f"{c[0]:>14}{c[1]:>14}" if c else f"{'-':>14}{'-':>14}" for c in cells))
    totals = {
        name: (sum(r for r, _ in files.values()), sum(c for _, c in files.values())) for name, files in columns.items()
    }
    print(f"{'total':32}" + "".join(f"{raw:>14}{code:>14}" for raw, code in totals.values()))
    if args.against:
        (raw, code), (old_raw, old_code) = totals["now"], totals[args.against]
        print(
            f"change: raw {raw - old_raw:+} ({(raw - old_raw) / old_raw:+.1%}), code {code - old_code:+} ({(code - old_code) / old_code:+.1%})"
        )


if __name__ == "__main__":
    main()
