"""The entry cache: what a rule found in an entry, reused by the next run when nothing it depends on changed.

A rule declares what its findings on one entry depend on (`Rule.depends_on`):

- `entry`: the entry alone (its file's content, what loading noted about it, its dates) and the configuration;
- `date`: that and the as-of date;
- `ids`: that and the directory's id graph (every entry's id, path and `related` ids) and the git HEAD (renames);
- `directory`: that, the as-of date, the git HEAD and the content of every entry (duplicates, a directory's
  date style);
- `files`: that and every file under the directory (path, size, modification time): links to files, manifests;
- `registry`: the entry, the as-of date and, from an offline registry client (`--offline`, `check`), every answer
  it can give (the store's registry cache): the CAP rules when they ask no registry;
- "" (the default): never reused (web links, package registries, other files, a live site).

The file is keyed by the auditor's code and version, the rule packs and the configuration (after what was
inferred from the directory), so changing any of them starts afresh. The cache is one pickled file beside the
directory's store, `.auditor/entry-cache.bin`, written only when that folder exists (an audit with the default
store makes it; `check` in a fresh checkout writes nothing). The file starts with a keyed hash (HMAC-SHA256) of the
rest under a secret kept in the user's cache folder (auditor/cache_key.py), as the parsed-entry cache's shards do:
a cache file committed into a directory or edited by anyone else is not unpickled, only ignored, and cannot hide
findings. A cache that cannot be read or written is ignored: the run is then a full one. `--no-cache` (or
AUDITOR_NO_CACHE=1 in the environment) ignores it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable
from itertools import starmap
from pathlib import Path
from typing import Any

from auditor.cache_key import caches_off, read_signed, write_signed
from auditor.cache_key import code_digest as _code_digest
from auditor.cache_key import secret as _secret
from auditor.heap import settle
from auditor.models import Entry, Finding

ENTRY, DATE, IDS, DIRECTORY, FILES, REGISTRY = "entry", "date", "ids", "directory", "files", "registry"
LEVELS = (ENTRY, DATE, IDS, DIRECTORY, FILES, REGISTRY)
# Settings that change how a run goes, never what it finds: they leave the cache as it is.
RUN_ONLY = frozenset({"workers", "parallel_min_entries", "db", "rule_time_budget"})
FILE_NAME = "entry-cache.bin"
FORMAT = 2  # 1: the JSON file entry-cache.json (left alone, never read)
_FIELDS = tuple(Finding.__dataclass_fields__)

# Rules whose modules are being reworked elsewhere declare their dependency here until they carry it themselves.
def depends_on(rule: Any, ctx: Any) -> str:
    return rule.dependency(ctx)


def _config_digest(config: Any) -> str:
    """The rule packs as merged with the directory's own, the settings, which rules run and how severe."""
    settings = {key: value for key, value in config.settings.items() if key not in RUN_ONLY}
    basis = {"settings": settings, "pack": config.pack, "disabled": sorted(config.disabled),
             "enabled": sorted(config.enabled), "enforced": sorted(config.enforced),
             "severities": {code: severity.name for code, severity in sorted(config.severities.items())},
             "inferred": config.inferred, "name": config.name}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def _git_head(root: Path) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _listing(root: Path) -> str:
    """Every file under `root` but the auditor's own and git's, with its size and modification time."""
    digest = hashlib.blake2b(digest_size=20)
    lines: list[str] = []

    def walk(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=lambda item: item.name)
        except OSError:
            return
        for item in items:
            try:
                if item.is_dir():  # a link to a folder is neither walked nor listed, as in os.walk
                    if not item.is_symlink() and item.name not in (".git", ".auditor"):
                        walk(item.path, f"{prefix}{item.name}/")
                    continue
                info = item.stat()
            except OSError:
                continue
            lines.append(f"{prefix}{item.name}\x1f{info.st_size}\x1f{info.st_mtime_ns}\n")
        if len(lines) > 4096:  # hashed as it goes: the listing of 50,000 files is not held at once
            digest.update("".join(lines).encode())
            lines.clear()

    walk(os.fspath(root), "")
    digest.update("".join(lines).encode())
    return digest.hexdigest()


