"""`make bench`: how long the pipeline's stages take, and how much memory they use.

Not a test (pytest does not collect it): it prints figures to copy into README's Performance
section. Run `make bench SCALE=10` for a larger org.
"""

from __future__ import annotations

import datetime as dt
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from data_quality.config import QualityConfig
from data_quality.data_docs import build_site, store_result
from data_quality.mart_suites import build_mart_suite, mart_models
from data_quality.rules import RuleContext, build_suite, validation_query
from data_quality.validate import validate_query
from orchestration.cli import main
from orchestration.dbt_manifest import load_manifest
from orchestration.defs.transform.dbt import dbt_project
from orchestration.demo_org import LARGE_ORG_SCALE, generate_delta, generate_org
from orchestration.salesforce.export import find_object_file
from orchestration.salesforce.load import load_object
from orchestration.salesforce.objects import DEFAULT_STAGES, OBJECTS

AS_OF = dt.date(2026, 11, 20)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, action):
    started = time.perf_counter()
    result = action()
    print(f"{label:<48} {time.perf_counter() - started:8.1f} s   peak RSS {_peak_mb():7.0f} MB", flush=True)
    return result


def main_bench(scale: float) -> None:
    with tempfile.TemporaryDirectory(prefix="crm_kpi_bench_") as tmp:
        root = Path(tmp)
        _bench_large_org(root)  # first: peak memory only grows, and this is the figure to report
        counts = _timed(f"generate org, scale {scale:g} (parquet)",
                        lambda: generate_org(root / "org", as_of=AS_OF, seed=1, scale=scale, fmt="parquet"))
        print(f"  {sum(counts.values()):,} rows in {len(counts)} objects")
        con = duckdb.connect(str(root / "bench.duckdb"))
        loaded_at = dt.datetime(2026, 11, 21)
        _timed("load every object into raw (DuckDB readers)", lambda: [
            load_object(con, obj, find_object_file(root / "org", obj), loaded_at) for obj in OBJECTS])
        context = RuleContext(AS_OF, tuple(s[0] for s in DEFAULT_STAGES), ("USD", "EUR", "GBP", "JPY"),
                              tuple(QualityConfig().lead_statuses))

        def validate_all() -> int:
            rows = 0
            for obj in OBJECTS:
                suite, _ = build_suite(obj.api_name, obj.table, context)
                rows += validate_query(con, validation_query(obj.api_name, obj.table), suite).rows
            return rows

        started = time.perf_counter()
        rows = _timed("Great Expectations suites on every object", validate_all)
        print(f"  {rows / (time.perf_counter() - started):,.0f} rows/s")
        con.close()
        code = _timed("crm-kpi run on a scale-1 demo org (whole pipeline)", lambda: main(
            ["run", "--home", str(root / "home"), "--as-of", AS_OF.isoformat()]))
        assert code == 0, "the benchmark run did not publish"
        _bench_mart_suites(root)
        _bench_full_then_delta(root, scale)


def _bench_large_org(root: Path) -> None:
    """The large org as Parquet, then one day of changes on top of it."""
    counts = _timed("generate the large org (parquet)", lambda: generate_org(
        root / "large", as_of=AS_OF, seed=1, scale=LARGE_ORG_SCALE, fmt="parquet"))
    print(f"  {sum(counts.values()):,} rows; opportunities {counts['Opportunity']:,}, leads {counts['Lead']:,}, "
          f"tasks and events {counts['Task'] + counts['Event']:,}")
    delta = _timed("one day's delta on the large org", lambda: generate_delta(
        root / "large", root / "large_delta", day=AS_OF + dt.timedelta(days=1)))
    print(f"  {sum(delta.values()):,} changed rows")
    shutil.rmtree(root / "large")
    shutil.rmtree(root / "large_delta")


def _bench_full_then_delta(root: Path, scale: float) -> None:
    """The whole pipeline on the scale-`scale` org as a full export, then on one day's delta."""
    home = str(root / "delta_home")
    code = _timed(f"crm-kpi run, scale {scale:g} org, full export", lambda: main(
        ["run", "--source", str(root / "org"), "--home", home, "--as-of", AS_OF.isoformat()]))
    assert code == 0, "the full run did not publish"
    day = AS_OF + dt.timedelta(days=1)
    delta = generate_delta(root / "org", root / "delta", day=day)
    print(f"  delta of {day}: {sum(delta.values()):,} changed rows")
    code = _timed(f"crm-kpi run --merge, that delta, as of {day}", lambda: main(
        ["run", "--source", str(root / "delta"), "--home", home, "--merge", "--as-of", day.isoformat()]))
    assert code == 0, "the delta run did not publish"


def _bench_mart_suites(root: Path) -> None:
    """The KPI marts' suites and their Data Docs pages, on the scale-1 run's warehouse."""
    manifest = load_manifest(dbt_project.manifest_path)
    with duckdb.connect(str(root / "home" / "warehouse.duckdb"), read_only=True) as con:
        marts = [build_mart_suite(manifest, model) for model in mart_models(manifest)]
        outcomes = _timed("Great Expectations suites on every KPI mart", lambda: [
            validate_query(con, mart.query("marts"), mart.suite, chunk_key=mart.chunk_key) for mart in marts])
    print(f"  {len(outcomes)} marts, {sum(o.rows for o in outcomes):,} rows")
    _timed("Data Docs: every mart's result and suite pages, and the index", lambda: [
        *(store_result(root / "docs", root / "gx", mart.suite, outcome.result, run_name="bench",
                       batch=f"marts.{mart.model}") for mart, outcome in zip(marts, outcomes)),
        build_site(root / "docs", root / "gx")])


if __name__ == "__main__":
    main_bench(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
