"""Watching a run from outside, as the fault and crash tests do: which steps it has started so far,
read from the Dagster event log the run writes (one SQLite file per run)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def started_steps(runs_dir: Path, known: set[Path]) -> list[str]:
    """Steps started so far by the run whose event log appeared after `known`."""
    logs = [p for p in runs_dir.glob("*.db") if p.name != "index.db" and p not in known]
    if not logs:
        return []
    try:
        with sqlite3.connect(f"file:{logs[0]}?mode=ro", uri=True, timeout=1) as con:
            rows = con.execute("select step_key from event_logs where dagster_event_type = 'STEP_START'").fetchall()
    except sqlite3.Error:
        return []  # the log is being created
    return [row[0] for row in rows]
