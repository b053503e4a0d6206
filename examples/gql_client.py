"""Query movie-stats with the `gql` Python client: POST, GET (the query in the URL), and paging.

    pip install -e '.[examples]'
    movie-stats quickstart movies_metadata.csv          # in another terminal
    python examples/gql_client.py --url http://127.0.0.1:8000/graphql

Prints one JSON object: Warner Bros.' figures of a year (POST), the most popular genre of that
year and Drama's figures (GET, which HTTP caches and ETags serve), and every company whose name
matches a search, read page by page with the connection's cursor.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportClosed
from gql.transport.httpx import HTTPXTransport
from graphql import ExecutionResult

COMPANY_DETAILS = gql("""
    query CompanyDetails($id: Int!, $year: Int!) {
      company(id: $id) {
        name
        years(from: $year, to: $year) {
          year releases budget revenue profit averagePopularity
          coverage { withBudget withRevenue withBoth }
          releasesByGenre { genre { name } releases }
        }
      }
    }
""")

GENRE_DETAILS = gql("""
    query GenreDetails($year: Int!, $genre: Int!) {
      year(year: $year) { releases mostPopularGenre { genre { name } averagePopularity } }
      genre(id: $genre) { name years(from: $year, to: $year) { year releases averagePopularity } }
    }
""")

COMPANIES_PAGE = gql("""
    query CompaniesPage($search: String, $first: Int!, $after: String) {
      companies(search: $search, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id name }
      }
    }
""")


class HTTPXGetTransport(HTTPXTransport):
    """gql's HTTPX transport, sending each query in the URL with GET, as GraphQL over HTTP allows for queries."""

    def execute(
        self, request: GraphQLRequest, *, extra_args: dict[str, Any] | None = None, **_: Any
    ) -> ExecutionResult:
        """Send `request` as GET /graphql?query=…&variables=…&operationName=…."""
        if not self.client:
            raise TransportClosed("Transport is not connected")
        payload = request.payload
        params = {"query": payload["query"]}
        if payload.get("variables"):
            params["variables"] = self.json_serialize(payload["variables"])
        if payload.get("operationName"):
            params["operationName"] = payload["operationName"]
        response = self.client.get(self.url, params=params, **(extra_args or {}))
        return self._prepare_result(response)


def company_details(url: str, company_id: int, year: int) -> dict[str, Any]:
    """Production Company Details of one year, over POST."""
    with Client(transport=HTTPXTransport(url=url, timeout=30)) as session:
        return session.execute(COMPANY_DETAILS, variable_values={"id": company_id, "year": year})


def genre_details(url: str, year: int, genre_id: int) -> dict[str, Any]:
    """Movie Genre Details: the year's most popular genre, and one genre's figures, over GET."""
    with Client(transport=HTTPXGetTransport(url=url, timeout=30)) as session:
        return session.execute(GENRE_DETAILS, variable_values={"year": year, "genre": genre_id})


def all_companies(url: str, search: str, page_size: int) -> dict[str, Any]:
    """Every company matching `search`, read page by page (GET) until the last page."""
    names: list[str] = []
    pages, after, total = 0, None, 0
    with Client(transport=HTTPXGetTransport(url=url, timeout=30)) as session:
        while True:
            variables = {"search": search, "first": page_size, "after": after}
            page = session.execute(COMPANIES_PAGE, variable_values=variables)["companies"]
            pages += 1
            total = page["totalCount"]
            names += [node["name"] for node in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    return {"search": search, "totalCount": total, "pages": pages, "names": names}


def main() -> None:
    """Run the three examples and print their answers as one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql", help="the API's /graphql URL")
    parser.add_argument("--company", type=int, default=6194, help="company id (6194: Warner Bros.)")
    parser.add_argument("--genre", type=int, default=18, help="genre id (18: Drama)")
    parser.add_argument("--year", type=int, default=1995)
    parser.add_argument("--search", default="warner", help="company names to page through")
    parser.add_argument("--page-size", type=int, default=2)
    args = parser.parse_args()
    answers = {
        "company": company_details(args.url, args.company, args.year)["company"],
        "genres": genre_details(args.url, args.year, args.genre),
        "companies": all_companies(args.url, args.search, args.page_size),
    }
    sys.stdout.write(json.dumps(answers, indent=2) + "\n")


if __name__ == "__main__":
    main()
