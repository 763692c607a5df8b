"""Where a check's time goes, measured in-process: loading, then each rule's prepare() and check().

    python bench/rule_times.py DIR [--as-of DATE] [--top N] [--json FILE]

Loads DIR the way `auditor check` does (offline: no registry, no web links), then runs the active
rules as `auditor.checks.engine.run_rules` does, timing every rule's `prepare()` (its work across
all entries) and its `check()` calls (summed over the entries). Prints the time per family and the
slowest rules, plus the duplicate rules' blocking figures (candidate pairs against all pairs).
CPU time (`time.process_time`), so another busy process on the machine inflates it less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from auditor.checks.base import AuditContext
from auditor.checks.engine import active_rules, fingerprint
from auditor.config import load_config
from auditor.pipeline import load_entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--top", type=int, default=12, help="how many of the slowest rules to list")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    clock = time.process_time
    start = clock()
    config = load_config(args.directory)
    config.settings["offline"] = True
    entries = load_entries(args.directory, config)
    loaded = clock() - start

    ctx = AuditContext.build(entries, config, dt.date.fromisoformat(args.as_of))
    ctx.targets = entries
    rules = active_rules(config)
    prepare: dict[str, float] = {}
    check: dict[str, float] = defaultdict(float)
    found: dict[str, int] = defaultdict(int)
    for rule in rules:
        began = clock()
        rule.prepare(ctx)
        prepare[rule.code] = clock() - began
    for entry in entries:
        for rule in rules:
            if rule.code in entry.ignore:
                continue
            began = clock()
            for finding in rule.check(entry, ctx):
                finding.fingerprint = fingerprint(finding)
                found[rule.code] += 1
            check[rule.code] += clock() - began
    total = {rule.code: prepare[rule.code] + check[rule.code] for rule in rules}

    families: dict[str, float] = defaultdict(float)
    for code, seconds in total.items():
        families["".join(ch for ch in code if ch.isalpha())] += seconds
    print(f"{len(entries)} entries from {args.directory}: loading {loaded:.2f} s CPU, "
          f"rules {sum(total.values()):.2f} s CPU ({len(rules)} rules)")
    print(f"{'family':<8} {'s CPU':>7}")
    for family, seconds in sorted(families.items(), key=lambda item: -item[1]):
        print(f"{family:<8} {seconds:>7.2f}")
    print(f"\n{'rule':<8} {'prepare s':>10} {'check s':>8} {'findings':>9}")
    for code in sorted(total, key=lambda c: -total[c])[: args.top]:
        print(f"{code:<8} {prepare[code]:>10.2f} {check[code]:>8.2f} {found[code]:>9}")

    index = getattr(ctx, "_duplicate_index", None)
    blocking = dict(index.stats) if index is not None else {}
    if blocking:
        pairs = len(entries) * (len(entries) - 1) // 2
        print(f"\nduplicates: {blocking} (all pairs: {pairs})")
    if args.json:
        args.json.write_text(json.dumps({
            "entries": len(entries), "load_s": round(loaded, 3),
            "families_s": {k: round(v, 3) for k, v in families.items()},
            "rules": {code: {"prepare_s": round(prepare[code], 3), "check_s": round(check[code], 3),
                             "findings": found[code]} for code in total},
            "duplicates": blocking,
        }, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
