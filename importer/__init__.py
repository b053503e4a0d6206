"""Turns a movies_metadata.csv file into a dataset version: read -> clean -> load -> check."""
