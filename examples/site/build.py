"""Render examples/directory as the static example site in examples/site/public/ (committed, so a fresh clone can
serve it with `python -m http.server -d examples/site/public`).

    .venv/bin/python examples/site/build.py          # rewrite public/
    .venv/bin/python examples/site/build.py --check  # exit 1 when public/ is not what this script renders

Entry pages are shaped like the live directory's entry pages: title, summary,
the body's sections, then a Related block ("3 Indexed items", each related entry's title, link and blurb). The
facts a reader sees next to the text (kind, dates, owner, tags, links, prices, package) are rendered too, so the
crawl reads what the folder holds. The site-only problems in PLANTED.md are made here, in `PLANTS`.
"""

from __future__ import annotations

import argparse
import html
import shutil
import sys
from pathlib import Path

from markdown_it import MarkdownIt

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DIRECTORY = ROOT / "examples" / "directory"
PUBLIC = HERE / "public"
PER_PAGE = 10
KIND_LABELS = {"tool": "Tool", "mcp": "MCP server", "skill": "Skill", "news": "News"}

# The planted site-only problems (PLANTED.md lists them with the rule that finds each).
PLANTS = {
    # The page repeats its Related heading, as the live Incident response page does.
    "incident-response": {"double_related_heading": True},
    # The Related block says 4 items and shows 3.
    "vectorvault": {"related_count": 4},
    # The blurb shown for incident-response is the entry's summary before its last edit.
    "systematic-debugging": {"stale_blurbs": {
        "incident-response": "A step-by-step process for handling production incidents: assess severity, name an "
                             "incident commander, and write a post-mortem afterwards."}},
    # A body link to a guide page that was never published.
    "github-mcp": {"extra_paragraph": 'Setting up a token is covered in the '
                                      '<a href="/guides/github-token/">GitHub token guide</a>.'},
}


def _sys_path() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, main: str) -> str:
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{esc(title)} · Example directory</title>\n</head>\n<body>\n"
        "<header class=\"site\"><a href=\"/\">Example directory</a> · <a href=\"/about/\">About</a></header>\n"
        f"<main>\n{main}\n</main>\n"
        "<footer class=\"site\">An example directory for the auditor's site crawl.</footer>\n</body>\n</html>\n"
    )


def entry_url(entry) -> str:  # noqa: ANN001
    return "/" + entry.path.removesuffix(".md") + "/"


def facts(entry) -> str:  # noqa: ANN001
    meta = entry.meta
    rows = [f'<dt>Kind</dt><dd class="kind" data-kind="{esc(entry.kind)}">{esc(KIND_LABELS[entry.kind])}</dd>']
    for key in ("updated", "reviewed", "published"):
        if meta.get(key):
            rows.append(f'<dt>{key.capitalize()}</dt><dd><time class="{key}" datetime="{esc(meta[key])}">'
                        f"{esc(meta[key])}</time></dd>")
    if meta.get("owner"):
        rows.append(f'<dt>Owner</dt><dd class="owner">{esc(meta["owner"])}</dd>')
    out = ['<dl class="entry-facts">', *rows, "</dl>"]
    if meta.get("tags"):
        out.append('<ul class="entry-tags">' + "".join(f'<li class="tag">{esc(t)}</li>' for t in meta["tags"])
                   + "</ul>")
    if meta.get("links"):
        out.append('<ul class="entry-links">' + "".join(
            f'<li><a data-name="{esc(name)}" href="{esc(url)}">{esc(name.capitalize())}</a></li>'
            for name, url in meta["links"].items()) + "</ul>")
    if meta.get("pricing"):
        out.append('<table class="entry-pricing"><thead><tr><th>Plan</th><th>Price</th><th>Source</th>'
                   "<th>Checked</th></tr></thead><tbody>")
        for plan in meta["pricing"]:
            out.append(f'<tr><td class="plan">{esc(plan.get("plan", ""))}</td>'
                       f'<td class="price">{esc(plan.get("price", ""))}</td>'
                       f'<td class="source"><a href="{esc(plan.get("source", ""))}">source</a></td>'
                       f'<td class="checked"><time datetime="{esc(plan.get("checked", ""))}">'
                       f'{esc(plan.get("checked", ""))}</time></td></tr>')
        out.append("</tbody></table>")
    if meta.get("package"):
        package = meta["package"]
        out.append('<dl class="entry-package">' + "".join(
            f'<dt>{key.capitalize()}</dt><dd class="{key}">{esc(package.get(key, ""))}</dd>'
            for key in ("registry", "name", "version")) + "</dl>")
    return "\n".join(out)


