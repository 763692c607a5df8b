"""Time the claim and statistics rules (STL002-STL008) on one generated entry of 1, 4 and 16 MB.

    .venv/bin/python bench/large_entry.py                 # 1, 4 and 16 MB
    .venv/bin/python bench/large_entry.py --mb 0.4 1      # other sizes
    .venv/bin/python bench/large_entry.py --shape lines   # one paragraph (default), short paragraphs, one line

The entry is read the way the auditor reads it (front matter, body lines) with `max_entry_bytes` lifted, then
each rule's `check` runs in this process; CPU seconds per rule and the peak memory are printed. The body is one
long paragraph of sentences holding statistics, dates and source words (the shape that was quadratic), the
same sentences split into paragraphs of five lines (`lines`), or all on one line (`line`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import time
from pathlib import Path

from auditor.checks.base import AuditContext
from auditor.checks.engine import all_rules
from auditor.config import load_config
from auditor.sources.markdown import read_entry

CODES = ("STL002", "STL003", "STL004", "STL005", "STL006", "STL007", "STL008")
SENTENCES = (
    "Adoption grew {p}% between 2015 and 2017 across {n:,} teams.",
    "The tool handles {n:,} requests per second, {m}x faster than before.",
    "Teams report saving ${n:,} a year on average.",
    "Support for the old API ends in Q{q} 2019.",
    "As of {y}, the project is maintained by a small team.",
    "It was written to make reviews quicker and clearer for everyone.",
    "According to the {y} survey, {p}% of users run it daily.",
)


def body(size: int, shape: str, seed: int = 1) -> str:
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    count = 0
    while total < size:
        sentence = rng.choice(SENTENCES).format(p=rng.randint(2, 98), n=rng.randint(1200, 90000),
                                                m=rng.randint(2, 9), q=rng.randint(1, 4), y=rng.randint(2012, 2020))
        count += 1
        end = " " if shape == "line" else "\n\n" if shape == "lines" and count % 5 == 0 else "\n"
        parts.append(sentence + end)
        total += len(sentence) + len(end)
    return "".join(parts)


def entry_text(size: int, shape: str) -> str:
    front = ("---\nkind: skill\ntitle: A large entry\nsummary: Generated to time the claim rules.\n"
             "updated: 2026-10-01\nreviewed: 2026-10-01\nowner: bench\n---\n## Use cases\n")
    return front + body(size, shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[1, 4, 16])
    parser.add_argument("--shape", choices=("paragraph", "lines", "line"), default="paragraph")
    args = parser.parse_args()
    config = load_config(Path(__file__).resolve().parent.parent / "examples" / "directory")
    rules = [rule() for rule in all_rules() if rule.code in CODES]
    print(f"{'MB':>5} {'lines':>8} " + " ".join(f"{code:>7}" for code in CODES) + f" {'total s':>8} {'peak MB':>8}")
    for mb in args.mb:
        raw = entry_text(int(mb * 1_000_000), args.shape).encode()
        entry = read_entry(raw, "large", "skills/large.md", config.kinds)
        ctx = AuditContext(as_of=dt.date(2026, 12, 1), config=config, entries=[entry])
        for rule in rules:
            rule.prepare(ctx)
        times = {}
        for rule in rules:
            started = time.process_time()
            list(rule.check(entry, ctx))
            times[rule.code] = time.process_time() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{mb:>5g} {len(entry.body_lines):>8,} " + " ".join(f"{times[c]:>7.2f}" for c in CODES)
              + f" {sum(times.values()):>8.2f} {peak:>8.0f}", flush=True)


if __name__ == "__main__":
    main()
