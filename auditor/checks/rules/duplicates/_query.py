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
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable
from itertools import accumulate, compress, count
from typing import TYPE_CHECKING, Any

from auditor.checks.rules.duplicates._features import KEYS, NONE, DuplicateFeatures, FeatureMaker
from auditor.models import Entry

if TYPE_CHECKING:
    from auditor.checks.base import AuditContext
    from auditor.checks.digests import FeatureBlob
    from auditor.checks.rules.duplicates._index import KnownCounts

ROW = "\x1e"  # between the rows' texts of addresses, joined to be searched at once
Holders = dict[tuple[str, Any, Hashable], list[str]]  # (part, group, value) -> paths of the entries holding it


def targets_and_candidates(ctx: AuditContext) -> tuple[list[Entry], KnownCounts]:
    """The entries the index is made of (the targets and their candidates, read in full) and the counts."""
    others = ctx.others
    fresh = [(d.path, d.duplicates) for d in others.fresh.values() if d.duplicates is not None]
    assert ctx.load_entry is not None
    return index_entries(ctx, ctx.entries, others.table, others.skipped, fresh, ctx.load_entry)


def index_entries(ctx: AuditContext, targets: list[Entry], table: Any, left_out: set[int],
                  fresh: list[tuple[str, DuplicateFeatures]], load: Callable[[str], Entry]) -> tuple[
                      list[Entry], KnownCounts]:
    """The targets and their candidates among the other entries: the rows of the digest `table` but those
    `left_out`, and the `fresh` features of entries the table holds no row for (`load` reads one in full)."""
    settings = ctx.pack.get("duplicates") or {}
    maker = FeatureMaker(settings)
    first_few = int(settings.get("max_per_entry", 3))
    max_df = int((settings.get("blocking") or {}).get("max_df", 5))
    max_group = int((settings.get("url") or {}).get("max_group", 5))
    mine = [(entry.path, features) for entry in targets if (features := features_of(maker, entry)) is not None]
    wanted, urls = asked_for(features for _path, features in mine)
    holders: Holders = {}
    mine_paths = {path for path, _features in mine}
    _table_holdings(table, left_out, wanted, urls, holders, max(max_df, max_group))
    for path, features in [*((path, features) for path, features in fresh if path not in mine_paths), *mine]:
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
    loaded = [load(path) for path in sorted(candidates - mine_paths - {e.path for e in targets})]
    return [*targets, *loaded], known


def features_of(maker: FeatureMaker, entry: Entry) -> DuplicateFeatures | None:
    from auditor.checks.rules.duplicates._index import DuplicateIndex

    return maker.of(entry, entry.kind or DuplicateIndex.file_type(entry))


def asked_for(all_features: Iterable[DuplicateFeatures]) -> tuple[dict[tuple[str, Any], set[int]],
                                                                  dict[Any, set[str]]]:
    """(part, group) -> the features and values of these entries, and group -> their addresses."""
    wanted: dict[tuple[str, Any], set[int]] = {}
    urls: dict[Any, set[str]] = {}
    for features in all_features:
        group = features.group
        wanted.setdefault(("summary", group), set()).update(features.summary_features())
        wanted.setdefault(("body", group), set()).update(features.body_features())
        for name, value in zip(KEYS, array("Q", features.keys), strict=True):
            if value != NONE:
                wanted.setdefault((name, None if name == "exact" else group), set()).add(value)
        urls.setdefault(group, set()).update(features.urls)
    return wanted, urls


# More changed entries, or entries they touch, than this: the duplicate index is built over every entry.
AFFECTED_MAX = 400


