"""The maintainers' report: built from the store, rendered by the Jinja2 templates under `reports/`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import pickle
import re
import shutil
import stat
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from auditor import __version__
from auditor.cache_key import code_digest
from auditor.outfiles import WriteError, write_output
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
# What each page of the folders above was rendered from (a digest) and its file's size and time: the next report
# renders again only the pages whose inputs or files changed. A dot file, beside index.html.
MANIFEST = ".pages.json"
MANIFEST_FORMAT = 1


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


def _page_run(run: Any) -> dict[str, Any]:
    """What the linked pages say of the run: the directory and the date, not the run's number, so an entry whose page
    did not change between two runs keeps its file (the report of an unchanged directory rewrites no page)."""
    return {"directory": run.directory, "as_of": run.as_of}


# An issue page's trend (its findings run by run) names every run, so it changes every run: it is given to the page
# rendered (this variable), and `write_pages` splices the new one into the page as the last run left it when nothing
# else on the page changed, instead of rendering the page and its list of affected entries again.
LIVE = "trend"
# What a line of an entry list (the `entry_rows` macro) shows of an entry and of its ticket.
ROW_FIELDS = ("id", "key", "position", "title", "kind", "path", "owner", "worst", "score", "new")
ROW_TICKET_FIELDS = ("id", "priority", "status", "due", "overdue_days")
PAGE_TICKET_FIELDS = (*ROW_TICKET_FIELDS, "assignee")  # and what an entry's page adds


def _ticket_shown(ticket: Mapping[str, Any] | None, fields: tuple[str, ...]) -> dict[str, Any] | None:
    return {name: ticket[name] for name in fields} if ticket else None


def entry_row(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as a line of an entry list shows it: its fields there, its ticket's, and its findings' codes (the
    line shows how many). The list pages and issue pages are rendered and digested from these, not from every
    finding's text."""
    row = {name: entry[name] for name in ROW_FIELDS}
    row["ticket"] = _ticket_shown(entry["ticket"], ROW_TICKET_FIELDS)
    row["findings"] = tuple(finding["code"] for finding in entry["findings"])
    return row


