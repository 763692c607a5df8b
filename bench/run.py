"""Benchmark a full offline audit of a synthetic directory through the real CLI.

    python bench/run.py N [--keep] [--seed S] [--as-of DATE] [--json FILE] [--strict]

Generates N entries (bench/generate.py) into a temporary directory, gives it a git history (bench/git_history.py:
one commit per batch of entries, `git_dates = "prefer"` so the audit dates every entry from it), then runs, each as
a child process of the venv's `auditor`, with the default SQLite store under DIR/.auditor/:

  1. audit       `auditor audit DIR --as-of DATE`              (empty store: every ticket is opened)
  2. re-audit    the same command again                         (tickets exist: the steady weekly run)
  3. check       `auditor check DIR --as-of DATE --format json` (nothing stored; CI's command)
  4. check-one   the same on one entry file, as CI runs it on a change (still reads the whole directory)
  then 10 entries are changed (a sentence added to each, bench/run.py's edit_entries), and:
  5. audit-10    the audit again: the entry cache (.auditor/entry-cache.bin) reuses the other entries' findings
  6. check-10    `check` of one of the changed files
  7. git-dates   the git dating pass alone (auditor/entry_dates.py on the loaded entries), for what it costs
Steps 2-4 run with the cache the first audit wrote (nothing changed: every entry's findings are reused but the
ones that are never cached, web links and registries); `--no-cache` runs every step without it.

For each it measures wall time, the peak RSS of the largest process (os.wait4's rusage: the child or one of its
forked workers), and the peak PSS of the whole process tree (the child and its workers summed, shared pages
counted once, sampled every 0.2 s from /proc/<pid>/smaps_rollup): the memory the run really needs,
prints a table, and compares what the auditor found with the problems the generator planted:
every planted problem whose rule exists in this tree (`auditor rules list`) must be found with
that rule; an entry nothing was planted in must have no finding at warning or above, and no info
finding from a rule the generator plants for. Info findings from other rules (CAP008 "unverified"
on every MCP server when offline, for one) are counted as "other findings" and do not fail it.
Exits 1 when a step fails (audit exit code other than 0, check other than 0/1, or output that
does not add up to N entries); with --strict also when the findings do not match the plant.
The temporary directory is removed afterwards unless --keep is given or a step failed.
With --from DIR the directory is a copy of DIR, made before by `generate.py N DIR --seed S` and
`git_history.py commit DIR` (the same files and history a run would generate): at 200 000 entries
generating takes minutes that can be spent while the machine is busy with something else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
AUDITOR = PROJECT / ".venv" / "bin" / "auditor"
PYTHON = PROJECT / ".venv" / "bin" / "python"
TARGET_SECONDS = 60.0
TARGET_RSS_MB = 1536.0  # issue 3: 50,000 entries in under 60 s and 1.5 GB


@dataclass
class Step:
    name: str
    command: list[str]
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # user + system of the child and the workers it waited for
    system_seconds: float = 0.0  # the system part of it (page faults, file reads)
    peak_rss_mb: float = 0.0
    peak_tree_pss_mb: float = 0.0
    exit_code: int | None = None
    note: str = ""
    ok: bool = False


def _tree(pid: int) -> list[int]:
    """The process `pid` and all its descendants (forked check workers), from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after its last ")"
            text = stat.read_text()
            children.setdefault(int(text[text.rindex(")") + 2:].split()[1]), []).append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):  # gone between the listing and the read
            pass
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def tree_pss_kib(pid: int) -> int:
    """The proportional set size of the process tree under `pid`: each shared page counted once over all of them,
    so forked workers that share the parent's pages add only what they copied (smaps_rollup's Pss line)."""
    total = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except (OSError, ValueError):  # gone between the listing and the read
            pass
    return total


