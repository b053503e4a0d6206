"""Limits of the stored columns, as plain numbers: the pure importer stages check against them
without loading SQLAlchemy."""

# The largest value of an Integer column: movie and entity ids, counts, dataset version ids.
MAX_INTEGER = 2**31 - 1
