"""Every kind of source runs through Dagster's own execution, from the run config the launchpad, the
schedule and the sensor give, and what each run loaded is compared with the source's own files:
- the launchpad: the demo org, a Data Export .zip, a live Salesforce org and another CRM's export
  with its mapping;
- the schedule: a live org in full, then only its changes (that run publishes); and the .zip or
  mapped export the environment names, asked for with the launchpad's config;
- the drop folder's sensor: another CRM's export with the folder's mapping (that run publishes),
  and, in tests/definitions/test_automation.py, a dropped Data Export .zip to publish.
The other runs materialize the ingest stage only: the rest of the job is the same whatever the
source. (The sensor answers a dropped export; a live org is pulled by the schedule or the launchpad.)

Under test is how a run gets its source, not the formats: the live org is the local endpoint of
tests/support/salesforce_api_server.py (Salesforce's API shapes) serving a generated org, the
mapped export is the repo's example, and the .zip holds Salesforce's Data Export as its
documentation describes it (tests/fixtures/salesforce_data_export/README.md)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import zipfile
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import trustme

from orchestration.defs.ingest.sources import configured_source
from orchestration.defs.jobs import PIPELINE_JOB_NAME
from orchestration.defs.resource_types import _loads_raw
from orchestration.runtime.instance import get_instance
from orchestration.salesforce.objects import OBJECTS
from orchestration.settings import state_paths
from tests.support import DATA_EXPORT, DATA_EXPORT_AS_OF
from tests.support.demo import AS_OF
from tests.support.mapping import AS_OF as EXAMPLE_AS_OF
from tests.support.mapping import EXAMPLE, EXPORT, csv_rows
from tests.support.salesforce_api_server import FakeOrg, FakeSalesforce

pytestmark = pytest.mark.e2e
INGEST = [dg.AssetKey(["raw", obj.table]) for obj in OBJECTS]
DATA_EXPORT_ORG = "WE_00D5g000004NwRtEAK"  # the org Id Salesforce names its export files by


@pytest.fixture(autouse=True)
def _environment(monkeypatch):
    """No source setting of the shell reaches these runs, and get_instance's settings are undone."""
    for name in ("CRM_KPI_SOURCE_KIND", "CRM_KPI_SOURCE", "CRM_KPI_MAPPING", "CRM_KPI_DROP_MAPPING",
                 "CRM_KPI_AS_OF"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", os.environ.get("DAGSTER_HOME", ""))


@pytest.fixture
def instances():
    opened = []
    yield opened
    for instance in opened:
        instance.dispose()


def _defs(home: Path, monkeypatch, instances: list) -> tuple[dg.Definitions, dg.DagsterInstance]:
    monkeypatch.setenv("CRM_KPI_HOME", str(home))
    instance = get_instance(state_paths(home))
    instances.append(instance)
    from orchestration.definitions import build_defs

    return build_defs(), instance


def _ingest(defs: dg.Definitions, instance: dg.DagsterInstance, run_config: dict, *, whole_job: bool = False):
    result = defs.resolve_job_def(PIPELINE_JOB_NAME).execute_in_process(
        run_config=run_config, instance=instance, asset_selection=None if whole_job else INGEST,
        raise_on_error=False)
    assert result.success, [event.message for event in result.all_events if event.is_failure]
    return result


def _published(home: Path, result: dg.ExecuteInProcessResult, sql: str) -> list[tuple]:
    """`sql` on the published database, which this run published last."""
    with duckdb.connect(str(state_paths(home).published_db), read_only=True) as con:
        assert con.execute("select run_id from _publish_log order by published_at desc limit 1"
                           ).fetchall() == [(result.run_id,)]
        return con.execute(sql).fetchall()


def _raw_count(home: Path, table: str) -> int:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]


def _csv_count(path: Path) -> int:
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def _load_mode(result: dg.ExecuteInProcessResult, table: str) -> str:
    materialization = result.asset_materializations_for_node(f"raw__{table}")[0]
    return materialization.metadata["load_mode"].value


def test_a_launch_from_a_fresh_ui_that_sets_only_the_as_of_date_runs_the_demo_org_for_it(
        tmp_path, monkeypatch, instances):
    home = tmp_path / "home"
    defs, instance = _defs(home, monkeypatch, instances)
    # the other fields come from the environment: no source configured, so the demo org
    _ingest(defs, instance, {"resources": {"pipeline": {"config": {"as_of": AS_OF.isoformat()}}}})
    export = state_paths(home).demo_export
    for table, name in (("opportunity", "Opportunity"), ("task", "Task"), ("user", "User")):
        assert _raw_count(home, table) == _csv_count(export / f"{name}.csv") > 0


