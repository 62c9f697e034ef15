"""Extracting the modelled objects straight from a Salesforce org over its REST and Bulk 2.0 APIs.

    client = connect_from_env()                      # credentials from SALESFORCE_* variables
    results = extract_changes(client, OBJECTS, watermarks, out_dir)

writes `<out_dir>/<ApiName>.parquet` per object (API field names, values as export text), which the
export-folder loader reads like any other export. See `connect` for the environment variables and
`extract` for what is read and how.
"""

from orchestration.salesforce.api.connect import connect_from_env
from orchestration.salesforce.api.errors import SalesforceSourceError
from orchestration.salesforce.api.extract import ExtractResult, extract_changes
from orchestration.salesforce.api.fields import soql_datetime
from orchestration.salesforce.api.retry import RetryingSession, RetryPolicy

__all__ = [
    "ExtractResult",
    "RetryPolicy",
    "RetryingSession",
    "SalesforceSourceError",
    "connect_from_env",
    "extract_changes",
    "soql_datetime",
]
