"""Every error the API answers with, and the ONE place where each gets its `extensions.code`.

Named exceptions carry their code. GraphQL's own errors (syntax, validation, the query
limits) are recognised here, and anything unexpected is masked as INTERNAL_ERROR so no
internal detail (SQL, paths) reaches a client, while the original is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError, GraphQLSyntaxError
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import SchemaExtension

from resolvers.paging import InvalidCursor

logger = logging.getLogger("movie_stats.errors")

INTERNAL_ERROR = "INTERNAL_ERROR"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_SELECTIONS = "TOO_MANY_SELECTIONS"
INVALID_CURSOR = "INVALID_CURSOR"
INVALID_VARIABLES = "INVALID_VARIABLES"
STATEMENT_TIMEOUT = "STATEMENT_TIMEOUT"
MASKED_MESSAGE = "Unexpected error. It has been logged; please try again later."


class ApiError(Exception):
    """An error the client can act on; subclasses name its code."""

    code = "BAD_REQUEST"
    http_status = 400


class BadRequest(ApiError):
    """The HTTP request is not a GraphQL request (no query, unreadable JSON or variables)."""


class UnsupportedMediaType(ApiError):
    """A POST body that is not plain JSON (another media type, or compressed)."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


class PageSizeExceeded(ApiError):
    """`first` is above the largest page size allowed."""

    code = "PAGE_SIZE_EXCEEDED"


class InvalidPageSize(ApiError):
    """`first` is negative."""

    code = "INVALID_PAGE_SIZE"


class OperationNotAllowed(ApiError):
    """The operation type cannot be run over this HTTP method (a mutation over GET)."""

    code = "OPERATION_NOT_ALLOWED"
    http_status = 405


class DatasetNotFound(ApiError):
    """`?dataset=` names a version that does not exist."""

    code = "DATASET_NOT_FOUND"
    http_status = 404


