"""The sample generator: realistic synthetic movies_metadata.csv files, for demos, tests and benchmarks."""
