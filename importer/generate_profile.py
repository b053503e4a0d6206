"""Calibration tables and vocabulary for the synthetic movies_metadata.csv generator.

Unless a comment says otherwise, every number here was measured once on the real first 5,000
records of Kaggle's "The Movies Dataset" (../shared/data/movies_metadata_head5000.csv.gz).
Weights are raw counts in that sample; only their ratios matter.
Quantile tables hold one value per QUANTILE_POINTS entry (min, 1st, 5th, 10th, ..., 95th, 99th
percentile, max); values in between are interpolated linearly.
"""

from __future__ import annotations

HEADER: tuple[str, ...] = (
    "adult", "belongs_to_collection", "budget", "genres", "homepage", "id", "imdb_id",
    "original_language", "original_title", "overview", "popularity", "poster_path",
    "production_companies", "production_countries", "release_date", "revenue", "runtime",
    "spoken_languages", "status", "tagline", "title", "video", "vote_average", "vote_count",
)

QUANTILE_POINTS: tuple[float, ...] = (0.0, 0.01, *(p / 100 for p in range(5, 100, 5)), 0.99, 1.0)

# --- Genres: all TMDB genres with their real ids; weight = movies having the genre. ---
GENRES: tuple[tuple[int, str, int], ...] = (
    (18, "Drama", 2623), (35, "Comedy", 1863), (10749, "Romance", 1121),
    (53, "Thriller", 1068), (28, "Action", 886), (80, "Crime", 653), (12, "Adventure", 589),
    (27, "Horror", 518), (878, "Science Fiction", 465), (10751, "Family", 450),
    (9648, "Mystery", 363), (14, "Fantasy", 361), (10402, "Music", 233), (10752, "War", 162),
    (36, "History", 159), (16, "Animation", 138), (99, "Documentary", 138),
    (37, "Western", 111), (10769, "Foreign", 100), (10770, "TV Movie", 7),
)
# A movie's entries are drawn without repeats, which under-represents the frequent ones;
# these sampling weights (same order as the table above) were fitted by simulation so that
# the generated share of movies having each entry matches the measured one.
GENRE_SAMPLING_WEIGHTS: tuple[int, ...] = (
    3337, 2026, 1094, 1040, 835, 595, 541, 467, 419, 407, 324, 332, 202, 145, 145, 124, 120,
    94, 88, 6,
)
# Movies by number of genres: index = count.
GENRE_COUNT_WEIGHTS: tuple[int, ...] = (106, 1017, 1687, 1381, 609, 168, 26, 6)

# --- Production companies. ---
# The 40 most frequent companies (real ids and names); they take a third of all mentions.
TOP_COMPANIES: tuple[tuple[int, str, int], ...] = (
    (6194, "Warner Bros.", 350), (4, "Paramount Pictures", 303),
    (33, "Universal Pictures", 267), (306, "Twentieth Century Fox Film Corporation", 223),
    (8411, "Metro-Goldwyn-Mayer (MGM)", 155), (5, "Columbia Pictures", 146),
    (441, "Columbia Pictures Corporation", 131), (12, "New Line Cinema", 125),
    (9195, "Touchstone Pictures", 121), (559, "TriStar Pictures", 119),
    (14, "Miramax Films", 110), (60, "United Artists", 109), (2, "Walt Disney Pictures", 84),
    (41, "Orion Pictures", 71), (5358, "Canal+", 70), (915, "Hollywood Pictures", 64),
    (1382, "PolyGram Filmed Entertainment", 57), (3166, "Walt Disney Productions", 57),
    (97, "Castle Rock Entertainment", 49), (181, "Channel Four Films", 49),
    (56, "Amblin Entertainment", 45), (508, "Regency Enterprises", 43),
    (10210, "Morgan Creek Productions", 42), (8, "Fine Line Features", 40),
    (6, "RKO Radio Pictures", 33), (7405, "Dimension Films", 29), (27, "DreamWorks SKG", 29),
    (79, "Village Roadshow Pictures", 28), (14723, "Carolco Pictures", 26),
    (175, "Caravan Pictures", 26), (10201, "Interscope Communications", 24),
    (1885, "Silver Pictures", 24), (3324, "British Broadcasting Corporation (BBC)", 24),
    (23, "Imagine Entertainment", 24), (43, "Fox Searchlight Pictures", 23),
    (1950, "New World Pictures", 22), (10308, "Dino De Laurentiis Company", 19),
    (18367, "Centre National de la Cinématographie (CNC)", 19),
    (10163, "Working Title Films", 19), (4319, "40 Acres & A Mule Filmworks", 19),
)
TOP_COMPANY_SHARE = 0.3333
# The other two thirds come from a synthetic power-law tail: rank k has weight ~ (k + K0)^-S.
# S and K0 were fitted by simulation so that 5,000 records show the real 3,618 distinct
# companies (2,586 of them seen once); the distinct count then keeps growing with the file.
COMPANY_TAIL_EXPONENT = 1.4
COMPANY_TAIL_OFFSET = 180.0
COMPANY_TAIL_SIZE = 50_000_000
# Real company ids stay below 100,000 here, so synthetic ids start above them.
SYNTHETIC_COMPANY_ID_BASE = 100_000
# Movies by number of companies: index = count.
COMPANY_COUNT_WEIGHTS: tuple[int, ...] = (
    561, 1727, 1365, 817, 281, 106, 68, 26, 20, 10, 5, 5, 3, 0, 1, 1, 1, 0, 0, 1,
)

