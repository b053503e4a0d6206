"""The package type-checks under `mypy --strict` (configured in pyproject.toml), as CI runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_passes_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_type_ignore_says_why() -> None:
    """No `# type: ignore` without its error code and a reason after it on the same line."""
    unexplained = []
    for folder in ("app", "db", "importer", "resolvers", "schema"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "# type: ignore" not in line:
                    continue
                after = line.split("# type: ignore", 1)[1]
                if not after.startswith("[") or "#" not in after.split("]", 1)[1]:
                    unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert unexplained == []