def _registry_state(ctx: Any) -> str:
    """What an offline registry client answers from (auditor/checks/registry.py), with the as-of date; a key never
    seen again when it cannot say (the rules are then run, and their results not reused next time)."""
    client = ctx.registry
    state = "none" if client is None else client.offline_state()
    return f"{ctx.as_of.isoformat()}:{state}" if state is not None else f"unknown:{os.urandom(16).hex()}"


def _digest(basis: object) -> str:
    """A hash of `basis` by its `repr`: strings, numbers, dates, None, tuples and lists of them (what the keys below
    are made of) have one `repr` for one value, and it is several times cheaper than a JSON dump. An object shown by
    its address would make a new key every run: never reused, never wrongly reused."""
    return hashlib.blake2b(repr(basis).encode(), digest_size=20).hexdigest()


def _content_key(entry: Entry) -> str:
    """What the entry's file holds and what loading made of it with the other files it read (a duplicate id, a
    problem, where references land, the kind and category a format gives)."""
    problems = [(p.kind, p.message, p.line, p.field, p.evidence) for p in entry.problems]
    refs = [(r.kind, r.target, r.line, r.resolved, r.suggestion, r.field, r.path) for r in entry.refs]
    return _digest((entry.path, entry.id, entry.content_hash, entry.twin_path, entry.lines, problems, refs,
                    entry.kind, entry.category, entry.source_format, entry.for_model, entry.body_repeats_summary,
                    entry.title, entry.summary, entry.related, entry.links, entry.body_start, len(entry.body_lines)))


def _dated_key(entry: Entry) -> str:
    return _digest((entry.updated, entry.reviewed, entry.published, entry.last_changed, entry.last_changed_by,
                    entry.last_changed_ref))


def finding_record(finding: Finding) -> tuple[Any, ...]:
    """A finding as the cache keeps it: its fields in order (pickle keeps the severity, dates and edit as they are)."""
    return tuple(getattr(finding, name) for name in _FIELDS)


def finding_from(record: tuple[Any, ...]) -> Finding:
    return Finding(*record)