class PersistedQueryNotFound(ApiError):
    """A persisted query's hash that no process knows: the client sends the query with it (Apollo's APQ)."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    http_status = 404  # a 4xx that Apollo's clients retry with the full query (400 would turn APQ off)


class PersistedQueryHashMismatch(ApiError):
    """The sha256 sent with a query is not the hash of that query."""

    code = "PERSISTED_QUERY_HASH_MISMATCH"


class TrustedDocumentRequired(ApiError):
    """TRUSTED_DOCUMENTS_ONLY is on and the request is not a registered document."""

    code = "TRUSTED_DOCUMENT_REQUIRED"
    http_status = 403


class NotFound(ApiError):
    """No endpoint at this path."""

    code = "NOT_FOUND"
    http_status = 404


class MethodNotAllowed(ApiError):
    """The endpoint exists but takes other methods."""

    code = "METHOD_NOT_ALLOWED"
    http_status = 405


class ExportNotFound(ApiError):
    """/export/NAME.csv names no download."""

    code = "EXPORT_NOT_FOUND"
    http_status = 404


class NoLiveDataset(ApiError):
    """Nothing has been loaded yet, so there is no live dataset to answer from."""

    code = "NO_LIVE_DATASET"
    http_status = 503


class QueryTooCostly(ApiError):
    """The answer could hold more fields than MAX_QUERY_COST allows (schema.cost)."""

    code = "QUERY_TOO_COSTLY"


class QueryTooLarge(ApiError):
    """The query text or the request body is longer than the server reads."""

    code = "QUERY_TOO_LARGE"
    http_status = 413


class InvalidArgument(ApiError):
    """A string argument holds what no store can take (NUL, a lone surrogate) or is too long."""

    code = "INVALID_ARGUMENT"


class ResponseTooLarge(ApiError):
    """The answer is larger than MAX_RESPONSE_BYTES."""

    code = "RESPONSE_TOO_LARGE"


class RequestTimedOut(ApiError):
    """The request ran past REQUEST_TIMEOUT_SECONDS; its work was stopped."""

    code = "REQUEST_TIMEOUT"
    http_status = 503


class DatabaseUnavailable(ApiError):
    """The database cannot be reached or does not answer in time: try again shortly."""

    code = "DATABASE_UNAVAILABLE"
    http_status = 503


# Answered 503 with Retry-After: the server cannot answer now; the same request may succeed later.
RETRY_LATER_CODES = frozenset({DatabaseUnavailable.code, RequestTimedOut.code, STATEMENT_TIMEOUT})
RETRY_AFTER_SECONDS = 1


# Messages of graphql-core and Strawberry's limiters; they raise plain GraphQLErrors.
_LIMIT_MESSAGES = (
    ("exceeds maximum operation depth", QUERY_TOO_DEEP),
    ("aliases found. Allowed:", TOO_MANY_ALIASES),
    ("Document contains more than", TOO_MANY_TOKENS),
    ("selections in one selection set", TOO_MANY_SELECTIONS),
)
# PostgreSQL's statement_timeout and SQLite's progress-handler interrupt.
_TIMEOUT_MESSAGES = ("canceling statement due to statement timeout", "interrupted")


def check_page_size(first: int | None, max_page_size: int, *, pages: bool = True) -> None:
    """Refuse a negative `first` or one above the largest page size; `pages`: the list takes `after`."""
    if first is None:
        return
    if first < 0:
        raise InvalidPageSize(f"`first` must be 0 or more, not {first}.")
    if first > max_page_size:
        then = "page with `after` instead" if pages else "leave it out for the whole list"
        raise PageSizeExceeded(f"`first` may be at most {max_page_size}, not {first}: {then}.")


def error_code(error: GraphQLError) -> str:
    """The stable code of an error."""
    original = error.original_error
    if isinstance(original, ApiError):
        return original.code
    if isinstance(original, InvalidCursor):
        return INVALID_CURSOR
    if isinstance(original, DBAPIError) and any(text in str(original.orig) for text in _TIMEOUT_MESSAGES):
        return STATEMENT_TIMEOUT
    if isinstance(original, GraphQLError) and error.path is None:
        # graphql-core could not coerce a variable's value to its declared type (a string for
        # an Int!, a missing required one): the client's mistake, found before anything ran.
        return INVALID_VARIABLES
    if original is not None:
        return INTERNAL_ERROR
    for text, code in _LIMIT_MESSAGES:
        if text in error.message:
            return code
    return GRAPHQL_PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else GRAPHQL_VALIDATION_FAILED


_READABLE_MESSAGES = {
    INVALID_CURSOR: "`after` is not a cursor this API handed out: use a `pageInfo.endCursor`.",
    STATEMENT_TIMEOUT: "The database took too long to answer; ask for less (fewer years or a smaller page).",
}


# graphql-core's own terse messages, and what they mean for the client.
_EXPLAINED_MESSAGES = {
    # Its budget against costly documents (many fields compared with each other) ran out.
    "Validation aborted.": "Validation aborted: the query is too costly to check. Ask for fewer fields at once.",
}


def coded(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: with its code, and masked when unexpected."""
    code = error_code(error)
    message = error.message
    if code == INTERNAL_ERROR:
        message = MASKED_MESSAGE
    elif code in _READABLE_MESSAGES:
        message = _READABLE_MESSAGES[code]
    else:
        message = _EXPLAINED_MESSAGES.get(message, message)
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
        original_error=None, extensions={**(error.extensions or {}), "code": code},
    )  # fmt: skip


def ensure_coded(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Code the errors that escaped ErrorCodes: Strawberry reports a parse error raised inside a
    parser extension (ParserCache, MaxTokensLimiter) after the operation hooks have closed."""
    return [error if (error.extensions or {}).get("code") else coded(error) for error in errors]


def refusal(error: ApiError) -> ExecutionResult:
    """The result of an operation an extension refuses before it runs (it then never executes)."""
    return ExecutionResult(data=None, errors=[GraphQLError(str(error), original_error=error)])


def request_error(error: ApiError) -> dict[str, Any]:
    """The response body of an error found before GraphQL runs (HTTP-level)."""
    return {"data": None, "errors": [{"message": str(error), "extensions": {"code": error.code}}]}


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log, with traceback, the errors that will reach the client masked or as timeouts."""
    for error in errors:
        if error_code(error) in (INTERNAL_ERROR, STATEMENT_TIMEOUT):
            logger.error("GraphQL error at %s: %s", error.path, error.message, exc_info=error.original_error)


class ErrorCodes(SchemaExtension):
    """Give every error of a result its code, masking the unexpected ones."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(error) for error in result.errors]