def test_the_schedule_runs_a_live_org_in_full_and_then_only_its_changes(
        org, tmp_path, monkeypatch, instances):
    home, ca = tmp_path / "home", trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("CRM_KPI_SOURCE_KIND", "salesforce")
    defs, instance = _defs(home, monkeypatch, instances)
    schedule = defs.get_schedule_def("crm_kpi_daily")
    scheduled = dt.datetime.combine(AS_OF, dt.time(6), tzinfo=dt.timezone.utc)
    with FakeSalesforce(FakeOrg.from_export(org["dir"]), ca) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))  # trust the local endpoint's certificate
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", fake.url)
        monkeypatch.setenv("SALESFORCE_SESSION_ID", fake.new_session())
        with dg.build_schedule_context(instance=instance, scheduled_execution_time=scheduled) as context:
            request = schedule.evaluate_tick(context).run_requests[0]
        assert request.run_config["resources"]["pipeline"]["config"]["source_kind"] == "salesforce"

        first = _ingest(defs, instance, request.run_config)
        assert _load_mode(first, "opportunity") == "replace"
        assert _raw_count(home, "opportunity") == _csv_count(org["dir"] / "Opportunity.csv")

        deal = next(r for r in fake.org.objects["Opportunity"].records if not r["IsClosed"])
        stamp = dt.datetime.combine(AS_OF, dt.time(23, 30))
        deal.update(StageName="Closed Won", IsClosed=True, IsWon=True, SystemModstamp=stamp,
                    LastModifiedDate=stamp)
        second = _ingest(defs, instance, request.run_config, whole_job=True)

    assert _load_mode(second, "opportunity") == "merge"
    assert len(list((home / "salesforce_extract").iterdir())) == 2  # one extract per run
    assert _raw_count(home, "opportunity") == _csv_count(org["dir"] / "Opportunity.csv")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        won = con.execute("select is_won from raw.opportunity where id = ?", [deal["Id"]]).fetchall()
    assert won == [(True,)]
    assert _published(home, second, f"select is_won from fct_opportunities where opportunity_id = '{deal['Id']}'"
                      ) == [(True,)]


def test_the_sensor_runs_another_crms_export_dropped_with_the_drop_folders_mapping(
        tmp_path, monkeypatch, instances):
    home, drop = tmp_path / "home", tmp_path / "drop"
    dropped = shutil.copytree(EXPORT, drop / "sales_pipeline_export")
    delivered = dt.datetime.combine(EXAMPLE_AS_OF, dt.time(7), tzinfo=dt.timezone.utc).timestamp()
    for path in (dropped, *dropped.iterdir()):
        os.utime(path, (delivered, delivered))
    monkeypatch.setenv("CRM_KPI_DROP_DIR", str(drop))
    monkeypatch.setenv("CRM_KPI_DROP_MAPPING", str(EXAMPLE))
    defs, instance = _defs(home, monkeypatch, instances)
    with dg.build_sensor_context(instance=instance) as context:
        [request] = defs.get_sensor_def("crm_kpi_export_drop").evaluate_tick(context).run_requests
    assert request.run_config["resources"]["pipeline"]["config"]["mapping"] == str(EXAMPLE)

    result = _ingest(defs, instance, request.run_config, whole_job=True)

    assert _raw_count(home, "opportunity") == len(csv_rows("sales_pipeline.csv")) > 0
    assert _raw_count(home, "account") == len(csv_rows("accounts.csv")) > 0
    [(deals,)] = _published(home, result, "select count(*) from fct_opportunities")
    assert deals == _raw_count(home, "opportunity")


def test_the_launchpad_runs_a_data_export_zip_unpacked_in_the_state_directory(tmp_path, monkeypatch, instances):
    home, archive = tmp_path / "home", tmp_path / f"{DATA_EXPORT_ORG}_1.ZIP"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        for path in DATA_EXPORT.glob("*.csv"):
            handle.write(path, path.name)
    defs, instance = _defs(home, monkeypatch, instances)
    config = {"source_kind": "export", "source_dir": str(archive), "as_of": DATA_EXPORT_AS_OF.isoformat()}

    _ingest(defs, instance, {"resources": {"pipeline": {"config": config}}})

    unpacked = home / "unpacked_export"
    assert {path.name for path in unpacked.rglob("*.csv")} == {path.name for path in DATA_EXPORT.glob("*.csv")}
    assert _raw_count(home, "opportunity") == _csv_count(DATA_EXPORT / "opportunity.csv") > 0
    assert _raw_count(home, "user") == _csv_count(DATA_EXPORT / "user.csv") > 0


