"""The command line: `auditor audit`, `check`, `rules`, `tickets`, `runs`."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import getpass
import os
import signal
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from auditor import __version__
from auditor.cli_common import AsOf, ConfigOpt, FindingFormat, Level, err, out
from auditor.clock import parse_as_of
from auditor.config import Config, ConfigError, find_config, find_root, load_config
from auditor.incidents.cli import incident_app
from auditor.models import Severity
from auditor.outfiles import WriteError, write_output
from auditor.output import exit_code, format_github, format_json, format_sarif, format_text, github_summary
from auditor.safe_text import for_terminal
from auditor.schedule.cli import schedule_command
from auditor.serve.command import serve_command

app = typer.Typer(help="Audit a directory of AI tools, MCP servers, skills and news.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
rules_app = typer.Typer(help="List and explain the rules.", no_args_is_help=True)
tickets_app = typer.Typer(help="Work the refresh-ticket queue.", no_args_is_help=True)
links_app = typer.Typer(help="Check web links directly.", no_args_is_help=True)


def _print_version(value: bool) -> None:
    if value:
        out.print(f"auditor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(version: Annotated[bool, typer.Option(
        "--version", help="Print the auditor's version and exit.", is_eager=True, callback=_print_version)] = False,
) -> None:
    """Audit a directory of AI tools, MCP servers, skills and news."""


app.add_typer(rules_app, name="rules")
app.add_typer(tickets_app, name="tickets")
app.add_typer(links_app, name="links")
app.add_typer(incident_app, name="incident")
app.command("schedule")(schedule_command)
app.command("serve")(serve_command)

Db = Annotated[str | None, typer.Option("--db", help="Store URL (default: AUDITOR_DB, else SQLite in "
                                                     "<directory>/.auditor/).", metavar="URL")]
DirOpt = Annotated[Path, typer.Option("--directory", "-d", help="The audited directory (finds its store).")]
Offline = Annotated[bool, typer.Option("--offline", help="Ask no package registry and fetch no web link: versions "
                                                         "and links are not verified (the `offline` setting).")]
InputFormat = Annotated[str | None, typer.Option(
    "--input-format", metavar="FORMAT",
    help="How the directory keeps its entries: auto (detect), folder, or a comma-separated mix of awesome, skills, "
         "yaml-pairs, registry-json, plugins, docs-pages (the `input_format` setting).")]
NoCache = Annotated[bool, typer.Option(
    "--no-cache", help="Read every file and run every rule on every entry: reuse nothing from the caches in "
                       ".auditor/ (parsed entries; findings on entries that did not change), and do not write them "
                       "(AUDITOR_NO_CACHE=1 does the same for every command).")]
AllowPrivate = Annotated[bool, typer.Option(
    "--allow-private-addresses",
    help="Let the link checker connect to private, loopback and link-local addresses (`allow_private_addresses`).")]


class AuditFormat(str, Enum):
    text = "text"
    json = "json"


class ExportFormat(str, Enum):
    md = "md"
    json = "json"
    csv = "csv"


def usage_error(message: str) -> typer.Exit:
    err.print(f"error: {message}", style="bold red")
    return typer.Exit(2)


def _as_of(value: str | None) -> dt.date:
    try:
        return parse_as_of(value)
    except ValueError as exc:
        raise usage_error(str(exc)) from None


def _config(root: Path, config_path: Path | None) -> Config:
    try:
        return load_config(root, config_path)
    except ConfigError as exc:
        raise usage_error(str(exc)) from None


def _input_format(cfg: Config, value: str | None) -> None:
    """`--input-format` over the `input_format` setting; an unknown format is a usage error."""
    from auditor.sources.detect import FormatError, parse_formats

    if value is not None:
        cfg.settings["input_format"] = value
    try:
        parse_formats(str(cfg.settings.get("input_format") or "auto"))
    except FormatError as exc:
        raise usage_error(str(exc)) from None


@contextlib.contextmanager
def progress_bars(enabled: bool) -> Iterator[Callable[[str, int | None], Callable[[int], None]]]:
    """A progress bar per step on stderr when it is a terminal; silent otherwise."""
    if not enabled:
        yield lambda _name, _total: (lambda _n: None)
        return
    # Loaded here: a one-file `check` in CI shows no bar and should not pay for the import.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class CountColumn(MofNCompleteColumn):
        """`done/total`, or only `done` for a count with no known end (pages crawled, errors)."""

        def render(self, task: Any) -> Any:
            if task.total is None:
                return Text(f"{int(task.completed)}", style="progress.download")
            return super().render(task)

    columns = (TextColumn("{task.description:<16}"), BarColumn(), CountColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err.rich, transient=True) as bars:
        def start(name: str, total: int | None) -> Callable[[int], None]:
            task = bars.add_task(name, total=total)
            return lambda n: bars.advance(task, n)
        yield start


@app.command()
def audit(
    directory: Annotated[str, typer.Argument(
        help="The content folder to audit, or a live site's URL (with --profile).")] = ".",
    as_of: AsOf = None,
    db: Db = None,
    config: ConfigOpt = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", help="text summary or the JSON findings document.")]
    = AuditFormat.text,
    report_dir: Annotated[Path | None, typer.Option("--report-dir", help="Where to write index.html.")] = None,
    fail_on: Annotated[Level, typer.Option(help="Exit 1 when a finding at or above this exists.")] = Level.none,
    offline: Offline = False,
    allow_private: AllowPrivate = False,
    input_format: InputFormat = None,
    profile: Annotated[Path | None, typer.Option(
        "--profile", help="Site profile (spiders/*.yml) for auditing a site's URL.")] = None,
    redis: Annotated[str | None, typer.Option(
        "--redis", help="Share a site's crawl over this Redis (redis://host:6379/0): workers started with "
        "`auditor crawl-worker` on other machines join it.")] = None,
    crawl_workers: Annotated[int, typer.Option(
        "--crawl-workers", min=1, help="Crawler processes this audit runs for a crawl shared with --redis.")] = 1,
    no_cache: NoCache = False,
) -> None:
    """Audit a whole directory: record the run, update tickets, write the HTML report."""
    from sqlalchemy.exc import SQLAlchemyError

    from auditor.heap import frozen_during
    from auditor.pipeline import run_audit
    from auditor.report import write_report
    from auditor.schedule.child import stop_when_scheduler_dies
    from auditor.site_audit import is_site_url
    from auditor.sources.site import SiteCrawlError
    from auditor.store.db import resolve_url

    if redis and not is_site_url(directory):
        raise usage_error("--redis shares a site's crawl: give the site's URL and --profile")
    site = _site_plan(directory, profile, config, db, report_dir, redis, crawl_workers)
    directory = site.home if site else Path(directory)
    if site is None and not directory.is_dir():
        raise usage_error(f"{directory}: not a directory")
    date = _as_of(as_of)
    cfg = site.config if site else _config(directory, config)
    if offline:
        cfg.settings["offline"] = True
    if allow_private:
        cfg.settings["allow_private_addresses"] = True
    _input_format(cfg, input_format)
    url = site.db_url if site else resolve_url(directory, db, str(cfg.settings["db"]))
    # SIGTERM (a scheduler or CI stopping the job) ends the run like Ctrl-C: recorded as interrupted.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    stop_when_scheduler_dies()
    with progress_bars(fmt == AuditFormat.text and err.is_terminal) as progress:
        try:
            # Never two audits of one directory at once: the scheduler's lock, taken by hand too.
            with _audit_lock(url, cfg) as busy:
                if busy is not None:
                    err.print(f"error: an audit of {cfg.name} is running already ({busy.holder}, since "
                              f"{busy.acquired_at:%Y-%m-%d %H:%M:%S} UTC); try again when it has finished",
                              style="bold red")
                    raise typer.Exit(4)
                result = run_audit(directory, cfg, date, url, progress, check_links=True, check_registries=True,
                                   source=site.source if site else None, use_cache=not no_cache)
        except KeyboardInterrupt:
            err.print("interrupted: the run was recorded as interrupted; earlier runs and tickets are intact")
            raise typer.Exit(130) from None
        except SiteCrawlError as exc:
            err.print(f"error: the crawl could not run: {exc}", style="bold red")
            err.print("the run was recorded as failed; earlier runs and tickets are unchanged", style="bold red")
            raise typer.Exit(3) from None
        except SQLAlchemyError as exc:
            todo = ("free space on its disk, make its folder writable, or give --db another store"
                    if url.startswith("sqlite") else "check that the server is up and the user may write to it")
            err.print(f"error: the store at {_safe_url(url)} failed: {exc.__class__.__name__}: "
                      f"{str(exc).splitlines()[0]}; {todo}", style="bold red", soft_wrap=True)
            err.print("earlier runs and tickets are unchanged", style="bold red")
            raise typer.Exit(3) from None
    target = site.report_dir if site else report_dir or (directory / str(cfg.settings["report_dir"]))
    # The run is stored already: a report folder that cannot be written loses nothing but the files.
    advice = (f"run #{result.run_id} is recorded in the store; point --report-dir (or the `report_dir` setting) "
              "at a writable folder with free space and run the audit again")
    # The run's entries and findings stay alive while these are written: out of the collector's walks meanwhile
    with frozen_during(len(result.entries)):
        report = write_report(url, result.run_id, target, advice, cfg.settings)
        _write_ticket_exports(url, cfg.name, target, advice, cfg.settings)
        document = format_json(result.findings, directory, result.summary | {"run": result.run_id}, cfg.settings)
        write_output(target / "findings.json", document, advice)
    if fmt == AuditFormat.json:
        sys.stdout.write(document)
    else:
        _print_audit_summary(result.summary, cfg.name, date, result.run_id, report, target, directory, url)
    raise typer.Exit(exit_code(result.findings, None if fail_on == Level.none else Severity.parse(fail_on.value)))


@app.command("crawl-worker")
def crawl_worker(
    redis: Annotated[str, typer.Option("--redis", help="The Redis the crawl is shared over (redis://host:6379/0).")],
    site: Annotated[str | None, typer.Option(
        "--site", help="The site profile's name (needed only when several crawls are open).")] = None,
    db: Annotated[str | None, typer.Option(
        "--db", help="The store to write to, when this machine reaches it at another address than the audit's.")]
    = None,
    wait: Annotated[float, typer.Option(
        "--wait", min=0, help="Seconds to wait for a crawl to open before giving up.")] = 60.0,
) -> None:
    """Join a site crawl shared over Redis (opened by `auditor audit URL --profile FILE --redis URL`) and work
    until it is done. Run one per core on as many machines as you like."""
    from auditor.sources.site_crawl import crawl
    from auditor.sources.site_shared import SharedCrawlError, join_crawl

    try:
        job = join_crawl(redis, site, wait)
    except SharedCrawlError as exc:
        raise usage_error(str(exc)) from None
    shared = dict(job["shared"])
    if db:
        shared["store_url"] = db
    err.print(f"joined the crawl of {shared['site']} ({shared['crawl']}); writing to {_safe_url(shared['store_url'])}")
    crawl(job["profile"], None, job.get("settings"), shared)
    err.print("the crawl is done")


@contextlib.contextmanager
def _audit_lock(url: str, cfg: Config) -> Iterator[Any]:
    from auditor.schedule.lock import audit_lock
    from auditor.settings import SCHEDULE_DEFAULTS
    from auditor.store.db import open_engine

    engine = open_engine(url)
    try:
        with audit_lock(engine, cfg.name, float(SCHEDULE_DEFAULTS["lock_lease_seconds"])) as busy:
            yield busy
    finally:
        engine.dispose()


def _safe_url(url: str) -> str:
    """The store URL without its password, for messages."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('@')[-1]}" if "@" in rest else url


