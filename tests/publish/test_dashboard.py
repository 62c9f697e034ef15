"""The KPI dashboard page written from a real published database, checked against the marts with
SQL written here, not taken from the dashboard's code. Its helpers: test_dashboard_helpers.py."""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.dashboard import write_dashboard
from orchestration.dashboard.data import (
    TREND_KPIS,
    load_dashboard,
)
from orchestration.dashboard.formatting import (
    format_value,
)
from tests.support.kpi_reference import EMPTY_LOOKUP

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
def test_each_team_counts_the_reps_of_the_month_who_report_to_its_manager_in_the_exported_users(page, published):
    users = pd.read_csv(published["export"] / "User.csv", dtype=str, keep_default_na=False)
    manager = dict(zip(users["Id"], users["ManagerId"]))
    reps = [owner for (owner,) in sql(page["db"], f"select owner_id from kpi_rep_monthly where month = ({REPORT_MONTH})")]
    # no manager (empty, or Data Export's empty lookup), or not in User: a team of their own
    expected = Counter(manager.get(owner) if manager.get(owner) not in (None, "", EMPTY_LOOKUP) else owner
                       for owner in reps)
    teams = load_dashboard(page["db"]).teams
    assert {team.entity_id: team.reps for team in teams} == {team.entity_id: expected[team.entity_id] for team in teams}
    assert sum(team.reps for team in teams) == len(reps) > 0


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
