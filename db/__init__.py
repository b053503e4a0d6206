"""The relational store: tables, engines, migrations and whole-dataset SQL."""