def _site_plan(target: str, profile: Path | None, config: Path | None, db: str | None,
               report_dir: Path | None, redis: str | None = None, crawl_workers: int = 1) -> Any:
    """For `audit URL --profile FILE`: the site's source, configuration, store and report folder (None for a
    folder; a usage error for a bad profile, or --profile without a URL)."""
    from auditor.site_audit import is_site_url, plan_site_audit
    from auditor.sources.site_profile import ProfileError

    if not is_site_url(target):
        if profile is not None:
            raise usage_error("--profile is for auditing a site: give the site's URL (http://... or https://...)")
        return None
    try:
        return plan_site_audit(target, profile, config, db, report_dir, redis_url=redis, crawl_workers=crawl_workers)
    except (ProfileError, ConfigError) as exc:
        raise usage_error(str(exc)) from None


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _write_ticket_exports(url: str, name: str, target: Path, advice: str, settings: dict[str, Any]) -> None:
    from auditor.store.db import open_engine, session_factory
    from auditor.tickets import actions

    engine = open_engine(url)
    try:
        with session_factory(engine)() as session:
            tickets = actions.open_tickets_plain(session, name)  # as list_tickets gives them, without the ORM
    finally:
        engine.dispose()
    actions.write_exports(tickets, target, settings, advice)  # not rewritten when no ticket changed


