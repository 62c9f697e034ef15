"""What the tests share: reference computations, the bad-input corpus, the local Salesforce
endpoint, helpers that watch or read a run, and where the repository and its fixtures are."""

import datetime as dt
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"

# Salesforce's own Data Export, written by hand from its documentation (see its README.md).
DATA_EXPORT = FIXTURES / "salesforce_data_export"
DATA_EXPORT_AS_OF = dt.date(2025, 6, 30)  # the day the export was taken: its newest change is that afternoon
