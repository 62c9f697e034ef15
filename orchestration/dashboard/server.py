"""Serving the dashboard folder on this machine only, for a browser to open."""

from __future__ import annotations

import webbrowser
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"  # loopback only: the page is for whoever sits at this machine


def make_server(directory: Path, port: int = 8765) -> ThreadingHTTPServer:
    """An HTTP server for `directory` on 127.0.0.1:`port` (0: any free port), not yet serving."""
    handler = partial(SimpleHTTPRequestHandler, directory=str(directory))
    return ThreadingHTTPServer((HOST, port), handler)


def server_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/"


def serve(directory: Path, port: int = 8765, open_browser: bool = True) -> None:
    """Serve `directory` until Ctrl-C, printing its URL and opening it in the default browser."""
    with make_server(directory, port) as server:
        url = server_url(server)
        print(f"Serving the KPI dashboard at {url} (Ctrl-C to stop)", flush=True)
        if open_browser:
            webbrowser.open(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            # Ctrl-C is how one stops it: not an error, so no traceback.
            print("Stopped.", flush=True)
