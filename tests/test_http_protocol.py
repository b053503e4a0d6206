"""HTTP as clients expect it: CORS, gzip with per-encoding ETags, GraphQL's media type, HEAD."""

from __future__ import annotations

import gzip
import uuid

import anyio
import httpx
import pytest

from app.http_protocol import GraphQLMediaType, prefers_graphql_response
from tests.api_support import Api, api_settings, serve

# Over 1 KB of JSON (the release years of the 1990s with their genres), and one well under it.
LARGE = "{ years(from: 1990, to: 1999) { year releases budget revenue genres { genre { name } releases } } }"
SMALL = "{ genre(id: 18) { name } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


class Raw:
    """An answer with the body bytes as they came over the wire (not decompressed)."""

    def __init__(self, response: httpx.Response, content: bytes) -> None:
        self.status_code, self.headers, self.content = response.status_code, response.headers, content


def _raw_get(api: Api, query: str, **headers: str) -> Raw:
    """GET /graphql without decoding the body."""
    request = api.client.build_request("GET", "/graphql", params={"query": query}, headers=headers)
    response = api.client.send(request, stream=True)
    try:
        return Raw(response, b"".join(response.iter_raw()))
    finally:
        response.close()


def _unique(query: str) -> str:
    """The same query under a fresh alias, so no earlier request cached it (raw or normalized)."""
    return query.replace("{ ", f"{{ fresh{uuid.uuid4().hex}: ", 1)


