"""MovieOrder and MovieConnection: a page of the movies behind a figure."""

from __future__ import annotations

import strawberry

from resolvers.movie_lists import MoviePage
from schema.movie import Movie
from schema.page import PageInfo


@strawberry.type(description="A page of movies; `totalCount` counts every match.")
class MovieConnection:
    total_count: int
    page_info: PageInfo
    nodes: list[Movie]

    @classmethod
    def from_row(cls, page: MoviePage) -> MovieConnection:
        """From a movie page."""
        return cls(
            total_count=page.total_count,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
            nodes=[Movie.from_row(row) for row in page.nodes],
        )
