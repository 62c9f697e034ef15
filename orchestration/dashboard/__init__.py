"""The sales leaders' KPI dashboard: a static, offline HTML page rendered from the published marts.

`write_dashboard` renders it into a folder; `serve` serves that folder on localhost.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from orchestration.dashboard.data import load_dashboard
from orchestration.dashboard.render import render_page
from orchestration.dashboard.server import make_server, serve

__all__ = ["make_server", "serve", "write_dashboard"]

PAGE = "index.html"


def write_dashboard(published_db: Path, out_dir: Path) -> Path:
    """Render the dashboard of `published_db` (opened read-only) into `out_dir/index.html`.

    The page is written beside its final name and renamed into place, so a browser or the server
    never reads a half-written page. Returns the page's path.
    """
    page = render_page(load_dashboard(Path(published_db)))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / PAGE
    fd, temp = tempfile.mkstemp(prefix=f".{PAGE}.", suffix=".tmp", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file private (0600); the page is meant to be read by a web server.
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
