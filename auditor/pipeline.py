"""One audit, start to finish: source -> entries -> checks -> findings -> store and tickets -> report."""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.checks.base import AuditContext, Rule
from auditor.checks.cache import EntryCache
from auditor.checks.conventions import DIRECTORY_ID, directory_entry
from auditor.checks.digests import keep_digests
from auditor.checks.engine import all_rules, run_rules
from auditor.checks.inferred import infer_into, shape_of
from auditor.checks.suppressions import apply_suppressions, suppressed_summary
from auditor.config import Config
from auditor.entry_dates import date_entries
from auditor.heap import settle
from auditor.models import Entry, Finding, Severity
from auditor.scoring import StalenessScore, score_entries
from auditor.shared_text import forget as forget_shared_text
from auditor.sources.base import FolderSource, Progress, Source, no_progress

if TYPE_CHECKING:  # `auditor check` stores nothing: the store, tickets and HTTP clients load only when used
    from auditor.checks.registry import RegistryClient
    from auditor.links.book import LinkBook
    from auditor.tickets.sync import SyncResult

_no_progress = no_progress


def load_entries(root: Path, config: Config, progress: Progress = _no_progress, use_cache: bool = True) -> list[Entry]:
    """The entries of a directory, read in its format (`input_format`: the content folder, or one detected); with
    `use_cache`, unchanged files of a content folder give the entries parsed on an earlier run."""
    from auditor.sources.detect import source_for

    return source_for(root, config, use_cache=use_cache).load(config, progress)


def check_entries(
    entries: list[Entry], config: Config, as_of: dt.date, only: set[str] | None = None,
    progress: Progress = _no_progress, registry: RegistryClient | None = None,
    links: LinkBook | None = None, root: Path | None = None, conventions: list[dict[str, Any]] | None = None,
    suppressed: list[Finding] | None = None, use_cache: bool = False, cache_report: dict[str, int] | None = None,
    every: list[Any] | None = None, others: Any = None, load_entry: Callable[[str], Entry] | None = None,
    stamps: Mapping[str, tuple[int, int]] | None = None,
) -> list[Finding]:
    """Date the entries (auditor/entry_dates.py: stated dates, git history under `root`), then run the rules.
    With `only`, judge (and date) just those entry paths, still resolving against all entries.
    Without a `registry` client nothing asks a package registry: versions are "unverified".
    Without a `links` book no web link is fetched (internal links are still checked, against `root` when given).
    A `conventions` list gets what was collapsed into directory findings (auditor/checks/conventions.py), a
    `suppressed` list the findings inline suppressions kept quiet (auditor/checks/suppressions.py).
    Without an auditor.toml, kinds the directory's entries mostly do not fit are held to what they carry.
    With `use_cache` and a `root`, findings on entries that did not change are reused from the entry cache
    (auditor/checks/cache.py) and this run's are written back to it; a `cache_report` gets how many rule results
    on how many entries were reused, and the entries' digests are kept for `check` of a few files: `stamps`, the
    source's (size, mtime_ns) of each file it read as found before reading (see `source_stamps`), spare the digests
    a second look at every file.
    With `every` (see `check_few`), `entries` are the few judged and `every` the whole directory in order, the
    entries not read as references (auditor/checks/digests.py: EntryRef) that `load_entry` reads in full, and
    `others` their digests; no entry cache is used then."""
    forget_shared_text()
    digests = None
    if every is None and use_cache:
        # Before inference changes the configuration the digests are keyed by. A check (`only`) makes them; an
        # audit keeps those made up to date.
        digests = keep_digests(root, entries, config, create=only is not None, stamps=stamps)
    if others and config.source is None:  # (with an auditor.toml nothing is inferred)
        infer_into(config, entries, list(others.values("shape", shape_of)))
    elif not others:
        infer_into(config, entries)
    targets = entries if only is None else [e for e in entries if e.path in only]
    date_entries(targets, root, config, every=every or entries)
    ctx = AuditContext.build(entries, config, as_of, every, others)
    ctx.targets, ctx.registry = targets, registry
    ctx.links, ctx.root, ctx.load_entry, ctx.digests = links, root, load_entry, digests
    cache = EntryCache.open(root, config) if use_cache and every is None else None

    def population(rules: list[Rule]) -> tuple[list[Entry], list[Finding]]:
        """The other entries, dated, and these rules' findings on them (inline suppressions applied)."""
        judged = {entry.path for entry in targets}
        if every is not None and any(rule.depends_on == "ids" for rule in rules):
            # Against digests, who relates to whom was worked out for the judged entries alone.
            for item in every:
                for target in item.related:
                    ctx.related_to.setdefault(target, set()).add(item.id)
        if every is not None and root is not None and len(every) > POPULATION_READ_ALL:
            # Many files to read in full: the folder's load takes unchanged ones from the parsed-entry cache.
            loaded = {entry.path: entry for entry in FolderSource(root).load(config)}
            others = []
            for item in every:
                entry = loaded.get(item.path) if item.path not in judged else None
                if entry is not None:
                    entry.id = item.id  # as marked among all the files
                    others.append(entry)
        else:
            others = [ctx.full(entry) for entry in (every or entries) if entry.path not in judged]
        date_entries(others, root, config, every=every or entries)
        found = [finding for entry in others for rule in rules if rule.code not in entry.ignore
                 for finding in rule.check(entry, ctx)]
        return others, apply_suppressions(others, found, None, {rule.code for rule in rules})[0]

    subset = every is not None or len(targets) < len(entries)
    findings = run_rules(targets, ctx, progress("checking", len(targets)), cache, population if subset else None)
    if cache_report is not None and cache is not None:
        cache_report.update(results_reused=cache.reused_count, entries_reused=len(ctx.reused))
    if conventions is not None:
        conventions.extend(ctx.conventions)
    if suppressed is not None:
        suppressed.extend(ctx.suppressed)
    return findings


