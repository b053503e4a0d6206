"""The pure cleaning stage: one raw record in, a clean movie or a rejection out."""

from __future__ import annotations

import pytest

from importer.clean import CleanMovie, Rejection, clean_record
from importer.read import Header, RawRecord
from tests.csvfiles import HEADER, movie

FULL_HEADER = Header.from_names("movies.csv", HEADER)


def clean(**fields: str) -> CleanMovie | Rejection:
    record = movie(fields.pop("id", "862"), **fields)
    return clean_record(FULL_HEADER, RawRecord(line=7, fields=[record[c] for c in HEADER]))


def clean_ok(**fields: str) -> CleanMovie:
    result = clean(**fields)
    assert isinstance(result, CleanMovie), result
    return result


def test_rule_1_rejects_a_record_with_the_wrong_number_of_fields() -> None:
    result = clean_record(FULL_HEADER, RawRecord(line=12, fields=["x"] * 23))
    assert result == Rejection(12, "has 23 fields, the header has 24")


@pytest.mark.parametrize(
    "raw_id", ["1997-08-20", "", "0", "-5", "12.0", "abc", "1e3", "٣", "99999999999", "2147483648"]
)
def test_rule_2_rejects_ids_that_are_not_positive_integers(raw_id: str) -> None:
    assert clean(id=raw_id) == Rejection(7, f"id {raw_id.strip()!r} is not a positive integer")


def test_rule_2_trims_the_id() -> None:
    assert clean_ok(id="  862 ")["id"] == 862


@pytest.mark.parametrize(
    ("raw", "expected", "warned"),
    [
        ("30000000", 30_000_000, False),
        ("373554033.0", 373_554_033, False),
        ("4500.00", 4500, False),
        ("4500.", 4500, False),
        ("4500.0.0", None, True),
        ("373554033", 373_554_033, False),
        ("3e7", 30_000_000, False),
        (" 4500.5 ", 4501, False),  # rounded to whole dollars
        ("0", None, False),  # rule 5: zero is unknown, not a free film
        ("0.0", None, False),
        ("-100", None, False),
        ("", None, False),
        ("abc", None, True),
        ("/ff9qCepilowshEtG2GYWwzt2bs4.jpg", None, True),
        ("nan", None, True),
        ("inf", None, True),
    ],
)
def test_rule_5_budget_and_revenue(raw: str, expected: int | None, warned: bool) -> None:
    result = clean_ok(budget=raw, revenue=raw)
    assert (result["budget"], result["revenue"]) == (expected, expected)
    expected_warnings = ["unparsable_budget", "unparsable_revenue"] if warned else []
    assert sorted(result.warnings) == expected_warnings


@pytest.mark.parametrize(
    ("raw", "expected", "warning"),
    [
        ("1000000000000", 10**12, None),  # the bound itself is plausible
        ("1000000000000.4", 10**12, None),  # rounded to whole dollars first
        ("1000000000000.5", None, "implausible"),
        ("1000000000001", None, "implausible"),
        ("1e300", None, "implausible"),
        ("1" + "0" * 100_000, None, "implausible"),  # past the 4,300 digits int() reads
        ("1e999999999", None, "implausible"),  # never turned into a billion-digit int
        ("-1e999999999", None, None),  # negative: unknown by rule 5
        ("1e-999999999", None, None),  # rounds to zero
    ],
)
def test_rule_21_amounts_above_10_to_the_12_are_unknown_with_a_warning(
    raw: str, expected: int | None, warning: str | None
) -> None:
    result = clean_ok(budget=raw, revenue=raw)
    assert (result["budget"], result["revenue"]) == (expected, expected)
    assert sorted(result.warnings) == ([f"{warning}_budget", f"{warning}_revenue"] if warning else [])


@pytest.mark.parametrize(
    ("raw", "expected", "warnings"),
    [
        ("1000000", 1e6, []),
        ("1000000.0000001", None, ["implausible_popularity"]),
        ("1e308", None, ["implausible_popularity"]),
        ("9" * 400, None, ["invalid_popularity"]),  # inf as a float: not finite (rule 6)
    ],
)
def test_rule_21_popularity_above_10_to_the_6_is_unknown_with_a_warning(
    raw: str, expected: float | None, warnings: list[str]
) -> None:
    result = clean_ok(popularity=raw)
    assert (result["popularity"], result.warnings) == (expected, warnings)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("21.946943", 21.946943),
        ("0", 0.0),
        ("3", 3.0),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("", None),
        ("x", None),
    ],
)
def test_rule_6_popularity(raw: str, expected: float | None) -> None:
    assert clean_ok(popularity=raw)["popularity"] == expected


@pytest.mark.parametrize(
    ("raw", "expected_date", "expected_year"),
    [
        ("1995-10-30", "1995-10-30", 1995),
        (" 1874-12-09 ", "1874-12-09", 1874),
        ("1995-13-01", None, None),
        ("1995-02-30", None, None),
        ("١٩٩٥-١٠-٣٠", None, None),  # digits, but not ISO's
        ("30/10/1995", None, None),
        ("1995", None, None),
        ("", None, None),
    ],
)
def test_rule_7_release_date_and_year(raw: str, expected_date: str | None, expected_year: int | None) -> None:
    result = clean_ok(release_date=raw)
    assert (result["release_date"], result["release_year"]) == (expected_date, expected_year)


def test_rule_8_unparsable_literal_is_an_empty_list_with_a_warning() -> None:
    result = clean_ok(genres="[{'id': 16, 'name': 'Anim", production_companies="nonsense")
    assert result.links == ((), ())  # genres, production_companies
    assert result.warnings == ["unparsable_genres", "unparsable_production_companies"]


def test_floats_and_integers_load_identically() -> None:
    """The real file writes revenue, runtime and vote_count as floats; others write integers."""
    as_floats = clean_ok(revenue="373554033.0", runtime="81.0", vote_count="5415.0")
    as_integers = clean_ok(revenue="373554033", runtime="81", vote_count="5415")
    assert as_floats == as_integers
    assert (as_floats["revenue"], as_floats["runtime"], as_floats["vote_count"]) == (373_554_033, 81.0, 5415)


def test_optional_columns_are_stored_when_present() -> None:
    result = clean_ok(imdb_id="tt0114709", original_language="en", status="Released", vote_average="7.7", adult="True")
    assert (
        result["imdb_id"],
        result["original_language"],
        result["status"],
        result["vote_average"],
        result["adult"],
    ) == (
        "tt0114709",
        "en",
        "Released",
        7.7,
        True,
    )


def test_optional_columns_may_be_absent() -> None:
    header = Header.from_names(
        "movies.csv",
        ["id", "title", "budget", "revenue", "popularity", "release_date", "genres", "production_companies"],
    )
    result = clean_record(header, RawRecord(2, ["5", "Five", "10", "20", "1.5", "2001-01-01", "[]", "[]"]))
    assert isinstance(result, CleanMovie)
    assert (
        result["id"],
        result["budget"],
        result["revenue"],
        result["imdb_id"],
        result["runtime"],
        result["adult"],
    ) == (
        5,
        10,
        20,
        None,
        None,
        None,
    )
