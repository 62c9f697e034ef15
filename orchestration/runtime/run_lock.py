"""One run at a time per state directory.

DuckDB lets one process write the warehouse, but a run hands it over several times (its steps, dbt's
process, the publish), so two runs started together would interleave their loads, models and publishes. A run therefore holds an
exclusive lock on `<home>/run.lock` from start to end. The lock is the kernel's (`flock`): a run
that is killed releases it with its process, so there is never a stale lock to clean up.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = "run.lock"
_HELD: set[Path] = set()  # state directories whose lock this process holds


def held_here(home: Path) -> bool:
    """Whether this process already holds the state directory's lock (the CLI, around its run)."""
    return home.resolve() in _HELD


class RunLockedError(Exception):
    """Another run holds the state directory."""


@contextlib.contextmanager
def run_lock(home: Path, wait_seconds: float = 0.0, poll_seconds: float = 0.5) -> Iterator[None]:
    """Hold the state directory's run lock, waiting up to `wait_seconds` for another run to end."""
    path = home / LOCK_FILE
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = path.read_text().strip() or "another process"
                    waited = f" after waiting {wait_seconds:g} s" if wait_seconds else ""
                    raise RunLockedError(
                        f"another run is using {home} ({holder}){waited}; let it finish, or start this one "
                        f"with --wait SECONDS to queue behind it"
                    ) from None
                time.sleep(poll_seconds)
        # who holds it, for the message the next run prints
        os.ftruncate(fd, 0)
        os.write(fd, f"run by process {os.getpid()}".encode())
        _HELD.add(home.resolve())
        try:
            yield
        finally:
            _HELD.discard(home.resolve())
    finally:
        os.close(fd)  # closing the descriptor releases the lock