def _print_audit_summary(summary: dict[str, Any], name: str, date: dt.date, run_id: int, report: Path,
                         target: Path, directory: Path, url: str) -> None:
    from auditor.store.db import resolve_url

    sev = summary["by_severity"]
    tickets = summary["tickets"]
    out.print(f"Audited {name}: {summary['entries']} entries as of {date} (run #{run_id})", style="bold")
    if not summary["entries"]:
        err.print(f"warning: no entries found under {directory} (see `--input-format`)", style="yellow")
    out.print(f"Findings: {summary['findings']} in {summary['entries_with_findings']} entries: "
              f"{sev['error']} error · {sev['warning']} warning · {sev['info']} info")
    families = ", ".join(f"{fam} {sum(c.values())}" for fam, c in summary["by_family"].items()) or "none"
    out.print(f"By family: {families}")
    if conventions := summary.get("conventions"):
        collapsed = sum(c["findings"] for c in conventions)
        accepted = sorted({c["code"] for c in conventions if c.get("by_init", True)})
        kept = sorted({c["code"] for c in conventions} - set(accepted))
        out.print(f"Conventions: {len(conventions)} reported once for the directory instead of {collapsed} per-entry "
                  f"findings ({', '.join(sorted({c['code'] for c in conventions}))}"
                  + (f"; `auditor init` accepts {', '.join(accepted)}" if accepted else "")
                  + (f"; {', '.join(kept)} stays" if kept else "") + ")")
    if "suppressed" in summary:
        out.print(f"Suppressed: {_suppressed_line(summary['suppressed'])}")
    if wontfix := summary.get("wontfix"):
        out.print(f"Won't fix: {wontfix['findings']} findings kept quiet by {wontfix['tickets']} tickets "
                  "(`auditor tickets list --status wontfix`)")
    if skipped := summary.get("skipped"):
        named = ", ".join(f"{s['path']}: {s['reason']}" for s in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
        out.print(f"Skipped: {len(skipped)} files marked as copies ({named})")
    if links := summary.get("links"):
        _print_links_line(links)
    if crawl := summary.get("crawl"):
        _print_crawl_line(crawl)
    if read := summary.get("read"):
        from auditor.sources.detect import read_lines

        for line in read_lines(read):
            out.print(line, markup=False)
    if staleness := summary.get("staleness"):
        out.print(f"Staleness: mean {staleness['mean']} of 100; {staleness['stale']} stale (70+), "
                  f"{staleness['ageing']} ageing (40-69), {staleness['fresh']} fresh"
                  + (f", {staleness['unknown']} unknown (no date)" if staleness.get("unknown") else ""))
        if staleness.get("unreviewed"):
            out.print(_unreviewed_line(staleness))
    out.print(f"Tickets: {tickets['opened']} opened · {tickets['updated']} updated · "
              f"{tickets['resolved']} resolved · {tickets['reopened']} reopened")
    out.print(f"Report:  {report.resolve()}")
    out.print(f"Tickets: {(target / 'tickets.md').resolve()} (and tickets.json, tickets.csv); "
              f"work them with `auditor tickets list "
              f"{'-d ' + str(directory) if url == resolve_url(directory) else '--db ' + _safe_url(url)}`")
    out.print(f"Store:   {_safe_url(url)}")


def _suppressed_line(suppressed: dict[str, Any]) -> str:
    codes = ", ".join(f"{code} {n}" for code, n in suppressed["by_code"].items())
    return f"{suppressed['findings']} suppressed inline ({codes})"


def _unreviewed_line(staleness: dict[str, Any]) -> str:
    """Entries with no review date, the median age of their last change, and what dated the entries' ages."""
    median = staleness.get("unreviewed_median_age_days")
    undated = staleness.get("unreviewed_undated", 0)
    evidence = ", ".join(f"{name} {count}" for name, count in staleness.get("age_evidence", {}).items())
    return (f"Unreviewed: {staleness['unreviewed']} entries have no review date"
            + (f"; their last change is {median:g} days old (median)" if median is not None else "")
            + (f"; {overdue} past their kind's review interval" if (overdue := staleness.get("unreviewed_overdue"))
               else "")
            + (f"; {undated} with no date at all" if undated else "")
            + (f". Ages from: {evidence}" if evidence else ""))


def _print_crawl_line(crawl: dict[str, Any]) -> None:
    """A site audit's crawl: pages, errors by reason, what the limits and robots.txt left out."""
    errors = ", ".join(f"{n} {why}" for why, n in sorted(crawl.get("errors_by_reason", {}).items()))
    out.print(f"Crawl:   {crawl.get('pages', 0)} pages, {crawl.get('entries', 0)} entry pages in "
              f"{crawl.get('seconds', 0)} s; {crawl.get('errors', 0)} errors" + (f" ({errors})" if errors else "")
              + (f"; {crawl['skipped_robots']} skipped by robots.txt" if crawl.get("skipped_robots") else "")
              + (f"; {len(crawl['workers'])} workers (pages: "
                 f"{', '.join(str(w.get('pages', 0)) for w in crawl['workers'].values())})"
                 if crawl.get("workers") else ""))
    if not crawl.get("complete", True):
        err.print(f"warning: the crawl stopped early ({crawl.get('finish_reason') or 'unknown'}"
                  + (f"; {crawl['skipped_depth']} links past the depth limit" if crawl.get("skipped_depth") else "")
                  + "): entries not reached are not in this run", style="yellow")


def _resolved_folder(path: Path) -> Path:
    """The path with its folders resolved but not its last part: a file named may be a link (even a loop)."""
    return path.parent.resolve() / path.name if path.name else path.resolve()


@app.command()
def check(
    paths: Annotated[list[Path] | None, typer.Argument(
        help="Entry files or folders to check (with --changed-since: default, the files changed).",
        show_default=False)] = None,
    root: Annotated[Path | None, typer.Option(help="The directory root (default: nearest auditor.toml).")] = None,
    as_of: AsOf = None,
    config: ConfigOpt = None,
    fmt: Annotated[FindingFormat, typer.Option("--format", help="text, github annotations, JSON or SARIF.")]
    = FindingFormat.text,
    fail_on: Annotated[Level, typer.Option(help="Exit 1 when a finding at or above this exists.")] = Level.error,
    offline: Offline = False,
    allow_private: AllowPrivate = False,
    input_format: InputFormat = None,
    changed_since: Annotated[str | None, typer.Option(
        "--changed-since", metavar="REV",
        help="Report only findings on lines changed since this git revision (its merge base with HEAD, working "
             "tree included); with no paths, check the files changed.")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Text format: one line per finding (no fix line below it).")] = False,
    stdin: Annotated[bool, typer.Option(
        "--stdin", help="Read the text of the file named by --stdin-filename from stdin (an editor's unsaved "
                        "buffer); the rest of the directory is read from disk.")] = False,
    stdin_filename: Annotated[Path | None, typer.Option(
        "--stdin-filename", metavar="PATH", help="Where the text read with --stdin lives in the directory.")] = None,
    skip_non_entries: Annotated[bool, typer.Option(
        "--skip-non-entries", help="Skip named files that are not entries of the directory (a README, a workflow, "
                                   "a file outside the root) instead of exit 2: for hooks that pass every changed "
                                   "file (.pre-commit-hooks.yaml).")] = False,
    no_cache: NoCache = False,
) -> None:
    """Check the named entry files (for CI): nothing is stored, references resolve against the directory."""
    if stdin or stdin_filename is not None:
        from auditor.sources.overlay import text_in_place_of

        if not (stdin and stdin_filename is not None) or paths or changed_since is not None:
            raise usage_error("--stdin and --stdin-filename PATH go together, with no other path or --changed-since")
        if not stdin_filename.is_file():
            raise usage_error(f"{stdin_filename}: no such file (--stdin-filename names an entry file of the "
                              "directory, whose text stdin replaces)")
        with text_in_place_of(stdin_filename, sys.stdin.buffer.read()):
            _check([stdin_filename], root, as_of, config, fmt, fail_on, offline, allow_private, input_format, None,
                   quiet, use_cache=not no_cache)
        return
    _check(paths, root, as_of, config, fmt, fail_on, offline, allow_private, input_format, changed_since, quiet,
           skip_non_entries, use_cache=not no_cache)


def _run_check(paths: list[Path] | None, root: Path | None, as_of: str | None, config: Path | None,
               offline: bool, allow_private: bool, input_format: str | None,
               changed_since: str | None, skip_non_entries: bool = False, stored_links: bool = False,
               use_cache: bool = True) -> tuple[list[Any], dict[str, Any], Path, Config, Any]:
    """What `check` finds: (findings, summary, root, configuration, the change or None). Nothing is printed but the
    root line, and nothing is stored. With `stored_links`, web links are judged by the store's last verdicts
    (nothing fetched), when the directory has a store."""
    from auditor.checks.registry import RegistryClient
    from auditor.checks.suppressions import suppressed_summary
    from auditor.pipeline import check_entries, source_stamps, summarize
    from auditor.sources.base import FolderSource
    from auditor.sources.changes import ChangesError, changes_since
    from auditor.sources.detect import FormatsSource, read_summary, source_for

    date = _as_of(as_of)
    paths = list(paths or [])
    if not paths and changed_since is None:
        raise usage_error("name the entry files or folders to check, or pass --changed-since REV")
    for path in paths:
        if not path.exists():
            raise usage_error(f"{path}: no such file or directory")
    named = list(paths)
    if root is None and skip_non_entries and paths:  # a hook's file list: the first file under an auditor.toml
        paths.sort(key=lambda p: find_config(p) is None)
    root = (root or find_root(paths[0] if paths else Path("."))).resolve()
    changes = None
    if changed_since is not None:
        try:
            changes = changes_since(root, changed_since)
        except ChangesError as exc:
            raise usage_error(str(exc)) from None
        paths = paths or [root / name for name in changes.files if (root / name).is_file()]
    wanted: set[str] = set()
    for path in list(paths):
        full = _resolved_folder(path)
        if full != root and root not in full.parents:
            if not skip_non_entries:
                raise usage_error(f"{path}: outside the directory root {root} (use --root)")
            err.print(f"note: {path} is outside the directory root {_shown(root)}: skipped")
            paths.remove(path)
            named = [p for p in named if p != path]
    cfg = _config(root, config)
    if offline:
        cfg.settings["offline"] = True
    if allow_private:
        cfg.settings["allow_private_addresses"] = True
    _input_format(cfg, input_format)
    gone = changes.removed_ids if changes is not None else set()
    source = source_for(root, cfg, use_cache=use_cache)
    formats = source.formats if isinstance(source, FormatsSource) else ["folder"]
    err.print(f"root: {_shown(root)}, format: {', '.join(formats)}")
    # A few files of a content folder whose other files are digested from an earlier run: only those are read.
    few = None
    links = _link_book(cfg, date)
    if use_cache and isinstance(source, FolderSource) and paths and not gone and all(p.is_file() for p in paths):
        few = _check_few(source, cfg, date, paths, root, stored_links, links)
    if few is not None:
        entries, findings, silenced, digested = few
    else:
        entries = source.load(cfg) if paths or gone else []  # nothing changed: nothing to read
    _require_entries(named, entries, root, cfg, formats, skip_non_entries)
    for path in paths:
        full = _resolved_folder(path)
        rel = full.relative_to(root).as_posix()
        if full.is_dir():
            prefix = "" if rel == "." else rel + "/"
            wanted.update(e.path for e in entries if e.path.startswith(prefix) or e.twin_path.startswith(prefix))
        else:
            wanted.add(rel)
            # A YAML entry's Markdown twin (or a plugin's README) stands for its entry.
            wanted.update(e.path for e in entries if e.twin_path == rel)
    if gone:  # entries that still list a removed or renamed id are broken by the change: check them too
        wanted.update(e.path for e in entries if gone.intersection(e.related))
    if few is None:
        silenced = []
        with _stored_links(root, cfg, date) if stored_links else contextlib.nullcontext() as stored:
            findings = check_entries(entries, cfg, date, only=wanted,
                                     registry=RegistryClient.from_settings(cfg.settings), links=stored or links,
                                     root=root, suppressed=silenced, use_cache=use_cache,
                                     stamps=source_stamps(source))
    if links is not None and links.network_down:
        err.print(f"warning: the network is unavailable ({links.network_reason}): links that failed before HTTP "
                  "are unverified, not broken", style="yellow")
    elsewhere = 0
    if changes is not None:  # only what the change did: findings on lines it did not touch are counted, not shown
        shown = [f for f in findings if changes.touches(f.path, f.line) or (f.code == "XRF001" and f.key in gone)]
        elsewhere, findings = len(findings) - len(shown), shown
    checked = [e for e in entries if e.path in wanted]
    summary = summarize(checked, findings) | {"root": str(root), "formats": formats}
    if silenced:
        summary["suppressed"] = suppressed_summary(silenced)
    if entries:
        summary["read"] = read_summary(source)
    if few is not None:
        summary["digests"] = digested
    if changes is not None:
        summary["changed_since"] = {"rev": changes.rev, "base": changes.base, "files": len(changes.files),
                                    "findings_on_unchanged_lines": elsewhere}
    return findings, summary, root, cfg, changes


def _link_book(cfg: Config, date: dt.date) -> Any:
    """The run's link checker, or None offline. No store: the link history lives in memory, so a new link that
    answers 404 fails at once."""
    if cfg.settings["offline"]:  # the link checker (httpx, asyncio) loads only when links are checked
        return None
    from auditor.links.book import LinkBook

    return LinkBook.from_settings(cfg.settings, cfg.pack, date)


def _check_few(source: Any, cfg: Config, date: dt.date, paths: list[Path], root: Path,
               stored_links: bool, links: Any) -> tuple[list[Any], list[Any], list[Any], dict[str, int]] | None:
    """(entries, findings, suppressed, what was digested and read) of `check` of a few files judged against the
    digests of the others (pipeline.check_few), or None when the whole directory must be read."""
    from auditor.checks.registry import RegistryClient
    from auditor.pipeline import check_few

    rels = [_resolved_folder(path).relative_to(root).as_posix() for path in paths]
    silenced: list[Any] = []
    with _stored_links(root, cfg, date) if stored_links else contextlib.nullcontext() as stored:
        done = check_few(source, cfg, date, rels, registry=RegistryClient.from_settings(cfg.settings),
                         links=stored or links, suppressed=silenced)
    return None if done is None else (done[0], done[1], silenced, done[2])


@contextlib.contextmanager
def _stored_links(root: Path, cfg: Config, date: dt.date) -> Iterator[Any]:
    """The store's link verdicts (auditor.links.book.StoredVerdicts), or None when the directory has no store."""
    from auditor.store.db import resolve_url

    url = resolve_url(root, None, str(cfg.settings.get("db") or ""))
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        yield None
        return
    from auditor.links.book import StoredVerdicts
    from auditor.links.history import StoreHistory
    from auditor.store.db import open_engine

    engine = open_engine(url)
    try:
        yield StoredVerdicts.from_settings(cfg.settings, cfg.pack, date, StoreHistory(engine))
    finally:
        engine.dispose()


def _check(paths: list[Path] | None, root: Path | None, as_of: str | None, config: Path | None, fmt: FindingFormat,
           fail_on: Level, offline: bool, allow_private: bool, input_format: str | None,
           changed_since: str | None, quiet: bool, skip_non_entries: bool = False, use_cache: bool = True) -> None:
    findings, summary, root, cfg, changes = _run_check(paths, root, as_of, config, offline, allow_private,
                                                       input_format, changed_since, skip_non_entries,
                                                       use_cache=use_cache)
    checked, elsewhere = summary["entries"], (summary.get("changed_since") or {}).get("findings_on_unchanged_lines")
    settings = cfg.settings
    if fmt == FindingFormat.json:
        sys.stdout.write(format_json(findings, root, summary, settings))
    elif fmt == FindingFormat.github:
        sys.stdout.write(format_github(findings, root, settings))
        _write_step_summary(github_summary(findings, root, summary, settings))
    elif fmt == FindingFormat.sarif:
        sys.stdout.write(format_sarif(findings, root, __version__, settings))
    else:
        from auditor.sources.detect import read_lines

        sys.stdout.write(format_text(findings, root, quiet, settings))
        sev = summary["by_severity"]
        for line in read_lines(summary["read"]) if "read" in summary else []:
            err.print(line, markup=False)
        if "digests" in summary:
            digested = summary["digests"]
            err.print(f"Digests: {digested['entries']} entries judged by their digests in .auditor/digests/ "
                      f"(kept by an earlier run), {digested['files_read']} files read", markup=False)
        err.print(f"{checked} entries checked: {sev['error']} error, {sev['warning']} warning, {sev['info']} info"
                  + (f" on lines changed since {changes.rev} ({elsewhere} more on lines it did not change)"
                     if changes is not None else "")
                  + (f"; {_suppressed_line(summary['suppressed'])}" if "suppressed" in summary else ""))
        fixable = sum(1 for f in findings if f.edit is not None)
        if fixable:
            err.print(f"{fixable} fixable with `auditor fix` (`--diff` to see the changes first)")
    raise typer.Exit(exit_code(findings, None if fail_on == Level.none else Severity.parse(fail_on.value)))


@app.command()
def fix(
    paths: Annotated[list[Path], typer.Argument(help="Entry files or folders whose findings to fix.",
                                                show_default=False)],
    diff: Annotated[bool, typer.Option(
        "--diff", help="Print the fixes as a unified diff and change nothing (exit 1 when there is one).")] = False,
    rule: Annotated[list[str] | None, typer.Option(
        "--rule", metavar="CODE", help="Only fix findings of this rule (repeat for more).")] = None,
    root: Annotated[Path | None, typer.Option(help="The directory root (default: nearest auditor.toml).")] = None,
    as_of: AsOf = None,
    config: ConfigOpt = None,
    input_format: InputFormat = None,
) -> None:
    """Apply the fixes that are certain (a `related` id with one close match or git's rename, a category spelled
    as the declared one, a duplicated heading's empty twin, a permanent redirect's target from the link store):
    the rest of each file stays byte for byte. Checks offline, as `check` would; links by the store's verdicts."""
    from auditor.checks.engine import get_rule
    from auditor.fixes import plan_fixes, write_fixes

    codes = None
    if rule:
        codes = set()
        for code in rule:
            found = get_rule(code)
            if found is None:
                raise usage_error(f"no rule {code!r}; `auditor rules list` shows them all")
            codes.add(found.code)
    # No entry cache: `fix --diff` writes nothing, and a fix is planned from what the files hold now.
    findings, _summary, root, _cfg, _ = _run_check(paths, root, as_of, config, True, False, input_format, None,
                                                   stored_links=True, use_cache=False)
    planned = plan_fixes(findings, root, codes)
    fixed = sum(len(p.fixed) for p in planned)
    changed = [p for p in planned if p.after != p.before]
    for plan in planned:
        for finding in plan.left:
            err.print(f"not fixed: {for_terminal(plan.path)}:{finding.line}: {finding.code}: the text the fix "
                      "replaces is not there as the check read it")
    if diff:
        sys.stdout.write("".join(p.diff() for p in changed))
        err.print(f"{fixed} fixable findings in {len(changed)} files (--diff: nothing changed)")
        raise typer.Exit(1 if changed else 0)
    write_fixes(changed, root)
    left = len(findings) - fixed
    err.print(f"fixed {fixed} findings in {len(changed)} files; {left} findings have no certain fix "
              "(`auditor check` lists them)")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="The directory to write auditor.toml into.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Replace an auditor.toml that is there already.")] = False,
    as_of: AsOf = None,
) -> None:
    """Write an auditor.toml from what the directory does: formats, kinds, required fields and sections, the
    conventions it keeps (each line with its evidence). Reads and checks offline; nothing is stored."""
    from auditor.init_config import InitError, write_config

    if not directory.is_dir():
        raise usage_error(f"{directory}: no such directory")
    try:
        written = write_config(directory, _as_of(as_of), force=force)
    except InitError as exc:
        err.print(f"error: {exc}", style="bold red")
        raise typer.Exit(2) from None
    out.print(f"wrote {written}")