class EntryCache:
    """One run's view of the cache file: which (entry, rule) results can be reused, and what to write back."""

    def __init__(self, path: Path, secret: bytes, base: str) -> None:
        self.path, self.secret, self.base = path, secret, base
        self.stored: dict[str, Any] = {}
        self.levels: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # path -> this run's key of what the entry is (content and dates)
        self.level_keys: dict[str, str] = {}  # level -> this run's key of what else that level's results read
        self.reused: dict[str, frozenset[str]] = {}
        self.by_level: dict[str, list[str]] = {}
        self.reused_count = 0

    @classmethod
    def open(cls, root: Path | None, config: Any) -> EntryCache | None:
        """The cache of the directory at `root`, or None when there is none to keep (no root, no secret)."""
        if root is None or caches_off():
            return None
        secret = _secret()
        if secret is None:
            return None
        base = hashlib.sha256(f"{FORMAT}\x1f{_code_digest()}\x1f{_config_digest(config)}".encode()).hexdigest()
        cache = cls(root / ".auditor" / FILE_NAME, secret, base)
        stored = read_signed(cache.path, secret)
        if isinstance(stored, dict) and stored.get("base") == base and isinstance(stored.get("entries"), dict):
            cache.stored = stored["entries"]
        settle(len(cache.stored))  # read once, kept for the run
        return cache

    def plan(self, entries: list[Entry], targets: list[Entry], rules: list[Any], ctx: Any) -> tuple[
            dict[str, frozenset[str]], list[Finding]]:
        """For each target entry the codes whose findings are reused (path -> codes), and those findings."""
        root = ctx.root
        wanted = {depends_on(rule, ctx) for rule in rules}
        head = _git_head(root) if root is not None and wanted & {IDS, DIRECTORY, FILES} else ""
        graph = sorted((e.id, e.path, tuple(e.related)) for e in entries)
        content_keys = {id(e): _content_key(e) for e in entries}
        contents = sorted(content_keys.values())
        directory = _digest((ctx.as_of.isoformat(), head, contents))
        self.levels = {
            ENTRY: "",
            DATE: ctx.as_of.isoformat(),
            IDS: _digest((head, graph)),
            DIRECTORY: directory,
            FILES: f"{directory}:{_listing(root)}" if root is not None and FILES in wanted and targets else "",
            REGISTRY: _registry_state(ctx) if REGISTRY in wanted else "",
        }
        ids_seen: dict[str, int] = {}
        for entry in entries:
            ids_seen[entry.id] = ids_seen.get(entry.id, 0) + 1
        by_level: dict[str, list[str]] = {}
        for rule in rules:
            level = depends_on(rule, ctx)
            if level in LEVELS:
                by_level.setdefault(level, []).append(rule.code)
        # What a level's results depend on beyond the entry, once for the run. The codes are in it: a rule that
        # moved to another level (or to none) is not reused from a group that did not hold its findings. (The
        # file's signature covers what is stored; the keys themselves need no secret.)
        self.level_keys = {level: _digest((level, self.levels[level], codes)) for level, codes in by_level.items()}
        reused: dict[str, frozenset[str]] = {}
        interned: dict[frozenset[str], frozenset[str]] = {}
        findings: list[Finding] = []
        level_items = tuple(self.level_keys.items())
        every = frozenset(code for codes in by_level.values() for code in codes)
        for entry in targets:
            # Findings are told apart by entry id: entries sharing an id, read without a content hash, or read
            # from a pair of files (whose hash is the first file's alone) are always checked afresh.
            if not entry.content_hash or entry.twin_path or ids_seen[entry.id] > 1:
                continue
            own = f"{content_keys[id(entry)]}:{_dated_key(entry)}"
            self.keys[entry.path] = own
            stored = self.stored.get(entry.path)
            if not isinstance(stored, tuple) or len(stored) != 2 or stored[0] != own:
                continue
            levels = stored[1]
            matched: list[str] = []
            for level, key in level_items:
                kept = levels.get(level)
                if kept is not None and kept[0] == key:
                    matched.append(level)
                    if kept[1]:
                        findings.extend(starmap(Finding, kept[1]))
            if matched and len(matched) == len(level_items):  # the usual case: everything reused
                reused[entry.path] = every
            elif matched:
                frozen = frozenset(code for level in matched for code in by_level[level])
                reused[entry.path] = interned.setdefault(frozen, frozen)
        self.reused = reused
        self.by_level = by_level
        self.reused_count = sum(len(codes) for codes in reused.values())
        return reused, findings

    def save(self, targets: list[Entry], fresh: Iterable[Finding], reused_findings: list[Finding]) -> None:
        """Write back this run's keys and findings for the target entries (others are kept as they were)."""
        level_of = {code: level for level, codes in self.by_level.items() for code in codes}
        grouped: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        timed_out: set[str] = set()
        for finding in [*fresh, *reused_findings]:
            if finding.key.startswith("rule-time:"):  # a rule stopped by its time budget: not a result to keep
                timed_out.add(finding.entry)
            level = level_of.get(finding.code)
            if level is not None:
                grouped.setdefault((finding.entry, level), []).append(finding_record(finding))
        entries = dict(self.stored)
        changed = False
        every = frozenset(level_of)
        for entry in targets:
            own = self.keys.get(entry.path)
            if own is None or entry.id in timed_out:
                changed |= entries.pop(entry.path, None) is not None
                continue
            if self.reused.get(entry.path) == every:  # every level reused: what is stored is what it would be
                continue
            entries[entry.path] = (own, {level: (key, grouped.get((entry.id, level), []))
                                         for level, key in self.level_keys.items()})
            changed = True
        if not changed:  # an unchanged directory: the file already says all this
            return
        if not self.path.parent.is_dir():  # only where the auditor keeps its files already: `check` in a clean
            return                          # checkout (CI, a pre-commit hook) leaves the tree as it was
        try:
            write_signed(self.path, self.secret, b"", {"format": FORMAT, "base": self.base, "entries": entries})
        except OSError:  # a directory that cannot be written still gets its findings; the next run is a full one
            pass


__all__ = ["DATE", "DIRECTORY", "ENTRY", "FILES", "IDS", "REGISTRY", "EntryCache", "depends_on", "finding_from",
           "finding_record"]
