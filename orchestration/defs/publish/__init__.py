"""The publish stage of the pipeline."""
