"""The KPI dashboard's pure helpers: the reporting month, formatting, statuses, and its local server."""

from __future__ import annotations

import datetime as dt
import threading
import urllib.request

import pytest

import orchestration.dashboard.server as server_module
from orchestration.dashboard import make_server, serve, write_dashboard
from orchestration.dashboard.data import Freshness, last_complete_month, trend_window
from orchestration.dashboard.formatting import (
    format_count,
    format_money,
    format_ratio,
    format_value,
    status_class,
    status_label,
)
from orchestration.dashboard.render import freshness_line


@pytest.mark.parametrize(("as_of", "month"), [
    (dt.date(2026, 11, 20), dt.date(2026, 10, 1)),
    (dt.date(2026, 1, 15), dt.date(2025, 12, 1)),
    (dt.date(2026, 3, 1), dt.date(2026, 2, 1)),
    (dt.date(2026, 10, 30), dt.date(2026, 9, 1)),
])
def test_the_last_complete_month_is_the_month_before_the_as_of_month(as_of, month):
    assert last_complete_month(as_of) == month


@pytest.mark.parametrize(("as_of", "month"), [
    (dt.date(2026, 10, 31), dt.date(2026, 10, 1)),
    (dt.date(2025, 12, 31), dt.date(2025, 12, 1)),
    (dt.date(2024, 2, 29), dt.date(2024, 2, 1)),
    (dt.date(2025, 2, 28), dt.date(2025, 2, 1)),
])
def test_an_as_of_date_on_a_months_last_day_completes_that_month(as_of, month):
    assert last_complete_month(as_of) == month


def test_the_trend_window_is_the_twelve_months_ending_with_the_reporting_month_across_a_year_end():
    window = trend_window(dt.date(2026, 2, 1))
    assert len(window) == 12
    assert window[0] == dt.date(2025, 3, 1) and window[-1] == dt.date(2026, 2, 1)
    assert all(m.day == 1 for m in window) and list(window) == sorted(set(window))


def test_money_has_thousands_separators_and_two_decimals():
    assert format_money(2064534.782) == "2,064,534.78"
    assert format_money(0.0) == "0.00"
    assert format_value(-1500.5, "currency") == "-1,500.50"


def test_ratios_are_fractions_shown_as_percentages():
    assert format_ratio(0.2597) == "26.0%"
    assert format_ratio(1.0) == "100.0%"
    assert format_value(0.0, "ratio") == "0.0%"


def test_counts_are_whole_numbers_with_thousands_separators_even_when_stored_as_doubles():
    assert format_count(1234.0) == "1,234"
    assert format_value(0.0, "count") == "0"


def test_other_units_carry_their_unit():
    assert format_value(5.0862, "hours") == "5.1 h"
    assert format_value(73.05, "days") == "73.0 days"
    assert format_value(4.0556, "score") == "4.06"


@pytest.mark.parametrize("unit", ["currency", "count", "ratio", "hours", "days", "months", "score", "points", None])
def test_a_null_value_shows_a_dash_never_zero(unit):
    assert format_value(None, unit) == "—"
    assert format_value(float("nan"), unit) == "—"


def test_each_scorecard_status_gets_its_own_badge_and_no_status_shows_a_dash():
    assert [status_class(s) for s in ("ahead", "on track", "behind")] == ["ahead", "on-track", "behind"]
    assert status_label("on track") == "on track"
    assert status_label(None) == "—" and status_class(None) == "none"


def test_the_freshness_line_names_the_as_of_date_the_publish_time_and_the_short_run_id():
    line = freshness_line(Freshness(dt.date(2026, 11, 20), dt.datetime(2026, 11, 21, 6, 0, 3, 123456),
                                    "4dae273f-99c4-4751-93fa-65b2c7700d7f"))
    assert line == "Data as of 2026-11-20, published 2026-11-21 06:00:03 UTC (run 4dae273f)"


def test_a_database_that_was_never_published_is_refused_with_a_hint(tmp_path):
    with pytest.raises(FileNotFoundError, match="crm-kpi run"):
        write_dashboard(tmp_path / "missing.duckdb", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_server_serves_the_folder_on_loopback(tmp_path):
    (tmp_path / "index.html").write_text("<p>hello</p>", encoding="utf-8")
    with make_server(tmp_path, 0) as server:
        assert server.server_address[0] == "127.0.0.1"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/", timeout=5) as r:
                assert r.status == 200 and r.read() == b"<p>hello</p>"
        finally:
            server.shutdown()
            thread.join(timeout=5)


def test_serve_prints_its_url_opens_the_browser_and_stops_quietly_on_ctrl_c(tmp_path, monkeypatch, capsys):
    opened = []
    monkeypatch.setattr(server_module.webbrowser, "open", opened.append)

    def ctrl_c(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(server_module.ThreadingHTTPServer, "serve_forever", ctrl_c)
    serve(tmp_path, port=0)
    out = capsys.readouterr().out
    assert len(opened) == 1 and opened[0].startswith("http://127.0.0.1:")
    assert opened[0] in out and "Stopped." in out

    serve(tmp_path, port=0, open_browser=False)
    assert len(opened) == 1
