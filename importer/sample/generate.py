"""Deterministic generator of realistic movies_metadata.csv files (Kaggle "The Movies Dataset").

The output mimics the real file in format (header, quoting, float spelling, Python literals)
and, through the tables in importer.sample.profile, in its distributions and its dirt: duplicate ids,
shifted-column records, empty and invalid dates, unparsable literals, empty popularity.
"""

from __future__ import annotations

import bisect
import collections
import csv
import functools
import gzip
import io
import math
import pathlib
import random
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import accumulate
from typing import BinaryIO, Generic, TypeVar

from importer.output import written_whole
from importer.sample import profile

PROGRESS_EVERY = 10_000
GZIP_LEVEL = 1  # the fastest: level 2 or 3 save under 5% of the size

_T = TypeVar("_T")
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_MASK64 = (1 << 64) - 1
# Text pools are built from this fixed seed, so they are the same for every file; the file's
# seed only decides which entries each record uses.
_VOCABULARY_SEED = 20170101
# Only the most frequent tail ranks keep a cached name, so memory stays bounded.
_NAME_CACHE_SIZE = 100_000
# Duplicates repeat one of the last records written, as in the real file.
_DUPLICATE_WINDOW = 200
_COLUMN = {name: i for i, name in enumerate(profile.HEADER)}


@dataclass(frozen=True)
class GenerateReport:
    """What generate_file wrote, with the dirt it planted."""

    path: pathlib.Path
    records: int
    seed: int
    seconds: float
    bytes_written: int
    duplicate_ids: int
    shifted_records: int
    empty_release_dates: int
    invalid_release_dates: int
    unparsable_genres: int
    unparsable_companies: int
    empty_popularity: int


def generate_file(
    path: pathlib.Path,
    *,
    records: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> GenerateReport:
    """Write `records` synthetic movies to `path` (gzip when it ends in .gz) and report them."""
    if records < 0:
        raise ValueError(f"records must be >= 0, got {records}")
    path = pathlib.Path(path)
    started = time.perf_counter()
    records_source = _Records(seed, records)
    chunk = io.StringIO()
    # The real file is exactly what csv.writer writes with "\n" line endings.
    writer = csv.writer(chunk, lineterminator="\n")
    writer.writerow(profile.HEADER)
    compress = path.name.endswith(".gz")
    with written_whole(path) as raw, _gzip_writer(raw) if compress else nullcontext(raw) as out:
        for written in range(1, records + 1):
            writer.writerow(records_source.next())
            if written % PROGRESS_EVERY == 0 or written == records:
                out.write(chunk.getvalue().encode("utf-8"))
                chunk.seek(0)
                chunk.truncate()
                if progress is not None:
                    progress(written)
        out.write(chunk.getvalue().encode("utf-8"))  # the header alone when records == 0
    return GenerateReport(
        path=path,
        records=records,
        seed=seed,
        seconds=time.perf_counter() - started,
        bytes_written=path.stat().st_size,
        **records_source.counts,
    )


def _gzip_writer(raw: BinaryIO) -> gzip.GzipFile:
    """Gzip into `raw` (left open), with no name and mtime 0 in the header: same seed, same bytes."""
    return gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0)


