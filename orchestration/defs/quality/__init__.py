"""The quality stage of the pipeline."""
