"""The test suite, grouped by subject; tests/support/ holds what the groups share."""
