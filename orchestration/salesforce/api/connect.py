"""Connecting to Salesforce with credentials from the environment, and nowhere else.

Two ways in, tried in this order:

- a session from an OAuth flow (or `sf org display`): `SALESFORCE_INSTANCE_URL` and
  `SALESFORCE_SESSION_ID`;
- username and password: `SALESFORCE_USERNAME`, `SALESFORCE_PASSWORD` and `SALESFORCE_SECURITY_TOKEN`
  (which may be set but empty when the org trusts the caller's IP range), with `SALESFORCE_DOMAIN`
  `login` (default), `test` for a sandbox, or a My Domain such as `acme.my`.

`SALESFORCE_API_VERSION` (e.g. `62.0`) is optional. The connection is checked with one cheap call,
so a wrong version or a stale session fails here, with a message saying which variable to fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlparse

import requests
from simple_salesforce import Salesforce
from simple_salesforce.api import DEFAULT_API_VERSION
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from orchestration.salesforce.api.errors import SalesforceSourceError, describe_failure, redact
from orchestration.salesforce.api.retry import RetryingSession, RetryPolicy

USERNAME, PASSWORD, TOKEN = "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_SECURITY_TOKEN"
DOMAIN, INSTANCE_URL, SESSION_ID = "SALESFORCE_DOMAIN", "SALESFORCE_INSTANCE_URL", "SALESFORCE_SESSION_ID"
API_VERSION = "SALESFORCE_API_VERSION"

HOW_TO_SET = (
    f"set {USERNAME}, {PASSWORD} and {TOKEN} (and {DOMAIN}=test for a sandbox), "
    f"or {INSTANCE_URL} and {SESSION_ID}"
)

# What to tell a person for the login faults they can fix themselves.
_LOGIN_HINTS = {
    "INVALID_LOGIN": f"check {USERNAME}, {PASSWORD} and {TOKEN}, and {DOMAIN} (test for a sandbox)",
    "LOGIN_MUST_USE_SECURITY_TOKEN": f"set {TOKEN} to the user's security token "
    "(Salesforce: Settings > Reset My Security Token)",
    "INVALID_OPERATION_WITH_EXPIRED_PASSWORD": "the password has expired; set a new one in Salesforce",
    "API_DISABLED_FOR_ORG": "the org or user has no API access (edition or 'API Enabled' permission)",
}


def _api_version(env: Mapping[str, str]) -> str:
    version = (env.get(API_VERSION) or DEFAULT_API_VERSION).strip().lstrip("vV")
    if not re.fullmatch(r"\d{2,3}\.\d", version):
        raise SalesforceSourceError(f"{API_VERSION}={version!r} is not an API version like 62.0")
    return version


def _domain(env: Mapping[str, str]) -> str:
    # Accept `test`, `acme.my`, and also a pasted host or URL such as https://acme.my.salesforce.com.
    domain = (env.get(DOMAIN) or "login").strip().lower()
    domain = re.sub(r"^https?://", "", domain).rstrip("/")
    return domain.removesuffix(".salesforce.com") or "login"


def _instance_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        url = "https://" + url
    if not urlparse(url).hostname:
        raise SalesforceSourceError(f"{INSTANCE_URL}={value!r} is not a URL like https://acme.my.salesforce.com")
    return url


def _missing(env: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
    # The security token may be empty (trusted IP ranges); the others must have a value.
    return [n for n in names if env.get(n) is None or (n != TOKEN and not env[n].strip())]


def connect_from_env(
    env: Mapping[str, str] = os.environ,
    *,
    retry: RetryPolicy | None = None,
    verify: bool | str = True,
) -> Salesforce:
    """A logged-in simple-salesforce client whose HTTP calls retry outages and rate limits.

    `verify` is the TLS check: True (system CAs, or REQUESTS_CA_BUNDLE) or a CA bundle file.
    Raises `SalesforceSourceError` when settings are missing or Salesforce refuses them.
    """
    version = _api_version(env)
    session = RetryingSession(retry)
    session.verify = verify
    # parse_float=str keeps numbers exactly as Salesforce wrote them (no binary float round trip).
    common = dict(version=version, session=session, parse_float=str)
    if not _missing(env, (INSTANCE_URL, SESSION_ID)):
        secrets = [env[SESSION_ID]]
        instance = _instance_url(env[INSTANCE_URL])
        client = Salesforce(instance_url=instance, session_id=env[SESSION_ID].strip(), **common)
        where = f"the session in {SESSION_ID} for {instance}"
    elif env.get(USERNAME) or env.get(PASSWORD) or env.get(TOKEN) is not None:
        missing = _missing(env, (USERNAME, PASSWORD, TOKEN))
        if missing:
            raise SalesforceSourceError(f"Salesforce login: {' and '.join(missing)} not set; {HOW_TO_SET}")
        secrets = [env[PASSWORD], env[TOKEN]]
        client = _login(env, _domain(env), common, secrets)
        where = f"the login of {env[USERNAME].strip()}"
    elif env.get(INSTANCE_URL) or env.get(SESSION_ID):
        missing = _missing(env, (INSTANCE_URL, SESSION_ID))
        raise SalesforceSourceError(f"Salesforce session login: {' and '.join(missing)} not set; {HOW_TO_SET}")
    else:
        raise SalesforceSourceError(f"No Salesforce credentials in the environment: {HOW_TO_SET}")
    _check(client, where, secrets + [client.session_id])
    return client


def _login(env: Mapping[str, str], domain: str, common: dict, secrets: list[str]) -> Salesforce:
    host = f"{domain}.salesforce.com"
    username = env[USERNAME].strip()
    try:
        return Salesforce(
            username=username, password=env[PASSWORD], security_token=env[TOKEN].strip(),
            domain=domain, **common,
        )
    except SalesforceAuthenticationFailed as exc:
        if isinstance(exc.code, str):  # a login fault: Salesforce answered, and said no
            hint = _LOGIN_HINTS.get(exc.code, HOW_TO_SET)
            message = (
                f"Salesforce refused the login of {username} at {host} "
                f"({exc.code}: {exc.auth_message}); {hint}"
            )
        else:  # no fault to read: an error page, e.g. an outage that outlasted the retries
            status = f"HTTP {exc.code}" if exc.code is not None else "an unreadable answer"
            message = f"Salesforce login at {host} failed with {status}: {exc.auth_message[:200]}"
        raise SalesforceSourceError(redact(message, secrets)) from None
    except requests.RequestException as exc:
        raise SalesforceSourceError(redact(f"Cannot log in: {describe_failure(exc)}", secrets)) from None


def _check(client: Salesforce, where: str, secrets: list[str]) -> None:
    """One cheap authenticated call (the API's resource list) to fail early and clearly."""
    try:
        client.restful("")
    except SalesforceError as exc:
        if exc.status == 401:
            message = (
                f"Salesforce refused {where}: the session is expired or invalid; "
                f"get a fresh access token into {SESSION_ID}, or {HOW_TO_SET}"
            )
        elif exc.status == 404:
            message = (
                f"Salesforce API version {client.sf_version} is not available at {client.sf_instance}; "
                f"set {API_VERSION} to a version the org supports"
            )
        else:
            message = f"Salesforce refused {where}: {describe_failure(exc)}"
        raise SalesforceSourceError(redact(message, secrets)) from None
    except requests.RequestException as exc:
        raise SalesforceSourceError(redact(f"Cannot use {where}: {describe_failure(exc)}", secrets)) from None