def source_stamps(source: Any) -> Mapping[str, tuple[int, int]] | None:
    """The (size, mtime_ns) of the files a source read, as it found them before reading (path -> stamp), when it
    says (a content folder read through its parsed-entry cache); None otherwise."""
    return getattr(source, "stamps", None)


# `check` of more changed files than this reads the whole directory: digests are for the few a contributor edits.
CHECK_FEW_MAX = 50
# Counting a convention against digests reads the other entries in full: one file at a time up to this many, the
# whole folder (through the parsed-entry cache) beyond.
POPULATION_READ_ALL = 200


def check_few(source: FolderSource, config: Config, as_of: dt.date, rels: list[str], **options: Any) -> tuple[
        list[Entry], list[Finding], dict[str, int]] | None:
    """`check` of a few files of a content folder without reading the rest: every other file that has not changed
    since an earlier run is judged against by its digest (auditor/checks/digests.py). Returns the entries read
    from `rels`, their findings (the same as `check_entries` with every entry loaded) and how many entries were
    judged against by their digests and how many files were read; None when there are no
    digests to use or too many files changed (read the whole folder then). `options` go to `check_entries`.
    What was read is noted on the `source` as its `load` would."""
    from auditor.checks.digests import SEPARATOR, DigestMaker, DigestStore, EntryRef, OtherDigests
    from auditor.sources.folder import iter_entry_stats, mark_duplicate_id, read_entry_file
    from auditor.sources.marked import drop_marked
    from auditor.sources.safe_files import max_entry_bytes

    root = source.root
    store = DigestStore.open(root, config)
    if store is None or not len(store.table) or len(rels) > CHECK_FEW_MAX:
        return None
    table = store.table
    wanted = set(rels)
    listed: list[tuple[str, int]] = []  # the folder in order: (path, its row in the table, or -1: read it)
    unread: list[str] = []
    skipped: list[tuple[str, str]] = []
    sizes, mtimes, row_of = table.sizes, table.mtimes, table.row_of
    for rel, info in iter_entry_stats(root, tuple(config.settings["exclude"]), skipped):
        number = row_of.get(rel, -1)
        if rel in wanted or info is None or number < 0 or sizes[number] != info.st_size \
                or mtimes[number] != info.st_mtime_ns:
            unread.append(rel)
            number = -1
        listed.append((rel, number))
    if len(unread) > CHECK_FEW_MAX:
        return None
    kept, marked = drop_marked(root, unread, config.pack)
    limit = max_entry_bytes(config.settings)
    read = {rel: read_entry_file(root, rel, config.kinds, limit) for rel in kept}
    ids, twins, related = table.column("id"), table.column("twin_path"), table.column("related")
    every: list[Any] = []  # the whole directory in order: the targets, and the others as EntryRef
    first_path: dict[str, str] = {}
    for rel, number in listed:  # ids as mark_duplicate_ids leaves them for a whole folder
        if number >= 0:
            given = ids[number]
            if given in first_path:
                given = f"{given}@{rel}"
            else:
                first_path[given] = rel
            every.append(EntryRef(rel, given, twins[number], related[number]))
            continue
        entry = read.get(rel)
        if entry is None:
            continue  # an archival copy (marked): not an entry
        if entry.id in first_path:
            mark_duplicate_id(entry, first_path[entry.id])
        else:
            first_path[entry.id] = rel
        reference = EntryRef(rel, entry.id, entry.twin_path, SEPARATOR.join(entry.related))
        every.append(entry if rel in wanted else reference)
    # Files changed since the digests were kept but not asked for are read and digested now (with their id as
    # marked among all the files, where a digest holds the id as read).
    maker = DigestMaker(config)
    fresh = [maker.of(entry)._replace(id=entry.id) for rel, entry in read.items() if rel not in wanted]
    others = OtherDigests(table, every, fresh)
    targets = [item for item in every if isinstance(item, Entry)]
    by_path = {item.path: item for item in every}
    loaded: dict[str, Entry] = {}

    def load_entry(path: str) -> Entry:
        entry = read.get(path) or loaded.get(path)
        if entry is None:
            entry = loaded[path] = read_entry_file(root, path, config.kinds, limit)
            entry.id = by_path[path].id  # keyed by its path when an earlier file has its id
        return entry

    findings = check_entries(targets, config, as_of, root=root, every=every, others=others, load_entry=load_entry,
                             **options)
    source.read_paths, source.skipped, source.marked = [item.path for item in every], skipped + marked, marked
    return targets, findings, {"entries": len(every) - len(targets) - len(fresh), "files_read": len(read)}


