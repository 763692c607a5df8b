"""The entry cache: what a rule found in an entry, reused by the next run when nothing it depends on changed.

A rule declares what its findings on one entry depend on (`Rule.depends_on`):

- `entry`: the entry alone (its file's content, what loading noted about it, its dates) and the configuration;
- `date`: that and the as-of date;
- `ids`: that and the directory's id graph (every entry's id, path and `related` ids) and the git HEAD (renames);
- `directory`: that and other entries' content. A rule that names its `neighbours` group says itself what it
  reads: `basis(ctx)`, a value it derives from the whole directory (STR018: each date field's usual format), and
  `affected(ctx, changes)`, the unchanged entries whose findings the changes can move (the duplicate rules: the
  holders of any feature a changed entry held or holds, which the digests find; SIT002: the entries listing a
  changed one). Its findings on an entry are reused while the basis is the same and the entry is neither changed
  nor affected; `affected` returning None (it cannot tell: no digests, too many changes) checks every entry. A
  rule without a group is reused only while no entry changed (the content of every entry is its key);
- `files`: that, the ids, the git HEAD and the directory's outline: every file's path, the size and time of the
  files that are not entries (a categories file, images), and what each `files` rule's `outline(entry)` gives of
  every entry (LNK003: its headings and anchors; STR015: its category). A body edit that changes no heading, id,
  path or category leaves the other entries' results as they were;
- `registry`: the entry, the as-of date and, from an offline registry client (`--offline`, `check`), every answer
  it can give (the store's registry cache): the CAP rules when they ask no registry;
- "" (the default): never reused (web links, package registries, other files, a live site).

What changed is told per entry: an entry whose content key (content and dates) differs from the one stored, that
is never cached (a shared id, a pair of files), added, or whose path is gone (`Changes`). What a changed or removed
entry was before comes from the digests (auditor/checks/digests.py) the run that wrote the cache left: the cache
notes their generation when it is written for every entry of the directory, and `Changes.old` holds those old
digests only when the digests read at the start of this run are of that generation (else None, and the groups
that need them check every entry). Each entry's outline is stored beside its findings, so only changed entries'
are worked out.

The file is keyed by the auditor's code and version, the rule packs and the configuration (after what was
inferred from the directory), so changing any of them starts afresh. The cache is kept beside the directory's
store, in `.auditor/entry-cache/`, written only when that folder exists (an audit with the default store makes it;
`check` in a fresh checkout writes nothing): the entries split by path into 256 pickled shards and an index written
last (auditor/sharded.py), so that a run that changed ten entries rewrites ten shards, and a run killed midway
leaves the cache as the previous run left it. Each file starts with a keyed hash (HMAC-SHA256) of the rest under a
secret kept in the user's cache folder (auditor/cache_key.py), as the parsed-entry cache's shards do: a cache file
committed into a directory or edited by anyone else is not unpickled, and makes the whole cache ignored: it cannot
hide findings. A cache that cannot be read or written is ignored: the run is then a full one. `--no-cache` (or
AUDITOR_NO_CACHE=1 in the environment) ignores it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import starmap
from operator import itemgetter
from pathlib import Path
from typing import Any

from auditor.cache_key import caches_off
from auditor.cache_key import code_digest as _code_digest
from auditor.cache_key import secret as _secret
from auditor.heap import settle
from auditor.models import Entry, Finding
from auditor.sharded import INDEX, Sharded, shard_of

ENTRY, DATE, IDS, DIRECTORY, FILES, REGISTRY = "entry", "date", "ids", "directory", "files", "registry"
LEVELS = (ENTRY, DATE, IDS, DIRECTORY, FILES, REGISTRY)
# Settings that change how a run goes, never what it finds: they leave the cache as it is.
RUN_ONLY = frozenset({"workers", "parallel_min_entries", "db", "rule_time_budget"})
FOLDER = "entry-cache"
FILE_NAME = f"{FOLDER}/{INDEX}"  # written last: the cache is complete when it is
LEGACY_FILE = "entry-cache.bin"  # formats 2 to 4, one file: removed once the shards are written
# 1: the JSON file entry-cache.json (left alone, never read); 2: without outlines and changes; 3: keys hashing every
# field of an entry; 4: one file
FORMAT = 5
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


def _listing(root: Path, entry_paths: Collection[str]) -> str:
    """Every file under `root` but the auditor's own and git's: its path, and the size and modification time of
    those that are not entries (an entry's content is read through its outline)."""
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
                path = f"{prefix}{item.name}"
                if path in entry_paths:
                    lines.append(f"{path}\n")
                    continue
                info = item.stat()
            except OSError:
                continue
            lines.append(f"{path}\x1f{info.st_size}\x1f{info.st_mtime_ns}\n")
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


def _entry_key(entry: Entry) -> str:
    """What the entry's file holds, what loading made of it with the other files it read (a duplicate id, a
    problem, where references land, the kind and category a format gives), and its dates.

    A content-folder entry (no `source_format`) is what `sources/markdown.read_entry` makes of its file's bytes, its
    path and id and the configured kinds (the cache's base holds the kinds and the code): its content hash stands for
    the title, summary, links, body and stated dates, which are not hashed again (at 50 000 entries that is most of
    the key's cost). An entry of another format may hold what the format took from elsewhere (a field map, a
    heading above it): every field it is judged by is in its key."""
    problems = [(p.kind, p.message, p.line, p.field, p.evidence) for p in entry.problems] if entry.problems else ()
    refs = ([(r.kind, r.target, r.line, r.resolved, r.suggestion, r.field, r.path) for r in entry.refs]
            if entry.refs else ())
    dated = (entry.last_changed, entry.last_changed_by, entry.last_changed_ref)
    if not entry.source_format:
        return _digest((entry.path, entry.id, entry.content_hash, entry.twin_path, entry.lines, problems, refs,
                        entry.kind, entry.category, entry.for_model, dated))
    return _digest((entry.path, entry.id, entry.content_hash, entry.twin_path, entry.lines, problems, refs,
                    entry.kind, entry.category, entry.source_format, entry.for_model, entry.body_repeats_summary,
                    entry.title, entry.summary, entry.related, entry.links, entry.body_start, len(entry.body_lines),
                    entry.updated, entry.reviewed, entry.published, dated))


def finding_record(finding: Finding) -> tuple[Any, ...]:
    """A finding as the cache keeps it: its fields in order (pickle keeps the severity, dates and edit as they are)."""
    return tuple(getattr(finding, name) for name in _FIELDS)


def finding_from(record: tuple[Any, ...]) -> Finding:
    return Finding(*record)


@dataclass
class Changes:
    """What changed in the directory since the run whose findings the cache holds: the entries whose content key
    differs (or that are never cached), the paths gone, and (`old`) each of those paths' digest from that run (None
    for an entry added since), or None when the digests cannot tell (none kept, or not the ones of that run)."""

    entries: list[Entry]
    removed: list[str]
    old: dict[str, Any] | None

    @property
    def paths(self) -> set[str]:
        return {entry.path for entry in self.entries} | set(self.removed)

    def __len__(self) -> int:
        return len(self.entries) + len(self.removed)


EVERYTHING = None  # a group's affected entries when they cannot be told: all of them


class EntryCache:
    """One run's view of the cache file: which (entry, rule) results can be reused, and what to write back."""

    def __init__(self, folder: Path, secret: bytes, base: str) -> None:
        self.shards = Sharded(folder, secret, base.encode())
        self.path = self.shards.index_path
        self.stored: dict[str, Any] = {}  # path -> what is kept of the entry (all the shards' together)
        self.parts: dict[int, dict[str, Any]] = {}  # shard number -> its paths' part of `stored`
        self.previous_paths: set[str] | None = None  # every path of the run that wrote the file (None: unknown)
        self.previous_digests: str | None = None  # the digests' generation that run left
        self.digests_generation: str | None = None
        self.previous_bases: dict[str, str] = {}  # group -> what its rules read of the directory, last run
        self.levels: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # path -> this run's key of what the entry is (content and dates)
        self.outlines: dict[str, str] = {}  # path -> what `files` rules read of the entry for the others
        self.level_keys: dict[str, str] = {}  # group -> this run's key of what else that group's results read
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
        cache = cls(root / ".auditor" / FOLDER, secret, base)
        loaded = cache.shards.read()  # signed with the base: another code or configuration's cache is not read
        if loaded is not None and isinstance(loaded[0], dict) and all(isinstance(part, dict)
                                                                      for part in loaded[1].values()):
            meta, cache.parts = loaded
            for part in cache.parts.values():
                cache.stored.update(part)
            uncached = meta.get("uncached")
            if isinstance(uncached, list):
                cache.previous_paths = {*cache.stored, *uncached}
                cache.previous_digests = meta.get("digests")
                cache.previous_bases = meta.get("bases") or {}
        settle(len(cache.stored))  # read once, kept for the run
        return cache

    def plan(self, entries: list[Entry], targets: list[Entry], rules: list[Any], ctx: Any) -> tuple[
            dict[str, frozenset[str]], list[Finding]]:
        """For each target entry the codes whose findings are reused (path -> codes), and those findings."""
        root = ctx.root
        group_of = {rule.code: _group(rule, ctx) for rule in rules}
        wanted = {depends_on(rule, ctx) for rule in rules}
        head = _git_head(root) if root is not None and wanted & {IDS, DIRECTORY, FILES} else ""
        # In the order the entries were read (a folder's walk is sorted): the same graph read in another order only
        # makes a new key, and sorting 50 000 tuples costs more than hashing them.
        graph = _digest([(e.id, e.path, e.related) for e in entries])
        ids_seen = Counter(entry.id for entry in entries)
        stored_all = self.stored
        changed: list[Entry] = []
        for entry in entries:
            # Findings are told apart by entry id: entries sharing an id, read without a content hash, or read
            # from a pair of files (whose hash is the first file's alone) are always checked afresh.
            if not entry.content_hash or entry.twin_path or ids_seen[entry.id] > 1:
                changed.append(entry)
                continue
            own = self.keys[entry.path] = _entry_key(entry)
            kept = stored_all.get(entry.path)
            if not isinstance(kept, tuple) or len(kept) != 3 or kept[0] != own:
                changed.append(entry)
        present = {entry.path for entry in entries}
        removed = sorted(path for path in (self.previous_paths or stored_all) if path not in present)
        ctx.changes = changes = Changes(changed, removed, self._old_digests(changed, removed, ctx))
        self.levels = {
            ENTRY: "",
            DATE: ctx.as_of.isoformat(),
            IDS: _digest((head, graph)),
            REGISTRY: _registry_state(ctx) if REGISTRY in wanted else "",
        }
        ctx.id_graph = graph
        if DIRECTORY in group_of.values():  # rules that say nothing of their neighbours: any change, all again
            self.levels[DIRECTORY] = _digest((ctx.as_of.isoformat(), head, [
                self.keys.get(entry.path) or _entry_key(entry) for entry in entries]))
        if FILES in wanted and targets and root is not None:
            files_rules = [rule for rule in rules if depends_on(rule, ctx) == FILES]
            self.levels[FILES] = self._files_key(entries, files_rules, root, head, self.levels[IDS])
        by_group: dict[str, list[str]] = {}
        for rule in rules:
            group = group_of[rule.code]
            if group in self.levels or group.startswith(f"{DIRECTORY}:"):
                by_group.setdefault(group, []).append(rule.code)
        # Groups of rules that say which entries a change affects: their key is what they read of the whole
        # directory (`basis`), and the entries they name are checked again.
        affected: dict[str, set[str] | None] = {}
        for group in by_group:
            if group.startswith(f"{DIRECTORY}:"):
                members = [rule for rule in rules if group_of[rule.code] == group]
                if not changes and group in self.previous_bases:  # nothing it reads changed (nor needs reading)
                    self.levels[group] = self.previous_bases[group]
                else:
                    self.levels[group] = _digest([(rule.code, rule.basis(ctx)) for rule in members])
                affected[group] = _union(rule.affected(ctx, changes) if changes else set() for rule in members)
        # What a group's results depend on beyond the entry, once for the run. The codes are in it: a rule that
        # moved to another group (or to none) is not reused from one that did not hold its findings. (The file's
        # signature covers what is stored; the keys themselves need no secret.)
        self.level_keys = {group: _digest((group, self.levels[group], codes)) for group, codes in by_group.items()}
        reused: dict[str, frozenset[str]] = {}
        interned: dict[frozenset[str], frozenset[str]] = {}
        findings: list[Finding] = []
        level_items = tuple(self.level_keys.items())
        every = frozenset(code for codes in by_group.values() for code in codes)
        nothing: set[str] = set()
        # The usual entry: unchanged, kept with this run's key for every group, and affected by no change. Told at
        # C speed (a comparison of its groups' names and of their keys), its findings all taken at once.
        names, expected = self.level_keys.keys(), list(self.level_keys.values())
        touched_any = (set().union(*affected.values()) if EVERYTHING not in affected.values() else None)
        first = itemgetter(0)
        for entry in targets:
            path = entry.path
            own = self.keys.get(path)
            stored = stored_all.get(path)
            if own is None or not isinstance(stored, tuple) or len(stored) != 3 or stored[0] != own:
                continue
            levels = stored[1]
            if (expected and touched_any is not None and path not in touched_any and levels.keys() == names
                    and list(map(first, levels.values())) == expected):
                for _key, records in levels.values():
                    if records:
                        findings.extend(starmap(Finding, records))
                reused[path] = every
                continue
            matched: list[str] = []
            for level, key in level_items:
                kept = levels.get(level)
                if kept is not None and kept[0] == key:
                    touched = affected.get(level, nothing)
                    if touched is EVERYTHING or entry.path in touched:
                        continue
                    matched.append(level)
                    if kept[1]:
                        findings.extend(starmap(Finding, kept[1]))
            if matched and len(matched) == len(level_items):  # the usual case: everything reused
                reused[entry.path] = every
            elif matched:
                frozen = frozenset(code for level in matched for code in by_group[level])
                reused[entry.path] = interned.setdefault(frozen, frozen)
        self.reused = reused
        self.by_level = by_group
        self.reused_count = sum(len(codes) for codes in reused.values())
        digests = getattr(ctx, "digests", None)
        self.digests_generation = digests.generation if digests is not None else None
        return reused, findings

    def _old_digests(self, changed: list[Entry], removed: list[str], ctx: Any) -> dict[str, Any] | None:
        """The digests the changed and removed entries had in the run that wrote the cache (None for an entry added
        since), when the digests read at the start of this run are that run's; else None."""
        digests = getattr(ctx, "digests", None)
        if (digests is None or digests.replaced is None or self.previous_paths is None
                or self.previous_digests is None or digests.previous_generation != self.previous_digests):
            return None
        table, replaced = digests.table, digests.replaced
        old: dict[str, Any] = {}
        for path in [*(entry.path for entry in changed), *removed]:
            if path in replaced:
                old[path] = replaced[path]
            elif path in table.row_of:  # its file unchanged since: the digest kept is the old one
                old[path] = table.row(table.row_of[path])
            elif path in self.previous_paths:
                return None  # there then, but not digested (changed within RACY_SECONDS of that run)
            else:
                old[path] = None
        return old

    def _files_key(self, entries: list[Entry], rules: list[Any], root: Path, head: str, ids: str) -> str:
        """What the `files` rules read beyond the entry: every file's path (the sizes and times of the files that
        are not entries: a categories file, images), the git HEAD (renames), the ids, and what each rule's
        `outline` gives of every entry (the headings an anchor points at, a category)."""
        from auditor.checks.base import Rule

        outlined = [rule for rule in rules if type(rule).outline is not Rule.outline]
        stored = self.stored
        outlines = self.outlines
        for entry in entries:
            own = self.keys.get(entry.path)
            kept = stored.get(entry.path) if own is not None else None
            if isinstance(kept, tuple) and len(kept) == 3 and kept[0] == own:
                outlines[entry.path] = kept[2]
            else:
                outlines[entry.path] = _digest([(rule.code, rule.outline(entry)) for rule in outlined])
        return _digest((head, ids, _listing(root, outlines), list(outlines.items())))  # in the entries' order

    def save(self, targets: list[Entry], fresh: Iterable[Finding], reused_findings: list[Finding],
             entries: list[Entry] | None = None) -> None:
        """Write back this run's keys and findings for the target entries (others are kept as they were). With
        `entries` (the whole directory) among the targets, the paths gone are forgotten and the digests this run
        left are noted, so that the next run can tell what changed entries were before."""
        level_of = {code: level for level, codes in self.by_level.items() for code in codes}
        every = frozenset(level_of)
        # Only the entries written again need their findings as records (an unchanged entry's are stored already).
        written = {entry.id for entry in targets if self.reused.get(entry.path) != every}
        grouped: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        timed_out: set[str] = set()
        for finding in [*fresh, *reused_findings]:
            if finding.key.startswith("rule-time:"):  # a rule stopped by its time budget: not a result to keep
                timed_out.add(finding.entry)
            level = level_of.get(finding.code)
            if level is not None and finding.entry in written:
                grouped.setdefault((finding.entry, level), []).append(finding_record(finding))
        touched: dict[int, dict[str, Any]] = {}  # shard number -> its part as this run leaves it

        def part_of(path: str) -> dict[str, Any]:
            number = shard_of(path)
            part = touched.get(number)
            if part is None:
                part = touched[number] = dict(self.parts.get(number, {}))
            return part

        stored = self.stored
        dropped: set[str] = set()
        for entry in targets:
            own = self.keys.get(entry.path)
            if own is None or entry.id in timed_out:
                if entry.path in stored:
                    part_of(entry.path).pop(entry.path, None)
                    dropped.add(entry.path)
                continue
            if self.reused.get(entry.path) == every:  # every level reused: what is stored is what it would be
                continue
            part_of(entry.path)[entry.path] = (own, {level: (key, grouped.get((entry.id, level), []))
                                                     for level, key in self.level_keys.items()},
                                               self.outlines.get(entry.path))
        whole = entries is not None and len(targets) == len(entries)
        uncached: list[str] | None = None
        bases: dict[str, str] = {}
        if whole:
            present = {entry.path for entry in targets}
            for path in [path for path in stored if path not in present]:
                part_of(path).pop(path, None)
            held = {number: part.keys() for number, part in touched.items()}
            uncached = sorted(path for path in (present - stored.keys()) | dropped
                              if path not in held.get(shard_of(path), stored))
            bases = {group: key for group, key in self.levels.items() if group.startswith(f"{DIRECTORY}:")}
            changed = (self.previous_paths != present or self.previous_digests != self.digests_generation
                       or self.previous_bases != bases)
        else:
            changed = self.previous_paths is not None
        if not touched and not changed:  # an unchanged directory: the shards already say all this
            return
        if not self.shards.folder.parent.is_dir():  # only where the auditor keeps its files already: `check` in a
            return                                   # clean checkout (CI, a pre-commit hook) leaves the tree alone
        # A run over every entry notes the paths and digests it saw: the next one can tell what changed since.
        meta = {"uncached": uncached, "digests": self.digests_generation if whole else None, "bases": bases}
        try:
            self.shards.write(meta, {number: part or None for number, part in touched.items()})
        except OSError:  # a directory that cannot be written still gets its findings; the next run is a full one
            return
        (self.shards.folder.parent / LEGACY_FILE).unlink(missing_ok=True)
        for number, part in touched.items():  # the cache as written, should the run ask again
            for path in self.parts.get(number, {}):
                stored.pop(path, None)
            stored.update(part)
            self.parts[number] = part


def _group(rule: Any, ctx: Any) -> str:
    """The group a rule's findings are kept in: its level, or `directory:<neighbours>` for a rule that says which
    entries a change affects."""
    level = depends_on(rule, ctx)
    if level == DIRECTORY and rule.neighbours:
        return f"{DIRECTORY}:{rule.neighbours}"
    return level


def _union(sets: Iterable[set[str] | None]) -> set[str] | None:
    found: set[str] = set()
    for one in sets:
        if one is EVERYTHING:
            return EVERYTHING
        found |= one
    return found


__all__ = ["DATE", "DIRECTORY", "ENTRY", "FILES", "IDS", "REGISTRY", "Changes", "EntryCache", "depends_on",
           "finding_from", "finding_record"]
