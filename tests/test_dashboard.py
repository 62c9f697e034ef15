"""The KPI dashboard: its helpers, and the page it writes from a real published database, checked
against the marts with SQL written here, not taken from the dashboard's code."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import threading
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

import orchestration.dashboard.server as server_module
from orchestration.dashboard import make_server, serve, write_dashboard
from orchestration.dashboard.data import (
    TREND_KPIS,
    Freshness,
    last_complete_month,
    load_dashboard,
    trend_window,
)
from orchestration.dashboard.formatting import (
    format_count,
    format_money,
    format_ratio,
    format_value,
    status_class,
    status_label,
)
from orchestration.dashboard.render import freshness_line

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Page(HTMLParser):
    """What the tests read off the page: text by element id, the KPI rows by section, every
    src/href attribute and the scripts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text: dict[str, str] = {}
        self.kpi_rows: dict[str, dict[str, str]] = {}  # kpi_name -> section, status
        self.links: list[str] = []
        self.scripts: list[tuple[dict, int]] = []  # (attributes, length of the inline code)
        self._open: list[tuple[str, str | None]] = []
        self._section: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [attrs[a] or "" for a in ("src", "href") if a in attrs]
        if tag == "section":
            self._section = attrs.get("id")
        if tag == "tr" and "data-kpi" in attrs:
            self.kpi_rows[attrs["data-kpi"]] = {"section": self._section, "status": attrs.get("data-status")}
        if tag == "script":
            self.scripts.append((attrs, 0))
        if tag not in VOID_TAGS:
            self._open.append((tag, attrs.get("id")))

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._open and self._open[-1][0] == "script":
            attrs, length = self.scripts[-1]
            self.scripts[-1] = (attrs, length + len(data))
        for _, element_id in self._open:
            if element_id:
                self.text[element_id] = self.text.get(element_id, "") + data


def sql(db: Path, query: str, **params) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, params).fetchall()


# The reporting month, computed here independently: the month before the day after as_of.
REPORT_MONTH = """
    select cast(date_trunc('month', as_of + interval 1 day) - interval 1 month as date)
    from _publish_log order by published_at desc, run_id desc limit 1
"""


# --- helpers -------------------------------------------------------------------------------------

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


# --- the page written from a published database ----------------------------------------------------

@pytest.fixture(scope="module")
def page(published, tmp_path_factory):
    assert published["exit"] == 0
    index = write_dashboard(published["db"], tmp_path_factory.mktemp("dashboard"))
    html = index.read_text(encoding="utf-8")
    return {"path": index, "html": html, "parsed": Page(html), "db": published["db"]}


@pytest.mark.e2e
def test_company_bookings_of_the_last_complete_month_equal_the_mart(page):
    [(bookings,)] = sql(page["db"], f"select bookings_amount from kpi_company_monthly where month = ({REPORT_MONTH})")
    assert page["parsed"].text["kpi-bookings_amount"] == f"{bookings:,.2f}"


@pytest.mark.e2e
def test_every_company_kpi_shows_the_scorecards_value_and_status_for_the_month(page):
    rows = sql(page["db"], f"""
        select s.kpi_name, s.value, s.status, c.unit from kpi_scorecard s join kpi_catalog c using (kpi_name)
        where s.grain = 'month' and s.entity_type = 'company' and s.period_start = ({REPORT_MONTH})""")
    shown = page["parsed"].kpi_rows
    checked = [(kpi, value, status, unit) for kpi, value, status, unit in rows if kpi in shown]
    assert len(checked) == len(shown) >= 17
    for kpi, value, status, unit in checked:
        assert page["parsed"].text[f"kpi-{kpi}"] == format_value(value, unit), kpi
        assert shown[kpi]["status"] == (status or ""), kpi
    assert shown["bookings_amount"]["status"] in ("ahead", "on track", "behind")


@pytest.mark.e2e
def test_leading_and_lagging_indicators_sit_apart_as_the_kpi_catalog_classes_them(page):
    catalog = dict(sql(page["db"], "select kpi_name, indicator_type from kpi_catalog"))
    contract = {r[0] for r in sql(page["db"], "select kpi_name from kpi_catalog where models like '%kpi_company_monthly%'")}
    shown = page["parsed"].kpi_rows
    assert contract <= set(shown)
    assert {kpi: row["section"] for kpi, row in shown.items()} == {kpi: catalog[kpi] for kpi in shown}
    assert {row["section"] for row in shown.values()} == {"leading", "lagging"}