class _Every:
    """Fires at one random index in each block of `every` indexes: rare events at a steady rate.

    Unlike independent coin flips this guarantees e.g. exactly 3 shifted records in 45,000.
    """

    def __init__(self, rng: random.Random, every: int) -> None:
        self._rng = rng
        self._every = every
        self._block = -1
        self._at = -1

    def next_at(self, index: int) -> int:
        """The first index >= `index` at which the event fires (indexes must not go back)."""
        while self._at < index:
            # Blocks are drawn in order, one offset each, whatever the pattern of queries.
            self._block = max(self._block + 1, index // self._every)
            self._at = self._block * self._every + self._rng.randrange(self._every)
        return self._at


class _Records:
    """The stream of records: clean movies from _MovieFactory plus the scheduled dirt."""

    _DIRT_PERIODS = {
        "duplicate_ids": profile.DUPLICATE_ID_EVERY,
        "shifted_records": profile.SHIFTED_RECORD_EVERY,
        "invalid_release_dates": profile.INVALID_RELEASE_DATE_EVERY,
        "unparsable_genres": profile.UNPARSABLE_GENRES_EVERY,
        "unparsable_companies": profile.UNPARSABLE_COMPANIES_EVERY,
        "empty_popularity": profile.EMPTY_POPULARITY_EVERY,
        "adult": profile.ADULT_EVERY,
    }

    def __init__(self, seed: int, records: int) -> None:
        self.factory = _MovieFactory(random.Random(seed), records)
        # Each defect has its own stream so that changing one rate does not move the others.
        self._schedules = [
            (name, _Every(random.Random(f"{seed}:{name}"), period)) for name, period in self._DIRT_PERIODS.items()
        ]
        reported = [name for name in self._DIRT_PERIODS if name != "adult"]
        self.counts = dict.fromkeys([*reported, "empty_release_dates"], 0)
        # Only clean records are repeated, so every planted defect appears exactly once.
        self._clean: collections.deque[list[str]] = collections.deque(maxlen=_DUPLICATE_WINDOW)
        self._index = 0
        self._next_dirt = 0

    def next(self) -> list[str]:
        """The next record as a list of 24 strings."""
        index = self._index
        self._index += 1
        fired: set[str] = set()
        if index == self._next_dirt:
            fired = {name for name, every in self._schedules if every.next_at(index) == index}
            self._next_dirt = min(every.next_at(index + 1) for _, every in self._schedules)
        if "duplicate_ids" in fired and self._clean:
            self.counts["duplicate_ids"] += 1
            row = self.factory.repeat(self.factory.rng.choice(self._clean))
        else:
            row = self.factory.row(index)
            if "shifted_records" in fired:
                self.counts["shifted_records"] += 1
                return self.factory.shift(row)
            fired -= {"duplicate_ids", "shifted_records"}
            if fired:
                self._soil(row, fired)
            else:
                self._clean.append(row)
        if row[_COLUMN["release_date"]] == "":
            self.counts["empty_release_dates"] += 1
        return row

    def _soil(self, row: list[str], defects: set[str]) -> None:
        factory = self.factory
        if "invalid_release_dates" in defects:
            row[_COLUMN["release_date"]] = factory.invalid_date()
        if "unparsable_genres" in defects:
            column = _COLUMN["genres"]
            row[column] = factory.truncated(row[column], factory.genres(minimum=1))
        if "unparsable_companies" in defects:
            column = _COLUMN["production_companies"]
            row[column] = factory.truncated(row[column], factory.companies(minimum=1))
        if "empty_popularity" in defects:
            row[_COLUMN["popularity"]] = ""
        if "adult" in defects:
            row[_COLUMN["adult"]] = "True"
        for name in defects:
            if name in self.counts:
                self.counts[name] += 1


class _Picker(Generic[_T]):
    """Weighted choice by table lookup: several times faster than random.choices per pick."""

    _SLOTS = 1 << 17

    def __init__(self, items: Sequence[_T], weights: Iterable[float]) -> None:
        cumulative = list(accumulate(weights))
        total = cumulative[-1]
        bounds = [round(c / total * self._SLOTS) for c in cumulative]
        self._table: list[_T] = []
        for item, start, end in zip(items, [0, *bounds], bounds):
            self._table += [item] * (end - start)

    def pick(self, rng: random.Random) -> _T:
        return self._table[int(rng.random() * self._SLOTS)]


class _MovieFactory:
    """Draws whole records from the calibrated distributions with one random stream."""

    def __init__(self, rng: random.Random, records: int) -> None:
        self.rng = rng
        pools = _text_pools()
        self._sentences = pools.sentences
        self._taglines = pools.taglines
        self._path_parts = pools.path_parts
        # An affine permutation of 1..modulus gives unique, scattered ids without memory.
        self._id_modulus = max(500_000, records * 10)
        self._id_step = _coprime_step(rng, self._id_modulus)
        self._id_offset = rng.randrange(self._id_modulus)
        self._imdb_modulus = 9_000_000
        self._imdb_step = _coprime_step(rng, self._imdb_modulus)
        self._imdb_offset = rng.randrange(self._imdb_modulus)

        def counts(weights: Sequence[int]) -> _Picker[int]:
            return _Picker(range(len(weights)), weights)

        self._genre = _Picker(
            [f"{{'id': {i}, 'name': {n!r}}}" for i, n, _ in profile.GENRES],
            profile.GENRE_SAMPLING_WEIGHTS,
        )
        self._genre_count = counts(profile.GENRE_COUNT_WEIGHTS)
        self._top_company = _Picker(
            [(i, _company_entry(n, i)) for i, n, _ in profile.TOP_COMPANIES],
            [w for _, _, w in profile.TOP_COMPANIES],
        )
        self._company_count = counts(profile.COMPANY_COUNT_WEIGHTS)
        self._company_tail = _PowerLawRanks(
            profile.COMPANY_TAIL_EXPONENT, profile.COMPANY_TAIL_OFFSET, profile.COMPANY_TAIL_SIZE
        )
        self._collection_tail = _PowerLawRanks(
            profile.COLLECTION_TAIL_EXPONENT,
            profile.COLLECTION_TAIL_OFFSET,
            profile.COLLECTION_TAIL_SIZE,
        )
        self._country = _Picker(
            [f"{{'iso_3166_1': {c!r}, 'name': {n!r}}}" for c, n, _ in profile.COUNTRIES],
            profile.COUNTRY_SAMPLING_WEIGHTS,
        )
        self._country_count = counts(profile.COUNTRY_COUNT_WEIGHTS)
        self._spoken_by_code = {c: f"{{'iso_639_1': {c!r}, 'name': {n!r}}}" for c, n, _ in profile.SPOKEN_LANGUAGES}
        self._spoken = _Picker(list(self._spoken_by_code.values()), profile.SPOKEN_SAMPLING_WEIGHTS)
        self._spoken_count = counts(profile.SPOKEN_COUNT_WEIGHTS)
        self._language = _Picker(*zip(*profile.ORIGINAL_LANGUAGES))
        self._status = _Picker(*zip(*profile.STATUS_WEIGHTS))
        self._year = _Picker(*_year_weights())
        self._month_day = [f"{m:02d}-{d:02d}" for m, n in enumerate(_DAYS_IN_MONTH, 1) for d in range(1, n + 1)]
        self._sentence_count = _Picker(*zip(*_OVERVIEW_SENTENCE_WEIGHTS))

    # --- whole records ---

    def row(self, index: int) -> list[str]:
        """One clean record; `index` picks its unique id."""
        rng = self.rng
        chance = rng.random
        movie_id = (self._id_step * index + self._id_offset) % self._id_modulus + 1
        imdb = (self._imdb_step * index + self._imdb_offset) % self._imdb_modulus + 100_000
        # One latent "fame" drives popularity, votes and whether money figures are known,
        # as in the real file (see BUDGET_KNOWN_BY_FAME_QUARTILE).
        fame_z = rng.gauss(0.0, 1.0)
        fame = _normal_cdf(fame_z)
        quartile = min(int(fame * 4), 3)
        rho = profile.VOTE_FAME_CORRELATION
        votes_u = _normal_cdf(rho * fame_z + math.sqrt(1 - rho * rho) * rng.gauss(0.0, 1.0))
        vote_count = round(math.expm1(_quantile(profile.LOG1P_VOTE_COUNT_Q, votes_u)))
        budget = self._budget(quartile)
        language = self._language.pick(rng)
        title = self._title()
        if language != "en" and chance() < profile.TITLE_TRANSLATED_RATE:
            original_title = self._foreign_title(language)
        else:
            original_title = title
        return [
            "False",
            self._collection() if chance() < profile.COLLECTION_RATE else "",
            str(budget),
            self.genres(),
            self._homepage(title) if chance() < profile.HOMEPAGE_RATE else "",
            str(movie_id),
            f"tt{imdb:07d}",
            language,
            original_title,
            self._overview(),
            _popularity(fame),
            self._poster_path() if chance() >= profile.POSTER_EMPTY_RATE else "",
            self.companies(),
            self._distinct_literal(self._country, self._country_count.pick(rng)),
            self._release_date(),
            # The real file spells revenue, runtime and vote_count as floats: 373554033.0.
            f"{float(self._revenue(quartile, budget))}",
            self._runtime(),
            self._spoken_languages(language),
            self._status.pick(rng),
            rng.choice(self._taglines) if chance() < profile.TAGLINE_RATE else "",
            title,
            "False",
            self._vote_average(vote_count),
            f"{float(vote_count)}",
        ]

    def repeat(self, earlier: list[str]) -> list[str]:
        """A later occurrence of an earlier record's id, sometimes with fresher figures."""
        row = list(earlier)
        rng = self.rng
        if rng.random() >= profile.DUPLICATE_EXACT_RATE:
            popularity, votes = _COLUMN["popularity"], _COLUMN["vote_count"]
            if row[popularity]:
                row[popularity] = str(round(float(row[popularity]) * rng.uniform(0.8, 1.3), 6))
            row[votes] = f"{float(row[votes]) + rng.randrange(20)}"
        return row

    def shift(self, row: list[str]) -> list[str]:
        """The real breakage: a split overview moves every later column 9 places to the left.

        The record keeps its 24 fields; `id` then holds the release date and `budget` the
        poster path, and the last 9 fields are empty.
        """
        fragment = f" - Written by {_person(self.rng)}"
        moved = [fragment, *row[_COLUMN["overview"] + 1 :]]
        return moved + [""] * (len(row) - len(moved))

    # --- dirt ---

    def invalid_date(self) -> str:
        """A release date that is not an ISO date, or not a real day."""
        rng = self.rng
        year = self._year.pick(rng)
        return rng.choice(
            (
                f"{year}-13-{rng.randrange(32, 60)}",
                f"{year}-02-30",
                "unknown",
                f"{rng.randrange(1, 13)}/{rng.randrange(1, 29)}/{year}",
                f"{year}-00-00",
            )
        )

    def truncated(self, literal: str, fallback: str) -> str:
        """A list literal cut short, as a broken export leaves it; never parses."""
        if literal == "[]":
            literal = fallback
        return literal[: self.rng.randrange(2, len(literal) - 1)]

    # --- list columns ---

    def genres(self, minimum: int = 0) -> str:
        """A genres literal: `[{'id': 16, 'name': 'Animation'}, ...]` (id first)."""
        return self._distinct_literal(self._genre, max(minimum, self._genre_count.pick(self.rng)))

    def companies(self, minimum: int = 0) -> str:
        """A companies literal: `[{'name': 'Pixar Animation Studios', 'id': 3}]` (name first)."""
        rng = self.rng
        count = max(minimum, self._company_count.pick(rng))
        if count == 0:
            return "[]"
        entries: dict[int, str] = {}
        for _ in range(count):
            if rng.random() < profile.TOP_COMPANY_SHARE:
                company_id, entry = self._top_company.pick(rng)
            else:
                rank = self._company_tail.draw(rng)
                company_id = profile.SYNTHETIC_COMPANY_ID_BASE + rank
                entry = _synthetic_company_entry(rank)
            entries[company_id] = entry
        return "[" + ", ".join(entries.values()) + "]"

    def _distinct_literal(self, picker: _Picker[str], count: int, first: str = "") -> str:
        if count == 0:
            return "[]"
        rng = self.rng
        if count == 1:
            return f"[{first or picker.pick(rng)}]"
        entries = dict.fromkeys([first] if first else [])
        # Redraws make up for repeats, so a movie gets the number of entries it was dealt.
        for _ in range(3 * count):
            if len(entries) >= count:
                break
            entries[picker.pick(rng)] = None
        return "[" + ", ".join(entries) + "]"

    def _spoken_languages(self, language: str) -> str:
        first = ""
        if language in self._spoken_by_code and self.rng.random() < profile.SPOKEN_FIRST_IS_ORIGINAL_RATE:
            first = self._spoken_by_code[language]
        return self._distinct_literal(self._spoken, self._spoken_count.pick(self.rng), first)

    def _collection(self) -> str:
        return _collection_literal(self._collection_tail.draw(self.rng))

    # --- numbers ---

    def _budget(self, quartile: int) -> int:
        rng = self.rng
        if rng.random() >= profile.BUDGET_KNOWN_BY_FAME_QUARTILE[quartile]:
            return 0
        value: float = 10.0 ** _quantile(profile.LOG10_BUDGET_Q, rng.random())
        style = rng.random()
        if style < profile.BUDGET_ROUND_MILLION_RATE and value >= 1e6:
            return round(value / 1e6) * 1_000_000
        if style < profile.BUDGET_ROUND_MILLION_RATE + profile.BUDGET_ROUND_100K_RATE and value >= 1e5:
            return round(value / 1e5) * 100_000
        return max(1, round(value))

    def _revenue(self, quartile: int, budget: int) -> int:
        rng = self.rng
        if budget:
            if rng.random() >= profile.REVENUE_KNOWN_IF_BUDGET_BY_FAME_QUARTILE[quartile]:
                return 0
            value: float = budget * 10.0 ** _quantile(profile.LOG10_REVENUE_RATIO_Q, rng.random())
        else:
            if rng.random() >= profile.REVENUE_KNOWN_IF_NO_BUDGET_BY_FAME_QUARTILE[quartile]:
                return 0
            value = 10.0 ** _quantile(profile.LOG10_REVENUE_Q, rng.random())
        if value > profile.REVENUE_MAX:
            # A big budget times a top multiplier: redraw below the record instead of piling
            # many movies up at one capped value.
            value = profile.REVENUE_MAX * (0.1 + 0.9 * rng.random())
        if value >= 1e5 and rng.random() < profile.REVENUE_ROUND_100K_RATE:
            return round(value / 1e5) * 100_000
        return max(1, round(value))

    def _release_date(self) -> str:
        rng = self.rng
        if rng.random() < profile.EMPTY_RELEASE_DATE_RATE:
            return ""
        year = self._year.pick(rng)
        if rng.random() < profile.JANUARY_FIRST_RATE:
            return f"{year}-01-01"
        return f"{year}-{rng.choice(self._month_day)}"

    def _runtime(self) -> str:
        r = self.rng.random()
        if r < profile.RUNTIME_EMPTY_RATE:
            return ""
        if r < profile.RUNTIME_EMPTY_RATE + profile.RUNTIME_ZERO_RATE:
            return "0.0"
        return f"{float(round(_quantile(profile.RUNTIME_Q, self.rng.random())))}"

    def _vote_average(self, vote_count: int) -> str:
        if vote_count == 0:
            return "0.0"
        return f"{round(_quantile(profile.VOTE_AVERAGE_Q, self.rng.random()), 1)}"

    # --- text ---

    def _title(self) -> str:
        rng = self.rng
        choice = rng.choice
        adjectives, nouns = profile.ADJECTIVES, profile.NOUNS
        r = rng.random()
        # Shares chosen to give the real 5.5% of titles with an apostrophe, 1.7% with a comma.
        if r < 0.10:
            return choice(nouns)
        if r < 0.20:
            return f"The {choice(nouns)}"
        if r < 0.40:
            return f"The {choice(adjectives)} {choice(nouns)}"
        if r < 0.55:
            return f"{choice(adjectives)} {choice(nouns)}"
        if r < 0.66:
            return f"{choice(nouns)} of the {choice(adjectives)} {choice(nouns)}"
        if r < 0.71:
            place = _accented(rng, profile.PLACES, profile.ACCENTED_PLACES, 0.12)
            return f"The {choice(nouns)} in {place}"
        if r < 0.765:
            return f"{choice(profile.FIRST_NAMES)}'s {choice(adjectives)} {choice(nouns)}"
        if r < 0.782:
            return f"{choice(adjectives)}, {choice(adjectives)} {choice(nouns)}"
        if r < 0.83:
            return f"{choice(adjectives)} {choice(nouns)} {rng.randrange(2, 5)}"
        if r < 0.998:
            return f"{choice(nouns)}: The {choice(adjectives)} {choice(nouns)}"
        return f'The "{choice(nouns)}"'

    def _foreign_title(self, language: str) -> str:
        rng = self.rng
        script = profile.FOREIGN_SCRIPT_BY_LANGUAGE.get(language, "latin")
        words = profile.FOREIGN_TITLE_WORDS[script]
        if script == "cjk":
            return "".join(rng.choices(words, k=rng.randrange(2, 6)))
        if rng.random() < 0.5:
            return rng.choice(words)
        return f"{rng.choice(words)} {rng.choice(words).lower()}"

    def _overview(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < profile.OVERVIEW_EMPTY_RATE:
            return ""
        sentences = rng.choices(self._sentences, k=self._sentence_count.pick(rng))
        if r < profile.OVERVIEW_EMPTY_RATE + profile.OVERVIEW_NEWLINE_RATE:
            # A few real overviews have paragraphs and a credit line.
            return "\n ".join(sentences) + f"\n - Written by {_person(self.rng)}"
        return " ".join(sentences)

    def _homepage(self, title: str) -> str:
        slug = "".join(ch for ch in title.lower() if ch.isascii() and ch.isalnum()) or "movie"
        if self.rng.random() < 0.5:
            return f"http://www.{slug}.com/"
        return f"http://www.studio{self.rng.randrange(1, 40)}.com/movies/{slug}/"

    def _poster_path(self) -> str:
        # Three pooled 9-character parts: 6.9e10 distinct paths at the cost of three lookups.
        parts = self._path_parts
        size = len(parts)
        rng = self.rng
        path = parts[int(rng.random() * size)] + parts[int(rng.random() * size)]
        path += parts[int(rng.random() * size)]
        # 97.5% of real paths have 27 characters before ".jpg", the rest 26.
        return f"/{path if rng.random() < 0.975 else path[:26]}.jpg"


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Sentences per overview, tuned so that overview lengths follow the real deciles (119..527
# characters, median 302).
_OVERVIEW_SENTENCE_WEIGHTS = ((1, 10), (2, 22), (3, 22), (4, 18), (5, 13), (6, 9), (7, 4), (8, 2))


_SQRT2 = math.sqrt(2.0)


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / _SQRT2)


def _popularity(fame: float) -> str:
    # str(round(x, 6)) is how the real file spells it: 21.946943, 0.59271, 8.2e-05.
    return str(round(10.0 ** _quantile(profile.LOG10_POPULARITY_Q, fame), 6))


def _quantile(table: Sequence[float], u: float) -> float:
    points = profile.QUANTILE_POINTS
    i = min(bisect.bisect_right(points, u) - 1, len(points) - 2)
    low, high = points[i], points[i + 1]
    return table[i] + (table[i + 1] - table[i]) * (u - low) / (high - low)


def _coprime_step(rng: random.Random, modulus: int) -> int:
    while True:
        step = rng.randrange(modulus // 3, 2 * modulus // 3)
        if math.gcd(step, modulus) == 1:
            return step


def _year_weights() -> tuple[list[int], list[float]]:
    decades = dict(profile.DECADE_WEIGHTS)
    years = list(range(profile.FIRST_YEAR, profile.LAST_YEAR + 1))
    weights = []
    for year in years:
        decade = year // 10 * 10
        years_in_decade = sum(1 for y in years if y // 10 * 10 == decade)
        share = decades.get(decade, 0) / years_in_decade
        weights.append(share * profile.YEAR_WEIGHT_OVERRIDES.get(year, 1.0))
    return years, weights


class _PowerLawRanks:
    """Ranks 0, 1, 2, ... with weight ~ (rank + offset)^-exponent: a tail that keeps growing."""

    def __init__(self, exponent: float, offset: float, size: int) -> None:
        self._power = -1.0 / (exponent - 1.0)
        self._offset = offset
        self._size = size

    def draw(self, rng: random.Random) -> int:
        # Inverse CDF of a shifted Pareto; the rare huge ranks fold back into the range.
        return int(self._offset * ((1.0 - rng.random()) ** self._power - 1.0)) % self._size


def _mix64(value: int) -> int:
    # splitmix64: a cheap, well-spread hash, so a synthetic name depends only on its rank.
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


class _Digits:
    """Successive picks from the digits of a big hash: a random stream with no state to keep."""

    def __init__(self, key: int) -> None:
        self._value = _mix64(key) | _mix64(key ^ 0x5555) << 64 | _mix64(key ^ 0xAAAA) << 128

    def pick(self, options: Sequence[str]) -> str:
        self._value, i = divmod(self._value, len(options))
        return options[i]

    def below(self, n: int) -> int:
        self._value, i = divmod(self._value, n)
        return i


def _company_entry(name: str, company_id: int) -> str:
    # repr() quotes exactly like the Python-written real file: "Butcher's Run Films".
    return f"{{'name': {name!r}, 'id': {company_id}}}"


@functools.lru_cache(maxsize=_NAME_CACHE_SIZE)
def _synthetic_company_entry(rank: int) -> str:
    return _company_entry(_company_name(rank), profile.SYNTHETIC_COMPANY_ID_BASE + rank)


def _company_name(rank: int) -> str:
    """A stable invented company name for a tail rank, with the real share of odd characters."""
    d = _Digits(rank)
    shape = d.below(1000)
    suffix = d.pick(profile.COMPANY_SUFFIXES)
    surname, other = d.pick(profile.SURNAMES), d.pick(profile.SURNAMES)
    adjective, noun = d.pick(profile.ADJECTIVES), d.pick(profile.NOUNS)
    # Real company names: 1.1% have an apostrophe, 1.5% an ampersand, 0.9% a comma,
    # 0.06% a double quote, 4.5% a non-ASCII letter.
    if shape < 11:
        return f"{surname}'s {noun} {suffix}"
    if shape < 26:
        return f"{surname} & {other} {suffix}"
    if shape < 35:
        return f"{noun} {suffix}, Inc."
    if shape < 36:
        return f'Studio "{noun}"'
    if shape < 81:
        pattern = d.pick(profile.FOREIGN_COMPANY_PATTERNS)
        return pattern.format(w=d.pick(profile.FOREIGN_COMPANY_WORDS))
    if shape < 110:
        initials = "".join(word[0] for word in (adjective, noun, suffix))
        return f"{adjective} {noun} {suffix} ({initials})"
    if shape < 300:
        return f"{surname} {suffix}"
    if shape < 450:
        return f"{d.pick(profile.FIRST_NAMES)} {surname} {suffix}"
    if shape < 800:
        return f"{adjective} {noun} {suffix}"
    return f"{noun} {suffix}"


@functools.lru_cache(maxsize=_NAME_CACHE_SIZE)
def _collection_literal(rank: int) -> str:
    d = _Digits(rank + (1 << 40))
    shape = d.below(10)
    noun, adjective = d.pick(profile.NOUNS), d.pick(profile.ADJECTIVES)
    if shape < 5:
        name = f"The {adjective} {noun} Collection"
    elif shape < 8:
        name = f"{noun} Collection"
    elif shape < 9:
        name = f"{d.pick(profile.FIRST_NAMES)}'s {noun} Collection"
    else:
        name = f"{adjective} {noun} Trilogy"
    no_poster = d.below(1000) < profile.COLLECTION_POSTER_NONE_RATE * 1000
    no_backdrop = d.below(1000) < profile.COLLECTION_BACKDROP_NONE_RATE * 1000
    literal = {
        "id": profile.SYNTHETIC_COLLECTION_ID_BASE + rank,
        "name": name,
        "poster_path": None if no_poster else _hashed_path(2 * rank),
        "backdrop_path": None if no_backdrop else _hashed_path(2 * rank + 1),
    }
    # repr() of the dict is the real file's spelling, None included.
    return repr(literal)


def _hashed_path(key: int) -> str:
    d = _Digits(key + (1 << 41))
    return "/" + "".join(d.pick(_B62) for _ in range(27)) + ".jpg"


def _accented(rng: random.Random, plain: Sequence[str], accented: Sequence[str], rate: float) -> str:
    return rng.choice(accented) if rng.random() < rate else rng.choice(plain)


def _person(rng: random.Random) -> str:
    rate = profile.ACCENTED_TEXT_RATE
    first = _accented(rng, profile.FIRST_NAMES, profile.ACCENTED_FIRST_NAMES, rate)
    return f"{first} {_accented(rng, profile.SURNAMES, profile.ACCENTED_SURNAMES, rate)}"


@dataclass(frozen=True)
class _TextPools:
    sentences: tuple[str, ...]
    taglines: tuple[str, ...]
    path_parts: tuple[str, ...]


@functools.cache
def _text_pools() -> _TextPools:
    rng = random.Random(_VOCABULARY_SEED)
    return _TextPools(
        sentences=tuple(_sentence(rng) for _ in range(20_000)),
        taglines=tuple(_tagline(rng) for _ in range(20_000)),
        path_parts=tuple("".join(rng.choices(_B62, k=9)) for _ in range(4096)),
    )


def _a(word: str) -> str:
    """The word with its indefinite article."""
    return f"an {word}" if word[0] in "aeiouAEIOU" else f"a {word}"


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _sentence(rng: random.Random) -> str:
    choice = rng.choice

    def noun() -> str:
        return choice(profile.NOUNS).lower()

    def adjective() -> str:
        return choice(profile.ADJECTIVES).lower()

    def place() -> str:
        return _accented(rng, profile.PLACES, profile.ACCENTED_PLACES, profile.ACCENTED_TEXT_RATE)

    templates = (
        lambda: (
            f"{_person(rng)}, {_a(adjective())} {noun()} from {place()}, must "
            f"{choice(profile.GOALS)} before it is too late."
        ),
        lambda: (
            f"When {choice(profile.FIRST_NAMES)} meets {_a(adjective())} {noun()}, an "
            f"ordinary {noun()} turns into a desperate fight to {choice(profile.GOALS)}."
        ),
        lambda: (
            f"Set in {place()} in {rng.randrange(1900, 2016)}, the film follows "
            f"{_a(noun())}, {_a(noun())} and their {adjective()} plan to {choice(profile.GOALS)}."
        ),
        lambda: f"Based on the novel by {_person(rng)}.",
        lambda: (
            f"After the death of the {noun()}, {choice(profile.FIRST_NAMES)} returns to "
            f"{place()} to {choice(profile.GOALS)}, with unexpected help from an old {noun()}."
        ),
        lambda: (
            f'Known to everyone as "the {adjective()} {noun()}", {_person(rng)} has one '
            f"chance left to {choice(profile.GOALS)}."
        ),
        lambda: (
            f"{_a(adjective()).capitalize()} story of {_plural(noun())}, "
            f"{_plural(noun())} and {_plural(noun())} in {place()}."
        ),
        lambda: (
            f"{choice(profile.FIRST_NAMES)}'s {noun()} is {adjective()}, and nobody in "
            f"{place()} wants to talk about it."
        ),
        lambda: (
            f"Years later, {_person(rng)} and {_person(rng)} discover that the "
            f"{adjective()} {noun()} was never what it seemed."
        ),
        lambda: (
            f'Featuring the song "{choice(profile.ADJECTIVES)} {choice(profile.NOUNS)}" '
            f"&amp; {_a(adjective())} score by {_person(rng)}."
        ),
    )
    # The quoting templates are rare: about 11% of real overviews contain a double quote.
    weights = (14, 14, 12, 6, 12, 2, 10, 12, 12, 1)
    return rng.choices(templates, weights=weights)[0]()


def _tagline(rng: random.Random) -> str:
    choice = rng.choice

    def noun() -> str:
        return choice(profile.NOUNS).lower()

    def adjective() -> str:
        return choice(profile.ADJECTIVES).lower()

    templates = (
        lambda: f"Every {noun()} has {_a(noun())}.",
        lambda: f"Some {_plural(noun())} can't be {adjective()}.",
        lambda: f"In {choice(profile.PLACES)}, nobody's {adjective()} for long.",
        lambda: f"The {noun()} is {adjective()}. The {noun()} is {adjective()}.",
        lambda: f"{choice(profile.ADJECTIVES)} {noun()}, {adjective()} heart.",
        lambda: f"It's not the {noun()}. It's the {adjective()} {noun()}.",
        lambda: f"They came to {choice(profile.GOALS)}. They stayed for the {noun()}.",
        lambda: f"One {noun()}. One {adjective()} {noun()}. No way back.",
        lambda: (
            f"This summer, {_a(adjective())} {noun()} will have to {choice(profile.GOALS)}, "
            f"whatever the {noun()} costs."
        ),
        lambda: f'Remember the name: "{choice(profile.FIRST_NAMES)}".',
    )
    weights = (12, 8, 6, 12, 10, 10, 14, 12, 14, 1)
    return rng.choices(templates, weights=weights)[0]()