def affected_by(ctx: AuditContext, changes: Any) -> set[str] | None:
    """The unchanged entries whose duplicate findings the changes can move (None: cannot tell, or too many).

    A pair is made on a feature (a summary's word run, a body line: rare in its group, held by at most `max_df`
    entries; an address held by at most `max_group`) or on an equal value (the text, summary, sampled lines, title
    or name: a later entry pairs with the first `max_per_entry` holders). A change can move the pairs and the
    counts of a feature the changed entry held before (its digest from the run the cache's findings come from) or
    holds now: every holder of such a feature rare before or after (only those after the first changed holder in
    the index's order when the same entries hold it before and after: a pair is reported on its later entry), and
    every holder of such a value after the changed entry when that was among the first holders, before or after."""
    digests = getattr(ctx, "digests", None)
    if changes.old is None or digests is None or not len(digests.table) or len(changes) > AFFECTED_MAX:
        return None
    settings = ctx.pack.get("duplicates") or {}
    maker = FeatureMaker(settings)
    first_few = int(settings.get("max_per_entry", 3))
    max_df = int((settings.get("blocking") or {}).get("max_df", 5))
    max_group = int((settings.get("url") or {}).get("max_group", 5))
    table, row_of = digests.table, digests.table.row_of
    changed = changes.paths
    new = {entry.path: features for entry in changes.entries if (features := features_of(maker, entry)) is not None}
    old = {path: row.duplicates for path, row in changes.old.items()
           if row is not None and row.duplicates is not None}
    fresh = [(entry.path, features) for entry in ctx.entries if entry.path not in row_of and entry.path not in changed
             and (features := features_of(maker, entry)) is not None]
    if len(fresh) > AFFECTED_MAX:
        return None
    wanted, urls = asked_for([*new.values(), *old.values()])
    now: Holders = {}  # holders as the directory is now
    _table_holdings(table, {row_of[path] for path in changed if path in row_of}, wanted, urls, now,
                    max(max_df, max_group) + len(changes))
    for path, features in [*fresh, *new.items()]:
        _holdings(path, features, wanted, urls, now)
    held_before: Holders = {}  # the changed entries' holdings before
    for path, features in old.items():
        _holdings(path, features, wanted, urls, held_before)
    touched: set[str] = set()
    for key in now.keys() | held_before.keys():
        part = key[0]
        after = now.get(key, [])
        before = [path for path in after if path not in changed] + held_before.get(key, [])
        order = {path: _order(path) for path in {*after, *before}}
        if part in ("summary", "body", "url"):
            limit = max_group if part == "url" else max_df
            if 2 <= len(after) <= limit or 2 <= len(before) <= limit or (part == "url" and (
                    len(after) <= limit or len(before) <= limit)):
                first = min((order[path] for path in after if path in changed), default=None)
                if first is not None and set(after) == set(before):  # the same holders: only pairs with a changed
                    touched.update(path for path in after if order[path] > first)  # one moved, on the later entry
                else:
                    touched.update(after)
            continue
        for holders in (after, before):
            ranked = sorted(holders, key=order.__getitem__)
            for rank, path in enumerate(ranked):
                if path in changed and (rank < first_few or part == "exact-same"):
                    touched.update(other for other in after if order[other] > order[path])
                    break
        if len(touched) > AFFECTED_MAX:
            return None
    return touched - changed if len(touched) <= AFFECTED_MAX else None


def candidates_in_audit(ctx: AuditContext, targets: list[Entry]) -> tuple[list[Entry], KnownCounts] | None:
    """For an audit that checks the duplicate rules on a few entries only (the rest reused from the entry cache):
    those entries and their candidates, found through the digests this run left (None: none usable)."""
    digests = getattr(ctx, "digests", None)
    if digests is None or not len(digests.table) or len(targets) > AFFECTED_MAX:
        return None
    maker = FeatureMaker(ctx.pack.get("duplicates") or {})
    row_of = digests.table.row_of
    mine = {entry.path for entry in targets}
    fresh = [(entry.path, features) for entry in ctx.entries if entry.path not in row_of and entry.path not in mine
             and (features := features_of(maker, entry)) is not None]
    if len(fresh) > AFFECTED_MAX:
        return None
    by_path = ctx.by_path
    return index_entries(ctx, targets, digests.table, {row_of[path] for path in mine if path in row_of}, fresh,
                         by_path.__getitem__)


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


