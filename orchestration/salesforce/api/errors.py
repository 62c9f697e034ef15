"""The one exception the API source raises, and how library errors are put into words for it.

Callers (the CLI, the ingest asset) print `str(exc)` to a person, so every message says what failed
and what to do, in one line, and never carries a credential: messages are built from our own words
plus Salesforce's error code and message, and known secrets are masked as a last line of defence.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlparse

import requests
from simple_salesforce.exceptions import SalesforceError, SalesforceOperationError


class SalesforceSourceError(Exception):
    """Extracting from Salesforce failed: bad settings, a refused login, or an API error."""


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every non-trivial secret replaced, in case a server ever echoes one back."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def error_detail(content: object) -> str:
    """`ERROR_CODE: message` from a REST error body (a list of {errorCode, message}), else its text."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return f"{first.get('errorCode', 'UNKNOWN')}: {first.get('message', '')}".strip()
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    text = " ".join(str(content).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def error_code(content: object) -> str | None:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode")
    return None


def _path(url: str) -> str:
    # The path names the resource; the query string holds a long SOQL text that adds nothing here.
    return urlparse(url).path or url


def describe_failure(exc: Exception, *, attempts: int | None = None) -> str:
    """A one-line explanation of a simple-salesforce / requests failure."""
    if isinstance(exc, SalesforceError):
        detail = error_detail(exc.content)
        code = error_code(exc.content)
        where = _path(exc.url)
        if exc.status == 401:
            return (
                f"Salesforce no longer accepts the session ({detail}); log in again or set a fresh "
                "SALESFORCE_SESSION_ID"
            )
        if code == "REQUEST_LIMIT_EXCEEDED":
            tries = f" after {attempts} attempts" if attempts else ""
            return f"Salesforce's API request limit is exhausted{tries} ({detail}); try again later"
        if exc.status >= 500 or exc.status == 429:
            tries = f" after {attempts} attempts" if attempts else ""
            return f"Salesforce answered HTTP {exc.status} to {where}{tries} ({detail})"
        return f"Salesforce answered HTTP {exc.status} to {where} ({detail})"
    if isinstance(exc, SalesforceOperationError):
        return f"the Bulk API 2.0 query job did not complete ({exc})"
    if isinstance(exc, requests.RequestException):
        url = getattr(exc.request, "url", None) if exc.request is not None else None
        target = f" at {urlparse(url).netloc}" if url else ""
        return f"cannot reach Salesforce{target}: {type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}"