class TreeSampler(threading.Thread):
    """Samples the tree's PSS every `interval` seconds while the child runs and keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kib = max(self.peak_kib, tree_pss_kib(self.pid))
            self.done.wait(self.interval)


def run_child(step: Step, log_dir: Path, timeout: float) -> str:
    """Run one command, timing it, reading the largest process's peak RSS from wait4 and sampling the peak PSS of
    its whole process tree (itself and its forked workers) from /proc; returns its stdout."""
    out_path = log_dir / f"{step.name}.stdout"
    err_path = log_dir / f"{step.name}.stderr"
    # The default SQLite store, always; bytecode kept, as an installed tool's is (pip compiles it at install).
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_DB", "PYTHONDONTWRITEBYTECODE")}
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(step.command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                cwd=PROJECT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        sampler = TreeSampler(proc.pid)
        sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            sampler.done.set()
            sampler.join()
        step.seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not try to reap it again
    step.exit_code = proc.returncode
    step.cpu_seconds = usage.ru_utime + usage.ru_stime  # wait4: the child's, with its waited-for workers'
    step.system_seconds = usage.ru_stime
    step.peak_rss_mb = usage.ru_maxrss / 1024  # KiB on Linux: the largest process of the tree
    step.peak_tree_pss_mb = sampler.peak_kib / 1024
    return out_path.read_text(encoding="utf-8", errors="replace")


def edit_entries(directory: Path, count: int = 10) -> list[Path]:
    """Change `count` entries spread over the directory (a sentence added to each), as a week of editing does."""
    files = sorted(p for p in directory.rglob("*.md") if not any(part.startswith(".")  # not .auditor's reports
                                                                 for part in p.relative_to(directory).parts))
    chosen = files[:: max(len(files) // count, 1)][:count]
    for path in chosen:
        path.write_text(path.read_text(encoding="utf-8") + "\nEdited for the benchmark: one more sentence.\n",
                        encoding="utf-8")
    return chosen


def warm_memory(megabytes: int) -> None:
    """Touch `megabytes` of memory in a child process that then exits, so that the host backs that much of the
    machine's memory before a step is measured."""
    subprocess.run([str(PYTHON), "-c", "import sys\nb = bytearray(int(sys.argv[1]) << 20)\n"
                    "for i in range(0, len(b), 4096): b[i] = 1", str(megabytes)], check=True)


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def parse_audit(stdout: str) -> dict[str, int]:
    """The figures of the audit's text summary (entries, findings, ticket counts)."""
    found: dict[str, int] = {}
    if m := re.search(r"Audited .*?: (\d+) entries", stdout):
        found["entries"] = int(m.group(1))
    if m := re.search(r"Findings: (\d+) in (\d+) entries", stdout):
        found["findings"], found["entries_with_findings"] = int(m.group(1)), int(m.group(2))
    if m := re.search(r"Tickets: (\d+) opened . (\d+) updated . (\d+) resolved . (\d+) reopened", stdout):
        found.update(zip(("opened", "updated", "resolved", "reopened"), map(int, m.groups()), strict=True))
    return found


def rule_codes() -> set[str]:
    """The rule codes this tree has (`auditor rules list`): planted problems for other rules are not required."""
    listing = subprocess.run([str(AUDITOR), "rules", "list"], capture_output=True, text=True, cwd=PROJECT).stdout
    return set(re.findall(r"^([A-Z]{2,3}\d{3})\b", listing, re.MULTILINE))


def compare_with_plant(findings: list[dict], directory: Path, manifest: dict,
                       codes: set[str] | None = None) -> dict[str, object]:
    """Planted problems found and missed; unexpected findings on entries nothing was planted in; other findings.

    A planted problem counts only when its rule exists (`codes`; None: every rule). On an entry nothing
    was planted in, a finding is unexpected when it is at warning or above, or when it is an info finding
    of a rule the generator plants for (XRF003); other info findings are counted by code, not failed.
    """
    required = [p for p in manifest["planted"] if codes is None or p["expected_code"] in codes]
    skipped = Counter(p["expected_code"] for p in manifest["planted"] if codes is not None
                      and p["expected_code"] not in codes)
    planted = {p["path"] for p in manifest["planted"]}
    planted_codes = {p["expected_code"] for p in manifest["planted"]}
    found: dict[str, list[str]] = {}
    unexpected: list[str] = []
    other: Counter[str] = Counter()
    for f in findings:
        rel = Path(os.path.relpath(Path(PROJECT, f["path"]).resolve(), directory.resolve())).as_posix()
        found.setdefault(rel, []).append(f["code"])
        if rel in planted:
            continue
        if f["severity"] != "info" or f["code"] in planted_codes:
            unexpected.append(f"{rel} {f['code']}")
        else:
            other[f["code"]] += 1
    missed = [p["path"] for p in required if p["expected_code"] not in found.get(p["path"], [])]
    return {"planted": len(required), "found": len(required) - len(missed), "missed": missed,
            "not_required": dict(sorted(skipped.items())),
            "unplanted_entries": sorted({item.split(" ")[0] for item in unexpected}), "unexpected": unexpected,
            "other_findings": dict(other.most_common()), "findings": len(findings)}


