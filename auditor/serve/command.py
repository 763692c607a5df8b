"""The `auditor serve` command: open the store, check the address and the token, run uvicorn."""

from __future__ import annotations

import getpass
import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer

from auditor.cli_common import AsOf, err, out

DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8765


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach an address: `localhost`, 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_command(
    directory: Annotated[Path, typer.Argument(help="The audited directory (finds its store and its name).")]
    = Path("."),
    db: Annotated[str | None, typer.Option("--db", metavar="URL", help="Store URL (default: AUDITOR_DB, else SQLite "
                                           "in <directory>/.auditor/).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback needs --token.")]
    = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
    token: Annotated[str | None, typer.Option(
        envvar="AUDITOR_SERVE_TOKEN", show_envvar=True,
        help="A secret every request must present (open the printed address once; a cookie keeps it).")] = None,
    as_of: AsOf = None,
    by: Annotated[str | None, typer.Option(help="Who acts when a form names nobody (default: AUDITOR_USER, "
                                                "else you).")] = None,
) -> None:
    """The report and the ticket queue as a local web app: overview, issue types, entries with filters, one page
    per entry, and the queue (claim, assign, snooze, resolve, won't fix) writing the same history as `tickets`."""
    import uvicorn

    from auditor.clock import parse_as_of
    from auditor.config import load_config
    from auditor.serve.app import ServeOptions, create_app
    from auditor.store.db import open_engine, resolve_url

    if not is_loopback(host) and not token:
        err.print(f"error: --host {host} is reachable from other machines: give --token (or AUDITOR_SERVE_TOKEN)",
                  style="bold red")
        raise typer.Exit(2)
    try:
        date = parse_as_of(as_of) if as_of else None
    except ValueError as exc:
        err.print(f"error: {exc}", style="bold red")
        raise typer.Exit(2) from None
    name = load_config(directory).name if (directory / "auditor.toml").is_file() else None
    url = resolve_url(directory, db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        err.print(f"error: no store at {url.removeprefix('sqlite:///')}: run `auditor audit {directory}` first",
                  style="bold red")
        raise typer.Exit(2)
    engine = open_engine(url)
    actor = by or os.environ.get("AUDITOR_USER") or getpass.getuser()
    app = create_app(engine, ServeOptions(directory=name, token=token, as_of=date, actor=actor))
    shown = f"[{host}]" if ":" in host else host
    out.print(f"Serving {name or 'every directory in the store'} on http://{shown}:{port}/"
              + (f"?token={token}" if token else ""))
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        engine.dispose()
