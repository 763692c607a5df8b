"""How big the HTML report of a large directory is, how long writing it takes, and how soon its first page is
ready in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

    python bench/report_size.py N [--keep] [--dir EXISTING_DIR] [--loads 5]

Generates N entries with bench/generate.py (or takes a directory audited already, --dir), audits them offline as of
2026-11-28 with the real CLI, then writes the last run's report again from the store into a temporary folder and
prints: the time that write took, the size of index.html and of the whole report folder, the number of files, and
index.html's DOMContentLoaded and load times (the median of --loads fresh page loads). Not a test: figures go into
bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
AS_OF = "2026-11-28"
CHROMIUM = "/usr/bin/chromium"


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def dom_times(index: Path, loads: int) -> tuple[float, float]:
    """Median DOMContentLoaded and load event times (ms after navigation start) of `loads` fresh loads."""
    from playwright.sync_api import sync_playwright

    ready, loaded = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for _ in range(loads):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(index.as_uri(), wait_until="load")
                timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
                import json

                nav = json.loads(timing)
                ready.append(nav["domContentLoadedEventEnd"])
                loaded.append(nav["loadEventEnd"])
                page.close()
        finally:
            browser.close()
    return statistics.median(ready), statistics.median(loaded)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", default=50_000)
    parser.add_argument("--dir", type=Path, help="an audited directory to measure instead of generating one")
    parser.add_argument("--keep", action="store_true", help="keep the generated directory")
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="auditor-report-bench-"))
    directory = args.dir
    if directory is None:
        directory = work / f"d{args.n}"
        subprocess.run([sys.executable, str(BENCH / "generate.py"), str(args.n), str(directory)], check=True,
                       capture_output=True)
        started = time.perf_counter()
        done = subprocess.run([str(ROOT / ".venv" / "bin" / "auditor"), "audit", str(directory), "--offline",
                               "--as-of", AS_OF], capture_output=True, text=True)
        if done.returncode not in (0, 1):
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        print(f"audit (with report): {time.perf_counter() - started:.1f} s")

    from auditor.report import write_report
    from auditor.store.db import open_engine, resolve_url, session_factory
    from auditor.store.runs import list_runs

    url = resolve_url(directory, None)
    engine = open_engine(url)
    with session_factory(engine)() as session:
        run_id = list_runs(session, limit=1)[0].id
    engine.dispose()
    out = work / "report"
    started = time.perf_counter()
    index = write_report(url, run_id, out)
    took = time.perf_counter() - started
    total, files = folder_size(out)
    ready, loaded = dom_times(index, args.loads)
    print(f"report write: {took:.1f} s for {files} files, {total / 1e6:.1f} MB in all")
    print(f"index.html: {index.stat().st_size / 1e6:.2f} MB; DOMContentLoaded {ready:.0f} ms, load {loaded:.0f} ms "
          f"(median of {args.loads})")
    if args.keep:
        print(f"kept: {work}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