def summarize(
    entries: list[Entry], findings: list[Finding], scores: dict[str, StalenessScore] | None = None
) -> dict[str, Any]:
    by_severity = Counter(f.severity.name for f in findings)
    by_family: dict[str, dict[str, int]] = {}
    for f in findings:
        family = by_family.setdefault(f.family, {"error": 0, "warning": 0, "info": 0})
        family[f.severity.name] += 1
    return {
        "entries": len(entries),
        "entries_with_findings": len({f.entry for f in findings if f.entry != DIRECTORY_ID}),
        "findings": len(findings),
        "by_severity": {name: by_severity.get(name, 0) for name in ("error", "warning", "info")},
        "by_family": dict(sorted(by_family.items())),
        **(_score_summary(scores) if scores is not None else {}),
    }


def _score_summary(scores: dict[str, StalenessScore]) -> dict[str, Any]:
    values = [s.score for s in scores.values()]
    # Below 40, 40-69, 70 and up; `unknown` when nothing dates the entry (no review, no change, no dated claim).
    bands = {"fresh": 0, "ageing": 0, "stale": 0, "unknown": 0}
    evidence: Counter[str] = Counter()
    unreviewed_ages: list[int] = []
    unreviewed = unreviewed_overdue = 0
    for score in scores.values():
        bands[score.band] += 1
        evidence[score.evidence or "none"] += 1
        if score.unreviewed:
            unreviewed += 1
            if score.age_days is not None:
                unreviewed_ages.append(score.age_days)
            unreviewed_overdue += score.review_overdue_days > 0
    return {"staleness": {"mean": round(sum(values) / len(values), 1) if values else 0.0, **bands,
                          "unreviewed": unreviewed, "unreviewed_undated": unreviewed - len(unreviewed_ages),
                          "unreviewed_median_age_days": _median(unreviewed_ages),
                          "unreviewed_overdue": unreviewed_overdue,
                          "ages": age_histogram(s.age_days for s in scores.values()),
                          "age_evidence": dict(sorted(evidence.items()))}}


# The report's histogram of entry ages (days since the last review, or the last change of an unreviewed entry).
AGE_BUCKETS = ((30, "under 30 days"), (90, "30-89 days"), (180, "90-179 days"), (365, "180-364 days"),
               (730, "1-2 years"), (None, "2 years or more"))


def age_histogram(ages: Iterable[int | None]) -> dict[str, int]:
    """How many entries fall in each of AGE_BUCKETS, and `unknown` for those nothing dates."""
    counts = {label: 0 for _, label in AGE_BUCKETS} | {"unknown": 0}
    for age in ages:
        if age is None:
            counts["unknown"] += 1
            continue
        counts[next(label for limit, label in AGE_BUCKETS if limit is None or age < limit)] += 1
    return counts


def _median(values: list[int]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def worst_severity(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), default=None)


