"""make bench's floor script computes what the pipeline computes."""
