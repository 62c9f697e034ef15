"""A one-line progress display for `crm-kpi run` on a terminal: which stage the run is in and how
far it got (objects loaded with their rows, dbt models built, checks done), quiet elsewhere.

It reads the run's own Dagster event log, so it shows what the UI would, without touching the run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

import dagster as dg

EVENT_TYPES = (dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.ASSET_CHECK_EVALUATION)


@dataclass
class Progress:
    """What a run has done so far, against the job's totals by asset group."""

    totals: dict[str, int]  # assets per group (ingest, quality, transform, publish), and "checks"
    done: dict[str, int] = field(default_factory=dict)
    last_load: str = ""  # e.g. "Opportunity: 1,480 rows"

    def add(self, group: str | None, key: dg.AssetKey | None = None, rows: int | None = None) -> None:
        """Count one materialization of an asset of `group`, or one check evaluation (group None)."""
        name = group or "checks"
        self.done[name] = self.done.get(name, 0) + 1
        if group == "ingest" and key is not None and rows is not None:
            self.last_load = f"{key.path[-1]}: {rows:,} rows"

    def line(self) -> str:
        def part(label: str, name: str) -> str:
            return f"{label} {self.done.get(name, 0)}/{self.totals.get(name, 0)}"

        ingest = part("ingest", "ingest") + (f" ({self.last_load})" if self.last_load else "")
        return " · ".join([ingest, part("validated", "quality"), part("dbt models", "transform"),
                           part("checks", "checks"), part("published", "publish")])


def totals_by_group(asset_graph) -> dict[str, int]:
    totals: dict[str, int] = {}
    for key in asset_graph.get_all_asset_keys():
        group = asset_graph.get(key).group_name
        totals[group] = totals.get(group, 0) + 1
    totals["checks"] = len(asset_graph.asset_check_keys)
    return totals


class ProgressDisplay:
    """Redraws `Progress` on `stream` twice a second while the run `run_id` goes on."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, asset_graph, stream: TextIO):
        self.instance, self.run_id, self.asset_graph, self.stream = instance, run_id, asset_graph, stream
        self.progress = Progress(totals_by_group(asset_graph))
        self._cursors: dict = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> ProgressDisplay:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.stream.write("\r\033[K")  # leave the line clean for the summary
        self.stream.flush()

    def _new_events(self) -> Iterable:
        for event_type in EVENT_TYPES:
            result = self.instance.get_records_for_run(self.run_id, cursor=self._cursors.get(event_type),
                                                       of_type=event_type, limit=1_000)
            self._cursors[event_type] = result.cursor
            for record in result.records:
                yield record.event_log_entry.dagster_event

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            for event in self._new_events():
                if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                    self.progress.add(None)
                    continue
                key = event.asset_key
                rows = event.event_specific_data.materialization.metadata.get("dagster/row_count")
                self.progress.add(self.asset_graph.get(key).group_name if self.asset_graph.has(key) else None,
                                  key, None if rows is None else int(rows.value))
            self.stream.write("\r\033[K" + self.progress.line()[: 160])
            self.stream.flush()
