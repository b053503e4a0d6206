"""examples/gql_client.py, the `gql` client over POST and GET, run against a real server on real data."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api_support import free_port
from tests.test_cli import MOVIE_STATS, cli_environment

pytestmark = pytest.mark.slow
# The head-5000 file's companies named like "warner", by name, read two a page.
EXPECTED_WARNER_PAGES = {
    "search": "warner",
    "totalCount": 7,
    "pages": 4,
    "names": [
        "Warner Bro. Japan", "Warner Bros.", "Warner Bros. Animation", "Warner Bros. Family Entertainment",
        "Warner Bros. Pictures", "Warner Brothers/Seven Arts", "Warner Home Video",
    ],
}  # fmt: skip
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gql_client.py"


@contextmanager
def served(database_url: str, log: Path) -> Iterator[str]:
    """`movie-stats serve` (uvicorn) in a subprocess on a free port; its /graphql URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [MOVIE_STATS, "serve", "--port", str(port)], env=cli_environment(database_url), stderr=stderr
        )
        try:
            for _ in range(600):
                assert server.poll() is None, log.read_text()
                try:
                    httpx.get(url, params={"query": "{ __typename }"}, timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_the_gql_example_reads_both_projections_and_pages_through_companies(loaded_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with served(loaded_url, log) as url:
        done = subprocess.run(
            [sys.executable, str(EXAMPLE), "--url", url], capture_output=True, text=True, timeout=120, check=False
        )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout)
    warner = answers["company"]
    assert warner["name"] == "Warner Bros."
    [year] = warner["years"]
    assert (year["year"], year["releases"], year["budget"], year["revenue"], year["profit"]) == (
        1995, 19, 443_500_000, 1_328_198_811, 833_424_709,
    )  # fmt: skip
    assert year["coverage"] == {"withBudget": 10, "withRevenue": 11, "withBoth": 9}
    genres = answers["genres"]
    assert genres["year"]["releases"] == 331
    assert genres["year"]["mostPopularGenre"]["genre"] == {"name": "Animation"}
    assert genres["genre"]["name"] == "Drama" and genres["genre"]["years"][0]["releases"] == 186
    companies = answers["companies"]
    assert companies == EXPECTED_WARNER_PAGES
    # The first query went by POST, every other one by GET with the query in the URL.
    requests = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    sent = [(r["method"], r["status"]) for r in requests if r["path"] == "/graphql"]
    assert sent[-(2 + companies["pages"]) :] == [("POST", 200)] + [("GET", 200)] * (1 + companies["pages"])
