"""The duplicate index for a few entries judged against the digests of all the others (`check` of a few files):
which other entries could pair with them, read in full, and the directory-wide counts the pairing needs.

An index of the targets and these candidates finds the same pairs for the targets as the index of every entry:
- a pair made on rare shared features (summary shingles, body lines) needs a feature the target holds that at
  most `max_df` entries of its group hold: every holder of such a feature is a candidate, and the index is told
  how many entries hold each of the target's features (`known`), since it holds only a few of them;
- a pair made on equal values (the same text, summary, body lines, title or name) pairs a later entry with the
  first `max_per_entry` entries holding it (the first one for the whole text): those are candidates;
- a shared URL pairs with the first of at most `max_group` holders: all of them are candidates.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Hashable
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from auditor.checks.rules.duplicates._features import KEYS, NONE, DuplicateFeatures, FeatureMaker
from auditor.models import Entry

if TYPE_CHECKING:
    from auditor.checks.base import AuditContext
    from auditor.checks.rules.duplicates._index import KnownCounts

ROW = "\x1e"  # between the rows' texts of addresses, joined to be searched at once
Holders = dict[tuple[str, Any, Hashable], list[str]]  # (part, group, value) -> paths of the entries holding it


def targets_and_candidates(ctx: AuditContext) -> tuple[list[Entry], KnownCounts]:
    """The entries the index is made of (the targets and their candidates, read in full) and the counts."""
    from auditor.checks.rules.duplicates._index import DuplicateIndex

    settings = ctx.pack.get("duplicates") or {}
    maker = FeatureMaker(settings)
    first_few = int(settings.get("max_per_entry", 3))
    max_df = int((settings.get("blocking") or {}).get("max_df", 5))
    max_group = int((settings.get("url") or {}).get("max_group", 5))
    mine: list[tuple[str, DuplicateFeatures]] = []
    for entry in ctx.entries:
        features = maker.of(entry, entry.kind or DuplicateIndex.file_type(entry))
        if features is not None:
            mine.append((entry.path, features))
    wanted: dict[tuple[str, Any], set[int]] = {}  # (part, group) -> the targets' features, or values
    urls: dict[Any, set[str]] = {}
    for _path, features in mine:
        group = features.group
        wanted.setdefault(("summary", group), set()).update(features.summary_features())
        wanted.setdefault(("body", group), set()).update(features.body_features())
        for name, value in zip(KEYS, array("Q", features.keys), strict=True):
            if value != NONE:
                wanted.setdefault((name, None if name == "exact" else group), set()).add(value)
        urls.setdefault(group, set()).update(features.urls)
    holders: Holders = {}
    mine_paths = {path for path, _features in mine}
    _table_holdings(ctx.others, wanted, urls, holders, max(max_df, max_group))
    for path, features in [*((d.path, d.duplicates) for d in ctx.others.fresh.values()
                             if d.duplicates is not None and d.path not in mine_paths), *mine]:
        _holdings(path, features, wanted, urls, holders)
    known: KnownCounts = {}
    candidates: set[str] = set()
    for (part, group, value), held in holders.items():
        if part in ("summary", "body", "url"):
            known.setdefault((part, group), {})[value] = len(held)
            if (part != "url" and 2 <= len(held) <= max_df) or (part == "url" and len(held) <= max_group):
                candidates.update(held)
        else:  # equal values: a later entry pairs with the first entries holding it
            first = sorted(held, key=_order)[: 1 if part == "exact-same" else first_few]
            candidates.update(first)
    loaded = [ctx.load_entry(path) for path in sorted(candidates - mine_paths - {e.path for e in ctx.entries})]
    return [*ctx.entries, *loaded], known


def _holdings(path: str, features: DuplicateFeatures, wanted: dict[tuple[str, Any], set[int]],
              urls: dict[Any, set[str]], holders: Holders) -> None:
    """Note which of the targets' features and values one entry holds."""
    group = features.group
    for part, values in (("summary", features.summary), ("body", features.body)):
        asked = wanted.get((part, group))
        if asked and values:
            for value in asked.intersection(array("Q", values)):
                holders.setdefault((part, group, value), []).append(path)
    for name, value in zip(KEYS, array("Q", features.keys), strict=True):
        key = None if name == "exact" else group
        asked = wanted.get((name, key))
        if asked and value in asked:
            holders.setdefault((f"{name}-same", key, value), []).append(path)
    asked_urls = urls.get(group)
    if asked_urls and features.urls:
        for address in asked_urls.intersection(features.urls):
            holders.setdefault(("url", group, address), []).append(path)


