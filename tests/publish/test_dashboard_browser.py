"""The dashboard as a sales leader sees it: served locally and opened in headless Chromium.

Checks what only a browser can tell: the page's scripts run without console errors, plotly.js (inlined,
offline) draws every chart, and the bookings figure reads as the mart says. Leaves a screenshot in
test-artifacts/.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import tests.support.browser as browser_support
from orchestration.dashboard.data import TREND_KPIS
from tests.support.browser import ARTIFACTS, chromium, save_full_page_screenshot

CLI = Path(sys.executable).with_name("crm-kpi")


def _company_bookings(db) -> float:
    """The mart's bookings for the month before the day after as_of (the last complete month)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("""
            select bookings_amount from kpi_company_monthly
            where month = (select cast(date_trunc('month', as_of + interval 1 day) - interval 1 month as date)
                           from _publish_log order by published_at desc limit 1)""").fetchall()[0][0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _crm_kpi_dashboard(home: Path) -> Iterator[str]:
    """`crm-kpi dashboard` serving the state directory's dashboard; yields its URL once it answers."""
    port = _free_port()
    server = subprocess.Popen([str(CLI), "dashboard", "--home", str(home), "--port", str(port), "--no-browser"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"crm-kpi dashboard did not serve {url}: {server.communicate()[0]}")
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.e2e
def test_the_published_dashboard_opens_from_crm_kpi_dashboard_with_its_charts_and_no_console_errors(published):
    """The page every publish writes, served by the command a sales leader runs."""
    assert published["exit"] == 0
    with _crm_kpi_dashboard(published["home"]) as url, chromium() as driver:
        driver.get(url)
        drawn = "#trend-{}.js-plotly-plot svg.main-svg"
        WebDriverWait(driver, 30).until(
            lambda d: all(d.find_elements(By.CSS_SELECTOR, drawn.format(kpi)) for kpi in TREND_KPIS),
            message="plotly did not draw every trend chart",
        )
        severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert severe == []
        assert driver.find_element(By.ID, "kpi-bookings_amount").text == f"{_company_bookings(published['db']):,.2f}"
        assert driver.find_elements(By.CSS_SELECTOR, "#trend-bookings_amount .barlayer .point")
        assert driver.find_element(By.ID, "leaderboard-1-name").text
        screenshot = save_full_page_screenshot(driver, ARTIFACTS / "dashboard.png")
    assert screenshot.stat().st_size > 10_000


def test_a_missing_chromium_fails_the_browser_tests_and_says_to_run_make_browser(tmp_path, monkeypatch):
    monkeypatch.setattr(browser_support, "CHROMEDRIVER", tmp_path / "chromedriver")
    with pytest.raises(pytest.fail.Exception, match="make browser"):
        browser_support.require_chromium()
