"""GraphiQL's page and its assets: served by this service once installed, else from the CDN."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from pathlib import Path

import pytest

from app.playground import ASSETS, CDN, INSTALL_COMMAND, NODE_MODULES, assets_installed, graphiql_page
from tests.api_support import Api
from tests.conftest import unavailable

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _installed() -> None:
    if not assets_installed():
        unavailable("GraphiQL's assets", FileNotFoundError(f"{NODE_MODULES}: run `{INSTALL_COMMAND}`"))


@pytest.mark.parametrize("asset", ASSETS, ids=lambda asset: asset.path)
def test_installed_assets_match_their_pinned_integrity(asset) -> None:
    _installed()
    digest = hashlib.sha384((NODE_MODULES / asset.package / asset.file).read_bytes()).digest()
    assert asset.integrity == "sha384-" + base64.b64encode(digest).decode()


def test_graphiql_page_loads_every_asset_from_this_service(api: Api) -> None:
    _installed()
    page = api.client.get("/graphql", headers=BROWSER).text
    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert urls == [f"/graphiql/assets/{asset.path}" for asset in ASSETS]
    for asset in ASSETS:
        assert f'integrity="{asset.integrity}"' in page
        served = api.client.get(f"/graphiql/assets/{asset.path}", headers={"accept-encoding": "identity"})
        assert served.status_code == 200
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert served.content == (NODE_MODULES / asset.package / asset.file).read_bytes()
    for tab in ("ProductionCompanyDetails", "MovieGenreDetails", "PagingThroughCompanies"):
        assert f"query {tab}(" in page


@pytest.mark.parametrize("path", ["graphiql@3.8.3/package.json", "graphiql@3.8.2/graphiql.min.js", "../pyproject.toml"])
def test_only_the_pinned_asset_files_are_served(api: Api, path: str) -> None:
    assert api.client.get(f"/graphiql/assets/{path}").status_code == 404


def test_graphiql_falls_back_to_the_cdn_and_says_so_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="movie_stats.graphiql"):
        page = graphiql_page(tmp_path)
        assert graphiql_page(tmp_path) == page and not assets_installed(tmp_path)
    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert urls == [f"{CDN}/{asset.path}" for asset in ASSETS]
    assert [record.getMessage() for record in caplog.records] == [
        f"GraphiQL's assets are not installed (graphiql@3.8.3 missing from {tmp_path}): /graphql loads them "
        f"from {CDN}. Run `{INSTALL_COMMAND}` to serve them from this service."
    ]
