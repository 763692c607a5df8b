"""`auditor serve`: the report and the ticket queue as a local web app (Starlette, Jinja2, plain HTML forms).

Every page reads the store; every action is a POST that calls the same functions as `auditor tickets ...`, so the
store gets the same events and history from the browser as from the command line. No script runs on any page:
the Content-Security-Policy allows none, and every value from the directory's files is escaped.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from auditor import __version__
from auditor.checks.engine import all_rules
from auditor.report import inline_code, web_url
from auditor.report_charts import svg_chart
from auditor.safe_text import html_user
from auditor.serve import queries
from auditor.shipped import shipped
from auditor.store.db import session_factory
from auditor.tickets import actions

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSRF_COOKIE = "auditor_csrf"
TOKEN_COOKIE = "auditor_token"
# No script at all, styles from this server only, forms posting only here, never framed.
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
ACTIONS = ("claim", "assign", "snooze", "resolve", "wontfix")


@dataclass
class ServeOptions:
    """What `auditor serve` was started with."""

    directory: str | None  # the directory's configured name; None shows every directory in the store
    token: str | None = None  # required on every request when set
    as_of: dt.date | None = None  # the actions' date (`--as-of`); today when None
    actor: str = "editor"  # who acts when the form names nobody


def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(shipped("reports"))]),
        autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["code"] = lambda text: html_user(text, render=inline_code)
    env.filters["user"] = html_user
    env.filters["web_url"] = web_url
    env.filters["q"] = lambda value: quote(str(value), safe="")
    env.globals["version"] = __version__
    env.globals["svg_chart"] = svg_chart  # the report's inline SVG charts (reports/_macros.html.j2 chart_block)
    return env


def _local_path(value: str, fallback: str) -> str:
    """A redirect target on this server only: a path, never `//host` or a scheme."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and ":" not in value.split("?")[0]:
        return value
    return fallback


def create_app(engine: Engine, options: ServeOptions) -> Starlette:
    """The app over an open (migrated) store."""
    all_rules()  # imported once here rather than by the first page that names a rule
    sessions = session_factory(engine)
    env = environment()
    indexes: dict[int, queries.RunIndex] = {}  # a completed run's entries and findings never change

    def index_of(session: Any, run: Any) -> queries.RunIndex:
        if run.id not in indexes:
            if len(indexes) >= 4:
                indexes.pop(next(iter(indexes)))
            indexes[run.id] = queries.run_index(session, run)
        return indexes[run.id]

    def today() -> dt.date:
        return options.as_of or dt.date.today()

    def page(request: Request, template: str, http_status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(
            request=request, csrf=request.state.csrf, directory=options.directory, actor=options.actor,
            today=today(), path=request.url.path, query=str(request.url.query), **context)
        return HTMLResponse(html, status_code=http_status)

    def with_run(request: Request, session: Any) -> Any:
        raw = request.query_params.get("run")
        run_id = int(raw) if raw and raw.isdigit() else None
        return queries.pick_run(session, options.directory, run_id)

    def no_run(request: Request) -> HTMLResponse:
        message = ("No completed run of this directory in the store: run `auditor audit` first."
                   if request.query_params.get("run") is None else "No such completed run.")
        return page(request, "error.html.j2", http_status=404, message=message)

    async def overview(request: Request) -> Response:
        with sessions() as session:
            run = with_run(request, session)
            if run is None:
                return no_run(request)
            return page(request, "overview.html.j2", **queries.overview(session, run),
                        runs=queries.completed_runs(session, options.directory))

    async def issues(request: Request) -> Response:
        with sessions() as session:
            run = with_run(request, session)
            if run is None:
                return no_run(request)
            return page(request, "issues.html.j2", run=run, issues=queries.issue_types(session, run))

    async def entries(request: Request) -> Response:
        wanted = queries.EntryFilter.from_query(request.query_params)
        with sessions() as session:
            run = with_run(request, session)
            if run is None:
                return no_run(request)
            found = queries.entries(session, run, wanted, index_of(session, run))
            return page(request, "entries.html.j2", run=run, wanted=wanted, **found,
                        page_url=lambda n: "?" + urlencode({**wanted.active, "run": run.id, "page": n}))

    async def entry(request: Request) -> Response:
        with sessions() as session:
            run = with_run(request, session)
            if run is None:
                return no_run(request)
            detail = queries.entry_detail(session, run, request.path_params["entry_id"])
            if detail is None:
                wanted = request.path_params["entry_id"]
                return page(request, "error.html.j2", http_status=404, message=f"No entry {wanted!r} in run #{run.id}.")
            return page(request, "entry.html.j2", run=run, **detail)

    async def ticket_queue(request: Request) -> Response:
        status = request.query_params.get("status") or "open"
        owner = request.query_params.get("owner") or None
        with sessions() as session:
            try:
                tickets = actions.list_tickets(session, options.directory, owner, status)
            except actions.TicketError as exc:
                return page(request, "error.html.j2", http_status=400, message=str(exc))
            return page(request, "tickets.html.j2", tickets=tickets, status=status, owner=owner or "",
                        statuses=[*actions.STATUSES, "all"], is_overdue=queries.is_overdue)

    async def ticket(request: Request) -> Response:
        with sessions() as session:
            try:
                found = actions.get_ticket(session, request.path_params["ticket_id"])
            except actions.TicketError as exc:
                return page(request, "error.html.j2", http_status=404, message=str(exc))
            if options.directory and found.directory != options.directory:
                return page(request, "error.html.j2", http_status=404, message=f"No ticket #{found.id} here.")
            return page(request, "ticket.html.j2", ticket=found, overdue=queries.is_overdue(found, today()))

    async def act(request: Request) -> Response:
        ticket_id, action = request.path_params["ticket_id"], request.path_params["action"]
        form = await request.form()
        field = lambda name: str(form.get(name) or "").strip()  # noqa: E731
        actor = field("by") or options.actor
        with sessions() as session:
            try:
                found = actions.get_ticket(session, ticket_id)
                if options.directory and found.directory != options.directory:
                    raise actions.TicketError(f"no ticket #{ticket_id} in this directory")
                if action == "claim":
                    actions.claim(session, ticket_id, actor, today())
                elif action == "assign":
                    actions.assign(session, ticket_id, field("to"), field("reason"), actor, today())
                elif action == "snooze":
                    try:
                        until = dt.date.fromisoformat(field("until"))
                    except ValueError:
                        raise actions.TicketError("snooze needs a date to wake on (YYYY-MM-DD)") from None
                    actions.snooze(session, ticket_id, until, field("reason"), actor, today())
                elif action == "resolve":
                    actions.resolve(session, ticket_id, field("reason"), actor, today())
                else:
                    actions.wontfix(session, ticket_id, field("reason"), actor, today())
            except actions.TicketError as exc:
                return page(request, "error.html.j2", http_status=400, message=str(exc), back=f"/tickets/{ticket_id}")
        target = _local_path(field("next"), f"/tickets/{ticket_id}")
        return RedirectResponse(target, status_code=303)

    async def stylesheet(_request: Request) -> Response:
        css = (shipped("reports") / "style.css").read_text(encoding="utf-8")
        css += (TEMPLATES / "app.css").read_text(encoding="utf-8")
        return Response(css, media_type="text/css")

    routes = [
        Route("/", overview), Route("/issues", issues), Route("/entries", entries),
        Route("/entries/{entry_id:path}", entry), Route("/tickets", ticket_queue),
        Route("/tickets/{ticket_id:int}", ticket),
        Route("/tickets/{ticket_id:int}/{action:str}", act, methods=["POST"]),
        Route("/style.css", stylesheet),
    ]
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        return await _guard(request, call_next, options, env)

    return Starlette(routes=routes, middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)])


