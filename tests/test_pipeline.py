"""The importer end to end on real SQLite and PostgreSQL stores: data rules 1-19."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from importer.checks import CheckLimits
from importer.errors import MissingColumnsError, NoRecordsError, NotCsvError
from importer.pipeline import FULL, INCREMENTAL, ImportOptions, ImportReport, import_file
from tests.csvfiles import HEADER, companies, genres, movie, write_csv
from tests.dbquery import live_id, live_rows, rows

WARNER, PARAMOUNT = (6194, "Warner Bros."), (4, "Paramount Pictures")
DRAMA, COMEDY = (18, "Drama"), (35, "Comedy")


def load(engine: Engine, tmp_path: Path, records: list, name: str = "movies.csv", **options) -> ImportReport:
    return import_file(engine, write_csv(tmp_path / name, records), ImportOptions(**options))


def test_real_head_5000_loads(engine: Engine, head5000_path: Path) -> None:
    report = import_file(engine, head5000_path, ImportOptions())
    assert (report.status, report.records, report.loaded, report.rejected, report.duplicates) == (
        "live",
        5000,
        4999,
        0,
        1,
    )
    assert report.movies == 4999
    warner_1995 = live_rows(
        engine,
        "SELECT releases, budget, revenue, profit, with_budget, with_revenue, with_both, average_popularity "
        "FROM company_years WHERE version_id = :v AND company_id = 6194 AND year = 1995",
    )
    assert warner_1995[:1] == [
        (19, 443_500_000, 1_328_198_811, 833_424_709, 10, 11, 9, pytest.approx(8.557118052631, abs=1e-11))
    ]
    # Rule 4: the duplicate id of the real file is 105045, loaded once.
    assert live_rows(engine, "SELECT count(*) FROM movies WHERE version_id = :v AND id = 105045") == [(1,)]


def test_rules_1_2_3_rejected_records_are_reported_with_their_line_and_the_rest_loads(
    engine: Engine, tmp_path: Path
) -> None:
    short = movie(3)
    records = [
        movie(1),
        movie(2, overview="first line\nsecond line"),  # a record spanning lines 3-4
        [short[c] for c in HEADER][:-1],  # rule 1: 23 fields, line 5
        movie("1997-08-20"),  # rule 2: the real file's shifted-column record, line 6
        movie(4),
    ]
    report = load(engine, tmp_path, records, limits=CheckLimits(max_rejected_share=1.0))
    assert report.status == "live"
    assert (report.records, report.loaded, report.rejected) == (5, 3, 2)
    assert report.rejections == [
        {"line": 5, "reason": "has 23 fields, the header has 24"},
        {"line": 6, "reason": "id '1997-08-20' is not a positive integer"},
    ]
    assert rows(
        engine, "SELECT line, reason FROM rejections WHERE version_id = :v ORDER BY line", v=report.version
    ) == [
        (5, "has 23 fields, the header has 24"),
        (6, "id '1997-08-20' is not a positive integer"),
    ]
    assert live_rows(engine, "SELECT id FROM movies WHERE version_id = :v ORDER BY id") == [(1,), (2,), (4,)]


def test_rule_4_the_last_occurrence_of_an_id_wins(engine: Engine, tmp_path: Path) -> None:
    records = [
        movie(1, title="First", budget="100", genres=genres(DRAMA)),
        movie(2),
        movie(1, title="Second", budget="200", genres=genres(COMEDY)),
        movie(1, title="Third", budget="300", genres=genres(COMEDY)),
    ]
    report = load(engine, tmp_path, records)
    assert (report.records, report.loaded, report.duplicates) == (4, 2, 2)
    assert live_rows(engine, "SELECT title, budget FROM movies WHERE version_id = :v AND id = 1") == [("Third", 300)]
    assert live_rows(engine, "SELECT genre_id FROM movie_genres WHERE version_id = :v AND movie_id = 1") == [(35,)]


def test_rule_5_to_8_values_and_warnings_reach_the_store(engine: Engine, tmp_path: Path) -> None:
    records = [
        movie(1, budget="3e7", revenue="373554033.0", popularity="-2", release_date="1995-02-30"),
        movie(2, budget="abc", revenue="0", popularity="2.5", genres="[{'id': 16, 'name': 'Anim"),
        movie(3),  # fills the yearly tables, which a version may not go live without
    ]
    report = load(engine, tmp_path, records)
    assert report.warnings == {
        "invalid_popularity": 1,
        "invalid_release_date": 1,
        "unparsable_budget": 1,
        "unparsable_genres": 1,
    }
    assert live_rows(
        engine, "SELECT id, budget, revenue, popularity, release_year FROM movies WHERE version_id = :v ORDER BY id"
    ) == [
        (1, 30_000_000, 373_554_033, None, None),
        (2, None, None, 2.5, 2000),
        (3, None, None, 1.0, 2000),
    ]


def test_rule_7_a_movie_without_a_year_is_stored_but_counts_in_no_yearly_figure(engine: Engine, tmp_path: Path) -> None:
    records = [
        movie(1, release_date="", genres=genres(DRAMA), production_companies=companies(WARNER), budget="10"),
        movie(2, release_date="2001-05-05", genres=genres(DRAMA), production_companies=companies(WARNER), budget="20"),
    ]
    load(engine, tmp_path, records)
    assert live_rows(engine, "SELECT count(*) FROM movies WHERE version_id = :v") == [(2,)]
    assert live_rows(engine, "SELECT year, releases, budget FROM year_totals WHERE version_id = :v") == [(2001, 1, 20)]
    assert live_rows(engine, "SELECT year, releases, budget FROM genre_years WHERE version_id = :v") == [(2001, 1, 20)]
    assert live_rows(engine, "SELECT year, releases, budget FROM company_years WHERE version_id = :v") == [
        (2001, 1, 20)
    ]


def test_rule_9_names_come_from_the_last_record_mentioning_the_id(engine: Engine, tmp_path: Path) -> None:
    records = [
        movie(1, genres=genres((18, "Drama (old)")), production_companies=companies((4, "Paramount (old)"))),
        movie(2, genres=genres((18, "Drama")), production_companies=companies((4, "Paramount Pictures"))),
        movie(3, genres=genres((35, "Comedy (dropped)"))),
        movie(3, genres=genres((35, "Comedy"))),  # rule 4 first: only this record of id 3 counts
        movie(4, genres=genres((18, "Drama (older, but id 4 is overridden)"))),
        movie(4),
    ]
    load(engine, tmp_path, records)
    assert live_rows(engine, "SELECT id, name FROM genres WHERE version_id = :v AND id IN (18, 35) ORDER BY id") == [
        (18, "Drama"),
        (35, "Comedy"),
    ]
    assert live_rows(engine, "SELECT id, name FROM companies WHERE version_id = :v AND id = 4") == [
        (4, "Paramount Pictures")
    ]


FIGURE_RECORDS = [
    # year 2001: Warner makes 1 (both known, profit +50), 2 (budget only), 3 (nothing known)
    movie(1, release_date="2001-01-01", budget="100", revenue="150.0", popularity="10", genres=genres(DRAMA, COMEDY), production_companies=companies(WARNER)),
    movie(2, release_date="2001-06-01", budget="1000", revenue="0.0", popularity="2", genres=genres(DRAMA), production_companies=companies(WARNER, PARAMOUNT)),
    movie(3, release_date="2001-12-31", budget="0", revenue="", popularity="", genres=genres(COMEDY), production_companies=companies(WARNER)),
    # year 2002: Paramount makes 4 (loss of 30)
    movie(4, release_date="2002-03-03", budget="80", revenue="50", popularity="4", genres=genres(DRAMA), production_companies=companies(PARAMOUNT)),
]  # fmt: skip


@pytest.fixture
def figures(engine: Engine, tmp_path: Path):
    """FIGURE_RECORDS loaded; returns a reader of live rows of a precomputed table."""
    load(engine, tmp_path, FIGURE_RECORDS)

    def read(table: str, columns: str, order: str) -> list[tuple]:
        return live_rows(engine, f"SELECT {order}, {columns} FROM {table} WHERE version_id = :v ORDER BY {order}")

    return read


def test_rule_10_releases_count_distinct_movies(figures) -> None:
    assert figures("company_years", "releases", "company_id, year") == [(4, 2001, 1), (4, 2002, 1), (6194, 2001, 3)]
    assert figures("year_totals", "releases", "year") == [(2001, 3), (2002, 1)]


def test_rule_11_budget_and_revenue_sum_known_values_and_are_null_when_none_is_known(figures) -> None:
    assert figures("company_years", "budget, revenue", "company_id, year") == [
        (4, 2001, 1000, None),  # movie 2: budget known, revenue 0.0 means unknown
        (4, 2002, 80, 50),
        (6194, 2001, 1100, 150),  # movie 3 knows neither
    ]


def test_rule_12_profit_sums_only_movies_with_both_amounts_known(figures) -> None:
    # Warner 2001: only movie 1 (150 - 100); not total revenue minus total budget (150 - 1100).
    assert figures("company_years", "profit", "company_id, year") == [(4, 2001, None), (4, 2002, -30), (6194, 2001, 50)]
    assert figures("year_totals", "profit", "year") == [(2001, 50), (2002, -30)]


def test_rule_13_coverage_travels_with_money(figures) -> None:
    assert figures("company_years", "with_budget, with_revenue, with_both", "company_id, year") == [
        (4, 2001, 1, 0, 0),
        (4, 2002, 1, 1, 1),
        (6194, 2001, 2, 1, 1),
    ]


def test_rule_14_popularity_mean_and_sum_over_known_values(figures) -> None:
    # Warner 2001: popularity 10 and 2 known, movie 3 unknown: mean 6, not 4.
    assert figures("company_years", "average_popularity, total_popularity", "company_id, year") == [
        (4, 2001, 2.0, 2.0),
        (4, 2002, 4.0, 4.0),
        (6194, 2001, 6.0, 12.0),
    ]


def test_rule_14_postgresql_adds_popularities_up_exactly(postgres_engine: Engine, tmp_path: Path) -> None:
    # Summed as floats in any order, 0.1, 0.2 and 1.1 make 1.4000000000000001. PostgreSQL stores
    # popularity as an exact decimal and sums it exactly: no query plan's order can change a figure.
    records = [
        movie(i, release_date="2001-01-01", popularity=value, production_companies=companies(WARNER))
        for i, value in enumerate(["0.1", "0.2", "1.1"], start=1)
    ]
    load(postgres_engine, tmp_path, records)
    query = "SELECT total_popularity, average_popularity FROM {} WHERE version_id = :v"
    exact = [(1.4, float(Decimal("1.4") / 3))]
    assert live_rows(postgres_engine, query.format("company_years")) == exact
    assert live_rows(postgres_engine, query.format("year_totals")) == exact
    stored = live_rows(postgres_engine, "SELECT popularity::text FROM movies WHERE version_id = :v ORDER BY id")
    assert stored == [("0.1",), ("0.2",), ("1.1",)]


def test_rule_15_a_movie_counts_fully_in_each_genre_and_company(figures) -> None:
    # Movie 1 is Drama and Comedy: its whole budget counts in both; movie 2 counts for both companies.
    assert figures("genre_years", "releases, budget", "genre_id, year") == [
        (18, 2001, 2, 1100),
        (18, 2002, 1, 80),
        (35, 2001, 2, 100),
    ]
    assert figures("company_years", "budget", "company_id, year")[0] == (4, 2001, 1000)


def test_rule_16_company_releases_by_genre(figures) -> None:
    assert figures("company_year_genres", "releases", "company_id, year, genre_id") == [
        (4, 2001, 18, 1),
        (4, 2002, 18, 1),
        (6194, 2001, 18, 2),
        (6194, 2001, 35, 2),
    ]


def test_rule_17_genre_year_figures(figures) -> None:
    columns = (
        "releases, budget, revenue, profit, average_popularity, total_popularity, with_budget, with_revenue, with_both"
    )
    assert figures("genre_years", columns, "genre_id, year") == [
        (18, 2001, 2, 1100, 150, 50, 6.0, 12.0, 2, 1, 1),
        (18, 2002, 1, 80, 50, -30, 4.0, 4.0, 1, 1, 1),
        (35, 2001, 2, 100, 150, 50, 10.0, 10.0, 1, 1, 1),
    ]


def test_rule_19_money_sums_pass_32_bits(engine: Engine, tmp_path: Path) -> None:
    records = [
        movie(
            i, budget="2000000000", revenue="3000000000.0", genres=genres(DRAMA), production_companies=companies(WARNER)
        )
        for i in range(1, 4)
    ]
    load(engine, tmp_path, records)
    assert live_rows(engine, "SELECT budget, revenue, profit FROM company_years WHERE version_id = :v") == [
        (6_000_000_000, 9_000_000_000, 3_000_000_000)
    ]


def test_a_gzip_file_loads_like_the_plain_one(engine: Engine, tmp_path: Path) -> None:
    plain = load(engine, tmp_path, FIGURE_RECORDS, name="movies.csv")
    packed = import_file(engine, write_csv(tmp_path / "movies.csv.gz", FIGURE_RECORDS), ImportOptions())
    assert packed.status == "live" and packed.version != plain.version
    figures = "SELECT company_id, year, releases, budget, revenue, profit FROM company_years WHERE version_id = :v ORDER BY 1, 2"
    assert rows(engine, figures, v=plain.version) == rows(engine, figures, v=packed.version)


def test_nul_characters_are_removed_and_counted(engine: Engine, tmp_path: Path) -> None:
    """PostgreSQL text cannot hold NUL: both stores load the value without it, with a warning."""
    report = load(engine, tmp_path, [movie(1, title="Nul\0Title", genres=genres((18, "Dra\0ma"))), movie(2)])
    assert report.status == "live" and report.warnings == {"nul_characters_removed": 1}
    assert live_rows(engine, "SELECT title FROM movies WHERE version_id = :v AND id = 1") == [("NulTitle",)]
    assert live_rows(engine, "SELECT name FROM genres WHERE version_id = :v AND id = 18") == [("Drama",)]


def test_a_file_missing_budget_is_refused_and_the_live_version_keeps_serving(engine: Engine, tmp_path: Path) -> None:
    first = load(engine, tmp_path, FIGURE_RECORDS)
    header = [column for column in HEADER if column != "budget"]
    broken = write_csv(tmp_path / "broken.csv", [movie(9)], header=header)
    with pytest.raises(MissingColumnsError, match="missing required column\\(s\\): budget"):
        import_file(engine, broken, ImportOptions())
    assert live_id(engine) == first.version
    assert rows(engine, "SELECT count(*) FROM dataset_versions") == [(1,)]


@pytest.mark.parametrize("mode", [FULL, INCREMENTAL])
@pytest.mark.parametrize("workers", [0, 1])
def test_a_file_with_a_header_and_no_records_is_refused_and_changes_nothing(
    engine: Engine, tmp_path: Path, mode: str, workers: int
) -> None:
    """A header alone used to leave an empty version behind, staged with its tables_filled
    check failed. It is refused as a whole, as a file missing a required column is."""
    first = load(engine, tmp_path, FIGURE_RECORDS)
    header_only = write_csv(tmp_path / "header-only.csv", [])
    with pytest.raises(NoRecordsError, match="header-only.csv: the file has a header but no records"):
        import_file(engine, header_only, ImportOptions(mode=mode, workers=workers))
    assert rows(engine, "SELECT id, status FROM dataset_versions") == [(first.version, "live")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a UTF-8 CSV file"),
        (gzip.compress(b"")[:10], "not a UTF-8 CSV file"),  # a truncated .gz
        ("id,title,café\n".encode("latin-1"), "not a UTF-8 CSV file .* The file must be UTF-8: convert it first"),
        (b'{"movies": []}\n', "It does not look like movies_metadata.csv"),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(
    engine: Engine, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "movies.csv"
    path.write_bytes(content)
    with pytest.raises((NotCsvError, MissingColumnsError), match=message):
        import_file(engine, path, ImportOptions())
    assert rows(engine, "SELECT count(*) FROM dataset_versions") == [(0,)]
