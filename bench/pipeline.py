"""`make bench`: the whole pipeline on generated orgs of growing size, stage by stage, beside the
floor script (bench/floor.py) over the same files, measured in the same run.

For each size, a full export (`crm-kpi run --source`, in a process of its own) and, on the large
org, one generated day of changes merged with `--merge`. It prints, per run: the time of each stage
(from the run's step timings in the Dagster instance), the whole run's time, the peak memory of the
run's process tree (the CLI, and dbt under it), the floor's time on the same files and the ratio,
and the validation throughput (the export's rows over the validate stage's step seconds).
The last lines are a Markdown table for docs/performance.md (and the summary in README).

    make bench                    # scale 1, scale 10, the large org and a day's delta on it
    make bench SIZES="1 10"       # only the scales given ("large" names the large org)
    make bench ENGINE=postgres    # the runs on the Postgres engine (`crm-kpi run --engine postgres`)
    make bench ENGINE=spark       # ... on Spark in local mode (its JVMs are the run's children: counted)

On Postgres the server the PG* variables name is used; with none named (no PGHOST), a throwaway
cluster of Debian's PostgreSQL, the tests' own (tests/support/postgres.py), and its processes'
memory counts in the peak.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.floor import floor_kpis
from demo_org import LARGE_ORG_SCALE, generate_delta, generate_org

AS_OF = dt.date(2026, 11, 20)
CLI = str(Path(sys.executable).parent / "crm-kpi")
# The stage of each step: the first of these its key contains.
STAGES = (("raw__", "ingest"), ("validated__", "validate"), ("_load_checks", "validate"),
          ("crm_kpi_dbt_models", "dbt"), ("published_marts", "publish"))  # else "checks"


@dataclass
class Measured:
    label: str
    rows: int
    seconds: float
    peak_mb: float
    floor_seconds: float
    stages: dict[str, float] = field(default_factory=dict)
    validated_rows: int | None = None  # the rows the run validated, when not the whole org's (a merge)

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds

    @property
    def validated_per_second(self) -> float:
        """The rows validated over the validate stage's seconds (its steps', one after another):
        the validation throughput of the engine the rules ran on, engine start-up included."""
        rows = self.rows if self.validated_rows is None else self.validated_rows
        return rows / self.stages["validate"] if self.stages.get("validate") else 0.0


def _tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and every process under it, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended while it was read
        children.setdefault(parent, []).append(int(entry.name))
        rss[int(entry.name)] = pages
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def _run(args: list[str], home: Path, server_pid: int | None = None) -> tuple[float, float]:
    """`crm-kpi run ARGS` in its own process: seconds, and the peak memory of its process tree
    (with the database server's, `server_pid`, when it runs on this machine)."""
    started = time.perf_counter()
    with open(home.parent / f"{home.name}.log", "a") as log:
        process = subprocess.Popen([CLI, "run", "--home", str(home), *args], stdout=log, stderr=log)
        peak = 0.0
        sampler_done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not sampler_done.wait(0.2):
                peak = max(peak, _tree_rss_mb(process.pid) + (_tree_rss_mb(server_pid) if server_pid else 0))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = process.wait()
        sampler_done.set()
        sampler.join()
    if code != 0:  # the log goes with the temporary folder: show its end
        tail = (home.parent / f"{home.name}.log").read_text(errors="replace").splitlines()[-40:]
        raise SystemExit("\n".join([f"crm-kpi run {' '.join(args)} exited {code}; the end of its output:", *tail]))
    return time.perf_counter() - started, peak


def _stages(home: Path) -> dict[str, float]:
    """Seconds per stage of the newest run in `home`'s Dagster instance: its steps' durations, and
    'other' for the rest of the run's wall time (the CLI, launching the run, Data Docs)."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        stats = instance.get_run_step_stats(run.run_id)
    stages: dict[str, float] = {}
    for step in stats:
        stage = next((name for part, name in STAGES if part in step.step_key), "checks")
        stages[stage] = stages.get(stage, 0.0) + (step.end_time - step.start_time)
    return stages


def _measure(label: str, org: Path, home: Path, rows: int, args: list[str], server_pid: int | None,
             validated_rows: int | None = None) -> Measured:
    seconds, peak = _run(args, home, server_pid)
    floor_seconds, _ = floor_kpis(org, _as_of(args))
    stages = _stages(home)
    stages["other"] = max(0.0, seconds - sum(stages.values()))
    measured = Measured(label, rows, seconds, peak, floor_seconds, stages, validated_rows)
    _print(measured)
    return measured


def _as_of(args: list[str]) -> dt.date:
    return dt.date.fromisoformat(args[args.index("--as-of") + 1])


STAGE_ORDER = ("ingest", "validate", "dbt", "checks", "publish", "other")


def _print(m: Measured) -> None:
    parts = "  ".join(f"{name} {m.stages.get(name, 0.0):.1f}" for name in STAGE_ORDER)
    print(f"{m.label:<28} {m.rows:>11,} rows  {m.seconds:7.1f} s  peak {m.peak_mb / 1024:5.1f} GB  "
          f"floor {m.floor_seconds:6.2f} s  ratio {m.ratio:6.0f}x  validated {m.validated_per_second:,.0f} rows/s"
          f"   [{parts}]", flush=True)


def _markdown(results: list[Measured]) -> str:
    head = ("| org | rows | `crm-kpi run` | " + " | ".join(STAGE_ORDER) +
            " | floor script | ratio | validated rows/s | peak memory |\n|---|---|---|" + "---|" * len(STAGE_ORDER) +
            "---|---|---|---|")
    rows = [f"| {m.label} | {m.rows:,} | {m.seconds:.1f} s | " +
            " | ".join(f"{m.stages.get(name, 0.0):.1f}" for name in STAGE_ORDER) +
            f" | {m.floor_seconds:.2f} s | {m.ratio:.0f}× | {m.validated_per_second:,.0f} | {m.peak_mb / 1024:.1f} GB |"
            for m in results]
    return "\n".join([head, *rows])


def _bench_size(root: Path, size: str, engine: str, server_pid: int | None) -> list[Measured]:
    scale = LARGE_ORG_SCALE if size == "large" else float(size)
    org = root / f"org_{size}"
    counts = generate_org(org, as_of=AS_OF, seed=1, scale=scale, fmt="parquet")
    label = ("large org (`--large`)" if size == "large" else f"scale {scale:g}") + \
        ("" if engine == "duckdb" else f", {engine}")
    args = ["--source", str(org), "--as-of", AS_OF.isoformat(), "--engine", engine]
    results = [_measure(label, org, root / f"home_{size}", sum(counts.values()), args, server_pid)]
    if size == "large":
        day = AS_OF + dt.timedelta(days=1)
        delta = generate_delta(org, root / "delta", day=day)  # the org folder becomes the next day's
        args = ["--source", str(root / "delta"), "--merge", "--as-of", day.isoformat(), "--engine", engine]
        results.append(_measure(f"large org + a day's delta ({sum(delta.values()):,} rows)", org,
                                root / f"home_{size}", sum(counts.values()), args, server_pid,
                                validated_rows=sum(delta.values())))  # and the rows in quarantine
    return results


@contextlib.contextmanager
def _server(engine: str) -> Iterator[int | None]:
    """The pid of the throwaway Postgres cluster started for the runs, or None (DuckDB, or a server
    the PG* variables name)."""
    if engine != "postgres" or os.environ.get("PGHOST") or os.environ.get("CRM_KPI_POSTGRES_DSN"):
        yield None
        return
    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    try:
        os.environ.update(cluster.environment())  # the runs' processes inherit them
        yield int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])
    finally:
        cluster.stop()


def main(sizes: list[str], engine: str) -> None:
    print(f"make bench, {dt.date.today()}, {os.cpu_count()} cores, engine {engine}; stage seconds in brackets")
    with tempfile.TemporaryDirectory(prefix="crm_kpi_bench_") as tmp, _server(engine) as server_pid:
        results = [m for size in sizes for m in _bench_size(Path(tmp), size, engine, server_pid)]
    print()
    print(_markdown(results))


if __name__ == "__main__":
    main(sys.argv[1:] or ["1", "10", "large"], os.environ.get("CRM_KPI_ENGINE") or "duckdb")