# --- Collections: 16.5% of movies belong to one; 446 distinct collections over 825 movies. ---
COLLECTION_RATE = 825 / 5000
COLLECTION_TAIL_EXPONENT = 2.0
COLLECTION_TAIL_OFFSET = 120.0
COLLECTION_TAIL_SIZE = 5_000_000
COLLECTION_POSTER_NONE_RATE = 47 / 825
COLLECTION_BACKDROP_NONE_RATE = 145 / 825
SYNTHETIC_COLLECTION_ID_BASE = 500_000

# --- Money. Budgets and revenues of 0 mean unknown. ---
# Everything is driven by a per-movie "fame" quantile that also sets popularity; the known
# rates below are per popularity quartile (least popular first).
BUDGET_KNOWN_BY_FAME_QUARTILE = (0.0904, 0.2960, 0.5840, 0.7800)
REVENUE_KNOWN_IF_BUDGET_BY_FAME_QUARTILE = (0.602, 0.589, 0.799, 0.899)
REVENUE_KNOWN_IF_NO_BUDGET_BY_FAME_QUARTILE = (0.081, 0.185, 0.285, 0.425)
LOG10_BUDGET_Q = (
    0.0, 2.029, 5.505, 6.0, 6.255, 6.431, 6.602, 6.699, 6.845, 6.968, 7.079, 7.146, 7.204,
    7.301, 7.362, 7.431, 7.505, 7.602, 7.681, 7.778, 7.903, 8.061, 8.301,
)
# Of the budgets of a million or more, 82% are whole millions and 13.5% whole 100,000s.
BUDGET_ROUND_MILLION_RATE = 0.82
BUDGET_ROUND_100K_RATE = 0.135
# log10(revenue / budget) when both are known: 75% of such movies make a profit. The real
# extremes (-6 and +7) come from budgets typed in millions (budget 1); they are clipped to +-3.
LOG10_REVENUE_RATIO_Q = (
    -3.0, -1.666, -0.704, -0.416, -0.241, -0.117, 0.0, 0.097, 0.179, 0.26, 0.33, 0.39,
    0.452, 0.51, 0.59, 0.654, 0.737, 0.835, 0.938, 1.085, 1.359, 2.067, 3.0,
)
# Revenue of movies whose budget is unknown.
LOG10_REVENUE_Q = (
    0.0, 0.699, 4.204, 5.322, 5.629, 5.88, 6.176, 6.39, 6.523, 6.659, 6.786, 6.89, 6.994,
    7.115, 7.222, 7.302, 7.363, 7.457, 7.57, 7.653, 7.852, 8.107, 8.379,
)
REVENUE_ROUND_100K_RATE = 0.138
# No film has grossed more than Avatar's ~2.8 billion.
REVENUE_MAX = 2.8e9

