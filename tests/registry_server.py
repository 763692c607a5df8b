"""A small package registry on 127.0.0.1 for the CAP tests: PyPI-JSON-shaped and npm-shaped documents.

A package is described compactly and served in each registry's own shape:

    {latest: 1.2.0, versions: [0.3.0, 1.2.0], yanked: {0.3.0: "reason"}, deprecated: {0.3.0: "use y"}}

or as a bare HTTP status (404, 500), or `{status: 200, body: "not json"}`, or `{delay: 2.0, ...}` for a
server that answers too slowly. Every request's path is recorded in `requests`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from auditor.checks.registry import MemoryCache, RegistryClient


def pypi_document(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    yanked = {str(k): v for k, v in (spec.get("yanked") or {}).items()}
    releases = {}
    for version in [str(v) for v in spec.get("versions") or [spec["latest"]]]:
        releases[version] = [{
            "filename": f"{name}-{version}.tar.gz",
            "upload_time_iso_8601": str(spec.get("released", {}).get(version, "2026-01-15")) + "T10:00:00.000000Z",
            "yanked": version in yanked,
            "yanked_reason": yanked.get(version) or None,
        }]
    return {"info": {"name": name, "version": str(spec["latest"]), "yanked": False}, "releases": releases,
            "urls": []}


def npm_document(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    deprecated = {str(k): v for k, v in (spec.get("deprecated") or {}).items()}
    versions = {}
    for version in [str(v) for v in spec.get("versions") or [spec["latest"]]]:
        versions[version] = {"name": name, "version": version, **({"deprecated": deprecated[version]}
                                                                   if version in deprecated else {})}
    return {"name": name, "dist-tags": {"latest": str(spec["latest"])}, "versions": versions,
            "modified": "2026-11-01T00:00:00.000Z"}


class RegistryServer:
    """Serves `pypi` packages at /pypi/<name>/json and `npm` packages at /npm/<name>; unknown names get 404."""

    def __init__(self, pypi: dict[str, Any] | None = None, npm: dict[str, Any] | None = None) -> None:
        self.pypi: dict[str, Any] = dict(pypi or {})
        self.npm: dict[str, Any] = dict(npm or {})
        self.requests: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests the server was answering at once
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                with lock:
                    server.requests.append(self.path)
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                status, body, delay = server.route(self.path)
                if delay:
                    time.sleep(delay)
                with lock:
                    server.in_flight -= 1
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def urls(self) -> dict[str, str]:
        return {"pypi": self.base, "npm": f"{self.base}/npm"}

    def route(self, path: str) -> tuple[int, Any, float]:
        path = unquote(path.split("?", 1)[0])
        if path.startswith("/pypi/") and path.endswith("/json"):
            name, spec, shape = path[len("/pypi/"):-len("/json")], None, pypi_document
            spec = self.pypi.get(name)
        elif path.startswith("/npm/"):
            name, shape = path[len("/npm/"):], npm_document
            spec = self.npm.get(name)
        else:
            return 404, {"message": "Not Found"}, 0.0
        if spec is None:
            return 404, {"message": "Not Found"}, 0.0
        if isinstance(spec, int):
            return spec, {"message": f"HTTP {spec}"}, 0.0
        delay = float(spec.get("delay", 0.0))
        if "status" in spec:
            body = spec.get("body", {"message": "error"})
            return int(spec["status"]), body.encode() if isinstance(body, str) else body, delay
        return 200, shape(name, spec), delay

    def __enter__(self) -> RegistryServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def registry_for_case(spec: dict[str, Any], timeout: float = 2.0) -> Iterator[RegistryClient]:
    """A client (memory cache) talking to a server that serves the case's `registry:` packages."""
    with RegistryServer(spec.get("pypi"), spec.get("npm")) as server:
        yield RegistryClient(server.urls, timeout=float(spec.get("timeout", timeout)), cache=MemoryCache())