def test_the_launchpad_runs_a_live_org_and_another_crms_export_with_its_mapping(org, tmp_path, monkeypatch, instances):
    ca, ca_file = trustme.CA(), tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    live, mapped = tmp_path / "live", tmp_path / "mapped"
    with FakeSalesforce(FakeOrg.from_export(org["dir"]), ca) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", fake.url)
        monkeypatch.setenv("SALESFORCE_SESSION_ID", fake.new_session())
        defs, instance = _defs(live, monkeypatch, instances)
        config = {"source_kind": "salesforce", "as_of": AS_OF.isoformat()}
        result = _ingest(defs, instance, {"resources": {"pipeline": {"config": config}}})
    assert _load_mode(result, "opportunity") == "replace"  # a first extract is a full load
    assert _raw_count(live, "opportunity") == _csv_count(org["dir"] / "Opportunity.csv") > 0

    defs, instance = _defs(mapped, monkeypatch, instances)
    config = {"source_dir": str(EXPORT), "mapping": str(EXAMPLE), "as_of": EXAMPLE_AS_OF.isoformat()}
    _ingest(defs, instance, {"resources": {"pipeline": {"config": config}}})
    assert _raw_count(mapped, "opportunity") == len(csv_rows("sales_pipeline.csv")) > 0


@pytest.mark.parametrize(("environment", "source"), [
    ({"CRM_KPI_SOURCE": "/exports/latest.zip"},
     {"source_kind": "export", "source_dir": "/exports/latest.zip", "mapping": ""}),
    ({"CRM_KPI_SOURCE": "/exports/crm", "CRM_KPI_MAPPING": "/exports/crm.yml"},
     {"source_kind": "export", "source_dir": "/exports/crm", "mapping": "/exports/crm.yml"}),
], ids=["data export zip", "mapped export"])
def test_the_schedule_asks_for_the_export_and_mapping_the_environment_names(
        tmp_path, monkeypatch, instances, environment, source):
    """The runs it asks for are the launchpad's with that config, run above for each kind."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    defs, instance = _defs(tmp_path / "home", monkeypatch, instances)
    scheduled = dt.datetime.combine(AS_OF, dt.time(6), tzinfo=dt.timezone.utc)
    with dg.build_schedule_context(instance=instance, scheduled_execution_time=scheduled) as context:
        [request] = defs.get_schedule_def("crm_kpi_daily").evaluate_tick(context).run_requests
    config = request.run_config["resources"]["pipeline"]["config"]
    assert {name: config[name] for name in source} == source


def test_runs_launched_from_dagster_load_the_demo_org_unless_an_export_or_a_kind_is_configured():
    assert configured_source() == {"source_kind": "demo", "source_dir": "", "mapping": ""}


def test_with_an_export_configured_runs_launched_from_dagster_load_it(monkeypatch):
    monkeypatch.setenv("CRM_KPI_SOURCE", "/exports/latest.zip")
    assert configured_source()["source_kind"] == "export"
    monkeypatch.setenv("CRM_KPI_SOURCE_KIND", "salesforce")
    assert configured_source()["source_kind"] == "salesforce"


def test_a_run_that_re_executes_only_later_steps_does_not_prepare_its_source_again():
    dbt_only = dg.DagsterRun(job_name=PIPELINE_JOB_NAME, step_keys_to_execute=["crm_kpi_dbt_models"])
    marts_only = dg.DagsterRun(job_name=PIPELINE_JOB_NAME,
                               asset_selection={dg.AssetKey(["marts", "fct_leads"])})
    assert not _loads_raw(dbt_only) and not _loads_raw(marts_only)
    assert _loads_raw(dg.DagsterRun(job_name=PIPELINE_JOB_NAME))  # the whole job
    # as Dagster records a run of the whole job: no asset selection, every step
    everything = dg.DagsterRun(job_name=PIPELINE_JOB_NAME, asset_selection=frozenset(),
                               step_keys_to_execute=["raw__task", "crm_kpi_dbt_models"])
    assert _loads_raw(everything)
    both = dg.DagsterRun(job_name=PIPELINE_JOB_NAME, step_keys_to_execute=["raw__task", "crm_kpi_dbt_models"])
    assert _loads_raw(both)