def _write_step_summary(markdown: str) -> None:
    """GitHub Actions shows the Markdown appended to $GITHUB_STEP_SUMMARY on the run's page."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(markdown)
    except OSError as exc:
        err.print(f"warning: could not write the job summary to {target}: {exc.strerror or exc}", style="yellow")


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when under it."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return str(path)


def _require_entries(named: list[Path], entries: list[Any], root: Path, cfg: Config, formats: list[str],
                     skip: bool = False) -> None:
    """A named file or folder that yields no entry is a usage error (exit 2), never "0 entries checked": it was
    read in the wrong format or from the wrong root. A file the `exclude` setting leaves out is only noted."""
    from auditor.sources.detect import entry_paths
    from auditor.sources.formats import excluded

    read = entry_paths(entries)
    for path in named:
        full = path.resolve()
        rel = full.relative_to(root).as_posix()
        if full.is_dir():
            prefix = "" if rel == "." else rel + "/"
            if any(p.startswith(prefix) for p in read) or not any(f.is_file() for f in full.rglob("*")):
                continue
            what = "folder holds no entry"
        elif rel in read:
            continue
        elif excluded(rel, cfg.settings.get("exclude") or []):
            err.print(f"note: {path} is left out by the `exclude` setting: not an entry")
            continue
        else:
            what = "file is not an entry"
        if skip:
            err.print(f"note: {path} is not an entry of {_shown(root)}: skipped")
            continue
        raise usage_error(f"{path}: this {what} when {_shown(root)} is read as {', '.join(formats)} (give the "
                          f"directory's root with --root, or its format with --input-format)")


@rules_app.command("list")
def rules_list(as_of: AsOf = None) -> None:
    """Every rule with its code, name, default severity and title."""
    from rich.table import Table

    from auditor.checks.engine import all_rules

    table = Table(box=None, pad_edge=False)
    for column in ("code", "name", "severity", "title"):
        table.add_column(column)
    for rule in all_rules():
        table.add_row(rule.code, rule.name, rule.severity.name, rule.title)
    out.print(table)


@rules_app.command("explain")
def rules_explain(code: Annotated[str, typer.Argument(help="A rule code (XRF001) or name.")],
                  as_of: AsOf = None) -> None:
    """What a rule does, why, an example, and how to fix what it finds."""
    from auditor.checks.engine import get_rule

    rule = get_rule(code)
    if rule is None:
        raise usage_error(f"no rule {code!r}; `auditor rules list` shows them all")
    out.print(f"{rule.code} {rule.name} ({rule.severity.name}{'' if rule.enabled_by_default else ', off by default'})")
    out.print(rule.title)
    out.print(f"Reason on tickets: {rule.reason}" + (f"; ages as a `{rule.claim}` claim in the staleness score"
                                                      if rule.claim else ""), end="\n\n")
    for heading, text in (("What it does", rule.what), ("Why", rule.why), ("Example", rule.example),
                          ("How to fix", rule.fix)):
        out.print(f"{heading}\n{text}\n")
    out.print(f"Silence one line with `<!-- auditor-disable-next-line {rule.code} -->` above it (or a range with "
              f"`auditor-disable` ... `auditor-enable`), one entry with `audit-ignore: [{rule.code}]` in its front "
              f"matter, or the directory with `disable = [\"{rule.code}\"]` under [rules] in auditor.toml.")


@contextlib.contextmanager
def _ticket_session(directory: Path, db: str | None) -> Iterator[tuple[Any, str | None]]:
    from auditor.store.db import open_engine, resolve_url, session_factory
    from auditor.tickets import actions

    config_file = directory / "auditor.toml"
    name = _config(directory, None).name if config_file.is_file() else None
    url = resolve_url(directory, db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise usage_error(f"no store at {url.removeprefix('sqlite:///')}: run `auditor audit {directory}` first")
    engine = open_engine(url)
    try:
        with session_factory(engine)() as session:
            yield session, name
    except actions.TicketError as exc:
        raise usage_error(str(exc)) from None
    finally:
        engine.dispose()


def _print_ticket_table(tickets: list[Any], as_of: dt.date) -> None:
    from rich.table import Table

    from auditor.tickets.actions import overdue_days

    table = Table(box=None, pad_edge=False)
    for column in ("id", "priority", "score", "status", "due", "owner", "assignee", "entry", "why", "findings"):
        table.add_column(column)
    for t in tickets:
        codes = " ".join(sorted({f["code"] for f in t.findings}))
        late = overdue_days(t, as_of)
        due = f"{t.due or ''}" + (f" OVERDUE {late}d" if late else "")
        cells = (f"#{t.id}", t.priority, str(t.score or 0), t.status, due, t.owner or "",
                 t.assignee or "", t.entry_id, " ".join(t.reasons or []), f"{len(t.findings)} ({codes})")
        table.add_row(*(for_terminal(cell) for cell in cells))
    out.print(table)


@tickets_app.command("list")
def tickets_list(
    directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's tickets.")] = None,
    status: Annotated[str, typer.Option(help="open, snoozed, resolved, wontfix or all.")] = "open",
    reason: Annotated[str | None, typer.Option(
        help="Only tickets with one of these reason codes (comma-separated, e.g. STAT_AGE,PRICE_AGE).")] = None,
    overdue: Annotated[bool, typer.Option(
        "--overdue", help="Only open tickets past their due date on --as-of.")] = False,
) -> None:
    """The queue, most urgent first (priority, then staleness score). A ticket past its due date on --as-of (default:
    today) says OVERDUE and by how many days."""
    from auditor.tickets import actions

    date = _as_of(as_of)
    with _ticket_session(directory, db) as (session, name):
        tickets = actions.list_tickets(session, name, owner, status, reason)
        if overdue:
            tickets = [t for t in tickets if actions.overdue_days(t, date)]
        if not tickets:
            shown = "overdue" if overdue else status if status != "all" else ""
            out.print(f"No {shown} tickets.".replace("  ", " "))
            return
        late = sum(1 for t in tickets if actions.overdue_days(t, date))
        _print_ticket_table(tickets, date)
        if late:
            out.print(f"{late} overdue on {date} (due before it)")


@tickets_app.command("show")
def tickets_show(ticket_id: int, directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None) -> None:
    """One ticket with its findings, evidence, fixes and history."""
    from auditor.tickets import actions

    with _ticket_session(directory, db) as (session, _):
        t = actions.get_ticket(session, ticket_id)
        shown = for_terminal  # every field may quote the directory's files: one line each, controls made visible
        out.print(f"#{t.id} {shown(t.title)}  ({t.status}, {t.priority}, due {t.due}, "
                  f"staleness {t.score or 0}/100)")
        if t.reasons:
            out.print(f"why: {', '.join(t.reasons)}")
        out.print(f"entry {shown(t.entry_id)} · {shown(t.path)} · owner {shown(t.owner or 'none')} · assignee "
                  f"{shown(t.assignee or 'nobody')}"
                  + (f" · snoozed until {t.snoozed_until}: {shown(t.snooze_reason)}" if t.status == "snoozed" else "")
                  + (f" · won't fix: {shown(t.snooze_reason)}" if t.status == "wontfix" else ""))
        out.print("\nFindings")
        for f in t.findings:
            out.print(f"  {shown(f['path'])}:{f['line']}: {f['code']} {shown(f['message'])} [{f['severity']}]")
            if f.get("evidence"):
                out.print(f"      evidence: {shown(f['evidence'])}")
            if f.get("fix"):
                out.print(f"      fix: {shown(f['fix'])}")
        out.print("\nHistory")
        for e in t.events:
            out.print(f"  {e.as_of} {e.kind:<9} {shown(e.actor)}: {shown(e.note)}")


def _actor(by: str | None) -> str:
    return by or os.environ.get("AUDITOR_USER") or getpass.getuser()


@tickets_app.command("claim")
def tickets_claim(ticket_id: int, directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None,
                  by: Annotated[str | None, typer.Option(help="Who claims it (default: you).")] = None) -> None:
    """Take a ticket: it shows you as its assignee."""
    from auditor.tickets import actions

    with _ticket_session(directory, db) as (session, _):
        t = actions.claim(session, ticket_id, _actor(by), _as_of(as_of))
        out.print(f"#{t.id} claimed by {t.assignee}")


@tickets_app.command("assign")
def tickets_assign(
    ticket_id: int,
    to: Annotated[str, typer.Option("--to", help="Who should work it.")],
    reason: Annotated[str, typer.Option(help="Why (kept in its history).")] = "",
    directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None,
    by: Annotated[str | None, typer.Option(help="Who assigns it (default: you).")] = None,
) -> None:
    """Give a ticket to someone: it shows them as its assignee."""
    from auditor.tickets import actions

    with _ticket_session(directory, db) as (session, _):
        t = actions.assign(session, ticket_id, to, reason, _actor(by), _as_of(as_of))
        out.print(f"#{t.id} assigned to {t.assignee}")


@tickets_app.command("snooze")
def tickets_snooze(
    ticket_id: int,
    until: Annotated[str, typer.Option(help="Stay quiet until this date (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option(help="Why it can wait.")],
    directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None,
    by: Annotated[str | None, typer.Option(help="Who snoozes it (default: you).")] = None,
) -> None:
    """Keep a ticket quiet until a date; runs before then leave it snoozed."""
    from auditor.tickets import actions

    date = _as_of(until)
    with _ticket_session(directory, db) as (session, _):
        t = actions.snooze(session, ticket_id, date, reason, _actor(by), _as_of(as_of))
        out.print(f"#{t.id} snoozed until {t.snoozed_until}")


@tickets_app.command("wontfix")
def tickets_wontfix(
    ticket_id: int,
    reason: Annotated[str, typer.Option(help="Why the findings stay as they are.")],
    directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None,
    by: Annotated[str | None, typer.Option(help="Who decides (default: you).")] = None,
) -> None:
    """Keep a ticket's findings on purpose: later audits leave them quiet (listed apart in the report) until their
    evidence changes or the entry has a new finding, which reopens the ticket."""
    from auditor.tickets import actions

    with _ticket_session(directory, db) as (session, _):
        t = actions.wontfix(session, ticket_id, reason, _actor(by), _as_of(as_of))
        out.print(f"#{t.id} won't fix: {len(t.findings)} findings stay quiet until their evidence changes")


@tickets_app.command("resolve")
def tickets_resolve(
    ticket_id: int,
    reason: Annotated[str, typer.Option(help="What was done.")],
    directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None,
    by: Annotated[str | None, typer.Option(help="Who resolves it (default: you).")] = None,
) -> None:
    """Close a ticket by hand; the next audit reopens it if its findings are still there."""
    from auditor.tickets import actions

    with _ticket_session(directory, db) as (session, _):
        t = actions.resolve(session, ticket_id, reason, _actor(by), _as_of(as_of))
        out.print(f"#{t.id} resolved")


@tickets_app.command("export")
def tickets_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="md, json or csv.")] = ExportFormat.md,
    directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None,
    owner: Annotated[str | None, typer.Option(help="Only this owner's tickets.")] = None,
    status: Annotated[str | None, typer.Option(
        help="open, snoozed, resolved, wontfix or all (default: open; all with --since).")] = None,
    reason: Annotated[str | None, typer.Option(help="Only tickets with one of these reason codes.")] = None,
    since: Annotated[int | None, typer.Option(
        "--since", help="Only tickets that changed after this run (its number in `auditor runs`).")] = None,
    output: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export tickets for a tracker. CSV and JSON give each ticket a stable `key` (a re-import updates instead of
    duplicating), a title of at most 200 characters and a Markdown description."""
    from auditor.tickets import actions

    settings = _config(directory, None).settings if (directory / "auditor.toml").is_file() else None
    with _ticket_session(directory, db) as (session, name):
        tickets = actions.list_tickets(session, name, owner, status or ("all" if since is not None else "open"),
                                       reason)
        if since is not None:
            tickets = actions.changed_since(session, tickets, since)
        text = actions.export(tickets, fmt.value, settings)
    if output:
        write_output(output, text, "give --out a writable file on a disk with free space")
        err.print(f"wrote {output}")
    else:
        sys.stdout.write(text)