def related_block(entry, by_id: dict, plant: dict) -> str:  # noqa: ANN001
    items = []
    for target_id in entry.related:
        target = by_id.get(target_id)
        if target is None:  # a related id that names no entry: the site links where the page would be
            folder = entry.path.rsplit("/", 1)[0]
            url, title, blurb = f"/{folder}/{target_id}/", target_id, ""
        else:
            url, title, blurb = entry_url(target), target.title, target.summary or ""
        blurb = plant.get("stale_blurbs", {}).get(target_id, blurb)
        items.append(f'<li class="related-item"><a href="{esc(url)}"><h3>{esc(title)}</h3></a>'
                     f'<p class="blurb">{esc(blurb)}</p></li>')
    count = plant.get("related_count", len(items))
    heading = "<h2>Related</h2>\n" * (2 if plant.get("double_related_heading") else 1)
    return (f'<section class="related">\n{heading}<p class="related-count">{count} Indexed items</p>\n'
            f'<ul class="related-items">\n' + "\n".join(items) + "\n</ul>\n</section>")


def render(markdown: MarkdownIt, entry, by_id: dict) -> str:  # noqa: ANN001
    plant = PLANTS.get(entry.id, {})
    body = markdown.render("\n".join(entry.body_lines))
    if plant.get("extra_paragraph"):
        body += f"<p>{plant['extra_paragraph']}</p>\n"
    main = (f'<article class="entry" data-id="{esc(entry.id)}">\n'
            f'<h1 class="entry-title">{esc(entry.title)}</h1>\n'
            f'<p class="entry-summary">{esc(entry.summary or "")}</p>\n'
            f"{facts(entry)}\n<div class=\"entry-body\">\n{body}</div>\n</article>\n"
            f"{related_block(entry, by_id, plant)}")
    return page(entry.title or entry.id, main)


def listing(entries: list, number: int, pages: int) -> str:
    items = "\n".join(
        f'<li><a class="entry-link" href="{esc(entry_url(e))}">{esc(e.title)}</a> '
        f'<span class="kind">{esc(KIND_LABELS[e.kind])}</span></li>' for e in entries)
    nav = []
    if number > 1:
        nav.append(f'<a rel="prev" href="{"/" if number == 2 else f"/page/{number - 1}/"}">Previous</a>')
    if number < pages:
        nav.append(f'<a rel="next" href="/page/{number + 1}/">Next</a>')
    main = (f"<h1>Entries, page {number} of {pages}</h1>\n<ul class=\"entries\">\n{items}\n</ul>\n"
            f'<nav class="pagination">{" ".join(nav)}</nav>')
    return page(f"Entries, page {number}", main)


def build(target: Path) -> dict[str, str]:
    """Every file of the site, by path under public/."""
    _sys_path()
    from auditor.config import load_config
    from auditor.pipeline import load_entries

    config = load_config(DIRECTORY)
    entries = sorted(load_entries(DIRECTORY, config), key=lambda e: e.path)
    by_id = {e.id: e for e in entries}
    markdown = MarkdownIt("commonmark").enable("table")
    files: dict[str, str] = {}
    for entry in entries:
        files[entry_url(entry).strip("/") + "/index.html"] = render(markdown, entry, by_id)
    pages = (len(entries) + PER_PAGE - 1) // PER_PAGE
    for number in range(1, pages + 1):
        chunk = entries[(number - 1) * PER_PAGE:number * PER_PAGE]
        files["index.html" if number == 1 else f"page/{number}/index.html"] = listing(chunk, number, pages)
    files["about/index.html"] = page("About", "<h1>About</h1>\n<p>The example directory, rendered as a site.</p>")
    files["robots.txt"] = "User-agent: *\nDisallow: /drafts/\n"
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description="Render the example site from examples/directory.")
    parser.add_argument("--check", action="store_true", help="exit 1 when public/ differs from a fresh render")
    args = parser.parse_args()
    files = build(PUBLIC)
    if args.check:
        stale = [rel for rel, text in files.items()
                 if not (PUBLIC / rel).is_file() or (PUBLIC / rel).read_text(encoding="utf-8") != text]
        extra = [p.relative_to(PUBLIC).as_posix() for p in PUBLIC.rglob("*") if p.is_file()
                 and p.relative_to(PUBLIC).as_posix() not in files]
        for rel in stale + extra:
            print(f"out of date: {rel}")
        return 1 if stale or extra else 0
    if PUBLIC.exists():
        shutil.rmtree(PUBLIC)
    for rel, text in files.items():
        path = PUBLIC / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files to {PUBLIC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
