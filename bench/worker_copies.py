"""What a forked check worker copies of the heap it inherits, per rule (issue 19's tree memory).

    python bench/worker_copies.py DIR [--each] [--as-of DATE]

Loads DIR in-process, prepares every rule that the workers check (not the duplicate rules, which the main process
checks), freezes the heap as auditor/checks/engine.py does, then forks one child per group of rules: each checks half
of the entries (every other 250-entry batch, as a worker of two does) and reports how much its private memory
(Private_Clean + Private_Dirty in /proc/self/smaps_rollup) grew: pages it copied by touching inherited objects (a
reference count written is a page copied) and pages it allocated. Groups: `none` (the loop alone), `all`, and with
--each every rule alone. Memory figures do not depend on other load on the machine; the CPU seconds do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import time
from pathlib import Path

from auditor.checks import engine
from auditor.checks.base import AuditContext, Rule
from auditor.checks.inferred import infer_into
from auditor.config import load_config
from auditor.entry_dates import date_entries
from auditor.models import Entry
from auditor.pipeline import load_entries


def private_mb() -> float:
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0])
    return (fields["Private_Clean"] + fields["Private_Dirty"]) / 1024


def copied_by(entries: list[Entry], rules: list[Rule], ctx: AuditContext) -> tuple[float, float]:
    """(MB of private memory a forked child gained checking `entries`, its CPU seconds)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: check, report through the pipe, leave without the interpreter's teardown
        os.close(read)
        before, started = private_mb(), time.process_time()
        engine._check_slice(entries, rules, ctx)
        os.write(write, json.dumps([private_mb() - before, time.process_time() - started]).encode())
        os._exit(0)
    os.close(write)
    data = b""
    while chunk := os.read(read, 4096):
        data += chunk
    os.close(read)
    os.waitpid(pid, 0)
    grown, seconds = json.loads(data)
    return grown, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--each", action="store_true", help="also every rule alone")
    parser.add_argument("--as-of", default="2026-11-28")
    args = parser.parse_args()
    config = load_config(args.directory)
    config.settings["offline"] = True
    entries = load_entries(args.directory, config)
    infer_into(config, entries)
    date_entries(entries, args.directory, config, every=entries)
    ctx = AuditContext.build(entries, config, dt.date.fromisoformat(args.as_of))
    ctx.targets, ctx.root = entries, args.directory
    rules = [rule for rule in engine.active_rules(config) if not rule.prepare_alongside]
    for rule in rules:
        rule.prepare(ctx)
    print(f"{len(entries)} entries loaded and {len(rules)} rules prepared: main process {private_mb():.0f} MB private")
    gc.freeze()
    batch = 250
    half = [entry for start in range(0, len(entries), 2 * batch) for entry in entries[start:start + batch]]
    groups = [("none", []), ("all", rules)] + ([(rule.code, [rule]) for rule in rules] if args.each else [])
    print(f"{'rules':8} {'copied MB':>10} {'CPU s':>7}")
    for name, group in groups:
        grown, seconds = copied_by(half, group, ctx)
        print(f"{name:8} {grown:10.0f} {seconds:7.1f}")


if __name__ == "__main__":
    main()