def _table_holdings(others: Any, wanted: dict[tuple[str, Any], set[int]], urls: dict[Any, set[str]],
                    holders: Holders, enough: int) -> None:
    """`_holdings` for the rows of the digest table that stand for entries not read, a column at a time: equal
    values searched for in the packed keys, features and addresses found in each group's blob of them. A feature
    held by more than `enough` entries is common, whatever their number: its holders stop there."""
    from auditor.checks.digests import SEPARATOR

    bounds = {SEPARATOR, ROW}
    table = others.table
    paths, readable, groups = table.column("path"), table.column("readable"), table.column("group")
    left_out = others.skipped  # the targets' rows among them
    # Equal values are searched for in the packed keys' bytes (memchr speed; array.index boxes every item).
    packed, width = table.column("keys").tobytes(), len(KEYS)
    for index, name in enumerate(KEYS):
        for (part, group), values in wanted.items():
            if part != name:
                continue
            for value in values:
                needle = value.to_bytes(8, "little")
                at = packed.find(needle)
                while at >= 0:
                    if at % 8 == 0 and (at // 8) % width == index:  # that key of a row, not bytes across two
                        number = at // 8 // width
                        if number not in left_out and readable[number] and (name == "exact"
                                                                            or groups[number] == group):
                            holders.setdefault((f"{name}-same", group, value), []).append(paths[number])
                    at = packed.find(needle, at + 1)
    for part in ("summary", "body"):
        blobs = table.column(part)
        for (asked_part, group), values in wanted.items():
            blob = blobs.get(group) if asked_part == part else None
            if blob is None:
                continue
            for value in values:
                needle, held = value.to_bytes(8, "little"), []
                at = blob.data.find(needle)
                while at >= 0 and len(held) <= enough:
                    if at % 8 == 0:  # a whole value, not the end of one and the start of the next
                        number = blob.rows[bisect_right(blob.starts, at // 8) - 1]
                        if number not in left_out:
                            held.append(paths[number])
                    at = blob.data.find(needle, at + 1)
                if held:
                    holders.setdefault((part, group, value), []).extend(held)
    texts = table.column("urls")
    asked_all = set().union(*urls.values()) if urls else set()
    if not asked_all:
        return
    # Every row's addresses in one text, rows apart by ROW: each asked address is found where it stands whole.
    joined = ROW.join(texts)
    found: dict[int, set[str]] = {}  # row -> addresses it holds (the asked ones; all of them row by row)
    if joined.count(ROW) != len(texts) - 1:  # an address holding ROW itself: each row's own addresses
        found = {number: set(text.split(SEPARATOR)) for number, text in enumerate(texts) if text}
    else:
        starts = [0, *accumulate(len(text) + 1 for text in texts)]
        for address in asked_all:
            at = joined.find(address)
            while at >= 0:
                end = at + len(address)
                if (at == 0 or joined[at - 1] in bounds) and (end == len(joined) or joined[end] in bounds):
                    found.setdefault(bisect_right(starts, at) - 1, set()).add(address)
                at = joined.find(address, at + 1)
    for number in sorted(found):
        asked_urls = urls.get(groups[number])
        if number in left_out or not asked_urls:
            continue
        for address in asked_urls.intersection(found[number]):
            holders.setdefault(("url", groups[number], address), []).append(paths[number])


def _order(path: str) -> tuple[str, ...]:
    """The index's order of entries (`_index.order_key`), from the path alone."""
    return tuple((path[:-3] if path.endswith(".md") else path).split("/"))
