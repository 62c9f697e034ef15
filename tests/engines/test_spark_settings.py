"""dbt's Spark session and the pipeline's are configured alike: profiles.yml's `spark` target and
orchestration/engines/spark.py `settings` give the same settings, so both find the same tables."""

from __future__ import annotations

import jinja2
import yaml

from orchestration.engines.spark import settings
from tests.support import REPO


def _profile_settings(environ: dict[str, str]) -> dict[str, str]:
    """The `spark` target's server_side_parameters, rendered as dbt renders them."""
    target = yaml.safe_load((REPO / "dbt_project" / "profiles.yml").read_text())["crm_kpi"]["outputs"]["spark"]

    def env_var(name: str, default: str | None = None) -> str:
        return environ[name] if name in environ else default

    return {key: jinja2.Template(str(value)).render(env_var=env_var)
            for key, value in target["server_side_parameters"].items()}


def _in(home, chosen: dict[str, str]) -> dict[str, str]:
    """The settings with the state directory `.` (as the pipeline's dbt names it, working inside it:
    orchestration/runtime/dbt_child.py) spelled as the absolute `home`."""
    return {key: value.replace("./spark", f"{home}/spark") for key, value in chosen.items()}


def test_dbts_spark_session_and_the_pipelines_have_the_same_settings(tmp_path, monkeypatch):
    for name in ("CRM_KPI_SPARK_MASTER", "CRM_KPI_SPARK_SHUFFLE_PARTITIONS"):
        monkeypatch.delenv(name, raising=False)
    assert _in(tmp_path, _profile_settings({"CRM_KPI_DBT_STATE_DIR": "."})) == settings(tmp_path)
    environ = {"CRM_KPI_DBT_STATE_DIR": ".", "CRM_KPI_SPARK_MASTER": "spark://spark-master:7077",
               "CRM_KPI_SPARK_SHUFFLE_PARTITIONS": "64"}
    for name in ("CRM_KPI_SPARK_MASTER", "CRM_KPI_SPARK_SHUFFLE_PARTITIONS"):
        monkeypatch.setenv(name, environ[name])
    assert _in(tmp_path, _profile_settings(environ)) == settings(tmp_path)
    assert settings(tmp_path)["spark.master"] == "spark://spark-master:7077"


def test_sparks_tables_and_catalog_live_in_the_state_directory(tmp_path):
    chosen = settings(tmp_path)
    assert chosen["spark.sql.warehouse.dir"] == str(tmp_path / "spark" / "warehouse")
    assert f"databaseName={tmp_path / 'spark' / 'metastore_db'};" in chosen["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert chosen["spark.sql.session.timeZone"] == "UTC"