def test_cors_preflight_is_answered(api: Api) -> None:
    response = api.client.options(
        "/graphql",
        headers={
            "origin": "https://app.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET, POST, HEAD"
    assert response.headers["access-control-allow-headers"] == "content-type"
    assert response.headers["access-control-max-age"] == "86400"


def test_cors_answers_name_any_origin_and_expose_the_etag(api: Api) -> None:
    response = api.client.get("/graphql", params={"query": SMALL}, headers={"origin": "https://app.example"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-expose-headers"] == (
        "ETag, X-Cache, Dataset-Version, Content-Location, Content-Disposition, X-Request-Id"
    )


def test_cors_origins_setting_limits_the_origins(loaded_url: str) -> None:
    settings = api_settings(loaded_url, cors_origins="https://one.example, https://two.example")
    preflight = {"access-control-request-method": "GET"}
    with serve(settings) as api:
        allowed = api.client.options("/graphql", headers={"origin": "https://two.example", **preflight})
        refused = api.client.options("/graphql", headers={"origin": "https://evil.example", **preflight})
        simple = api.client.get("/graphql", params={"query": SMALL}, headers={"origin": "https://one.example"})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == "https://two.example"
    assert refused.status_code == 400 and refused.text == "Disallowed CORS origin"
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == "https://one.example"
    assert "Origin" in simple.headers["vary"]


def test_large_answers_are_gzipped_with_their_own_etag(api: Api) -> None:
    query = _unique(LARGE)
    plain = _raw_get(api, query, **{"accept-encoding": "identity"})
    zipped = _raw_get(api, query, **{"accept-encoding": "gzip, deflate"})
    assert zipped.headers["x-cache"] == "hit"  # answered by app.fast_path: compression wraps it too
    assert "content-encoding" not in plain.headers and len(plain.content) > 1024
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert int(zipped.headers["content-length"]) == len(zipped.content) < len(plain.content) / 3
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert zipped.headers["vary"] == "Accept, Accept-Encoding, Origin"
    assert (
        zipped.headers["cache-control"]
        == plain.headers["cache-control"]
        == "public, max-age=60, stale-while-revalidate=60"
    )


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [("gzip;q=0", False), ("gzip; q=0.0, identity", False), ("gzip;q=0.5", True), ("br, gzip", True)],
)
def test_gzip_with_a_weight_of_0_is_refused(api: Api, accept_encoding: str, gzipped: bool) -> None:
    response = _raw_get(api, _unique(LARGE), **{"accept-encoding": accept_encoding})
    assert response.status_code == 200
    assert (response.headers.get("content-encoding") == "gzip") is gzipped


def test_first_answer_of_a_query_is_gzipped_too(api: Api) -> None:
    zipped = _raw_get(api, _unique(LARGE), **{"accept-encoding": "gzip"})
    assert zipped.headers["x-cache"] == "miss" and zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"].endswith('-gzip"')


def test_small_answers_are_not_compressed(api: Api) -> None:
    response = _raw_get(api, SMALL, **{"accept-encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert response.content == b'{"data":{"genre":{"name":"Drama"}}}'
    assert not response.headers["etag"].endswith('-gzip"')


def test_if_none_match_with_the_gzip_etag_gives_304(api: Api) -> None:
    query = _unique(LARGE)
    zipped = _raw_get(api, query, **{"accept-encoding": "gzip"})
    etag = zipped.headers["etag"]
    again = _raw_get(api, query, **{"accept-encoding": "gzip", "if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["vary"] == "Accept, Accept-Encoding, Origin"
    plain_tag = etag.removesuffix('-gzip"') + '"'
    identity = _raw_get(api, query, **{"accept-encoding": "identity", "if-none-match": plain_tag})
    assert identity.status_code == 304 and identity.headers["etag"] == plain_tag
    stale = _raw_get(api, query, **{"accept-encoding": "gzip", "if-none-match": '"other-gzip"'})
    assert stale.status_code == 200 and stale.headers["etag"] == etag


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, application/json", "application/json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
    ],
)
def test_graphql_response_media_type_when_the_client_asks(api: Api, accept: str, content_type: str) -> None:
    for _ in range(2):  # a miss, then a hit answered by app.fast_path
        response = api.client.get("/graphql", params={"query": SMALL}, headers={"accept": accept})
        assert response.status_code == 200 and response.headers["content-type"] == content_type
        assert response.headers["vary"] == "Accept, Origin"
    posted = api.client.post("/graphql", json={"query": SMALL}, headers={"accept": accept})
    assert posted.headers["content-type"] == content_type


def test_graphql_response_media_type_on_errors(api: Api) -> None:
    response = api.client.get("/graphql", params={"query": "{ nope }"}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400 and response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_graphql_media_type_joins_the_vary_an_answer_already_has() -> None:
    """Vary stays one header: Accept joins what the app below already varies on, in order."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    def varied(request: object) -> Response:
        return Response(b"{}", media_type="application/json", headers={"vary": "Origin"})

    inner = Starlette(routes=[Route("/graphql", varied), Route("/other", varied)])

    async def ask() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=GraphQLMediaType(inner, path="/graphql"))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            headers = {"accept": GRAPHQL_RESPONSE}
            return await client.get("/graphql", headers=headers), await client.get("/other", headers=headers)

    answer, other = anyio.run(ask)
    assert answer.headers.get_list("vary") == ["Origin, Accept"] and answer.headers["content-type"] == GRAPHQL_RESPONSE
    assert other.headers.get_list("vary") == ["Origin"] and other.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("", False), (f"{GRAPHQL_RESPONSE};q=0", False), (f"{GRAPHQL_RESPONSE};q=x", False), ("text/html", False)],
)
def test_prefers_graphql_response_edge_cases(accept: str, expected: bool) -> None:
    assert prefers_graphql_response(accept) is expected


@pytest.mark.parametrize(
    ("path", "params"),
    [("/graphql", {"query": LARGE}), ("/graphql", {"query": SMALL}), ("/", {}), ("/healthz", {})],
)
def test_head_is_answered_like_get_without_a_body(api: Api, path: str, params: dict[str, str]) -> None:
    headers = {"accept-encoding": "gzip", "accept": "application/json"}
    get = api.client.get(path, params=params, headers=headers)
    head = api.client.head(path, params=params, headers=headers)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    skip = {"date", "x-cache", "x-request-id"}  # the GET filled the cache: the HEAD is a hit; ids are per request
    assert {k: v for k, v in head.headers.items() if k not in skip} == {
        k: v for k, v in get.headers.items() if k not in skip
    }
