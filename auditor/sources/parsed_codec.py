"""How a shard of the parsed-entry cache (auditor/sources/parsed_cache.py) is written: entries as tuples of plain
values in `marshal`'s format, which Python reads back about three times as fast as it unpickles the same entries (at
50 000 entries, 0.4 s to read the values and 0.4 s to make the entries again, against 1.2-1.9 s of `pickle.loads`:
most of what the re-audit of an unchanged directory spends loading). A shard holding a value marshal cannot write
(a front-matter value of a type of its own, a subclass of `str` or `dict`) is pickled instead, whole.

An entry's body lines and sections are written as one marshalled value of their own (`models.pack_body`) and read
back as those bytes, unpacked when something first reads them (`Entry.packed_body`): reading a shard makes a few
objects an entry instead of one a line, and a re-audit that reuses every finding unpacks none.

The payload's first byte says which: `M` (marshal) or `P` (pickle). Both are only ever read after the shard's
signature matched (a marshal or pickle stream from anyone else is never decoded)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import marshal
import pickle
from itertools import starmap
from typing import Any

from auditor.heap import collector_paused
from auditor.models import Entry, LoadProblem, Reference, pack_body

MARSHAL, PICKLE = b"M", b"P"
_FIELDS = tuple(f.name for f in dataclasses.fields(Entry))  # Entry's positional order
_SECTIONS, _PROBLEMS, _REFS = _FIELDS.index("sections"), _FIELDS.index("problems"), _FIELDS.index("refs")
_BODY, _PACKED = _FIELDS.index("body_lines"), _FIELDS.index("packed_body")
_BODY_PARTS = frozenset({_BODY, _SECTIONS})
_DATES = tuple(_FIELDS.index(name) for name in ("updated", "reviewed", "published", "last_changed"))
_PROBLEM_FIELDS = tuple(f.name for f in dataclasses.fields(LoadProblem))
_REFERENCE_FIELDS = tuple(f.name for f in dataclasses.fields(Reference))
# A shard: {path: (size, mtime_ns, entry)}
Shard = dict[str, tuple[int, int, Entry]]


class _NotPlain(ValueError):
    """An entry holds something the tuples cannot say exactly (a date of a subclass of `date`)."""


def _pack(entry: Entry) -> tuple[Any, ...]:
    packed = entry.packed_body  # a body never unpacked is written as it was read
    values = [None if packed is not None and index in _BODY_PARTS else getattr(entry, name)
              for index, name in enumerate(_FIELDS)]
    values[_BODY] = packed if packed is not None else pack_body(entry.body_lines, entry.sections)
    values[_SECTIONS] = values[_PACKED] = None
    values[_PROBLEMS] = tuple(tuple(getattr(p, name) for name in _PROBLEM_FIELDS) for p in entry.problems)
    values[_REFS] = tuple(tuple(getattr(r, name) for name in _REFERENCE_FIELDS) for r in entry.refs)
    for index in _DATES:
        day = values[index]
        if day is not None:
            if type(day) is not dt.date:
                raise _NotPlain("a date of another type")
            values[index] = day.toordinal()
    return tuple(values)


def _unpack(values: tuple[Any, ...]) -> Entry:
    fields = list(values)
    fields[_PACKED], fields[_BODY] = fields[_BODY], None  # unpacked when read (Entry.__getattr__)
    fields[_PROBLEMS] = list(starmap(LoadProblem, fields[_PROBLEMS]))
    fields[_REFS] = list(starmap(Reference, fields[_REFS]))
    for index in _DATES:
        if fields[index] is not None:
            fields[index] = dt.date.fromordinal(fields[index])
    entry = Entry(*fields)
    del entry.body_lines, entry.sections  # not set: the first reading unpacks them
    return entry


def encode_shard(shard: Shard) -> bytes:
    """The payload of a shard file (see the module's docstring)."""
    with collector_paused():
        try:
            return MARSHAL + marshal.dumps({rel: (size, mtime, _pack(entry))
                                            for rel, (size, mtime, entry) in shard.items()})
        except ValueError:  # marshal's "unmarshallable object", or _NotPlain
            return PICKLE + pickle.dumps(shard, protocol=pickle.HIGHEST_PROTOCOL)


def decode_shard(payload: memoryview) -> Shard | None:
    """The shard `encode_shard` wrote into this (signed) payload; None when it cannot be read back."""
    try:
        with collector_paused():  # many small objects and no cycles: no collection walking them as they come
            if payload[:1] == MARSHAL:
                return {rel: (size, mtime, _unpack(values))
                        for rel, (size, mtime, values) in marshal.loads(payload[1:]).items()}
            if payload[:1] == PICKLE:
                shard = pickle.loads(payload[1:])  # noqa: S301 - signed by this user's key (read_signed_bytes)
                return shard if isinstance(shard, dict) else None
    except (ValueError, TypeError, EOFError, IndexError, AttributeError, ImportError, pickle.UnpicklingError):
        return None
    return None


__all__ = ["decode_shard", "encode_shard"]