@dataclass
class AuditResult:
    run_id: int
    directory: str
    as_of: dt.date
    entries: list[Entry]
    findings: list[Finding]
    summary: dict[str, Any]
    tickets: SyncResult
    db_url: str
    report_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def run_audit(
    root: Path,
    config: Config,
    as_of: dt.date,
    db_url: str,
    progress: Progress = _no_progress,
    check_links: bool = False,
    check_registries: bool = False,
    source: Source | None = None,
    use_cache: bool = True,
) -> AuditResult:
    """Audit a content folder (or, with `source`, entries from any source) and record it.
    Results land in one transaction: a run that fails midway is marked failed and leaves earlier runs and every
    ticket as they were.
    With `check_links` (and not the `offline` setting) web links are fetched, with their history in the store.
    With `check_registries` (and not `offline`) package registries are asked; without, versions are judged from
    the store's earlier registry answers where it has them, and are otherwise "unverified".
    Without `use_cache` every file is parsed and every rule runs on every entry (`--no-cache`); with it, unchanged
    files' parsed entries (auditor/sources/parsed_cache.py) and unchanged entries' findings (auditor/checks/cache.py)
    are reused."""
    from auditor.checks.registry import RegistryClient
    from auditor.sources.detect import compact_read, read_summary, source_for
    from auditor.store import runs as run_store
    from auditor.store.db import open_engine, session_factory
    from auditor.store.registry_cache import StoreCache
    from auditor.tickets.actions import queue_counts
    from auditor.tickets.sync import sync_tickets
    from auditor.tickets.wontfix import covered, split_quiet

    if source is None:
        source = source_for(root, config, use_cache=use_cache)
    engine = open_engine(db_url)
    make_session = session_factory(engine)
    with make_session() as session:
        run_id = run_store.begin_run(session, config.name, source.location, source.kind, as_of)
    try:
        entries = source.load(config, progress)
        registry = RegistryClient.from_settings(config.settings, cache=StoreCache(engine))
        registry.offline = registry.offline or not check_registries
        links = None
        if check_links and not config.settings.get("offline"):
            from auditor.links.book import LinkBook  # with its HTTP client: not imported by an offline run
            from auditor.links.history import StoreHistory

            links = LinkBook.from_settings(config.settings, config.pack, as_of, StoreHistory(engine),
                                           progress=progress, run_id=run_id)
        conventions: list[dict[str, Any]] = []
        quiet: list[Finding] = []
        findings = check_entries(entries, config, as_of, progress=progress, registry=registry, links=links,
                                  root=source.root, conventions=conventions, suppressed=quiet,
                                  use_cache=use_cache, stamps=source_stamps(source))
        with make_session() as session:  # what won't-fix tickets cover stays quiet until its evidence changes
            findings, kept = split_quiet(findings, covered(session, config.name))
        scores = score_entries(entries, findings, as_of, config)
        settle(len(entries))  # findings and scores live until the run is stored and reported
        summary = summarize(entries, findings, scores)
        if conventions:
            summary["conventions"] = conventions
        if quiet:
            summary["suppressed"] = suppressed_summary(quiet)
        if kept:
            summary["wontfix"] = {"findings": len(kept), "tickets": len({f.entry for f in kept})}
        if config.inferred:
            summary["inferred_requirements"] = config.inferred
        # Directory findings (conventions) belong to a pseudo-entry: stored and ticketed like any entry's findings,
        # with no snapshot (it is not an entry of the directory).
        ticketed_entries = entries + [directory_entry()] if any(f.entry == DIRECTORY_ID for f in findings) else entries
        if links is not None:
            summary["links"] = links.summary()
        if getattr(source, "marked", None):  # files marked as archival snapshots or generated copies
            summary["skipped"] = [{"path": path, "reason": reason} for path, reason in source.marked]
        if getattr(source, "crawl_summary", None):  # a live site's crawl: pages, errors, limits hit
            summary["crawl"] = source.crawl_summary
        read = read_summary(source)
        if read["formats"] or read["skipped"]:
            summary["read"] = compact_read(read)  # the store keeps counts; the returned summary every path
        intervals = {kind: config.kind_data(kind).get("review_interval_days") for kind in config.kinds}
        with make_session() as session, session.begin():
            run_store.record_entries_and_findings(session, run_id, entries, findings, scores)
            off_tickets = {rule.code for rule in all_rules() if not rule.on_tickets}
            ticketed = [f for f in findings if f.code not in off_tickets]
            tickets = sync_tickets(session, config.name, run_id, as_of, ticketed_entries, ticketed, config.settings,
                                   intervals, scores, quiet=kept)
            summary["tickets"] = tickets.counts()
            before = run_store.previous_completed_run(session, config.name, run_id)
            summary["queue"] = queue_counts(session, config.name, as_of, before.as_of if before else None)
            run_store.finish_run(session, run_id, len(entries), len(findings), summary)
        if "read" in summary:
            summary = {**summary, "read": read}
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt | SystemExit) else "failed"
        with make_session() as session:
            run_store.fail_run(session, run_id, status, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        engine.dispose()
        gc.unfreeze()  # loading froze the entries (see load_files); later runs in this process start clean
    return AuditResult(run_id, config.name, as_of, entries, findings, summary, tickets, db_url)
