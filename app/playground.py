"""GraphiQL at /graphql: its page, and its assets served by this service or, failing that, a CDN.

The assets are npm packages pinned in app/graphiql/package-lock.json and installed by
`npm ci --prefix app/graphiql`. Their URLs name package and version the way the CDN does
(`graphiql@3.8.3/graphiql.min.js`), so one path serves both, and the page's `integrity`
hashes make the browser refuse any other bytes from either.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

logger = logging.getLogger("movie_stats.graphiql")

ASSETS_ROUTE = "/graphiql/assets"
CDN = "https://unpkg.com"
INSTALL_COMMAND = "npm ci --prefix app/graphiql"
NODE_MODULES = Path(__file__).parent / "graphiql" / "node_modules"
PAGE_TEMPLATE = Path(__file__).parent / "graphiql" / "index.html"
IMMUTABLE = "public, max-age=31536000, immutable"  # a URL names its version: its bytes never change


@dataclass(frozen=True, slots=True)
class Asset:
    """One file of an npm package the page loads, with its Subresource Integrity hash."""

    package: str
    version: str
    file: str
    integrity: str

    @property
    def path(self) -> str:
        """Its path under the assets route, and on the CDN."""
        return f"{self.package}@{self.version}/{self.file}"


# The versions are package.json's; a test checks that the installed files match these hashes.
STYLESHEETS = (
    Asset(
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
)
SCRIPTS = (  # in load order: GraphiQL's standalone build expects React and ReactDOM as globals
    Asset(
        "react",
        "18.2.0",
        "umd/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    ),
    Asset(
        "react-dom",
        "18.2.0",
        "umd/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    Asset(
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
)
ASSETS = STYLESHEETS + SCRIPTS

# The tabs the page opens with (GraphiQL titles each by its operation name).
EXAMPLE_TABS = (
    {
        "query": """# Production Company Details: Warner Bros. (company 6194), year by year.
query ProductionCompanyDetails($id: Int! = 6194, $from: Int = 1995, $to: Int = 1995) {
  company(id: $id) {
    name
    years(from: $from, to: $to) {
      year releases budget revenue profit averagePopularity
      coverage { withBudget withRevenue withBoth }
      releasesByGenre { genre { name } releases }
    }
  }
}
""",
    },
    {
        "query": """# Movie Genre Details: a year's most popular genre, and a genre's years.
query MovieGenreDetails($year: Int! = 1995, $genre: Int! = 18) {
  year(year: $year) {
    releases
    mostPopularGenre { genre { name } averagePopularity }
  }
  genre(id: $genre) {
    name
    years(from: 1990, to: 1999) { year releases budget revenue profit averagePopularity }
  }
}
""",
    },
    {
        "query": """# Paging: companies whose name contains `search`, a page at a time.
# Run it, then set "after" to the answer's pageInfo.endCursor for the next page.
query PagingThroughCompanies($search: String = "pictures", $after: String) {
  companies(search: $search, first: 10, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id name }
  }
}
""",
    },
)


class AssetFiles(StaticFiles):
    """The pinned GraphiQL files from node_modules, and nothing else there, cached for a year."""

    def __init__(self, directory: Path = NODE_MODULES) -> None:
        super().__init__(directory=directory, check_dir=False)
        self.node_modules = directory
        self.files = {asset.path: f"{asset.package}/{asset.file}" for asset in ASSETS}

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file an asset path names, or 404 for any other path."""
        if path not in self.files or not assets_installed(self.node_modules):
            raise HTTPException(status_code=404)
        response = await super().get_response(self.files[path], scope)
        if response.status_code in (200, 304):
            response.headers["cache-control"] = IMMUTABLE
        return response


@cache
def assets_installed(node_modules: Path = NODE_MODULES) -> bool:
    """Whether node_modules holds the pinned versions; says so in the log (once) when not."""
    for asset in ASSETS:
        manifest = node_modules / asset.package / "package.json"
        try:
            installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError):
            installed = None
        if installed != asset.version or not (node_modules / asset.package / asset.file).is_file():
            logger.warning(
                "GraphiQL's assets are not installed (%s@%s missing from %s): /graphql loads them from %s. "
                "Run `%s` to serve them from this service.",
                asset.package,
                asset.version,
                node_modules,
                CDN,
                INSTALL_COMMAND,
            )
            return False
    return True


@cache
def graphiql_page(node_modules: Path = NODE_MODULES) -> str:
    """The GraphiQL page: assets from this service when installed, else from the CDN."""
    base = ASSETS_ROUTE if assets_installed(node_modules) else CDN
    stylesheets = "\n    ".join(
        f'<link rel="stylesheet" href="{base}/{a.path}" integrity="{a.integrity}" crossorigin />' for a in STYLESHEETS
    )
    scripts = "\n    ".join(
        f'<script src="{base}/{a.path}" integrity="{a.integrity}" crossorigin></script>' for a in SCRIPTS
    )
    tabs = json.dumps(EXAMPLE_TABS).replace("</", "<\\/")  # never closes the <script> it sits in
    return Template(PAGE_TEMPLATE.read_text(encoding="utf-8")).substitute(
        stylesheets=stylesheets, scripts=scripts, tabs=tabs
    )
