"""The bad-input corpus (tests/support/bad_inputs.py) run through the pipeline: rows quarantined, inputs refused, runs held back."""
