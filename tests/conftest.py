"""Shared fixtures. Every test gets its own state directory: nothing touches ./.crm_kpi."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh $CRM_KPI_HOME for one test."""
    path = tmp_path / "crm_kpi_home"
    monkeypatch.setenv("CRM_KPI_HOME", str(path))
    return path
