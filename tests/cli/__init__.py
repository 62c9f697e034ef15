"""The command line's own behaviour: the progress line, run summaries, and a full disk named in one line."""
