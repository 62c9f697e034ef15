"""Runs nobody starts by hand: an export dropped into CRM_KPI_DROP_DIR is loaded and published,
and a run launched from Dagster holds the same run lock as `crm-kpi run`."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.jobs import PIPELINE_JOB_NAME
from orchestration.defs.resource_types import PipelineConfig
from orchestration.runtime.instance import get_instance
from orchestration.runtime.run_lock import RunLockedError
from orchestration.settings import state_paths
from tests.support import REPO
from tests.support.demo import PIPELINE_AS_OF

HOLD_LOCK = """
import sys, time
from pathlib import Path
from orchestration.runtime.run_lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(120)
"""


@pytest.mark.e2e
@pytest.mark.slow  # a whole pipeline run of its own: in `make test-slow`, which CI runs
def test_an_export_zip_dropped_into_the_drop_folder_starts_a_run_that_publishes_it(published, tmp_path, monkeypatch):
    home, drop = tmp_path / "home", tmp_path / "drop"
    shutil.copytree(published["home"], home, symlinks=True)
    drop.mkdir()
    archive = Path(shutil.make_archive(str(drop / "export"), "zip", published["export"]))
    delivered = dt.datetime.combine(PIPELINE_AS_OF, dt.time(7), tzinfo=dt.timezone.utc).timestamp()
    os.utime(archive, (delivered, delivered))
    monkeypatch.setenv("CRM_KPI_DROP_DIR", str(drop))
    monkeypatch.setenv("CRM_KPI_HOME", str(home))
    instance = get_instance(state_paths(home))
    from orchestration.definitions import build_defs

    defs = build_defs()
    with dg.build_sensor_context(instance=instance) as context:
        requests = defs.get_sensor_def("crm_kpi_export_drop").evaluate_tick(context).run_requests
    assert [(r.run_key, r.tags["crm_kpi/export"], r.tags["crm_kpi/as_of"]) for r in requests] == [
        (f"export.zip@{dt.datetime.fromtimestamp(delivered, dt.timezone.utc).replace(tzinfo=None).isoformat()}",
         "export.zip", PIPELINE_AS_OF.isoformat())]

    result = defs.resolve_job_def(PIPELINE_JOB_NAME).execute_in_process(
        run_config=requests[0].run_config, instance=instance, tags=requests[0].tags, raise_on_error=False)

    assert result.success
    assert (home / "unpacked_export" / "Opportunity.csv").is_file()  # the .zip, unpacked by the run
    with duckdb.connect(str(home / "published" / "crm_kpis.duckdb"), read_only=True) as con:
        run_id, as_of = con.execute("select run_id, as_of from _publish_log order by published_at desc limit 1").fetchall()[0]
        company_rows = con.execute("select count(*) from kpi_company_monthly").fetchall()[0][0]
    assert (run_id, str(as_of)) == (result.run_id, PIPELINE_AS_OF.isoformat())
    company = instance.get_latest_materialization_event(dg.AssetKey(["published", "kpi_company_monthly"]))
    metadata = company.asset_materialization.metadata
    assert metadata["dagster/row_count"].value == company_rows
    assert metadata["rows_change"].value == "+0"  # the same export as the fixture's last publish
    assert metadata["preview"].value.startswith("| month | leads_created |")
    assert metadata["trend"].value.startswith("![Bookings and win rate by month](data:image/png;base64,")


def test_a_run_launched_from_dagster_refuses_while_another_run_holds_the_state_directory(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        export = tmp_path / "export"
        export.mkdir()
        for name in ("User", "Opportunity"):  # the objects a full export cannot run without
            (export / f"{name}.csv").write_text("Id\n")
        config = PipelineConfig(source_dir=str(export), home=str(tmp_path), wait_seconds=0.2)
        with pytest.raises(dg.DagsterResourceFunctionError) as error:
            with dg.build_resources({"pipeline": config}):
                pass
        assert isinstance(error.value.__cause__, RunLockedError)
        assert f"(run by process {holder.pid}) after waiting 0.2 s" in str(error.value.__cause__)
    finally:
        holder.kill()
        holder.wait()
    with dg.build_resources({"pipeline": config}) as resources:
        assert resources.pipeline.source_path == export.resolve()
        assert (tmp_path / "run.lock").read_text() == f"run by process {os.getpid()}"