@app.command("runs")
def runs_list(directory: DirOpt = Path("."), db: Db = None, as_of: AsOf = None,
              limit: Annotated[int, typer.Option(help="How many runs.")] = 20) -> None:
    """Past runs with duration, counts and outcome."""
    from auditor.store import runs as run_store

    with _ticket_session(directory, db) as (session, name):
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for column in ("run", "as of", "started", "duration", "status", "entries", "findings", "tickets", "outcome"):
            table.add_column(column)
        for r in run_store.list_runs(session, name, limit):
            took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else ""
            t = (r.summary or {}).get("tickets", {})
            tickets = f"+{t.get('opened', 0)} ~{t.get('reopened', 0)} -{t.get('resolved', 0)}" if t else ""
            table.add_row(f"#{r.id}", str(r.as_of), r.started_at.strftime("%Y-%m-%d %H:%M"), took, r.status,
                          str(r.entries_count), str(r.findings_count), tickets, _run_outcome(r))
        out.print(table)


def _run_outcome(run: Any) -> str:
    """Findings by severity for a completed run; why it ended for a failed or interrupted one."""
    if run.status == "completed":
        sev = (run.summary or {}).get("by_severity", {})
        return f"{sev.get('error', 0)} error · {sev.get('warning', 0)} warning · {sev.get('info', 0)} info"
    first = (run.error or "").strip().splitlines()
    return first[0][:80] if first else ""


