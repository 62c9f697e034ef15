"""A throwaway PostgreSQL cluster per test module (tests/support/postgres.py), named to every
connection and subprocess by the libpq variables."""

from __future__ import annotations

import pytest

from tests.support.postgres import start_cluster


@pytest.fixture(scope="module")
def postgres():
    cluster = start_cluster()
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in cluster.environment().items():
                patch.setenv(name, value)
            yield cluster
    finally:
        cluster.stop()
