"""`crm-kpi`: generate a demo org, run the pipeline on an export, print the published KPIs."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
from pathlib import Path

from orchestration.engines import ENGINES, SERVER_PUBLISHED, check_ready, resolve_engine
from orchestration.settings import dbt_threads, duckdb_settings, parse_as_of, state_paths

EXIT_HELD_BACK = 1  # the run finished but nothing was published
EXIT_BAD_INPUT = 2  # the command could not start (bad argument, missing folder)
EXIT_BUSY = 3  # another run is using the state directory (or another process the warehouse)
EXIT_DISK_FULL = 4  # the disk ran out of space during the run; the published files are unchanged
EXIT_DAMAGED = 5  # a merge run found the warehouse damaged (a full export moves it aside instead)


def _generate(args: argparse.Namespace) -> int:
    from demo_org import LARGE_ORG_SCALE, generate_org

    scale = LARGE_ORG_SCALE if args.large else args.scale
    # a large org as CSV is 8 GB and four times slower to write and to load: Parquet unless asked
    fmt = args.format or ("parquet" if args.large else "csv")
    counts = generate_org(
        Path(args.out), as_of=parse_as_of(args.as_of), seed=args.seed, scale=scale, fmt=fmt
    )
    total = sum(counts.values())
    print(f"Wrote a Salesforce org of {total:,} rows to {Path(args.out).resolve()}:")
    for name, rows in counts.items():
        print(f"  {name:<20} {rows:>10,}")
    return 0


def _delta(args: argparse.Namespace) -> int:
    from demo_org import generate_delta

    day = dt.date.fromisoformat(args.day)
    counts = generate_delta(Path(args.org), Path(args.out), day=day, seed=args.seed)
    print(f"Wrote the changes of {day} ({sum(counts.values()):,} rows) to {Path(args.out).resolve()}; "
          f"{Path(args.org).resolve()} now holds the org after that day")
    return 0


def _print_summary(summary) -> None:
    checks = summary.passed_checks + len(summary.warned_checks) + len(summary.failed_checks)
    print(
        f"Checks: {summary.passed_checks} passed, {len(summary.warned_checks)} warned, "
        f"{len(summary.failed_checks)} failed (of {checks})."
    )
    for line in summary.warned_checks:
        print(f"  WARN  {line}")
    for line in summary.failed_checks:
        print(f"  FAIL  {line}")
    for line in summary.failures:
        print(f"  ERROR {line}")
    if summary.skipped_steps and not summary.published and not (summary.failures or summary.failed_checks):
        # nothing failed, yet steps did not run: an asset they need was not reported built
        print(f"  SKIPPED {', '.join(summary.skipped_steps)}: an asset they need was not materialized in this run")


def _run(args: argparse.Namespace) -> int:
    from orchestration.runtime.run_lock import RunLockedError, run_lock

    paths = state_paths(args.home)
    as_of = parse_as_of(args.as_of)
    try:
        duckdb_settings(paths.home)  # a setting DuckDB or dbt refuses, said once before anything runs
        dbt_threads(0)
        args.engine = resolve_engine(args.engine)
        check_ready(args.engine)
    except (ValueError, RuntimeError) as exc:  # RuntimeError: the engine's server or runtime is out of reach
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    published_before = _file_identity(paths.published_db)
    # Held from the first write into the state directory (an unpacked .zip, an API extract, the
    # demo org, a mapped export) to the publish: two runs never interleave there.
    try:
        with run_lock(paths.home, args.wait):
            return _run_locked(args, paths, as_of)
    except RunLockedError as exc:
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except Exception as exc:  # a full disk, at whatever stage, is one line; anything else is a bug
        from orchestration.cli.disk_full import from_exception

        full = from_exception(exc, paths.home)
        if full is None:
            raise
        unchanged = _file_identity(paths.published_db) == published_before
        print(f"crm-kpi: {full.message(unchanged)}", file=sys.stderr)
        return EXIT_DISK_FULL


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def _check_warehouse(args: argparse.Namespace, paths) -> int | None:
    """Open the warehouse once before anything runs (orchestration/warehouse.py): a damaged one is
    moved aside by a full export or API extract (a first extract again, as its watermarks are in
    it), and stops a merge; a lock another process holds is waited for. An exit code, or None."""
    from orchestration.warehouse import (
        WarehouseDamaged,
        WarehouseLocked,
        check_at_run_start,
        merge_needs_warehouse,
    )

    try:
        moved = check_at_run_start(paths.warehouse, rebuilds=not args.merge)
    except WarehouseDamaged as exc:
        print(f"crm-kpi: {merge_needs_warehouse(exc)}", file=sys.stderr)
        return EXIT_DAMAGED
    except WarehouseLocked as exc:
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return EXIT_BUSY
    for aside in moved:
        print(f"crm-kpi: {aside.message()}", file=sys.stderr)
    return None


def _run_locked(args: argparse.Namespace, paths, as_of: dt.date) -> int:
    from orchestration.cli.report import company_kpi_table
    from orchestration.cli.runner import run_pipeline
    from orchestration.defs.ingest.sources import SourceError, check_request, prepare_source

    kind = "salesforce" if args.salesforce else "export" if args.source else "demo"
    mapping, load_mode = args.mapping or "", "merge" if args.merge else "replace"
    try:
        check_request(kind, mapping, load_mode)
    except SourceError as exc:
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # A live org's watermarks are in the warehouse: it is checked before they are read. An
    # export's folder is checked first, so that a wrong path is said before the warehouse is touched.
    if kind == "salesforce" and (refused := _check_warehouse(args, paths)) is not None:
        return refused
    try:
        prepared = prepare_source(kind, paths, as_of, sources=[Path(path) for path in args.source or ()],
                                  mapping=mapping, load_mode=load_mode)
    except SourceError as exc:
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for note in prepared.notes:
        print(note)
    source, load_mode = prepared.folder, prepared.load_mode
    if kind != "salesforce" and (refused := _check_warehouse(args, paths)) is not None:
        return refused
    print(f"Running the pipeline on {source} for {as_of} ...")
    published_before = _file_identity(paths.published_db)
    # The modules imported by now (Dagster, Great Expectations: some 400,000 objects) live as long
    # as this process: kept out of the garbage collector's full passes, which otherwise walk them
    # each time and once more at exit (the exit took 2.0 s, now 0.7 s). What is garbage now is
    # collected first, not kept.
    gc.collect()
    gc.freeze()
    summary = run_pipeline(paths, source, as_of, load_mode=load_mode, engine=args.engine)
    if not summary.published:
        from orchestration.cli.disk_full import from_failures

        full = from_failures(summary.failures, paths.home)
        if full is not None:
            print(f"crm-kpi: {full.message(_file_identity(paths.published_db) == published_before)}",
                  file=sys.stderr)
            for line in summary.failures:  # a server engine's publish stands even so: said, too
                if SERVER_PUBLISHED in line:
                    print(f"crm-kpi: {line.split(': ', 1)[-1]}", file=sys.stderr)
            return EXIT_DISK_FULL
    _print_summary(summary)
    if not summary.published:
        on_server = any(SERVER_PUBLISHED in line for line in summary.failures)
        print(
            f"Held back: {'only the server was published' if on_server else 'nothing was published'} "
            f"(run {summary.run_id}). The last good marts are "
            f"unchanged in {paths.published_db}. Details: {summary.log_file}, or "
            f"`CRM_KPI_HOME={paths.home} make ui` (run {summary.run_id}).",
            file=sys.stderr,
        )
        return EXIT_HELD_BACK
    print()
    print(company_kpi_table(paths.published_db))
    print()
    print(f"Published: {paths.published_db}")
    return 0


def _kpis(args: argparse.Namespace) -> int:
    from orchestration.cli.report import company_kpi_table

    paths = state_paths(args.home)
    try:
        print(company_kpi_table(paths.published_db, months=args.months))
    except FileNotFoundError as exc:
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    from orchestration.dashboard import serve

    folder = state_paths(args.home).published_dir / "dashboard"
    if not (folder / "index.html").is_file():
        print(f"crm-kpi: no dashboard in {folder}: it is written by every publish (run `crm-kpi run` first)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        serve(folder, args.port, open_browser=not args.no_browser)
    except OSError as exc:  # e.g. the port is taken
        print(f"crm-kpi: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}; try --port", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm-kpi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write a demo Salesforce org as an export folder")
    generate.add_argument("--out", required=True, help="folder to write the export into")
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--scale", type=float, default=1.0, help="1.0 ≈ 25 reps, 1,500 opportunities")
    generate.add_argument("--as-of", help="last day of the data, YYYY-MM-DD (default: today, UTC)")
    generate.add_argument("--format", choices=("csv", "parquet"),
                          help="file format (default: csv, or parquet with --large)")
    generate.add_argument("--large", action="store_true",
                          help="a large org (1M opportunities, 2.7M leads, 18M tasks and events)")
    delta = commands.add_parser("delta", help="add one day of changes to a generated org, written as a delta export")
    delta.add_argument("--org", required=True, help="org folder written by `generate` (moved on to the day after)")
    delta.add_argument("--out", required=True, help="folder to write the day's changes into")
    delta.add_argument("--day", required=True, help="day of the changes, YYYY-MM-DD, after the org's last day")
    delta.add_argument("--seed", type=int, default=42)
    delta.set_defaults(handler=_delta)
    generate.set_defaults(handler=_generate)

    run = commands.add_parser("run", help="run the whole pipeline and publish the KPI marts")
    origin = run.add_mutually_exclusive_group()
    origin.add_argument("--source", nargs="+", metavar="PATH",
                        help="export folder, Data Export .zip, or the several .zip files of one Data Export "
                        "(default: a freshly generated demo org)")
    origin.add_argument("--salesforce", action="store_true",
                        help="extract from a live org over its API (credentials from SALESFORCE_* "
                        "environment variables): everything the first time, then only what changed")
    run.add_argument("--home", help="state directory (default: $CRM_KPI_HOME or ./.crm_kpi)")
    run.add_argument("--mapping", help="YAML mapping (docs/mapping.md): convert the --source folder, "
                     "an export of another CRM, onto the Salesforce objects first")
    run.add_argument("--as-of", help="as-of date, YYYY-MM-DD (default: today, UTC)")
    run.add_argument("--merge", action="store_true",
                     help="the source holds changes (a delta): merge them into the loaded data by Id, "
                     "newest SystemModstamp wins, instead of replacing it")
    run.add_argument("--engine", choices=ENGINES, help="where the dbt models, the mart checks and the publish "
                     "run (default: $CRM_KPI_ENGINE, else duckdb); postgres reads its server from the PG* "
                     "environment variables or CRM_KPI_POSTGRES_DSN; spark builds the models in local "
                     "Spark (docs/engines.md)")
    run.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="if another run is using the state directory, wait up to this long for it "
                     "(default: refuse at once, exit 3)")
    run.set_defaults(handler=_run)

    kpis = commands.add_parser("kpis", help="print the company KPIs of the last published marts")
    kpis.add_argument("--home", help="state directory (default: $CRM_KPI_HOME or ./.crm_kpi)")
    kpis.add_argument("--months", type=int, default=12)
    kpis.set_defaults(handler=_kpis)

    dashboard = commands.add_parser("dashboard", help="serve the KPI dashboard of the last publish on localhost")
    dashboard.add_argument("--home", help="state directory (default: $CRM_KPI_HOME or ./.crm_kpi)")
    dashboard.add_argument("--port", type=int, default=8765)
    dashboard.add_argument("--no-browser", action="store_true", help="do not open a browser")
    dashboard.set_defaults(handler=_dashboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as exc:  # bad argument values, e.g. an as-of date that is not a date
        print(f"crm-kpi: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

