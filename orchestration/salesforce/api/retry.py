"""Retrying Salesforce calls that failed for reasons that pass: outages and rate limits.

simple-salesforce sends every request through the `requests.Session` it is given, so retries live in
that session. A urllib3 `Retry` on an HTTPAdapter was not enough: it sees only the status code, and
Salesforce signals one kind of rate limiting as HTTP 403 with the error code REQUEST_LIMIT_EXCEEDED
in the body, while it answers a refused SOAP login with HTTP 500 (a fault that must not be retried).
So `RetryingSession` looks at the response itself.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlparse

import requests

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. Tests pass `base_delay=0` and a recording `sleep`."""

    attempts: int = 5  # tries per request, the first included
    base_delay: float = 1.0  # seconds before the first retry; doubled for each further one
    max_delay: float = 60.0  # no single wait is longer, whatever Retry-After asks for
    timeout: float = 300.0  # per request (connect and each read), so a dead link cannot hang a run
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, retry: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `retry` (1-based); the server's Retry-After wins."""
        wait = _retry_after_seconds(retry_after)
        if wait is None:
            wait = self.base_delay * 2 ** (retry - 1)
        return max(0.0, min(wait, self.max_delay))


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:  # the HTTP-date form
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - datetime.now(timezone.utc)).total_seconds()


def retry_reason(response: requests.Response) -> str | None:
    """Why this response is worth retrying, or None when it is an answer to pass on."""
    status = response.status_code
    if status == 429:
        return "HTTP 429 (rate limited)"
    if status == 403 and b"REQUEST_LIMIT_EXCEEDED" in response.content:
        return "HTTP 403 REQUEST_LIMIT_EXCEEDED"
    if status >= 500:
        if b"Fault>" in response.content:  # a SOAP fault, e.g. INVALID_LOGIN: an answer, not an outage
            return None
        return f"HTTP {status}"
    return None


class RetryingSession(requests.Session):
    """A `requests.Session` that retries 5xx, 429 and REQUEST_LIMIT_EXCEEDED with backoff.

    After the last attempt the failing response is returned as it is, so simple-salesforce raises
    its usual exception for it and the caller can explain it. Connection errors are retried too,
    except TLS errors, which another attempt will not fix.
    """

    def __init__(self, policy: RetryPolicy | None = None) -> None:
        super().__init__()
        self.policy = policy or RetryPolicy()

    def request(self, method, url, *args, **kwargs):  # noqa: D401 - same contract as requests
        kwargs.setdefault("timeout", self.policy.timeout)
        # An explicit CA file on the session must beat REQUESTS_CA_BUNDLE (requests lets the
        # environment win over `session.verify` otherwise); `True` still honours the environment.
        kwargs.setdefault("verify", self.verify)
        attempts = max(1, self.policy.attempts)
        for attempt in range(1, attempts + 1):
            retry_after = None
            try:
                response = super().request(method, url, *args, **kwargs)
            except requests.exceptions.SSLError:
                raise
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == attempts:
                    raise
                reason = type(exc).__name__
            else:
                reason = retry_reason(response)
                if reason is None or attempt == attempts:
                    return response
                retry_after = response.headers.get("Retry-After")
                response.close()
            wait = self.policy.delay(attempt, retry_after)
            # The path only: no query string (long SOQL), and never headers or bodies (credentials).
            logger.warning(
                "Salesforce %s %s: %s; retry %d of %d in %.1fs",
                method, urlparse(url).path, reason, attempt, attempts - 1, wait,
            )
            self.policy.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt
