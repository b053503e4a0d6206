"""Answers to the API's questions: async functions over a `Database` and one dataset version.

Nothing here knows GraphQL. Every function takes the version id explicitly, so all the reads
of one request come from the one version the request resolved at its start.
"""
