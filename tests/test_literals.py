"""Rule 8: the genres / production_companies literals, fast path and fallback alike."""

from __future__ import annotations

import ast
import csv
import gzip

import pytest

from importer.literals import UnparsableLiteral, parse_entities
from tests.conftest import head5000


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[{'id': 16, 'name': 'Animation'}, {'id': 35, 'name': 'Comedy'}]", [(16, "Animation"), (35, "Comedy")]),
        ("[{'name': 'Pixar Animation Studios', 'id': 3}]", [(3, "Pixar Animation Studios")]),
        ("""[{'name': "Miramax's Films", 'id': 14}]""", [(14, "Miramax's Films")]),
        ("[{'name': 'It\\'s', 'id': 7}]", [(7, "It's")]),  # escaped quote: the literal_eval path
        ("[{'name': 'Caf\\xe9', 'id': 8}]", [(8, "Café")]),
        ("[{'id': 1, 'name': 'Ünïcode ✓'}]", [(1, "Ünïcode ✓")]),
        ("[]", []),
        ("", []),
        ("  ", []),
        # Rule 8: entries without a positive integer id or a non-empty name are skipped.
        ("[{'id': 0, 'name': 'Zero'}, {'id': -3, 'name': 'Neg'}, {'id': 5, 'name': ''}]", []),
        ("[{'id': '12', 'name': 'Text id'}, {'name': 'No id'}, {'id': 9}, 'junk', {'id': True, 'name': 'Bool'}]", []),
        ("[{'id': 2, 'name': '   '}, {'id': 4, 'name': 'Kept'}]", [(4, "Kept")]),
        # An id beyond a 32-bit column is no id either (as rule 2 has it for movies).
        ("[{'id': 2147483648, 'name': 'Too large'}, {'id': 2147483647, 'name': 'Largest'}]", [(2147483647, "Largest")]),
        # Rule 8: the same id twice in one list counts once (its last name).
        ("[{'id': 18, 'name': 'Drama'}, {'id': 18, 'name': 'Drama 2'}]", [(18, "Drama 2")]),
        # Other key orders and extra keys fall back to literal_eval and still work.
        ("[{'name': 'X', 'id': 3, 'logo_path': None}]", [(3, "X")]),
    ],
)
def test_rule_8_parses_entity_lists(value: str, expected: list[tuple[int, str]]) -> None:
    assert list(parse_entities(value)[0]) == expected


@pytest.mark.parametrize(
    "value",
    [
        "[{'id': 16, 'name': 'Anim",  # truncated, as in the real file's broken records
        "{'id': 16, 'name': 'Animation'}",  # a dict, not a list
        "__import__('os').system('touch /tmp/movie-stats-pwned')",  # never eval
        "[{'id': 016, 'name': 'Leading zero'}]",
        "[{'id': 1\u0663, 'name': 'Non-ASCII digit'}]",  # int() reads it, a Python literal cannot hold it
        "not a literal",
    ],
)
def test_rule_8_unparsable_values_raise(value: str) -> None:
    with pytest.raises(UnparsableLiteral):
        parse_entities(value)


def test_rule_8_fast_path_agrees_with_literal_eval_on_the_real_file() -> None:
    """Every genres / companies value of the real head-5000 file parses as literal_eval reads it."""
    with gzip.open(head5000(), "rt", encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    checked = 0
    for row in rows:
        for column in ("genres", "production_companies"):
            value = row[column]
            try:
                reference = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                continue
            if not isinstance(reference, list):
                continue
            expected: dict[int, str] = {}
            for item in reference:
                if isinstance(item.get("id"), int) and item["id"] > 0 and str(item.get("name", "")).strip():
                    expected.pop(item["id"], None)
                    expected[item["id"]] = item["name"]
            assert list(parse_entities(value)[0]) == list(expected.items()), value
            checked += 1
    assert checked >= 9_990  # two columns of 5,000 records, nearly all parseable


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"[{{'id': 3, 'name': '{'n' * 1001}'}}, {{'id': 4, 'name': 'Kept'}}]", [(4, "Kept")]),
        (f"[{{'name': \"{'n' * 1001}\\'\", 'id': 3}}]", []),  # the literal_eval path alike
        ("[{'id': 2147483648, 'name': 'Past the range'}, {'id': 1, 'name': 'One'}]", [(1, "One")]),
        ("[{'id': 99999999999, 'name': 'Eleven digits'}]", []),  # left to literal_eval by the fast regex
        ("[{'id': 1" + "0" * 4000 + ", 'name': 'Four thousand digits'}]", []),
    ],
)
def test_rule_22_an_oversized_entry_is_skipped_and_reported(value: str, expected: list[tuple[int, str]]) -> None:
    pairs, oversized = parse_entities(value)
    assert (list(pairs), oversized) == (expected, True)


def test_rule_22_a_name_of_1000_characters_is_kept() -> None:
    assert parse_entities(f"[{{'id': 3, 'name': '{'n' * 1000}'}}]") == (((3, "n" * 1000),), False)


@pytest.mark.parametrize(
    "value",
    [
        "[{'id': 1" + "0" * 100_000 + ", 'name': 'X'}]",  # past the 4,300 digits Python reads
        "[" * 100_000 + "]" * 100_000,
        "[{'id': 1, 'name': 'x', 'more': [[[[1]]]]}]",
        "[{'id': 1, 'name': ('x',)}]",
        "[[{'id': 1, 'name': 'x'}]]",
        "[{'id': " + "-" * 500_000 + "1, 'name': 'x'}]",
        "[{'id': " + "1+" * 300_000 + "1, 'name': 'x'}]",
    ],
)
def test_rule_22_values_nested_deeper_than_the_real_file_are_unparsable(value: str) -> None:
    with pytest.raises(UnparsableLiteral):
        parse_entities(value)
