"""The maintainers' report: built from the store, rendered by the Jinja2 templates under `reports/`."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from auditor import __version__
from auditor.outfiles import write_folders, write_output
from auditor.report_charts import svg_chart
from auditor.report_view import build_view
from auditor.safe_text import html_user
from auditor.shipped import shipped
from auditor.store.db import open_engine, session_factory

TEMPLATES = shipped("reports")
TOP_ENTRIES = 50  # entries index.html lists under "What to do first"; the rest are on todo/<n>.html
PAGE_SIZE = 500  # entries on one todo/<n>.html
SHOWN_PER_LIST = 25  # items each list of "What needs attention" shows on index.html
SUBFOLDERS = ("entries", "issues", "todo")


_CODE_SPAN = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> Markup:
    """Escape untrusted text, then show `backticked` parts as code."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = lambda text: html_user(text, render=inline_code)
    env.filters["user"] = html_user
    env.filters["web_url"] = web_url
    env.globals["svg_chart"] = svg_chart
    env.globals["page_of"] = page_of
    return env


def web_url(value: object) -> bool:
    """Whether a value may be a link's href: an http(s) address, never `javascript:` or `data:`."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def build_context(session: Session, run_id: int, settings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The view of a run (auditor/report_view.py) and what the templates add: when and by what it was written."""
    view = build_view(session, run_id, settings)
    view.update(generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), version=__version__,
                top=TOP_ENTRIES, page_size=PAGE_SIZE, pages=max(1, math.ceil(len(view["entries"]) / PAGE_SIZE)),
                shown=SHOWN_PER_LIST)
    return view


def page_of(position: int) -> int:
    """The list page (todo/<n>.html) an entry at `position` (1-based, in the order to work them) is on."""
    return (position - 1) // PAGE_SIZE + 1


def render_pages(context: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(relative path, HTML) of every page of the report: index.html first, then one page per entry with findings
    (entries/<key>.html), one per issue type (issues/<slug>.html) and the entries in the order to work them,
    PAGE_SIZE a page (todo/<n>.html)."""
    env = environment()
    yield "index.html", env.get_template("report.html.j2").render(**context, css=_css(), root="")
    sub = {**context, "root": "../"}
    entry_page = env.get_template("entry.html.j2")
    for entry in context["entries"]:
        yield f"entries/{entry['key']}.html", entry_page.render(**sub, entry=entry, page=page_of(entry["position"]))
    issue_page = env.get_template("issue.html.j2")
    by_id = context["by_id"]
    for row in context["issue_types"]:
        affected = [by_id[e] for e in row["affected"] if e in by_id]
        affected.sort(key=lambda e: e["position"])
        yield f"issues/{row['slug']}.html", issue_page.render(**sub, row=row, affected=affected)
    list_page = env.get_template("todo.html.j2")
    entries = context["entries"]
    for number in range(1, context["pages"] + 1):
        chunk = entries[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]
        yield f"todo/{number}.html", list_page.render(**sub, chunk=chunk, number=number)


def _css() -> str:
    return (TEMPLATES / "style.css").read_text(encoding="utf-8")


def write_report(db_url: str, run_id: int, out_dir: Path, advice: str = "choose another folder",
                 settings: Mapping[str, Any] | None = None) -> Path:
    """Write the report of one run into out_dir and return the path of its index.html (WriteError, saying `advice`,
    when the folder cannot take it: readers never see half a page). index.html stands alone; the pages it links
    (entries/, issues/, todo/) share report.css; each of those folders is replaced whole, so no page of an earlier
    report is left in them."""
    engine = open_engine(db_url)
    try:
        with session_factory(engine)() as session:
            context = build_context(session, run_id, settings)
    finally:
        engine.dispose()
    pages = render_pages(context)
    _, index = next(pages)
    write_output(out_dir / "index.html", index, advice)  # first: the page a reader opens, and it stands alone
    write_output(out_dir / "report.css", _css(), advice)
    write_folders(out_dir, SUBFOLDERS, pages, advice)
    return out_dir / "index.html"