# --- Popularity and votes. ---
# The real minimum is -5.398 (4e-06); it is raised so that, as in the head, only 0.06% of
# values fall below 1e-4 (which Python spells like 8.2e-05).
LOG10_POPULARITY_Q = (
    -4.08, -2.757, -0.847, -0.33, -0.088, 0.074, 0.21, 0.326, 0.438, 0.526, 0.619, 0.695,
    0.76, 0.811, 0.855, 0.897, 0.944, 0.991, 1.036, 1.085, 1.155, 1.289, 2.149,
)
LOG1P_VOTE_COUNT_Q = (
    0.0, 0.0, 0.693, 1.386, 1.946, 2.398, 2.639, 2.944, 3.178, 3.434, 3.689, 3.912, 4.159,
    4.407, 4.673, 4.934, 5.22, 5.545, 5.9, 6.344, 6.997, 8.133, 9.178,
)
# Spearman(popularity, vote_count) is 0.87; votes follow fame through a Gaussian copula whose
# correlation 2*sin(pi/6 * 0.87) = 0.88 gives that rank correlation.
VOTE_FAME_CORRELATION = 0.88
# Vote average of movies with at least one vote (movies with none have 0.0).
VOTE_AVERAGE_Q = (
    0.0, 3.1, 4.4, 5.0, 5.2, 5.5, 5.6, 5.8, 6.0, 6.1, 6.2, 6.3, 6.4, 6.6, 6.7, 6.8, 7.0,
    7.1, 7.3, 7.5, 7.7, 8.2, 10.0,
)
RUNTIME_Q = (
    5.0, 67.0, 80.0, 85.0, 88.0, 90.0, 92.0, 94.0, 96.0, 98.0, 100.0, 102.0, 104.0, 106.0,
    108.0, 111.0, 114.0, 118.0, 122.0, 128.0, 139.0, 178.0, 298.0,
)
RUNTIME_EMPTY_RATE = 6 / 5000
RUNTIME_ZERO_RATE = 50 / 5000

# --- Release dates. ---
# The head is ordered by TMDB id and stops around 2002, so it cannot give the year spread of a
# whole file; these decade weights approximate the full public file (mostly 1990s-2010s).
DECADE_WEIGHTS: tuple[tuple[int, int], ...] = (
    (1870, 5), (1880, 5), (1890, 60), (1900, 90), (1910, 250), (1920, 600), (1930, 1400),
    (1940, 1500), (1950, 2000), (1960, 2400), (1970, 2800), (1980, 3600), (1990, 5200),
    (2000, 10800), (2010, 13700),
)
FIRST_YEAR = 1874
LAST_YEAR = 2020
# Within the 2010s the real catalogue thins out after 2017 (the dump dates from 2017).
YEAR_WEIGHT_OVERRIDES: dict[int, float] = {2018: 0.03, 2019: 0.004, 2020: 0.002}
EMPTY_RELEASE_DATE_RATE = 4 / 5000
JANUARY_FIRST_RATE = 0.0342

# --- Dirt: one event per this many records on average (real file: per ~45,000 records). ---
SHIFTED_RECORD_EVERY = 15_000  # 3 records whose overview broke the columns
DUPLICATE_ID_EVERY = 1_500  # ~30 repeated ids (the head has 1: 105045)
# Not in the real file but allowed by the contract, kept rare:
INVALID_RELEASE_DATE_EVERY = 5_000
UNPARSABLE_GENRES_EVERY = 5_000
UNPARSABLE_COMPANIES_EVERY = 5_000
EMPTY_POPULARITY_EVERY = 7_500
ADULT_EVERY = 5_000
# Share of duplicates that repeat the earlier record byte for byte (the rest carry a fresher
# popularity and vote count, as a later TMDB snapshot would).
DUPLICATE_EXACT_RATE = 0.5

