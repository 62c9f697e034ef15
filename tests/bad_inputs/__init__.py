"""The bad-input corpus (tests/support/bad_input_cases.py) run through the pipeline: rows quarantined, inputs refused, runs held back."""
