"""bench/api_bench.py's in-process measurement runs every question on the real head-5000 store."""

from __future__ import annotations

from bench.api_bench import QUERIES, in_process


def test_every_question_is_executed_without_errors_same_text_and_new(loaded_url: str) -> None:
    figures = in_process(loaded_url, requests=3)
    assert set(figures) == set(QUERIES)
    for times in figures.values():  # in_process asserts each answer has no errors
        assert 0 < times["same_min_ms"] <= times["same_p50_ms"]
        assert 0 < times["new_min_ms"] <= times["new_p50_ms"]