@pytest.mark.e2e
def test_the_leaderboard_starts_with_the_rep_of_highest_quota_attainment_and_lists_every_rep(page):
    reps = sql(page["db"], f"""
        select coalesce(u.user_name, r.owner_id), r.quota_attainment
        from kpi_rep_monthly r left join dim_users u on u.user_id = r.owner_id
        where r.month = ({REPORT_MONTH}) order by r.quota_attainment desc nulls last, r.bookings_amount desc""")
    top_name, top_attainment = reps[0]
    text = page["parsed"].text
    assert text["leaderboard-1-name"] == top_name
    assert text["leaderboard-1-attainment"] == f"{top_attainment:.1%}"
    assert f"leaderboard-{len(reps)}" in text and f"leaderboard-{len(reps) + 1}" not in text


@pytest.mark.e2e
def test_the_team_view_shows_every_team_of_the_month_under_its_managers_name(page):
    teams = sql(page["db"], f"""
        select coalesce(m.user_name, t.team_id) from kpi_team_monthly t left join dim_users m on m.user_id = t.team_id
        where t.month = ({REPORT_MONTH})""")
    text = page["parsed"].text
    shown = {text[f"teams-{i}-name"] for i in range(1, len(teams) + 1)}
    assert shown == {name for (name,) in teams} and f"teams-{len(teams) + 1}" not in text


@pytest.mark.e2e
def test_the_freshness_line_names_the_newest_publish(page):
    [(as_of, published_at, run_id)] = sql(
        page["db"], "select as_of, published_at, run_id from _publish_log order by published_at desc limit 1")
    assert page["parsed"].text["freshness"] == (
        f"Data as of {as_of:%Y-%m-%d}, published {published_at:%Y-%m-%d %H:%M:%S} UTC (run {run_id[:8]})")


@pytest.mark.e2e
def test_the_page_loads_nothing_from_the_network(page):
    assert page["parsed"].links, "expected at least the inline favicon link"
    external = [link for link in page["parsed"].links
                if "http://" in link or "https://" in link or link.startswith("//")]
    assert external == []
    assert all("src" not in attrs for attrs, _ in page["parsed"].scripts)


@pytest.mark.e2e
def test_plotly_js_is_inlined_once_and_every_trend_has_a_chart(page):
    bundles = [length for _, length in page["parsed"].scripts if length > 1_000_000]
    assert len(bundles) == 1
    assert page["html"].count('class="plotly-graph-div"') == len(TREND_KPIS)
    assert all(f'id="trend-{kpi}"' in page["html"] for kpi in TREND_KPIS)


@pytest.mark.e2e
def test_the_trends_are_the_marts_twelve_months_up_to_the_reporting_month(page):
    data = load_dashboard(page["db"])
    expected = sql(page["db"], f"""
        select month, bookings_amount, win_rate from kpi_company_monthly
        where month > ({REPORT_MONTH}) - interval 12 month and month <= ({REPORT_MONTH}) order by month""")
    trends = {t.kpi_name: t for t in data.trends}
    assert list(trends["bookings_amount"].months) == [r[0] for r in expected]
    assert list(trends["bookings_amount"].values) == [r[1] for r in expected]
    assert list(trends["win_rate"].values) == [r[2] for r in expected]


@pytest.mark.e2e
def test_the_page_is_a_pure_function_of_the_published_data_and_is_written_atomically(page, tmp_path):
    before = hashlib.sha256(page["db"].read_bytes()).hexdigest()
    again = write_dashboard(page["db"], tmp_path)
    assert again.read_bytes() == page["path"].read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]
    assert hashlib.sha256(page["db"].read_bytes()).hexdigest() == before


@pytest.mark.e2e
def test_a_ratio_with_an_empty_denominator_shows_a_dash_not_zero(page, tmp_path):
    db = tmp_path / "crm_kpis.duckdb"
    shutil.copy(page["db"], db)
    with duckdb.connect(str(db)) as con:
        month = con.execute(REPORT_MONTH).fetchall()[0][0]
        # As if nothing closed in the month: the marts leave the win rate NULL.
        con.execute("update kpi_company_monthly set win_rate = null where month = $m", {"m": month})
        con.execute("update kpi_scorecard set value = null, attainment = null, status = null "
                    "where kpi_name = 'win_rate' and grain = 'month' and entity_type = 'company' "
                    "and period_start = $m", {"m": month})
    parsed = Page(write_dashboard(db, tmp_path / "out").read_text(encoding="utf-8"))
    assert parsed.text["kpi-win_rate"] == "—"
    assert parsed.kpi_rows["win_rate"]["status"] == ""