class LinkFormat(str, Enum):
    text = "text"
    json = "json"


@links_app.command("check")
def links_check(
    urls: Annotated[list[str] | None, typer.Argument(help="URLs to check.", show_default=False)] = None,
    from_file: Annotated[Path | None, typer.Option("--from", help="A file with one URL per line (# for comments).",
                                                   metavar="FILE")] = None,
    fmt: Annotated[LinkFormat, typer.Option("--format", help="text, or the JSON results document.")]
    = LinkFormat.text,
    allow_private: AllowPrivate = False,
    config: ConfigOpt = None,
    as_of: AsOf = None,
) -> None:
    """Check web links: verdict, status, redirect chain and suggestion for each, then a summary by verdict and host.
    Exit 1 when a link is broken or its #fragment is missing."""
    from auditor.links import command

    date = _as_of(as_of)
    cfg = _config(Path("."), config)
    if allow_private:
        cfg.settings["allow_private_addresses"] = True
    wanted = list(urls or [])
    try:
        if from_file is not None:
            wanted += command.read_url_file(from_file)
        if not wanted:
            raise command.UsageError("no URLs: name some, or pass --from FILE")
        with progress_bars(fmt == LinkFormat.text and err.is_terminal) as progress:
            results, summary = command.check_urls(wanted, cfg.settings, cfg.pack, date, progress)
    except command.UsageError as exc:
        raise usage_error(str(exc)) from None
    sys.stdout.write(command.as_json(results, summary) if fmt == LinkFormat.json else command.as_text(results, summary))
    raise typer.Exit(command.exit_status(results))


