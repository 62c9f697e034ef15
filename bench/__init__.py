"""`make bench`: the pipeline's stages timed beside a floor script over the same files."""