def page_jobs(context: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """(relative path, template, its variables, whether the variables are all the page shows) of every page but
    index.html: one per entry with findings (entries/<key>.html), one per issue type (issues/<slug>.html) and the
    entries in the order to work them, PAGE_SIZE a page (todo/<n>.html). Each page is given only what it shows, so
    those variables (and the templates) say whether it changed; an issue page's `LIVE` variable (its trend, which
    changes every run) is HTML rendered already."""
    run = _page_run(context["run"])
    entries = context["entries"]
    for entry in entries:  # with what the page shows of its ticket (not the ticket's copy of the findings)
        shown = {**entry, "ticket": _ticket_shown(entry["ticket"], PAGE_TICKET_FIELDS)}
        yield (f"entries/{entry['key']}.html", "entry.html.j2",
               {"run": run, "version": context["version"], "root": "../", "entry": shown,
                "page": page_of(entry["position"]), "total": len(entries)}, True)
    by_id = context["by_id"]
    run_trend = environment().get_template("_macros.html.j2").module.run_trend  # type: ignore[attr-defined]
    rows: dict[str, dict[str, Any]] = {}

    def line(entry: dict[str, Any]) -> dict[str, Any]:
        return rows.get(entry["id"]) or rows.setdefault(entry["id"], entry_row(entry))

    for row in context["issue_types"]:
        affected = [by_id[e] for e in row["affected"] if e in by_id]
        affected.sort(key=lambda e: e["position"])
        shown = {key: value for key, value in row.items() if key not in ("trend", "affected")}
        yield (f"issues/{row['slug']}.html", "issue.html.j2",
               {"run": run, "version": context["version"], "root": "../", "generated": None, "row": shown,
                "affected": [line(e) for e in affected], LIVE: run_trend(row["trend"])}, True)
    for number in range(1, context["pages"] + 1):
        chunk = [line(e) for e in entries[(number - 1) * PAGE_SIZE:number * PAGE_SIZE]]
        yield (f"todo/{number}.html", "todo.html.j2",
               {"run": run, "version": context["version"], "root": "../", "chunk": chunk, "number": number,
                "pages": context["pages"]}, True)


def render_pages(context: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(relative path, HTML) of every page of the report: index.html first, then those of `page_jobs`."""
    env = environment()
    yield "index.html", env.get_template("report.html.j2").render(**context, css=_css(), root="")
    for rel, template, variables, _ in page_jobs(context):
        yield rel, env.get_template(template).render(**variables)


@cache
def _templates_stamp() -> str:
    """The templates' text with the code and versions that render them: any change renders every page again."""
    digest = hashlib.blake2b(f"{__version__}\x1f{jinja2.__version__}\x1f{code_digest()}".encode(), digest_size=16)
    for path in sorted(TEMPLATES.iterdir()):
        if path.is_file():
            digest.update(path.name.encode() + b"\x1f" + path.read_bytes())
    return digest.hexdigest()


def page_digest(template: str, variables: Mapping[str, Any]) -> str | None:
    """A digest of what a page is rendered from (its template's name and its variables, pickled: the same values
    give the same bytes, and pickling is about twice as fast as `repr`, 0.2 s against 0.4 s for 12 800 entry pages),
    or None when a variable cannot be pickled: such a page is always rendered."""
    try:
        data = pickle.dumps((_templates_stamp(), template, sorted(variables.items())), protocol=5)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _read_manifest(out_dir: Path) -> dict[str, list[Any]]:
    try:
        document = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    pages = document.get("pages") if isinstance(document, dict) else None
    return pages if isinstance(pages, dict) and document.get("format") == MANIFEST_FORMAT else {}


def _regular_stamp(path: str | Path) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns) if stat.S_ISREG(info.st_mode) else None


def write_pages(out_dir: Path, jobs: Iterable[tuple[str, str, dict[str, Any], bool]], advice: str) -> int:
    """Bring the folders SUBFOLDERS of `out_dir` up to date with `jobs` (see `page_jobs`) and return how many pages
    were written. A page is written (into a temporary file renamed over it: a reader never sees half a page) only
    when its text changed; a page is not even rendered when what it is rendered from has the digest the manifest
    (`MANIFEST`) noted for it and its file is as that run left it (size and time): a page with a `LIVE` part (an
    issue page's trend) gets the new part spliced in where the manifest says the old one stands. Pages no earlier
    page list holds are removed afterwards. Thousands of unchanged pages so cost a `stat` each, not a write, a
    rename and a removal each; a run that fails midway leaves each page whole, some of them this run's."""
    env = environment()
    old = _read_manifest(out_dir)
    manifest: dict[str, list[Any]] = {}
    wanted: set[str] = set()
    written = 0
    temporary: Path | None = None
    try:
        for name in SUBFOLDERS:
            folder = out_dir / name
            if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
                folder.unlink()  # the report's own folder, never one a link points to
            folder.mkdir(parents=True, exist_ok=True)
        folder_name = os.fspath(out_dir)
        for rel, template, variables, complete in jobs:
            if rel.split("/", 1)[0] not in SUBFOLDERS:
                raise ValueError(f"{rel} is not in one of the folders {SUBFOLDERS}")
            wanted.add(rel)
            page = os.path.join(folder_name, rel)  # a string: a Path for each of 12 800 pages cost 0.1 s
            live = variables.get(LIVE)
            digest = page_digest(template, {k: v for k, v in variables.items() if k != LIVE}) if complete else None
            kept = old.get(rel)
            current = _regular_stamp(page)
            known = digest is not None and isinstance(kept, list) and len(kept) in (3, 5) and kept[0] == digest \
                and current is not None and list(current) == kept[1:3]
            if known and live is None and len(kept) == 3:
                manifest[rel] = kept
                continue
            path = Path(page)
            spliced = _splice(path, kept[3:], live) if known and live is not None and len(kept) == 5 else None
            data, place = spliced or _render_page(env, template, variables, live)
            if current is None or current[0] != len(data) or path.read_bytes() != data:
                temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                with open(temporary, "wb") as handle:
                    handle.write(data)
                os.replace(temporary, path)
                temporary = None
                written += 1
                current = _regular_stamp(path)
            if digest is not None and current is not None and (live is None or place):
                manifest[rel] = [digest, *current, *place]
        removed = 0
        for name in SUBFOLDERS:
            with os.scandir(out_dir / name) as listing:
                for item in listing:
                    if f"{name}/{item.name}" not in wanted:
                        if item.is_dir(follow_symlinks=False):
                            shutil.rmtree(item.path)
                        else:
                            os.unlink(item.path)
                        removed += 1
        if written or removed or manifest != old:
            write_output(out_dir / MANIFEST, json.dumps({"format": MANIFEST_FORMAT, "pages": manifest},
                                                        separators=(",", ":")), advice)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise WriteError(out_dir, exc, advice) from None
    return written


# Stands for a page's LIVE part while the rest of it is rendered (a NUL: no rendered text holds one unescaped).
_LIVE_MARK = "\x00live\x00"


def _render_page(env: Environment, template: str, variables: dict[str, Any], live: Any) -> tuple[bytes, list[int]]:
    """The page's bytes and, when it has a LIVE part, [where that part starts, its length] in them (empty when the
    page cannot tell: then it is rendered whole every time)."""
    if live is None:
        return env.get_template(template).render(**variables).encode("utf-8"), []
    frame = env.get_template(template).render(**{**variables, LIVE: Markup(_LIVE_MARK)}).encode("utf-8")
    mark = _LIVE_MARK.encode()
    if frame.count(mark) != 1:
        return env.get_template(template).render(**variables).encode("utf-8"), []
    start, part = frame.index(mark), str(live).encode("utf-8")
    return frame[:start] + part + frame[start + len(mark):], [start, len(part)]


def _splice(path: Path, place: list[Any], live: Any) -> tuple[bytes, list[int]] | None:
    """The page at `path` (as the last run left it) with its LIVE part, at `place` ([start, length]), replaced by
    `live`; None when the place does not fit the file."""
    if len(place) != 2 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in place):
        return None
    start, length = place
    data = path.read_bytes()
    if start + length > len(data):
        return None
    part = str(live).encode("utf-8")
    return data[:start] + part + data[start + length:], [start, len(part)]


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
    index = environment().get_template("report.html.j2").render(**context, css=_css(), root="")
    write_output(out_dir / "index.html", index, advice)  # first: the page a reader opens, and it stands alone
    write_output(out_dir / "report.css", _css(), advice)
    write_pages(out_dir, page_jobs(context), advice)
    return out_dir / "index.html"