def _print_links_line(links: dict[str, Any]) -> None:
    counts = ", ".join(f"{n} {v}" for v, n in links["by_verdict"].items() if n) or "none"
    out.print(f"Links:   {links['urls']} checked ({links['from_cache']} from cache): {counts}")
    if links.get("network") == "unavailable":
        err.print("warning: the network is unavailable: links that failed before HTTP are unverified and open no "
                  "tickets", style="yellow")


def app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command (or group) that `argv` names first. typer makes a click command of every
    command and group before it parses anything, reading each one's signature and annotations: a fifth of the
    start of a one-file `check`. Options before the command, help, a mistyped name or none get the whole app."""
    name = argv[0] if argv else ""
    commands = [info for info in app.registered_commands
                if (info.name or typer.main.get_command_name(info.callback.__name__)) == name]
    groups = [info for info in app.registered_groups if info.name == name]
    if not commands and not groups:
        return app
    narrowed = copy.copy(app)
    narrowed.registered_commands, narrowed.registered_groups = commands, groups
    return narrowed


def main() -> None:
    try:
        app_for(sys.argv[1:])()
    except ConfigError as exc:
        err.print(f"error: {exc}", style="bold red")
        sys.exit(2)
    except WriteError as exc:  # a read-only folder, a path through a file, a full disk: the path and what to do
        err.print(f"error: {exc}", style="bold red", soft_wrap=True)
        sys.exit(3)
    except Exception as exc:
        # A store that cannot be read (a truncated SQLite file, a server gone) is exit 3 from every command.
        # Matched by module so that commands that never touch the store do not import SQLAlchemy to start.
        if not type(exc).__module__.startswith("sqlalchemy"):
            raise
        first = (str(exc).splitlines() or [""])[0]
        err.print(f"error: the store failed: {exc.__class__.__name__}: {first}", style="bold red")
        sys.exit(3)
