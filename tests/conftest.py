"""Shared fixtures. Tests pass their own state directory (`--home`): nothing touches ./.crm_kpi."""

from __future__ import annotations

import os
import signal

import duckdb
import pytest

from demo_org import generate_org
from orchestration.cli.main import main
from orchestration.salesforce.objects import OBJECTS
from tests.support.demo import AS_OF, PIPELINE_AS_OF

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

# A shell starts a background job (CI's, say) with SIGINT ignored, and a Dagster run in this
# process ends by pointing SIGTERM at whatever SIGINT does (dagster._utils.interrupts): after the
# first run, SIGTERM was ignored by this worker and by every process a later test started (an
# ignored signal outlives exec), so terminate() no longer ended them. Which tests met it depended
# on how the files fell to the workers. Python's own handler, as in a terminal, is passed to no child.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def org(tmp_path_factory):
    """A small org as CSV, and a DuckDB connection with one table per object typed by the schema."""
    out = tmp_path_factory.mktemp("org")
    counts = generate_org(out, as_of=AS_OF, seed=42, scale=0.2)
    con = duckdb.connect()
    for obj in OBJECTS:
        casts = ", ".join(f"cast(nullif(\"{f.api_name}\", '') as {f.duckdb_type}) as \"{f.api_name}\""
                          for f in obj.fields)
        csv = out / f"{obj.api_name}.csv"
        con.execute(f"create table \"{obj.api_name}\" as select {casts} "
                    f"from read_csv('{csv}', header = true, all_varchar = true)")
    yield {"dir": out, "counts": counts, "con": con}
    con.close()



@pytest.fixture(scope="session")
def published(tmp_path_factory):
    """A small demo org run through the whole pipeline once, shared by the end-to-end tests."""
    root = tmp_path_factory.mktemp("e2e")
    export, home = root / "export", root / "home"
    generate_org(export, as_of=PIPELINE_AS_OF, seed=7, scale=0.1)
    exit_code = main(["run", "--source", str(export), "--home", str(home), "--as-of", PIPELINE_AS_OF.isoformat()])
    return {"export": export, "home": home, "db": home / "published" / "crm_kpis.duckdb", "exit": exit_code}
