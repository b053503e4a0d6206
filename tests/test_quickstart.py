"""`movie-stats quickstart`: the README's first command, then the same command with a real file,
serves the real file; a generated sample says what it is, and a load left staged says so."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.api_support import free_port, write_subset
from tests.test_cli import MOVIE_STATS, cli_environment

pytestmark = pytest.mark.slow
WARNER_1995 = "{ company(id: 6194) { name years(from: 1995, to: 1995) { year releases } } }"
LIVE = "{ dataset { version movies } }"
SOURCE = "{ dataset { version status source } }"
SAMPLE = "generated-sample-45000-seed0.csv.gz (generated sample)"


@dataclass
class Quickstart:
    """A running `movie-stats quickstart`: ask it queries; its output once it stopped."""

    url: str
    stdout: str = ""
    stderr: str = ""

    def data(self, query: str) -> dict:
        body = httpx.get(self.url, params={"query": query}, timeout=30).json()
        assert "errors" not in body, body
        return body["data"]


@contextmanager
def quickstart(data_dir: Path, *args: str) -> Iterator[Quickstart]:
    """Run `movie-stats quickstart ARGS` on a free port until it answers; stop it with Ctrl-C at the end."""
    port = free_port()
    running = Quickstart(f"http://127.0.0.1:{port}/graphql")
    out, err = data_dir / "quickstart.out", data_dir / "quickstart.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [MOVIE_STATS, "quickstart", *args, "--port", str(port)],
            env=cli_environment(None, DATA_DIR=str(data_dir)),
            cwd=data_dir,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            _wait_until_it_answers(running.url, process, err)
            yield running
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
    running.stdout, running.stderr = out.read_text(), err.read_text()


def _wait_until_it_answers(url: str, process: subprocess.Popen, err: Path) -> None:
    deadline = time.monotonic() + 300  # generating and loading 45,000 records on a busy machine
    while time.monotonic() < deadline:
        assert process.poll() is None, err.read_text()
        try:
            httpx.get(url, params={"query": "{ __typename }"}, timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"quickstart never answered: {err.read_text()}")


def test_quickstart_then_quickstart_file_serves_the_file(tmp_path: Path, head5000_path: Path) -> None:
    with quickstart(tmp_path) as sample:
        assert sample.data(SOURCE)["dataset"] == {"version": "1", "status": "live", "source": SAMPLE}
    assert "Serving version 1, a GENERATED sample of synthetic records, not real data." in sample.stderr
    assert sample.stdout.splitlines()[-1] == "Version 1 is live."

    with quickstart(tmp_path, str(head5000_path)) as real:
        assert real.data(LIVE)["dataset"] == {"version": "2", "movies": 4999}
        warner = real.data(WARNER_1995)["company"]
        assert warner == {"name": "Warner Bros.", "years": [{"year": 1995, "releases": 19}]}
    assert (
        "check       pass shrink: not applied: the live version 1 is a generated sample, "
        "which a real file replaces whatever its size"
    ) in real.stdout
    assert real.stdout.splitlines()[-1] == "Version 2 is live."
    assert "Serving version 2 (movies_metadata_head5000.csv.gz, 4,999 movies)." in real.stderr

    with quickstart(tmp_path) as again:  # the README's first command once more: the real file stays
        assert again.data(LIVE)["dataset"] == {"version": "2", "movies": 4999}
    assert again.stdout == ""  # nothing loaded
    assert again.stderr.startswith(
        "No file given: serving the live version 2 (movies_metadata_head5000.csv.gz); give a FILE to load another.\n"
    )


def test_a_quickstart_left_staged_says_so_and_names_the_command(tmp_path: Path, head5000_path: Path) -> None:
    smaller = tmp_path / "first-1000.csv.gz"
    write_subset(head5000_path, smaller, keep=1000)
    with quickstart(tmp_path, str(head5000_path)):
        pass
    with quickstart(tmp_path, str(smaller)) as staged:
        assert staged.data(LIVE)["dataset"] == {"version": "1", "movies": 4999}  # the real file, still
    dropped = "shrink: 3999 of the 4999 live movies are missing (80.00%; limit 10.00%); 1000 movies in all"
    assert staged.stdout.splitlines()[-1] == (
        f"Version 2 failed its checks and stays staged: {dropped} (override with --max-shrink-share). "
        "Run `movie-stats promote 2 --force` to take it live anyway."
    )
    assert (
        "Version 2 (first-1000.csv.gz) is STAGED, not served: it failed its checks (shrink). "
        "Take it live with `movie-stats promote 2 --force`."
    ) in staged.stderr.splitlines()
    with quickstart(tmp_path, str(smaller), "--max-shrink-share", "0.9") as loosened:
        assert loosened.data(LIVE)["dataset"] == {"version": "3", "movies": 1000}