def _table_holdings(table: Any, left_out: set[int], wanted: dict[tuple[str, Any], set[int]],
                    urls: dict[Any, set[str]], holders: Holders, enough: int) -> None:
    """`_holdings` for the rows of the digest table that stand for entries not read, a column at a time: equal
    values searched for in the packed keys, features and addresses found in each group's blob of them. A feature
    held by more than `enough` entries is common, whatever their number: its holders stop there."""
    from auditor.checks.digests import SEPARATOR

    bounds = {SEPARATOR, ROW}
    paths, readable, groups = table.column("path"), table.column("readable"), table.column("group")
    # Equal values are looked up in the packed keys, a row's `width` keys side by side.
    width = len(KEYS)
    found_keys = _positions(table.column("keys").tobytes(),
                            set().union(*(values for (part, _group), values in wanted.items() if part in KEYS)))
    for position, value in found_keys:
        number, index = divmod(position, width)
        name = KEYS[index]
        if number in left_out or not readable[number]:
            continue
        group = None if name == "exact" else groups[number]
        if value in wanted.get((name, group), ()):
            holders.setdefault((f"{name}-same", group, value), []).append(paths[number])
    for part in ("summary", "body"):
        blobs = table.column(part)
        for (asked_part, group), values in wanted.items():
            blob = blobs.get(group) if asked_part == part else None
            if blob is None or not values:
                continue
            held: dict[int, list[str]] = {}
            for position, value in _positions(_without(blob, left_out, values), values, enough + 1):
                found = held.setdefault(value, [])
                if len(found) <= enough:
                    found.append(paths[blob.rows[bisect_right(blob.starts, position) - 1]])
            for value, found in held.items():
                if found:
                    holders.setdefault((part, group, value), []).extend(found)
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


def _without(blob: FeatureBlob, left_out: set[int], values: set[int]) -> bytes | bytearray:
    """The blob's packed values with those of the `left_out` rows overwritten by a value not asked for: a search
    then stops at the first few holders of a value that count instead of reading past the rows left out (a
    hundred of them after an edit reach every common feature)."""
    places = [at for row in left_out
              if (at := bisect_left(blob.rows, row)) < len(blob.rows) and blob.rows[at] == row]
    if not places:
        return blob.data
    filler = next(value for value in count() if value not in values).to_bytes(8, "little")
    data = bytearray(blob.data)
    for at in places:
        start, end = blob.starts[at], blob.starts[at + 1]
        data[start * 8:end * 8] = filler * (end - start)
    return data


# Beyond this many values asked of one packed column, one pass over all of its values is cheaper than a search
# (`bytes.find`, at memchr speed) of the column for each.
SEARCHES_MAX = 48


def _positions(data: bytes | bytearray, values: set[int], limit: int | None = None) -> list[tuple[int, int]]:
    """(position, value) of the 64-bit values of the packed `data` that are one of `values`, in order: all of
    them, or the first `limit` of each value."""
    if len(values) <= SEARCHES_MAX:
        return sorted(_searched(data, values, limit))
    # One pass in C (map, compress): a Python loop over 3 million values costs a second.
    packed = array("Q", data)
    if limit is None:
        positions = list(compress(count(), map(values.__contains__, packed)))
        return list(zip(positions, map(packed.__getitem__, positions), strict=True))
    # A part at a time, a value no longer looked for once its first `limit` places are found: a few common
    # features (a heading every entry has) can fill most of the data, and their places would outnumber the rest.
    left, asked, found = dict.fromkeys(values, limit), values, []
    step = max(len(packed) // 16, 4096)
    for start in range(0, len(packed), step):
        part = packed[start:start + step]
        for position in compress(count(start), map(asked.__contains__, part)):
            value = packed[position]
            if left[value]:
                left[value] -= 1
                found.append((position, value))
        asked = {value for value in asked if left[value]}
        if not asked:
            break
    return found


def _searched(data: bytes | bytearray, values: set[int], limit: int | None) -> list[tuple[int, int]]:
    """`_positions` by a search of `data` for each value."""
    found = []
    for value in values:
        needle, seen = value.to_bytes(8, "little"), 0
        at = data.find(needle)
        while at >= 0 and (limit is None or seen < limit):
            if at % 8 == 0:  # a whole value, not the end of one and the start of the next
                found.append((at // 8, value))
                seen += 1
            at = data.find(needle, at + 1)
    return found


def _order(path: str) -> tuple[str, ...]:
    """The index's order of entries (`_index.order_key`), from the path alone."""
    return tuple((path[:-3] if path.endswith(".md") else path).split("/"))