# --- Other columns. ---
HOMEPAGE_RATE = 311 / 5000
TAGLINE_RATE = 1 - 1251 / 5000
OVERVIEW_EMPTY_RATE = 21 / 5000
OVERVIEW_NEWLINE_RATE = 4 / 5000
POSTER_EMPTY_RATE = 21 / 5000
STATUS_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("Released", 4978), ("Rumored", 15), ("", 6), ("Post Production", 1),
)
ORIGINAL_LANGUAGES: tuple[tuple[str, int], ...] = (
    ("en", 4476), ("fr", 169), ("de", 68), ("it", 66), ("es", 39), ("ja", 38), ("zh", 26),
    ("cn", 21), ("sv", 11), ("fa", 10), ("ru", 10), ("pt", 9), ("nl", 8), ("da", 7),
    ("sr", 4), ("cs", 4), ("no", 4), ("xx", 3), ("ko", 2), ("hu", 2), ("pl", 2),
)
# Non-English movies whose title is translated (473 of 524 in the head).
TITLE_TRANSLATED_RATE = 0.90
COUNTRIES: tuple[tuple[str, str, int], ...] = (
    ("US", "United States of America", 3723), ("GB", "United Kingdom", 615),
    ("FR", "France", 375), ("DE", "Germany", 221), ("CA", "Canada", 158),
    ("IT", "Italy", 145), ("AU", "Australia", 87), ("JP", "Japan", 87), ("ES", "Spain", 62),
    ("HK", "Hong Kong", 46), ("IE", "Ireland", 41), ("BE", "Belgium", 32),
    ("SE", "Sweden", 25), ("CN", "China", 21), ("CH", "Switzerland", 21),
    ("NL", "Netherlands", 21), ("MX", "Mexico", 20), ("RU", "Russia", 17),
    ("NZ", "New Zealand", 17), ("DK", "Denmark", 15), ("AT", "Austria", 13),
    ("TW", "Taiwan", 12), ("IR", "Iran", 11), ("AR", "Argentina", 11),
    ("CZ", "Czech Republic", 11), ("LU", "Luxembourg", 8), ("BR", "Brazil", 7),
)
# Fitted like GENRE_SAMPLING_WEIGHTS.
COUNTRY_SAMPLING_WEIGHTS: tuple[int, ...] = (
    5304, 572, 327, 190, 138, 132, 75, 78, 57, 39, 37, 29, 22, 18, 18, 17, 17, 14, 13, 13,
    10, 9, 10, 10, 10, 7, 6,
)
COUNTRY_COUNT_WEIGHTS: tuple[int, ...] = (340, 3734, 672, 171, 49, 28, 5)
SPOKEN_LANGUAGES: tuple[tuple[str, str, int], ...] = (
    ("en", "English", 4387), ("fr", "Français", 495), ("es", "Español", 324),
    ("de", "Deutsch", 294), ("it", "Italiano", 258), ("ru", "Pусский", 138),
    ("ja", "日本語", 91), ("zh", "普通话", 67), ("hu", "Magyar", 51), ("la", "Latin", 49),
    ("cn", "广州话 / 廣州話", 49), ("pt", "Português", 47), ("cs", "Český", 34),
    ("ar", "العربية", 31), ("pl", "Polski", 29), ("sv", "svenska", 22),
    ("vi", "Tiếng Việt", 21), ("yi", "", 18), ("he", "עִבְרִית", 16), ("nl", "Nederlands", 14),
    ("el", "ελληνικά", 14), ("fa", "فارسی", 13), ("ko", "한국어/조선말", 11),
    ("da", "Dansk", 11), ("no", "Norsk", 11), ("xx", "No Language", 8),
    ("sr", "Srpski", 6),
)
# Fitted like GENRE_SAMPLING_WEIGHTS, with the original language listed first.
SPOKEN_SAMPLING_WEIGHTS: tuple[int, ...] = (
    5064, 494, 391, 305, 260, 159, 73, 53, 60, 58, 39, 50, 42, 42, 32, 17, 28, 20, 19, 9,
    15, 5, 13, 6, 9, 6, 3,
)
SPOKEN_COUNT_WEIGHTS: tuple[int, ...] = (187, 3585, 813, 274, 96, 32, 10, 3)
# The original language is listed first in 87% of movies.
SPOKEN_FIRST_IS_ORIGINAL_RATE = 0.87

