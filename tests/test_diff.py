"""`movie-stats diff`: movies added, removed and changed between two versions, and the years
whose totals moved most, on real SQLite and PostgreSQL stores."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine

from app.render_diff import diff_text
from db.diff import MovieRef, VersionDiff, YearChange, YearFigures, default_versions, diff_versions
from db.versions import VersionError
from importer.pipeline import ImportOptions, ImportReport, import_file
from tests.csvfiles import companies, genres, movie, write_csv

DRAMA, COMEDY = (18, "Drama"), (35, "Comedy")
WARNER = (6194, "Warner Bros.")


def money(movie_id: int, title: str, year: int, budget: int, revenue: int, **fields: str) -> dict[str, str]:
    return movie(
        movie_id, title=title, release_date=f"{year}-05-01", budget=str(budget), revenue=f"{revenue}.0", **fields
    )


BEFORE = [
    money(1, "One", 2001, 100, 150, genres=genres(DRAMA), production_companies=companies(WARNER)),
    money(2, "Two", 2001, 200, 100, genres=genres(DRAMA)),
    money(3, "Three", 2002, 300, 600, genres=genres(DRAMA)),
    money(4, "Four", 2002, 0, 0),  # budget and revenue unknown in both versions: NULL is no change
    money(5, "Five", 2003, 50, 80),
    money(6, "Six", 2003, 60, 40),
]
AFTER = [
    money(1, "One", 2001, 400, 150, genres=genres(DRAMA), production_companies=companies(WARNER)),  # budget
    money(2, "Two", 2001, 200, 100, genres=genres(DRAMA)),
    money(3, "Three", 2002, 300, 600, genres=genres(COMEDY)),  # genre
    money(4, "Four", 2002, 0, 0),
    # 5 and 6 are removed
    money(7, "Seven", 2004, 10, 30),
    money(8, "Eight", 2004, 0, 0),
    money(9, "Nine", 2001, 1000, 500),
]


def load(engine: Engine, tmp_path: Path, name: str, records: list, **options: bool) -> ImportReport:
    report = import_file(engine, write_csv(tmp_path / name, records), ImportOptions(**options))
    assert report.status == ("staged" if options.get("stage_only") else "live"), report.message
    return report


@pytest.fixture
def versions(engine: Engine, tmp_path: Path) -> tuple[int, int]:
    """(live version of BEFORE, staged version of AFTER)."""
    before = load(engine, tmp_path, "before.csv", BEFORE)
    after = load(engine, tmp_path, "after.csv", AFTER, stage_only=True)
    return before.version, after.version  # type: ignore[return-value]


def diff(engine: Engine, a: int, b: int, **options: int) -> VersionDiff:
    with engine.connect() as connection:
        return diff_versions(connection, a, b, **options)


def test_diff_counts_names_and_years(engine: Engine, versions: tuple[int, int]) -> None:
    a, b = versions
    assert diff(engine, a, b) == VersionDiff(
        a=a,
        b=b,
        added=3,
        removed=2,
        changed=2,
        added_examples=[MovieRef(7, "Seven"), MovieRef(8, "Eight"), MovieRef(9, "Nine")],
        removed_examples=[MovieRef(5, "Five"), MovieRef(6, "Six")],
        changed_examples=[MovieRef(1, "One"), MovieRef(3, "Three")],
        years=[
            # Releases moved by 2 in 2004 and 2003: the larger profit change (20 against 10) first.
            YearChange(2004, before=YearFigures(0, None, None, None), after=YearFigures(2, 10, 30, 20)),
            YearChange(2003, before=YearFigures(2, 110, 120, 10), after=YearFigures(0, None, None, None)),
            # 2001: movie 9 added (-500), movie 1's budget up by 300. 2002 did not move.
            YearChange(2001, before=YearFigures(2, 300, 250, -50), after=YearFigures(3, 1600, 750, -850)),
        ],
    )


def test_diff_the_other_way_round_swaps_added_and_removed(engine: Engine, versions: tuple[int, int]) -> None:
    a, b = versions
    backwards = diff(engine, b, a)
    assert (backwards.added, backwards.removed, backwards.changed) == (2, 3, 2)
    assert [m.id for m in backwards.added_examples] == [5, 6]
    assert [m.title for m in backwards.changed_examples] == ["One", "Three"]
    assert [(y.year, y.before.releases, y.after.releases) for y in backwards.years] == [
        (2004, 2, 0),
        (2003, 0, 2),
        (2001, 3, 2),
    ]


def test_examples_are_limited_but_counts_are_not(engine: Engine, versions: tuple[int, int]) -> None:
    limited = diff(engine, *versions, examples=1)
    assert (limited.added, limited.removed, limited.changed) == (3, 2, 2)
    assert (limited.added_examples, limited.removed_examples, limited.changed_examples) == (
        [MovieRef(7, "Seven")], [MovieRef(5, "Five")], [MovieRef(1, "One")],
    )  # fmt: skip


def test_a_version_against_itself_is_empty(engine: Engine, versions: tuple[int, int]) -> None:
    a, _ = versions
    same = diff(engine, a, a)
    assert same == VersionDiff(a, a, 0, 0, 0, [], [], [], [])
    assert same.empty


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "One (restored)"},
        {"popularity": ""},  # a known value against NULL
        {"adult": ""},
        {"release_date": "2001-05-02"},
        {"production_companies": companies(WARNER, (4, "Paramount Pictures"))},  # one link more
        {"production_companies": "[]"},  # one link fewer
    ],
)
def test_any_stored_column_or_link_makes_a_change(engine: Engine, tmp_path: Path, fields: dict[str, str]) -> None:
    one = money(1, "One", 2001, 100, 150, genres=genres(DRAMA), production_companies=companies(WARNER))
    a = load(engine, tmp_path, "a.csv", [one, money(2, "Two", 2001, 5, 5)])
    b = load(engine, tmp_path, "b.csv", [{**one, **fields}, money(2, "Two", 2001, 5, 5)])
    changed = diff(engine, a.version, b.version)  # type: ignore[arg-type]
    assert (changed.added, changed.removed, changed.changed) == (0, 0, 1)
    assert changed.changed_examples[0].id == 1


def test_default_versions_are_the_live_and_the_newest_staged(engine: Engine, versions: tuple[int, int]) -> None:
    with engine.connect() as connection:
        assert default_versions(connection) == versions


def test_default_versions_need_a_staged_version(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path, "before.csv", BEFORE)
    with engine.connect() as connection, pytest.raises(VersionError) as missing:
        default_versions(connection)
    assert str(missing.value) == "There is no staged version to compare. Name two versions: `movie-stats diff A B`."


def test_an_unknown_version_is_refused(engine: Engine, versions: tuple[int, int]) -> None:
    with pytest.raises(VersionError, match="There is no dataset version 99"):
        diff(engine, versions[0], 99)


def test_json_form_and_text_form(engine: Engine, versions: tuple[int, int]) -> None:
    found = diff(engine, *versions, examples=2)
    as_json = dataclasses.asdict(found)
    assert as_json["added_examples"] == [{"id": 7, "title": "Seven"}, {"id": 8, "title": "Eight"}]
    assert as_json["years"][0] == {
        "year": 2004,
        "before": {"releases": 0, "budget": None, "revenue": None, "profit": None},
        "after": {"releases": 2, "budget": 10, "revenue": 30, "profit": 20},
    }
    output = io.StringIO()
    diff_text(Console(file=output, width=120), found)
    text = output.getvalue()
    assert f"Version {versions[0]} → version {versions[1]}: 3 added, 2 removed, 2 changed movies." in text
    assert "Added (first 2 of 3):\n          7  Seven\n          8  Eight\n" in text
    assert "Removed:\n          5  Five\n          6  Six\n" in text
    assert "2 → 3 (+1)" in text and "-50 → -850 (-800)" in text and "– → 10" in text