async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]], options: ServeOptions,
                 env: Environment) -> Response:
    """The token (when the server has one), the CSRF check of every POST, and the headers of every answer."""
    def refuse(status: int, message: str) -> Response:
        html = env.get_template("error.html.j2").render(message=message, csrf="", directory=options.directory,
                                                       path="", query="", bare=True,
                                                       today=options.as_of or dt.date.today())
        return _secured(HTMLResponse(html, status_code=status))

    if request.method not in ("GET", "HEAD", "POST"):
        return refuse(405, "Method not allowed.")
    if options.token:
        given = request.query_params.get("token")
        if request.method == "GET" and given is not None and hmac.compare_digest(given, options.token):
            # The token once in the address, then a cookie: the address bar and history keep no secret.
            rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
            response.set_cookie(TOKEN_COOKIE, options.token, httponly=True, samesite="strict")
            return _secured(response)
        header = request.headers.get("authorization", "")
        presented = request.cookies.get(TOKEN_COOKIE) or header.removeprefix("Bearer ").strip()
        if not presented or not hmac.compare_digest(presented, options.token):
            return refuse(401, "This server needs its token: open the address `auditor serve` printed "
                               "(it ends in ?token=...).")
    csrf = request.cookies.get(CSRF_COOKIE) or ""
    if request.method == "POST":
        # The app's forms are urlencoded; the body is read here and replayed to the endpoint by Starlette.
        sent = (parse_qs((await request.body()).decode("utf-8", "replace")).get("csrf") or [""])[0]
        origin = request.headers.get("origin")
        if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
            return refuse(403, "Refused: the form came from another site.")
        if not csrf or not hmac.compare_digest(sent, csrf):
            return refuse(403, "Refused: the form's CSRF token is missing or stale. Reload the page and try again.")
    fresh = not csrf
    if fresh:
        csrf = secrets.token_urlsafe(24)
    request.state.csrf = csrf
    response = await call_next(request)
    if fresh:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict")
    return _secured(response)


def _secured(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # `same-origin`: the app's own forms carry an Origin to check (with `no-referrer` Chromium sends "null").
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response
