"""The quality gate: row rules, Great Expectations suites and their SQL translation, the load audit, reconciliation, sanity warnings, and held-back runs."""
