"""The Dagster webserver, started on a state directory as `make ui` does, lists the whole graph:
every asset in its group, every check, the schedule and the sensor (read through its GraphQL API)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support import REPO

QUERY = """{
  assetNodes { assetKey { path } groupName assetChecksOrError { ... on AssetChecks { checks { name } } } }
  repositoriesOrError { ... on RepositoryConnection { nodes { schedules { name } sensors { name } } } }
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["data"]


@pytest.fixture
def webserver(published, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(published["home"], home, symlinks=True)
    port = _free_port()
    env = {**os.environ, "CRM_KPI_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-w", "orchestration/workspace.yaml",
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None:
                pytest.fail(f"dagster-webserver exited: {server.stderr.read()}")
            time.sleep(0.5)
    yield port
    server.terminate()
    server.wait(timeout=30)


@pytest.mark.e2e
@pytest.mark.slow  # starts the webserver (a minute): in `make test-slow`, which CI runs
def test_the_webserver_lists_every_asset_in_its_group_every_check_the_schedule_and_the_sensor(webserver):
    from orchestration.definitions import build_defs

    graph = build_defs().resolve_asset_graph()
    data = _graphql(webserver, QUERY)

    listed = {tuple(node["assetKey"]["path"]): node for node in data["assetNodes"]}
    assert set(listed) == {tuple(key.path) for key in graph.get_all_asset_keys()}
    assert {node["groupName"] for node in listed.values()} == {"ingest", "quality", "transform", "publish"}
    assert all(listed[tuple(key.path)]["groupName"] == graph.get(key).group_name for key in graph.get_all_asset_keys())
    checks = {(tuple(node["assetKey"]["path"]), check["name"])
              for node in data["assetNodes"] for check in node["assetChecksOrError"]["checks"]}
    assert checks == {(tuple(key.asset_key.path), key.name) for key in graph.asset_check_keys}
    (repository,) = data["repositoriesOrError"]["nodes"]
    assert [s["name"] for s in repository["schedules"]] == ["crm_kpi_daily"]
    assert sorted(s["name"] for s in repository["sensors"]) == [
        "crm_kpi_data_docs_after_failure", "crm_kpi_data_docs_after_success", "crm_kpi_export_drop"]
