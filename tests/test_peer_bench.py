"""bench/peer_bench.py's content check: what "equal in content" accepts and refuses."""

from __future__ import annotations

from bench.api_bench import QUERIES as API_QUERIES
from bench.peer_bench import AS_OURS, PEER_QUERIES, QUERIES, _varied, same_content


def test_numbers_compare_as_numbers_and_everything_else_exactly() -> None:
    assert same_content({"budget": 94000000, "p": 1.5}, {"budget": "94000000", "p": 1.5000000000000002})
    assert not same_content({"budget": 94000000}, {"budget": "94000001"})
    assert not same_content({"name": "Drama"}, {"name": "drama"})
    assert not same_content({"a": 1}, {"a": 1, "b": 2})
    assert not same_content([1, 2], [2, 1])
    assert not same_content({"p": None}, {"p": 0})


def test_every_question_has_its_peer_form_and_mapping() -> None:
    assert (
        set(QUERIES)
        == set(PEER_QUERIES)
        == set(AS_OURS)
        == {"company page", "company years", "year 1995", "genre years"}
    )
    assert all(QUERIES[name] == API_QUERIES[name] for name in QUERIES)  # the very questions api_bench asks


def test_varied_queries_differ_only_by_an_alias() -> None:
    assert _varied("{ year(year: 1995) { releases } }", "x1") == "{ vx1: __typename year(year: 1995) { releases } }"


def test_postgraphile_year_answer_maps_to_ours_with_nulls_last() -> None:
    theirs = {
        "yearTotalByYear": {
            "releases": 3,
            "top": {"nodes": [{"genreByGenreId": {"name": "B"}, "averagePopularity": 2.0}]},
            "all": {
                "nodes": [
                    {"genreByGenreId": {"name": "A"}, "releases": 1, "averagePopularity": None},
                    {"genreByGenreId": {"name": "B"}, "releases": 2, "averagePopularity": 2.0},
                ]
            },
        }
    }
    assert AS_OURS["year 1995"](theirs) == {
        "year": {
            "releases": 3,
            "mostPopularGenre": {"genre": {"name": "B"}, "averagePopularity": 2.0},
            "genres": [
                {"genre": {"name": "B"}, "releases": 2, "averagePopularity": 2.0},
                {"genre": {"name": "A"}, "releases": 1, "averagePopularity": None},
            ],
        }
    }
