"""Dagster definitions, one folder per stage: ingest → transform → quality → publish."""
