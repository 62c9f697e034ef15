"""The demo org's daily delta: one more day of changes, and the org folder moved to the new state.

Each format gets one base org, a copy of it moved a day on by `generate_delta`, and the delta. The
tests read the three back (DuckDB schemas `base`, `delta` and `final`), and recompute the upsert
independently with pandas.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

import demo_org.generate as generate
import tests.generator.test_engagement as engagement
import tests.generator.test_realism as realism
from data_quality.config import QualityConfig
from data_quality.rules import RuleContext, build_suite, validation_query
from data_quality.validate import validate_query
from demo_org import generate_delta, generate_org
from demo_org.ids import parse_counter, to_18
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import DEFAULT_STAGES, OBJECTS
from tests.support.demo import AS_OF, STRUCTURE_CHECKS

CSV_DAY = AS_OF + dt.timedelta(days=1)  # a Thursday
PARQUET_DAY = AS_OF + dt.timedelta(days=5)  # a Monday, after a weekend without changes
_OPEN_LIVE = "not IsClosed and not IsDeleted"


def _casts(obj) -> str:
    return ", ".join(f"cast(nullif(\"{f.api_name}\", '') as {f.duckdb_type}) as \"{f.api_name}\"" for f in obj.fields)


def _read(con, schema: str, folder, fmt: str) -> None:
    con.execute(f"create schema {schema}")
    for obj in OBJECTS:
        path = folder / f"{obj.api_name}.{fmt}"
        # The header is known: telling DuckDB spares it sniffing every file.
        columns = ", ".join(f"'{f.api_name}': 'VARCHAR'" for f in obj.fields)
        source = (f"select * from read_parquet('{path}')" if fmt == "parquet" else
                  f"select {_casts(obj)} from read_csv('{path}', header = true, auto_detect = false, "
                  f"columns = {{{columns}}}, quote = '\"', escape = '\"')")
        con.execute(f'create table {schema}."{obj.api_name}" as {source}')


def _day_of(root, fmt: str, base_counts, day: dt.date, seed: int) -> dict:
    shutil.copytree(root / "base", root / "org")
    counts = generate_delta(root / "org", root / "delta", day=day, seed=seed)
    con = duckdb.connect()
    for schema, folder in (("base", "base"), ("delta", "delta"), ("final", "org")):
        _read(con, schema, root / folder, fmt)
    return {"root": root, "fmt": fmt, "day": day, "seed": seed, "counts": counts, "base_counts": base_counts,
            "con": con}


@pytest.fixture(scope="module")
def csv_day(tmp_path_factory):
    """A small CSV org (one territory) and the day after its as-of day."""
    root = tmp_path_factory.mktemp("delta_csv")
    base = generate_org(root / "base", as_of=AS_OF, seed=42, scale=0.2)
    yield (day := _day_of(root, "csv", base, CSV_DAY, seed=9))
    day["con"].close()


@pytest.fixture(scope="module")
def parquet_day(tmp_path_factory):
    """A Parquet org of three territories, moved on to the Monday after its as-of day."""
    root = tmp_path_factory.mktemp("delta_parquet")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generate, "TERRITORY_SCALE", 0.25)
        base = generate_org(root / "base", as_of=AS_OF, seed=8, scale=0.6, fmt="parquet")
    yield (day := _day_of(root, "parquet", base, PARQUET_DAY, seed=4))
    day["con"].close()


@pytest.fixture(params=["csv_day", "parquet_day"])
def day(request):
    return request.getfixturevalue(request.param)


def _one(day, sql: str, *params):
    return day["con"].execute(sql, list(params)).fetchall()[0][0]


def _final(day) -> dict:
    """The new org, shaped like the `org` fixture the realism tests take."""
    con = day["con"]
    con.execute("use final")
    return {"dir": day["root"] / "org", "counts": {}, "con": con}


# --- The delta -------------------------------------------------------------------------------


def test_every_delta_row_is_stamped_within_the_delta_day_and_created_by_it(day):
    start = dt.datetime.combine(day["day"], dt.time())
    for obj in OBJECTS:
        fields = {f.api_name for f in obj.fields}
        order = " or LastModifiedDate > SystemModstamp" if "LastModifiedDate" in fields else ""
        assert _one(day, f'select count(*) from delta."{obj.api_name}" where SystemModstamp < ? '
                         f'or SystemModstamp >= ?{order}', start, start + dt.timedelta(days=1)) == 0, obj.api_name
        if "CreatedDate" in fields:
            assert _one(day, f'select count(*) from delta."{obj.api_name}" where CreatedDate >= ?',
                        start + dt.timedelta(days=1)) == 0, obj.api_name
    assert sum(day["counts"].values()) == sum(
        _one(day, f'select count(*) from delta."{o.api_name}"') for o in OBJECTS) > 0


def test_the_delta_has_new_updated_and_deleted_records(day):
    def rows(name: str, condition: str) -> int:
        return _one(day, f'select count(*) from delta."{name}" d left join base."{name}" b using (Id) where {condition}')

    for name in ("Lead", "Opportunity", "OpportunityHistory", "Task", "Event", "Account", "Contact"):
        assert rows(name, "b.Id is null and not d.IsDeleted") > 0, f"new {name}"
    assert rows("Lead", f"d.IsConverted and not b.IsConverted and d.ConvertedDate = '{day['day']}'") > 0
    assert rows("Opportunity", "b.Id is not null and d.StageName <> b.StageName") > 0
    assert rows("Opportunity", "d.IsClosed and not b.IsClosed") > 0
    assert rows("CurrencyType", "b.Id is not null") == 4  # the daily rates job
    for name in ("Lead", "Task"):
        assert rows(name, "d.IsDeleted and not b.IsDeleted") > 0, f"deleted {name}"


def test_deletions_are_flagged_rows_of_records_that_were_live_and_take_their_children_along(day):
    for obj in OBJECTS:
        if "IsDeleted" in {f.api_name for f in obj.fields}:
            assert _one(day, f'select count(*) from delta."{obj.api_name}" d left join base."{obj.api_name}" b '
                             "using (Id) where d.IsDeleted and (b.Id is null or b.IsDeleted)") == 0, obj.api_name
    assert _one(day, """select count(*) from final.Task t join delta.Lead l on l.Id = t.WhoId
                        where l.IsDeleted and not t.IsDeleted""") == 0
    assert _one(day, """select count(*) from final.EmailMessage e join delta.Task t on t.Id = e.ActivityId
                        where t.IsDeleted and not e.IsDeleted""") == 0


def test_new_ids_follow_the_existing_ones_with_the_objects_key_prefix(day):
    for obj in OBJECTS:
        name = obj.api_name
        new = [r[0] for r in day["con"].execute(
            f'select Id from delta."{name}" where Id not in (select Id from base."{name}")').fetchall()]
        assert all(i.startswith(obj.id_prefix) and to_18(i) == i for i in new), name
        largest = _one(day, f'select max(Id) from base."{name}"')
        if new and largest:
            assert parse_counter(new).min() > parse_counter([largest])[0], name


def test_new_deals_are_owned_by_active_reps_on_live_accounts_and_open_in_the_first_stage(day):
    assert _one(day, """
        select count(*) from delta.Opportunity o left join final."User" u on u.Id = o.OwnerId
        left join final.Account a on a.Id = o.AccountId
        where o.Id not in (select Id from base.Opportunity)
          and (not u.IsActive or u.Title <> 'Account Executive' or a.Id is null or a.IsDeleted
               or o.StageName <> ? or o.IsClosed or o.CloseDate <= o.CreatedDate::date)""", DEFAULT_STAGES[0][0]) == 0


def test_every_change_of_a_deals_stage_or_close_date_has_its_history_row(day):
    assert _one(day, """
        select count(*) from delta.Opportunity o left join base.Opportunity b using (Id)
        left join delta.OpportunityHistory h on h.OpportunityId = o.Id
        where (b.Id is null or b.StageName <> o.StageName or b.CloseDate <> o.CloseDate)
          and (h.Id is null or h.StageName <> o.StageName or h.CloseDate <> o.CloseDate
               or h.Amount is distinct from o.Amount)""") == 0


def test_no_open_deal_is_left_with_a_close_date_on_or_before_the_day(day):
    assert _one(day, f"select count(*) from final.Opportunity where {_OPEN_LIVE} and CloseDate <= ?", day["day"]) == 0


# --- The new org -----------------------------------------------------------------------------


def _frame(day, folder: str, name: str) -> pd.DataFrame:
    path = day["root"] / folder / f"{name}.{day['fmt']}"
    if day["fmt"] == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.read_parquet(path)


def test_the_new_org_is_the_old_one_upserted_by_id_with_the_delta(day):
    for obj in OBJECTS:
        base, delta, final = (_frame(day, folder, obj.api_name) for folder in ("base", "delta", "org"))
        expected = pd.concat([base[~base["Id"].isin(delta["Id"])], delta])
        expected, final = (f.sort_values("Id").reset_index(drop=True) for f in (expected, final))
        pd.testing.assert_frame_equal(final, expected, check_dtype=False, obj=obj.api_name)
        assert len(final) == day["base_counts"][obj.api_name] + day["counts"][obj.api_name] - delta["Id"].isin(
            base["Id"]).sum()


@pytest.mark.parametrize("check", [
    *STRUCTURE_CHECKS,
    "test_campaign_members_have_a_response_date_exactly_when_they_responded",
])
def test_the_new_org_keeps_the_references_and_rules_of_a_generated_one(day, check):
    getattr(realism, check)(_final(day))


def test_the_new_orgs_emails_still_match_their_tasks(day):
    engagement.test_emails_go_from_the_rep_to_the_lead_or_contact_they_are_about(_final(day))
    assert _one(day, """select count(*) from final.EmailMessage e join final.Task t on t.Id = e.ActivityId
                        where t.TaskSubtype <> 'Email' or not t.IsClosed or e.IsDeleted <> t.IsDeleted
                           or t.Subject <> 'Email: ' || e.Subject or e.MessageDate <> t.CreatedDate""") == 0


def _failures(folder, fmt: str, as_of: dt.date, skip_orphans: bool) -> list[str]:
    con = duckdb.connect()
    for obj in OBJECTS:
        load_object(con, obj, folder / f"{obj.api_name}.{fmt}", dt.datetime.combine(as_of, dt.time(23)))
    context = RuleContext(as_of, tuple(s[0] for s in DEFAULT_STAGES), ("USD", "EUR", "GBP", "JPY"),
                          tuple(QualityConfig().lead_statuses))
    failures = []
    for obj in OBJECTS:
        suite, rules = build_suite(obj.api_name, obj.table, context)
        outcome = validate_query(con, validation_query(obj.api_name, obj.table), suite)
        failures += [f"{obj.api_name} {o.describe()}" for o in outcome.failures
                     if not (skip_orphans and rules[o.rule].orphan)]
    return failures


def test_the_new_org_and_the_delta_pass_every_data_quality_rule(parquet_day):
    root, day = parquet_day["root"], parquet_day["day"]
    assert _failures(root / "org", "parquet", day, skip_orphans=False) == []
    # A delta's parents (owners, accounts) are in the org it applies to, not in the delta itself.
    assert _failures(root / "delta", "parquet", day, skip_orphans=True) == []


def test_loading_the_old_org_and_merging_the_delta_gives_the_raw_tables_of_the_new_org(parquet_day):
    root = parquet_day["root"]
    loaded_at = dt.datetime.combine(parquet_day["day"], dt.time(23))
    incremental, full = duckdb.connect(), duckdb.connect()
    for obj in OBJECTS:
        load_object(incremental, obj, root / "base" / f"{obj.api_name}.parquet", loaded_at)
        load_object(incremental, obj, root / "delta" / f"{obj.api_name}.parquet", loaded_at, mode="merge")
        load_object(full, obj, root / "org" / f"{obj.api_name}.parquet", loaded_at)
        query = f"select * exclude (_row_number) from raw.{obj.table} order by id"
        assert incremental.execute(query).fetchall() == full.execute(query).fetchall(), obj.api_name


# --- Determinism and sequence ----------------------------------------------------------------


def test_the_same_org_day_and_seed_write_the_same_delta_and_new_org(csv_day, tmp_path):
    shutil.copytree(csv_day["root"] / "base", tmp_path / "org")
    generate_delta(tmp_path / "org", tmp_path / "delta", day=csv_day["day"], seed=csv_day["seed"])
    for obj in OBJECTS:
        name = f"{obj.api_name}.csv"
        for folder in ("org", "delta"):
            assert (tmp_path / folder / name).read_bytes() == (csv_day["root"] / folder / name).read_bytes(), name


def test_a_delta_for_a_day_the_org_already_covers_is_refused(csv_day, tmp_path):
    shutil.copytree(csv_day["root"] / "org", tmp_path / "org")
    with pytest.raises(ValueError, match="later day"):
        generate_delta(tmp_path / "org", tmp_path / "delta", day=csv_day["day"], seed=1)


def test_a_second_day_continues_from_the_first(csv_day, tmp_path):
    shutil.copytree(csv_day["root"] / "org", tmp_path / "org")
    counts = generate_delta(tmp_path / "org", tmp_path / "delta", day=csv_day["day"] + dt.timedelta(days=1), seed=9)
    assert counts["Lead"] > 0 and counts["Task"] > 0
    con = duckdb.connect()
    first = con.execute(f"select max(Id) from read_csv('{csv_day['root'] / 'delta' / 'Lead.csv'}', "
                        "all_varchar = true)").fetchone()[0]
    second = con.execute(f"select min(Id) from read_csv('{tmp_path / 'delta' / 'Lead.csv'}', all_varchar = true) "
                         f"where CreatedDate >= '{csv_day['day'] + dt.timedelta(days=1)}'").fetchone()[0]
    assert parse_counter([second])[0] > parse_counter([first])[0]
