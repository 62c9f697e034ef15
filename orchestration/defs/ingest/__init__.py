"""The ingest stage of the pipeline."""
