"""The transform stage of the pipeline."""
