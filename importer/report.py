"""What an import did, counted as it goes by the batches and the pipeline; `--json` prints it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ImportReport:
    """What an import did; `--json` prints it as is."""

    source: str
    sha256: str
    mode: str
    status: str = "unchanged"  # live | staged | unchanged
    version: int | None = None
    records: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    movies: int = 0
    rejections: list[dict[str, object]] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    checks: list[dict[str, object]] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase, in order

    @property
    def failed_checks(self) -> list[dict[str, object]]:
        """The checks that kept this version from going live."""
        return [check for check in self.checks if not check["passed"]]
