"""The layer contracts of pyproject.toml ([tool.importlinter]) hold: layers only look down, no circles."""

from __future__ import annotations

import os
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