# --- Vocabulary for synthetic text (invented, not measured). ---
# Accented words live in separate lists so their share can be set: 5% of real overviews,
# 0.6% of titles and 4.5% of company names contain a non-ASCII letter.
ACCENTED_TEXT_RATE = 0.008
ADJECTIVES: tuple[str, ...] = (
    "Silent", "Dark", "Last", "Lost", "Broken", "Golden", "Wild", "Secret", "Hidden", "Crimson",
    "Burning", "Frozen", "Forgotten", "Endless", "Little", "Big", "Blue", "Red", "White",
    "Black", "Deadly", "Sweet", "Bitter", "Strange", "Final", "Eternal", "Savage", "Quiet",
    "Lonely", "Perfect", "Dangerous", "Midnight", "Electric", "Hollow", "Iron", "Velvet",
    "Restless", "Fallen", "Distant", "Brave", "Crazy", "Mad", "Happy", "Cold", "Hot", "Naked",
    "Hungry", "Invisible", "Wicked", "Innocent", "Sleeping", "Wandering", "Shattered", "Scarlet",
    "Emerald", "Silver", "Bloody", "Holy", "Cruel", "Gentle", "Fearless", "Reckless", "Young",
    "Old", "Dirty", "Pretty", "Ugly", "Lucky", "Unlucky", "Rising", "Sinking",
    "Northern", "Southern", "Western", "Eastern", "Hard", "Soft", "Grand", "Tiny", "Magic",
    "Stolen", "Borrowed", "Hunted", "Haunted", "Blind", "Mighty", "Lazy", "Bright", "Pale",
    "Furious", "Loyal", "Foolish", "Royal", "Rebel", "Twisted", "Sacred", "Violent", "Tender",
    "Mysterious", "Ordinary", "Impossible", "Glorious", "Vanishing", "Falling", "Flying",
)
NOUNS: tuple[str, ...] = (
    "Heart", "Night", "River", "City", "Road", "House", "Summer", "Winter", "Dream", "Game",
    "Storm", "Shadow", "Fire", "Island", "Kingdom", "Mirror", "Stranger", "Witness", "Angel",
    "Hunter", "Soldier", "Lover", "Thief", "Ghost", "Moon", "Sun", "Garden", "Train",
    "Promise", "Secret", "Mountain", "Ocean", "Empire", "Legend", "Circle", "Highway",
    "Detective", "Sister", "Brother", "Daughter", "Son", "Mother", "Father", "Wedding",
    "Funeral", "Journey", "Escape", "Return", "Revenge", "Paradise", "Desert", "Forest",
    "Prison", "Hotel", "Party", "Bride", "King", "Queen", "Prince", "Witch", "Dragon",
    "Sheriff", "Gun", "Rose", "Diamond", "Horse", "Wolf", "Tiger", "Snake", "Eagle", "Spider",
    "Doctor", "Teacher", "Lawyer", "Priest", "Pilot", "Sailor", "Gambler", "Dancer", "Singer",
    "Boxer", "Spy", "Assassin", "Outlaw", "Cowboy", "Widow", "Orphan", "Giant",
    "Monster", "Machine", "Robot", "Planet", "Star", "Galaxy", "Harbor", "Bridge", "Tower",
    "Castle", "Cathedral", "Village", "Station", "Street", "Alley", "Window", "Door", "Key",
    "Letter", "Song", "Dance", "Kiss", "Lie", "Truth", "Blood", "Bone", "Skin", "Eye", "Hand",
    "Voice", "Silence", "Memory", "Morning", "Evening", "Autumn", "Spring", "Rain", "Snow",
    "Wind", "Thunder", "Lightning", "Sea", "Lake", "Valley", "Canyon", "Jungle", "Swamp",
    "Sky", "Heaven", "Hell", "Devil", "Saint", "Sinner", "Crown", "Sword", "Shield", "Arrow",
    "Ring", "Mask", "Curse", "Spell", "Ritual", "Hunt", "Chase", "Race", "Fight", "War",
    "Peace", "Victory", "Defeat", "Battle", "Siege", "Mission", "Affair", "Scandal", "Crime",
    "Murder", "Heist", "Deal", "Debt", "Fortune", "Gold", "Money", "Ticket", "Picnic",
    "Holiday", "Birthday", "Reunion", "Exile", "Frontier", "Border", "Colony", "Republic",
)
FIRST_NAMES: tuple[str, ...] = (
    "Jack", "Anna", "Max", "Lucy", "Sam", "Eva", "Tom", "Maria", "Frank", "Nina", "Paul",
    "Julia", "Leo", "Clara", "Harry", "Rosa", "Victor", "Elena", "Oscar", "Grace", "Billy",
    "Molly", "Henry", "Alice", "Ray", "Lola", "Walter", "Diane", "Eddie", "Joan", "Marty",
    "Sally", "Nick", "Kate", "Louis", "Helen", "Danny", "Ruth", "George", "Vera", "Tony",
    "Irene", "Arthur", "Betty", "Carl", "Judy", "Hugo", "Maggie", "Ben", "Laura",
)
SURNAMES: tuple[str, ...] = (
    "Miller", "Baker", "Carter", "Hayes", "Brooks", "Sullivan", "Reed", "Porter", "Fischer",
    "Moreau", "Rossi", "Kowalski", "Lindqvist", "Novak", "Schneider", "Duval", "Bianchi",
    "Hartmann", "Donovan", "Whitaker", "Kingsley", "Ashford", "Blackwood", "Goldberg",
    "Morgan", "Fletcher", "Lambert", "Castillo", "Okafor", "Tanaka", "Petrov", "Walsh",
    "Harper", "Quinn", "Mercer", "Doyle", "Vance", "Sterling", "Keller", "Marsh", "Holloway",
)
PLACES: tuple[str, ...] = (
    "Paris", "New York", "Chicago", "Texas", "Vienna", "Berlin", "Tokyo", "London", "Rome",
    "Brooklyn", "Hong Kong", "Alaska", "Mexico", "Venice", "Moscow", "Harlem", "Montana",
    "Las Vegas", "Dublin", "Sicily", "Marseille", "Shanghai", "Havana", "Cairo", "Bombay",
)
ACCENTED_FIRST_NAMES: tuple[str, ...] = (
    "José", "Zoë", "Søren", "Chloé", "Björn", "Andrés", "Miloš", "Renée", "François", "Ángel",
)
ACCENTED_SURNAMES: tuple[str, ...] = (
    "Ørnås", "Müller", "Jiménez", "Lefèvre", "Nordström", "Čapek", "Gómez", "Dvořák",
)
ACCENTED_PLACES: tuple[str, ...] = (
    "Zürich", "São Paulo", "Málaga", "Kraków", "Reykjavík", "Montréal",
)
FOREIGN_TITLE_WORDS: dict[str, tuple[str, ...]] = {
    "latin": (
        "La Nuit", "Le Mépris", "Les Enfants", "Das Versprechen", "Der Himmel", "Die Brücke",
        "La Strada", "Il Sorpasso", "La Dolce Vita", "El Verano", "La Casa", "Os Dias",
        "Het Meisje", "Sommarnatten", "Vredens Dag", "Ça Ira", "Là-bas", "Été Brûlant",
        "Förräderi", "Żywot", "Čtvrtý Den", "Ánimas", "Le Voyage", "Die Stunde", "Il Cielo",
        "La Mer", "Der Fremde", "El Camino", "La Famille", "Il Ritorno", "Das Boot", "La Fille",
    ),
    "cjk": tuple("人生東京夜雨花月光風海山城子女男愛夢道心天地春夏秋冬家紅白黒青島橋門火水"),
    "cyrillic": (
        "Сталкер", "Зеркало", "Летят", "журавли", "Брат", "Ночь", "Дорога", "Город", "Солнце",
        "Война", "Любовь", "Дом", "Река", "Зима",
    ),
}
FOREIGN_SCRIPT_BY_LANGUAGE: dict[str, str] = {
    "ja": "cjk", "zh": "cjk", "cn": "cjk", "ko": "cjk", "ru": "cyrillic", "sr": "cyrillic",
}
COMPANY_SUFFIXES: tuple[str, ...] = (
    "Productions", "Films", "Pictures", "Entertainment", "Film Company", "Studios", "Media",
    "Film", "Productions Inc.", "Filmworks", "Company", "Group", "Cinema", "Features",
)
FOREIGN_COMPANY_PATTERNS: tuple[str, ...] = (
    "Les Films du {w}", "{w} Cinéma", "{w} Filmproduktion", "Producciones {w}",
    "Société {w}", "{w} Produções", "Télé {w}", "{w} Filmgesellschaft München",
)
FOREIGN_COMPANY_WORDS: tuple[str, ...] = (
    "Losange", "Soleil", "Carrosse", "Lumière", "Río", "Sol", "Mar", "Nordlicht", "Fjord",
    "Étoile", "Aurora", "Céu", "Mistral", "Dünen", "Ébano", "Colibrí",
)
GOALS: tuple[str, ...] = (
    "uncover the truth", "find a way home", "save the family farm", "win back an old love",
    "clear a name", "pull off one last job", "survive the winter", "stop a killer",
    "keep a promise", "escape the city", "protect a stranger", "face the past",
    "find the missing money", "rescue a kidnapped child", "win the championship",
    "expose a corrupt mayor", "outrun the law", "break the curse", "save the town",
    "bring the gang to justice", "reunite the band", "cross the border", "win the election",
    "solve the murder", "hide the body", "finish the song", "get to the wedding on time",
)
