"""Browser tests' helpers: the system's headless Chromium under Selenium, and a page served locally.

Selenium is pointed at Debian's chromium and chromium-driver explicitly, so Selenium Manager never
downloads a browser or a driver: the tests run on a closed network. Without them a browser test
fails (it never skips), saying how to install them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from orchestration.dashboard.server import make_server, server_url
from tests.support import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = REPO / "test-artifacts"


def require_chromium() -> None:
    """Fail (not skip) when the system browser or its driver is missing."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not found: the browser tests need Debian's chromium and "
            "chromium-driver. Run `make browser` to install them.",
            pytrace=False,
        )


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[webdriver.Chrome]:
    """A headless Chromium that keeps every browser console entry (driver.get_log('browser'))."""
    require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def served(directory: Path) -> Iterator[str]:
    """`directory` served on a free loopback port in a background thread; yields its URL."""
    server = make_server(directory, 0)
    # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="dashboard-server", daemon=True)
    thread.start()
    try:
        yield server_url(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def save_full_page_screenshot(driver: webdriver.Chrome, path: Path, width: int = 1280) -> Path:
    """The whole page, not just the window: the window is grown until the viewport holds the
    page's full height (the window's own frame takes some of its height)."""
    viewport = "return [window.innerHeight, document.documentElement.scrollHeight]"
    for _ in range(3):
        inner, page = driver.execute_script(viewport)
        if inner >= page:
            break
        driver.set_window_size(width, min(driver.get_window_size()["height"] + page - inner, 10_000))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))
    return path