def machine() -> dict[str, str]:
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    version = subprocess.run([str(PYTHON), "-c", "import platform; print(platform.python_version())"],
                             capture_output=True, text=True).stdout.strip()
    return {"nproc": str(os.cpu_count()), "memory": mem, "cpu": cpu, "python": version,
            "os": f"{platform.system()} {platform.release()}"}


STEPS = ("audit", "re-audit", "check", "check-one", "audit-10", "check-10", "git-dates")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="how many entries to generate")
    parser.add_argument("--keep", action="store_true", help="keep the generated directory, store and logs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-11-28", help="the audit date (default 2026-11-28)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a step is killed")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--strict", action="store_true", help="fail when the findings do not match the plant")
    parser.add_argument("--no-cache", action="store_true", help="run every step without the entry cache")
    parser.add_argument("--from", dest="prepared", type=Path,
                        help="copy this directory (made by generate.py N DIR --seed S, then git_history.py commit DIR) "
                             "instead of generating one: a scaling run at 200 000 entries then spends its time on "
                             "the audit")
    parser.add_argument("--warm-memory", type=int, default=0, metavar="MB",
                        help="before each step, touch this many MB in a child process that then exits (on a virtual "
                             "machine whose host backs memory lazily, a step's first touch of memory costs several "
                             "times a later one; see bench/README.md)")
    parser.add_argument("--steps", default=",".join(STEPS),
                        help=f"the steps to run, comma-separated, in their order (default all: {','.join(STEPS)}); "
                             "`--steps audit` for a scaling run")
    args = parser.parse_args(argv)
    if not AUDITOR.exists():
        print(f"error: {AUDITOR} not found: run `make setup` first", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix=f"auditor-bench-{args.n}-"))
    directory, logs = work / "directory", work / "logs"
    logs.mkdir()
    failed = False
    try:
        gen = Step("generate", [str(PYTHON), str(HERE / "generate.py"), str(args.n), str(directory),
                                "--seed", str(args.seed)])
        if args.prepared is not None:  # generated before (its history with it): copied as it is
            gen = Step("copy", ["cp", "-a", str(args.prepared), str(directory)])
        run_child(gen, logs, args.timeout)
        gen.ok = gen.exit_code == 0
        if not gen.ok:
            print(f"generate failed (exit {gen.exit_code}):\n{tail(logs / 'generate.stderr')}", file=sys.stderr)
            return 1
        manifest = json.loads((directory / "bench-manifest.json").read_text(encoding="utf-8"))
        gen.note = f"{manifest['bytes'] / 1e6:.1f} MB, {manifest['planted_count']} planted"
        # A git history (one commit per batch of entries) that the audit dates every entry from.
        history = Step("history", [str(PYTHON), str(HERE / "git_history.py"), "commit", str(directory)])
        if args.prepared is not None:
            history = Step("history", ["git", "-C", str(directory), "rev-list", "--count", "HEAD"])
        history.note = run_child(history, logs, args.timeout).strip()
        history.ok = history.exit_code == 0
        if not history.ok:
            print(f"history failed (exit {history.exit_code}):\n{tail(logs / 'history.stderr')}", file=sys.stderr)
            return 1

        # --offline: the synthetic packages and links must never be looked up on the real registries or web.
        audit_cmd = [str(AUDITOR), "audit", str(directory), "--as-of", args.as_of, "--offline",
                     *(["--no-cache"] if args.no_cache else [])]
        one = directory / manifest["planted"][0]["path"] if manifest["planted"] else next(directory.rglob("*.md"))
        check_cmd = [str(AUDITOR), "check", "--as-of", args.as_of, "--format", "json", "--offline",
                     *(["--no-cache"] if args.no_cache else [])]
        steps = [Step("audit", audit_cmd), Step("re-audit", audit_cmd),
                 Step("check", [*check_cmd, str(directory)]), Step("check-one", [*check_cmd, str(one)]),
                 Step("audit-10", audit_cmd), Step("check-10", [*check_cmd])]
        chosen = {name.strip() for name in args.steps.split(",")}
        steps = [step for step in steps if step.name in chosen]
        comparison: dict[str, object] = {}
        edited: list[Path] = []
        for step in steps:
            if step.name == "audit-10" or (step.name == "check-10" and not edited):
                edited = edit_entries(directory)
            if step.name == "check-10":
                step.command.append(str(edited[0]))
            if args.warm_memory:
                warm_memory(args.warm_memory)
            stdout = run_child(step, logs, args.timeout)
            if step.name in ("audit", "re-audit", "audit-10"):
                figures = parse_audit(stdout)
                step.ok = step.exit_code == 0 and figures.get("entries") == args.n
                if step.ok:
                    step.note = (f"{figures.get('findings')} findings; tickets +{figures.get('opened')} "
                                 f"~{figures.get('updated')} -{figures.get('resolved')}")
            else:
                try:
                    document = json.loads(stdout)
                    entries = document["summary"]["entries"]
                except (ValueError, KeyError, TypeError):
                    document, entries = None, None
                expected = args.n if step.name == "check" else 1
                step.ok = step.exit_code in (0, 1) and entries == expected
                if document is not None and step.name in ("check-one", "check-10"):
                    named = one if step.name == "check-one" else edited[0]
                    step.note = f"1 file ({named.relative_to(directory)}), {len(document['findings'])} findings"
                elif document is not None:
                    comparison = compare_with_plant(document["findings"], directory, manifest, rule_codes())
                    step.note = (f"{comparison['findings']} findings; planted found "
                                 f"{comparison['found']}/{comparison['planted']}")
            if not step.ok:
                failed = True
                print(f"{step.name} failed (exit {step.exit_code}); stderr ends:\n"
                      f"{tail(logs / (step.name + '.stderr'))}\nstdout ends:\n"
                      f"{tail(logs / (step.name + '.stdout'), 10)}", file=sys.stderr)
                break
        dating = Step("git-dates", [str(PYTHON), str(HERE / "git_history.py"), "time", str(directory)])
        if "git-dates" in chosen:
            dating.note = run_child(dating, logs, args.timeout).strip()  # the git pass alone, outside the audit
            dating.ok = dating.exit_code == 0
        db = directory / ".auditor" / "auditor.db"
        db_mb = db.stat().st_size / 1e6 if db.exists() else 0.0

        print(f"\nauditor bench: N={args.n}, seed {args.seed}, as of {args.as_of}, "
              f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}; store {db_mb:.1f} MB")
        print(f"{'step':<10} {'wall s':>8} {'CPU s':>8} {'sys s':>7} {'peak RSS MB':>12} {'tree PSS MB':>12} "
              f"{'exit':>5}  notes")
        for step in [gen, history, *steps, dating]:
            if step.exit_code is None:
                continue
            print(f"{step.name:<10} {step.seconds:>8.2f} {step.cpu_seconds:>8.2f} {step.system_seconds:>7.2f} "
                  f"{step.peak_rss_mb:>12.0f} {step.peak_tree_pss_mb:>12.0f} {step.exit_code:>5}  {step.note}")
            if step.name == "audit" and step.ok:
                print(f"{'':<10} per entry: {1e3 * step.seconds / args.n:.2f} ms wall, "
                      f"{1e3 * step.cpu_seconds / args.n:.2f} ms CPU "
                      f"({1e3 * (step.cpu_seconds - step.system_seconds) / args.n:.2f} ms user)")
        for step in steps:  # the first (full) audit, and the check of every entry
            if step.name in ("audit", "check") and step.ok:
                memory = max(step.peak_rss_mb, step.peak_tree_pss_mb)
                verdict = "met" if step.seconds < TARGET_SECONDS and memory < TARGET_RSS_MB else "MISSED"
                print(f"target ({step.name} < {TARGET_SECONDS:.0f} s and < {TARGET_RSS_MB:.0f} MB of tree PSS): "
                      f"{verdict}")
        mismatch = bool(comparison) and (comparison["missed"] or comparison["unexpected"])
        if comparison:
            print(f"plant check: {comparison['found']}/{comparison['planted']} planted problems found; "
                  f"{len(comparison['unplanted_entries'])} entries nothing was planted in have unexpected findings")
            if comparison["not_required"]:
                print(f"  not required (no such rule in this tree): {comparison['not_required']}")
            if comparison["other_findings"]:
                other = ", ".join(f"{code} {count}" for code, count in comparison["other_findings"].items())
                print(f"  other findings (info, from rules nothing is planted for; not a mismatch): {other}")
            if mismatch:
                print(f"  missed: {comparison['missed'][:5]}  unexpected: {comparison['unexpected'][:5]}")
        if args.json:
            result = {"n": args.n, "seed": args.seed, "as_of": args.as_of, "store_mb": round(db_mb, 2),
                      "machine": machine(), "steps": [asdict(s) for s in [gen, history, *steps, dating]],
                      "plant": comparison, "failed": failed}
            args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        if mismatch and args.strict:
            failed = True
        return 1 if failed else 0
    finally:
        if args.keep or failed:
            print(f"kept {work} (directory/, logs/)")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
