"""Write a synthetic directory of N entries for benchmarking the auditor.

    python bench/generate.py N OUT_DIR [--seed S] [--problem-rate R] [--force]

The directory looks like a real one: four kinds (tool, mcp, skill, news) in nested folders
(`tools/007/relayhub-gateway.md`), front matter like the bundled examples, five `## ` sections
with bullets and an FAQ (about 60 lines a file), and `related` ids that point at other generated
entries and nearly always go both ways. A realistic share of the entries (7% by default) carries
exactly one planted problem each; `bench-manifest.json` lists them with the rule expected to fire,
and every other entry is clean for the offline checks. The same N and seed always give the same
bytes. An `auditor.toml` with `name = "bench-N"` is written at the root.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

AS_OF = dt.date(2026, 11, 28)  # the audit date the planted dates are chosen against
MANIFEST = "bench-manifest.json"
SHARD_SIZE = 200  # entries per sub-folder of a kind
MAX_RELATED = 6

# kind -> (folder, share of entries, body sections in order). Every section `rules/kinds.yml` requires
# for the kind is here, in the required order, plus extra sections to make five.
KINDS: dict[str, tuple[str, float, list[str]]] = {
    "tool": ("tools", 0.35, ["Use cases", "Key features", "Pricing", "Limitations", "Frequently Asked Questions"]),
    "mcp": ("mcp", 0.20, ["Use cases", "Key features", "Installation", "Security notes",
                          "Frequently Asked Questions"]),
    "skill": ("skills", 0.20, ["Use cases", "Key features", "When to Use This Skill", "Expected Output",
                               "Frequently Asked Questions"]),
    "news": ("news", 0.25, ["What happened", "Why it matters", "Timeline", "Who is affected", "What to do next"]),
}
REQUIRED_SECTIONS = {
    "tool": ["Use cases", "Key features", "Frequently Asked Questions"],
    "mcp": ["Use cases", "Key features", "Installation", "Frequently Asked Questions"],
    "skill": ["Use cases", "Key features", "When to Use This Skill", "Expected Output", "Frequently Asked Questions"],
    "news": ["What happened", "Why it matters"],
}
FAQ = "Frequently Asked Questions"
OWNERS = {"tool": ["tools-desk", "platform-desk", "ml-desk"], "mcp": ["mcp-desk", "platform-desk"],
          "skill": ["sre-desk", "eng-practices", "docs-desk"], "news": ["news-desk"]}

# Planted problems: name -> (weight, rule code expected, severity of that finding).
PROBLEMS: dict[str, tuple[int, str, str]] = {
    "typo-related": (15, "XRF001", "error"),
    "missing-section": (15, "STR008", "warning"),
    "placeholder": (15, "STR012", "warning"),
    "review-overdue": (20, "STL001", "warning"),
    "future-date": (10, "STR013", "warning"),
    "empty-section": (10, "STR009", "warning"),
    "one-way-related": (10, "XRF003", "info"),
    "malformed-yaml": (5, "STR002", "error"),
    # Duplicates (DUP): each copy sits after its original in path order, so the finding lands on the copy.
    "near-duplicate": (5, "DUP003", "warning"),
    "same-url": (4, "DUP005", "warning"),
    "duplicate-title": (4, "DUP004", "warning"),
    "exact-duplicate": (2, "DUP001", "error"),
    # Dated claims, statistics, prices and prose (STL, PRC, PRS).
    "stale-statistic": (4, "STL005", "warning"),
    "passed-promise": (3, "STL004", "warning"),
    "stale-price-check": (4, "PRC001", "warning"),
    "price-mismatch": (3, "PRC002", "warning"),
    "hedging": (3, "PRS001", "warning"),
}
# Problems only some kinds can carry (a homepage and repo; a `pricing` list).
# A news item dates its own promises (a Q4 2025 plan reported in 2026 news is history, not a promise).
KIND_ONLY = {"same-url": ("tool", "mcp"), "stale-price-check": ("tool",), "price-mismatch": ("tool",),
             "passed-promise": ("tool", "mcp", "skill")}
DUPLICATE = ("duplicate-id", "STR005", "error")
DUP_PROBLEMS = ("near-duplicate", "same-url", "duplicate-title", "exact-duplicate")
COPY_SUFFIXES = ["pro", "cloud", "plus", "2", "classic", "lite", "hosted"]
# Words a near-duplicate copy swaps in for a few of the original's (none of them means anything to a rule).
SWAP_WORDS = ["weekly", "shared", "private", "team", "project", "nightly", "regional", "internal"]

# --- vocabulary (nothing here may match rules/placeholders.yml) -------------------------------------

BRAND_HEADS = """clear vector trace relay quill prompt eval north orca lumen signal cobalt harbor
ember atlas cinder delta fathom granite helix iris juniper kestrel lattice meridian nimbus onyx
pilot quartz raven sable tidal umber vesper willow zephyr amber beacon cedar drift falcon glacier
hollow indigo jasper krypton lunar mosaic nova opal prism ridge summit thorn vertex""".split()
BRAND_TAILS = """scribe vault lens hub code bench ledger wind forge stack flow path grid mind base
line works craft loop port shift sight spark stream cast deck dock gate kit lab mark mesh nest
pulse rail scope sense shelf span sync tide trail weave wire""".split()
PRODUCTS = """studio cloud assistant gateway api cli server platform console agent copilot engine
desktop connect insights monitor""".split()
SERVICES = """filesystem github gitlab slack postgres mysql sqlite redis kafka jira linear notion
confluence sentry datadog grafana stripe shopify salesforce hubspot zendesk intercom figma airtable
s3 gcs bigquery snowflake elasticsearch mongodb kubernetes docker terraform vault okta calendar gmail
drive dropbox box youtube spotify weather maps browser search memory fetch time everything""".split()
SKILL_VERBS = """systematic structured incremental practical rapid careful defensive guided
collaborative evidence-based""".split()
SKILL_NOUNS = """debugging code-review incident-response release-planning postmortem-writing
prompt-evaluation load-testing schema-migration dependency-upgrades api-design threat-modeling
log-analysis capacity-planning on-call-handover test-triage refactoring documentation-review
data-cleaning feature-flagging rollback-drills""".split()
NEWS_EVENTS = """release pricing-change acquisition outage deprecation funding security-advisory
api-change open-sourcing partnership""".split()
TOPICS = """transcription vector-database observability llm-gateway code-assistant evaluation
prompt-management retrieval agents data-pipelines security compliance incident-response
release-engineering testing documentation analytics search orchestration fine-tuning""".split()
MONTHS = ["2026-08", "2026-09", "2026-10", "2026-11"]

VERBS = """summarises tracks routes indexes exports validates schedules caches compares redacts
streams annotates tags batches retries logs syncs filters ranks merges""".split()
OBJECT_PHRASES = [
    "pull requests", "support calls", "model responses", "query plans", "deployment logs", "invoices",
    "embeddings", "release notes", "error reports", "meeting transcripts", "dashboards", "audit trails",
    "access keys", "test results", "prompt versions", "cost reports", "webhooks", "data exports", "alert rules",
]
AUDIENCES = ["platform teams", "support leads", "data engineers", "on-call engineers", "product managers",
             "security reviewers", "small startups", "research groups", "finance teams", "editors"]
QUALIFIERS = [
    "without sending data outside the organisation", "with per-project budgets and quotas",
    "across several model providers at once", "on a schedule or on demand",
    "with a full history of every change", "through a single API key per team",
    "with role-based access for reviewers", "in under a minute for typical workloads",
    "from the command line or the web console", "with exports to CSV and JSON",
]
ADJECTIVES = ["fast", "reliable", "self-hosted", "managed", "open-source", "lightweight", "auditable",
              "configurable", "scalable", "low-latency"]
QUESTIONS = [
    "Does it work offline?", "How is data retained?", "Which regions are supported?",
    "Can it run inside a private network?", "How are API keys rotated?", "What happens when a provider fails?",
    "Is there a free tier?", "How do I export my data?", "Which clients are supported?",
    "How are permissions scoped?", "Can results be reproduced later?", "How long does setup take?",
]


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(VERBS).capitalize()} {rng.choice(OBJECT_PHRASES)} for {rng.choice(AUDIENCES)} "
            f"{rng.choice(QUALIFIERS)}")


def _answer(rng: random.Random, title: str) -> str:
    return (f"Yes, in most setups. {title} {rng.choice(VERBS)} {rng.choice(OBJECT_PHRASES)} "
            f"{rng.choice(QUALIFIERS)}, and the {rng.choice(ADJECTIVES)} mode keeps "
            f"{rng.choice(OBJECT_PHRASES)} for {rng.choice(AUDIENCES)} {rng.choice(QUALIFIERS)}.")


# --- the model of the directory ---------------------------------------------------------------------

@dataclass
class Spec:
    index: int
    id: str
    kind: str
    topic: str
    title: str
    path: str = ""
    related: list[str] = field(default_factory=list)
    problem: str | None = None
    detail: str = ""
    no_edges: bool = False  # malformed and duplicate entries: nobody relates to them
    copy_of: Spec | None = None  # near-duplicate and exact-duplicate: the entry whose text this one copies
    homepage: str = ""  # set for same-url copies; otherwise derived from the id (see _links)
    repo: str = ""
    original: bool = False  # another entry copies this one: keep it clean

def _unique(rng: random.Random, taken: set[str], make) -> str:  # noqa: ANN001 - a zero-argument callable
    for _ in range(50):
        candidate = make()
        if candidate not in taken:
            taken.add(candidate)
            return candidate
    base = make()
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    taken.add(f"{base}-{n}")
    return f"{base}-{n}"


def _brand(rng: random.Random) -> str:
    return rng.choice(BRAND_HEADS) + rng.choice(BRAND_TAILS)


def _title(kind: str, entry_id: str) -> str:
    parts = entry_id.split("-")
    if kind == "tool":
        return " ".join(part.capitalize() for part in parts)
    if kind == "mcp":
        extra = "".join(f" {part.capitalize()}" for part in parts[3:])  # `-2`, or a copy's `-pro`
        return f"{parts[0].capitalize()} MCP server ({parts[1].capitalize()}{extra})"
    return entry_id.replace("-", " ").capitalize()


def make_specs(n: int, rng: random.Random) -> list[Spec]:
    counts = {kind: int(n * share) for kind, (_, share, _) in KINDS.items()}
    kinds_order = list(KINDS)
    i = 0
    while sum(counts.values()) < n:  # hand out the rounding remainder
        counts[kinds_order[i % len(kinds_order)]] += 1
        i += 1
    taken: set[str] = set()
    specs: list[Spec] = []
    for kind in kinds_order:
        for _ in range(counts[kind]):
            if kind == "tool":
                entry_id = _unique(rng, taken, lambda: f"{_brand(rng)}-{rng.choice(PRODUCTS)}")
            elif kind == "mcp":
                entry_id = _unique(rng, taken, lambda: f"{rng.choice(SERVICES)}-{_brand(rng)}-mcp")
            elif kind == "skill":
                entry_id = _unique(rng, taken, lambda: f"{rng.choice(SKILL_VERBS)}-{rng.choice(SKILL_NOUNS)}"
                                   f"-{rng.choice(TOPICS)}")
            else:
                entry_id = _unique(rng, taken, lambda: f"{_brand(rng)}-{rng.choice(NEWS_EVENTS)}"
                                   f"-{rng.choice(MONTHS)}")
            specs.append(Spec(index=len(specs), id=entry_id, kind=kind, topic=rng.choice(TOPICS),
                              title=_title(kind, entry_id)))
    # Paths: kind folder, then shards of SHARD_SIZE in id order.
    for kind in kinds_order:
        folder = KINDS[kind][0]
        of_kind = sorted((s for s in specs if s.kind == kind), key=lambda s: s.id)
        for position, spec in enumerate(of_kind):
            spec.path = f"{folder}/{position // SHARD_SIZE:03d}/{spec.id}.md"
    return specs


def _walk_key(spec: Spec) -> tuple[str, ...]:
    """The order the auditor reads files in (sorted folders, sorted names): the first of two equal ids keeps it."""
    return tuple(spec.path.split("/"))


def plant_problems(specs: list[Spec], rate: float, rng: random.Random) -> None:
    n = len(specs)
    planted = round(n * rate)
    if rate > 0:  # every kind of problem at least once, where the directory is big enough
        planted = max(planted, len(PROBLEMS)) if n >= 50 else min(n // 5, len(PROBLEMS))
    chosen = rng.sample(specs, planted)
    names = list(PROBLEMS)
    if n < 50:  # too few entries to point typos, one-way relations and copies at safely
        names = [name for name in names if not name.endswith("-related") and name not in DUP_PROBLEMS]
    weights = [PROBLEMS[name][0] for name in names]
    for position, spec in enumerate(chosen):
        # Every kind of problem at least once, then by weight.
        spec.problem = names[position] if position < len(names) else rng.choices(names, weights)[0]
        if spec.problem == "malformed-yaml":
            spec.no_edges = True
    # A duplicate id or two: a news file whose name repeats an id read earlier.
    duplicates = 0 if n < 50 or rate == 0 else (1 if n < 2000 else 2)
    clean_news = [s for s in specs if s.kind == "news" and s.problem is None]
    for _ in range(duplicates):
        if not clean_news:
            break
        dup = clean_news.pop(rng.randrange(len(clean_news)))
        earlier = [s for s in specs if s.problem is None and s.kind != "news" and _walk_key(s) < _walk_key(dup)]
        if not earlier:
            continue
        original = rng.choice(earlier)
        dup.problem, dup.no_edges, dup.detail = DUPLICATE[0], True, original.path
        dup.id = original.id
        dup.path = "/".join([*dup.path.split("/")[:-1], f"{original.id}.md"])


def _links(spec: Spec) -> tuple[str, str]:
    """An entry's own homepage and repository (tools and MCP servers): one page per product."""
    brand = spec.id.split("-")[0]
    return (spec.homepage or f"https://example.com/{brand}/{spec.id}",
            spec.repo or f"https://example.org/{brand}/{spec.id}")


def _order(spec: Spec) -> tuple[str, ...]:
    """The order the duplicate rules put entries in: path without `.md`, by folder."""
    return tuple(spec.path.removesuffix(".md").split("/"))


def aim_duplicates(specs: list[Spec], rng: random.Random) -> None:
    """Give each DUP problem an original: a clean entry of the same kind that sorts before the copy."""
    taken = {s.id for s in specs}
    by_kind: dict[str, list[Spec]] = {}
    for spec in specs:
        by_kind.setdefault(spec.kind, []).append(spec)
    for kind_specs in by_kind.values():
        kind_specs.sort(key=_order)
    for spec in [s for s in specs if s.problem in KIND_ONLY and s.kind not in KIND_ONLY[s.problem]]:
        # Only tools and MCP servers have a homepage and a repo, only tools a price list: hand it to a clean one.
        swap = next((s for s in rng.sample(specs, len(specs)) if s.problem is None and not s.no_edges
                     and s.kind in KIND_ONLY[spec.problem]), None)
        if swap is not None:
            swap.problem = spec.problem
        spec.problem = None
    for spec in [s for s in specs if s.problem in DUP_PROBLEMS]:
        pool = [s for s in by_kind[spec.kind] if s.problem is None and not s.original and not s.no_edges]
        if spec.problem in ("same-url", "duplicate-title"):  # the copy keeps its path: the original must be earlier
            pool = [s for s in pool if _order(s) < _order(spec)]
        if not pool:
            spec.problem = None
            continue
        original = rng.choice(pool)
        original.original = True
        if spec.problem in ("near-duplicate", "exact-duplicate"):
            # A second listing of the same thing, filed right after the original (`x` then `x-pro`).
            new_id = next((f"{original.id}-{suffix}" for suffix in rng.sample(COPY_SUFFIXES, len(COPY_SUFFIXES))
                           if f"{original.id}-{suffix}" not in taken), f"{original.id}-copy")
            taken.add(new_id)
            spec.id = new_id
            spec.path = "/".join([*original.path.split("/")[:-1], f"{new_id}.md"])
            spec.copy_of = original
            spec.title = original.title if spec.problem == "exact-duplicate" else _title(spec.kind, new_id)
            spec.detail = f"copies {original.path}" + (" word for word" if spec.problem == "exact-duplicate"
                                                       else " with a few words changed")
        elif spec.problem == "same-url":
            homepage, repo = _links(original)
            if rng.random() < 0.5:
                spec.homepage = homepage.replace("https://", "https://www.") + "/?utm_source=directory"
                spec.detail = f"homepage {spec.homepage} is {original.path}'s"
            else:
                spec.repo = repo.replace("https://", "http://") + ".git"
                spec.detail = f"repo {spec.repo} is {original.path}'s"
        else:
            spec.title = original.title.lower() + ("" if original.title.endswith(")") else "!")
            spec.detail = f"title {spec.title!r} is {original.path}'s {original.title!r}"


def build_relations(specs: list[Spec], rng: random.Random) -> None:
    """An undirected graph, so relations go both ways; each entry gets 1-6 neighbours, mostly on its topic."""
    linkable = [s for s in specs if not s.no_edges]
    by_topic: dict[str, list[Spec]] = {}
    for spec in linkable:
        by_topic.setdefault(spec.topic, []).append(spec)
    non_news = [s for s in linkable if s.kind != "news"]
    for spec in rng.sample(linkable, len(linkable)):
        wanted = rng.randint(1, 3) if spec.kind == "news" else rng.randint(2, 3)
        tries = 0
        while len(spec.related) < wanted and tries < 30:
            tries += 1
            pool = non_news if spec.kind == "news" else (by_topic[spec.topic] if rng.random() < 0.8 else linkable)
            other = rng.choice(pool)
            if other is spec or other.id in spec.related:
                continue
            if len(other.related) >= MAX_RELATED and tries < 25:
                continue
            spec.related.append(other.id)
            other.related.append(spec.id)
    if len(linkable) > 1:  # no orphans: anything left alone relates to a random other entry, both ways
        for spec in linkable:
            if not spec.related:
                other = rng.choice([s for s in (non_news or linkable) if s is not spec])
                spec.related.append(other.id)
                other.related.append(spec.id)


def _typo(rng: random.Random, word: str, taken: set[str]) -> str:
    for _ in range(20):
        chars = list(word)
        pos = rng.randrange(1, len(chars) - 1)
        if rng.random() < 0.5:
            del chars[pos]
        else:
            chars[pos], chars[pos + 1] = chars[pos + 1], chars[pos]
        candidate = "".join(chars)
        if candidate not in taken and candidate != word:
            return candidate
    return word + "x"


def _unrelated(rng: random.Random, spec: Spec, linkable: list[Spec]) -> Spec | None:
    """A random linkable entry that `spec` does not relate to yet (None when there is none)."""
    for _ in range(100):
        other = rng.choice(linkable)
        if other is not spec and other.id not in spec.related:
            return other
    rest = [s for s in linkable if s is not spec and s.id not in spec.related]
    return rng.choice(rest) if rest else None


def apply_relation_problems(specs: list[Spec], rng: random.Random) -> None:
    taken = {s.id for s in specs}
    linkable = [s for s in specs if not s.no_edges]
    for spec in specs:
        if spec.problem not in ("typo-related", "one-way-related", "malformed-yaml"):
            continue
        target = _unrelated(rng, spec, linkable)
        if target is None:
            continue
        if spec.problem == "typo-related":
            # An extra id, a typo of an entry this one does not relate to yet: XRF001 and nothing else.
            typo = _typo(rng, target.id, taken)
            spec.related.insert(rng.randint(0, len(spec.related)), typo)
            spec.detail = f"{typo} (for {target.id})"
        elif spec.problem == "one-way-related":
            spec.related.append(target.id)
            spec.detail = f"{target.id} does not list {spec.id}"
        else:
            # The file still names a related entry, but it is never read back: its YAML does not parse.
            spec.related = [target.id]


# --- rendering --------------------------------------------------------------------------------------

def _date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def _bullets(rng: random.Random, count: int) -> list[str]:
    return [f"- {_sentence(rng)}" for _ in range(count)]


def _section_body(rng: random.Random, spec: Spec, title: str) -> list[str]:
    if title == FAQ:
        lines: list[str] = []
        for question in rng.sample(QUESTIONS, rng.randint(3, 4)):
            lines += [f"### {question}", _answer(rng, spec.title), ""]
        return lines[:-1]
    if title == "Installation":
        name = spec.id.removesuffix("-mcp")
        return [
            "Add the server to the client's MCP configuration; it needs Node 20 or newer.",
            "",
            "```json",
            f'{{"mcpServers": {{"{name}": {{"command": "npx", "args": ["-y", "@example/{name}"]}}}}}}',
            "```",
            "",
            *_bullets(rng, rng.randint(2, 3)),
        ]
    if title == "Expected Output":
        return [f"A short written result: {_sentence(rng).lower()}, reviewed by a second person.", "",
                *_bullets(rng, rng.randint(3, 5))]
    # Real entries name their subject now and then: the first bullet of a section does.
    subject = spec.id.split("-")[0].capitalize() if spec.kind == "news" else spec.title
    return [f"- {subject} {rng.choice(VERBS)} {rng.choice(OBJECT_PHRASES)} for {rng.choice(AUDIENCES)} "
            f"{rng.choice(QUALIFIERS)}", *_bullets(rng, rng.randint(4, 7))]


MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December"]
TAG_FOR = {"incident-response": "incident-tooling"}
KIND_WORDS = {"tool": "tool", "mcp": "MCP server", "skill": "skill", "news": "update"}


def _month(day: dt.date) -> str:
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def render_parts(spec: Spec, rng: random.Random) -> tuple[list[str], list[str]]:
    """The front-matter lines and the body lines of one entry."""
    recent = (dt.date(2026, 9, 1), dt.date(2026, 11, 20))
    updated = _date(rng, *recent)
    reviewed = _date(rng, updated, recent[1])
    published = _date(rng, updated - dt.timedelta(days=20), updated)
    problem = spec.problem
    if problem == "review-overdue":
        reviewed = _date(rng, dt.date(2024, 9, 1), dt.date(2025, 6, 30))
        spec.detail = f"reviewed: {reviewed}"
    if problem == "future-date":
        updated = _date(rng, dt.date(2027, 1, 1), dt.date(2027, 6, 30))
        spec.detail = f"updated: {updated}"
    brand = spec.id.split("-")[0]
    # The summary names the entry, as real ones do; the rest is stock phrasing shared across the directory.
    summary = (f"{spec.title} is a {rng.choice(ADJECTIVES)} {KIND_WORDS[spec.kind]} that "
               f"{rng.choice(VERBS)} {rng.choice(OBJECT_PHRASES)} for {rng.choice(AUDIENCES)} "
               f"{rng.choice(QUALIFIERS)}, and {rng.choice(VERBS)} {rng.choice(OBJECT_PHRASES)} "
               f"{rng.choice(QUALIFIERS)}.")
    fm = ["---", f"kind: {spec.kind}", f"title: {spec.title}", f"summary: {summary}"]
    if spec.kind == "news":
        fm.append(f"published: {published}")
    fm += [f"updated: {updated}", f"reviewed: {reviewed}", f"owner: {rng.choice(OWNERS[spec.kind])}"]
    fm.append(f"related: [{', '.join(spec.related)}]")
    base = f"https://example.com/{brand}"
    if spec.kind == "news":
        fm.append(f"links: {{source: {base}/blog/{spec.id}}}")
    elif spec.kind == "skill":
        fm.append(f"links: {{docs: https://example.org/skills/{spec.id}}}")
    else:
        homepage, repo = _links(spec)
        fm.append(f"links: {{homepage: {homepage}, docs: {base}/docs, repo: {repo}}}")
    plans: list[tuple[str, str]] = []
    if spec.kind == "tool":
        fm.append("pricing:")
        plans = rng.sample([("Free", "Free"), ("Pro", "$20/month"), ("Team", "$45/user/month"),
                            ("Enterprise", "Contact sales")], 2)
        if problem == "price-mismatch" and not any(price.startswith("$") for _, price in plans):
            plans[0] = ("Pro", "$20/month")
        stale = rng.randrange(len(plans)) if problem == "stale-price-check" else None
        for number, (plan, price) in enumerate(plans):
            checked = reviewed
            if number == stale:
                checked = _date(rng, dt.date(2025, 3, 1), dt.date(2025, 12, 31))
                spec.detail = f"{plan} plan checked: {checked}"
            fm.append(f'  - {{plan: {plan}, price: "{price}", source: {base}/pricing, checked: {checked}}}')
    if spec.kind == "mcp":
        fm.append(f"package: {{registry: npm, name: '@example/{spec.id.removesuffix('-mcp')}', "
                  f"version: {rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}}}")
    # Not the `incident-response` tag: that makes a skill an incident process the IR rules judge (rules/incident.yml).
    tags = [TAG_FOR.get(topic, topic) for topic in (spec.topic, rng.choice(TOPICS))]
    fm.append(f"tags: [{', '.join(tags)}]")
    fm.append("---")

    if problem == "malformed-yaml":
        variant = rng.randrange(3)
        if variant == 0:  # an unquoted colon inside a value
            fm[3] = f"summary: Release notes: {summary}"
        elif variant == 1:  # a flow list that is never closed
            fm[fm.index(next(line for line in fm if line.startswith("related:")))] = \
                f"related: [{', '.join(spec.related)}"
        else:  # a key indented into the previous value
            fm.insert(4, f"  owner: {rng.choice(OWNERS[spec.kind])}")
        spec.detail = ["unquoted colon in summary", "unclosed related list", "bad indentation"][variant]

    sections = list(KINDS[spec.kind][2])
    empty = None
    if problem == "missing-section":
        dropped = rng.choice(REQUIRED_SECTIONS[spec.kind])
        sections.remove(dropped)
        spec.detail = f"no ## {dropped}"
    if problem == "empty-section":
        empty = rng.choice([s for s in sections if s != FAQ])
        spec.detail = f"## {empty} is empty"
    todo_in = rng.choice([s for s in sections if s not in (FAQ, "Installation")]) if problem == "placeholder" else None
    # What the content rules read, kept current so clean entries stay clean: a sourced statistic from a
    # recent survey, a claim dated this autumn, the word "currently" (fine while the entry is reviewed on
    # time), prices that agree with the front matter, and a news item's own date.
    statistic = (f"- In a {_month(reviewed)} survey of {rng.randint(120, 900)} {rng.choice(AUDIENCES)}, "
                 f"{rng.randint(12, 88)}% said it cut the time they spend on {rng.choice(OBJECT_PHRASES)}")
    currently = f"- Currently {rng.choice(VERBS)} {rng.choice(OBJECT_PHRASES)} {rng.choice(QUALIFIERS)}"
    body: list[str] = []
    for title in sections:
        body.append(f"## {title}")
        if title != empty:
            if title == "Pricing" and plans:
                lines = [f"- {plan}: {price}" for plan, price in plans]
                lines.append(f"- Prices as of {_month(reviewed)}, from the vendor's pricing page")
                if problem == "price-mismatch":
                    number, (plan, price) = next((i, p) for i, p in enumerate(plans) if p[1].startswith("$"))
                    wrong = price.replace("$20", "$25").replace("$45", "$49")
                    lines[number] = f"- {plan}: {wrong}"
                    spec.detail = f"body says {plan} costs {wrong}; pricing says {price}"
            else:
                lines = _section_body(rng, spec, title)
            if title == "Key features" and rng.random() < 0.5:
                lines.insert(rng.randint(0, len(lines)), statistic)
            if title in ("Use cases", "What happened") and rng.random() < 0.3:
                lines.append(currently)
            if title == "What happened":
                lines.insert(0, f"- On {MONTH_NAMES[published.month - 1]} {published.day}, {published.year}, "
                                f"{brand.capitalize()} announced the change in its changelog")
            if title == sections[1] and problem == "stale-statistic":
                first, last = sorted(rng.sample(range(2011, 2020), 2))
                stat = (f"- In a {first}–{last} study of {rng.randint(120, 900)} {rng.choice(AUDIENCES)}, "
                        f"{rng.randint(12, 88)}% said it cut the time they spend on {rng.choice(OBJECT_PHRASES)}")
                lines.insert(rng.randint(0, len(lines)), stat)
                spec.detail = f"a {first}–{last} study quoted as current"
            if title == sections[0] and problem == "passed-promise":
                quarter = f"Q{rng.randint(1, 4)} 2025"
                lines.append(f"- {brand.capitalize()} said a self-hosted edition will ship in {quarter}")
                spec.detail = f"a self-hosted edition \"will ship in {quarter}\""
            if title == sections[0] and problem == "hedging":
                lines = [f"- It might possibly {rng.choice(VERBS).removesuffix('s')} {rng.choice(OBJECT_PHRASES)}, "
                         f"perhaps {rng.choice(QUALIFIERS)}" for _ in range(4)]
                spec.detail = f"four hedged bullets under ## {title}"
            if title == todo_in:
                note = rng.choice(["TODO: confirm the limits with the vendor", "TBD after the next release",
                                   "FIXME: the numbers below are from last year"])
                lines.insert(rng.randint(1, len(lines)), f"- {note}")
                spec.detail = f"`{note}` under ## {title}"
            body += lines
        body.append("")
    return fm, body


def _swap_words(rng: random.Random, line: str, count: int, start: int) -> str:
    """`line` with `count` of its plain lowercase words (from word `start` on) replaced."""
    words = line.split(" ")
    spots = [i for i in range(start, len(words)) if words[i].isalpha() and words[i].islower()]
    for i in rng.sample(spots, min(count, len(spots))):
        words[i] = rng.choice([w for w in SWAP_WORDS if w != words[i]])
    return " ".join(words)


def render(spec: Spec, rng: random.Random, seed: int = 1) -> str:
    fm, body = render_parts(spec, rng)
    original = spec.copy_of
    if original is not None:
        # A second listing: its own id, dates, owner, relations and links, the original's text (and prices).
        their_fm, their_body = render_parts(original, random.Random(f"{seed}:{original.index}"))
        summary = their_fm[3]
        if spec.problem == "near-duplicate":
            summary = _swap_words(rng, summary, 2, len(original.title.split()) + 2)
            bullets = [i for i, line in enumerate(their_body) if line.startswith("- ")]
            for i in rng.sample(bullets, min(3, len(bullets))):
                their_body[i] = _swap_words(rng, their_body[i], 1, 2)
        fm[3] = summary
        fm = [line for line in fm if not line.startswith(("pricing:", "  - {plan:"))]
        prices = [line for line in their_fm if line.startswith(("pricing:", "  - {plan:"))]
        at = next(i for i, line in enumerate(fm) if line.startswith("links:")) + 1
        fm[at:at] = prices
        body = their_body
    return "\n".join(fm + body).rstrip("\n") + "\n"


def generate(n: int, out: Path, seed: int = 1, rate: float = 0.07) -> dict:
    rng = random.Random(f"auditor-bench:{seed}:{n}")
    specs = make_specs(n, rng)
    plant_problems(specs, rate, rng)
    aim_duplicates(specs, rng)
    build_relations(specs, rng)
    apply_relation_problems(specs, rng)
    total_bytes = 0
    for spec in specs:
        text = render(spec, random.Random(f"{seed}:{spec.index}"), seed)
        path = out / spec.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        total_bytes += len(text.encode("utf-8"))
    (out / "auditor.toml").write_text(
        f'# Synthetic benchmark directory written by bench/generate.py (seed {seed}).\n'
        f'name = "bench-{n}"\n', encoding="utf-8")
    codes = {name: code for name, (_, code, _) in PROBLEMS.items()} | {DUPLICATE[0]: DUPLICATE[1]}
    severities = {name: sev for name, (_, _, sev) in PROBLEMS.items()} | {DUPLICATE[0]: DUPLICATE[2]}
    planted = [
        {"path": s.path, "id": s.id, "kind": s.kind, "problem": s.problem, "expected_code": codes[s.problem],
         "severity": severities[s.problem], "detail": s.detail}
        for s in sorted((s for s in specs if s.problem), key=lambda s: s.path)
    ]
    manifest = {
        "generator": "bench/generate.py", "entries": n, "seed": seed, "problem_rate": rate,
        "as_of": AS_OF.isoformat(), "bytes": total_bytes,
        "by_kind": {kind: sum(1 for s in specs if s.kind == kind) for kind in KINDS},
        "planted_count": len(planted),
        "planted_by_problem": {name: sum(1 for p in planted if p["problem"] == name) for name in [*PROBLEMS,
                                                                                                 DUPLICATE[0]]},
        "planted": planted,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="how many entries")
    parser.add_argument("out", type=Path, help="the directory to write (created; must be empty unless --force)")
    parser.add_argument("--seed", type=int, default=1, help="same seed and N, same files (default 1)")
    parser.add_argument("--problem-rate", type=float, default=0.07, help="share of entries with a planted problem")
    parser.add_argument("--force", action="store_true", help="replace OUT if it holds an earlier benchmark directory")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    if not 0 <= args.problem_rate <= 0.5:
        parser.error("--problem-rate must be between 0 and 0.5")
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        if not (args.force and (out / MANIFEST).is_file()):
            print(f"error: {out} is not empty (use --force to replace an earlier benchmark directory)",
                  file=sys.stderr)
            return 2
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = generate(args.n, out, args.seed, args.problem_rate)
    print(f"wrote {args.n} entries ({manifest['bytes'] / 1e6:.1f} MB) to {out}: "
          f"{', '.join(f'{k} {v}' for k, v in manifest['by_kind'].items())}; "
          f"{manifest['planted_count']} with a planted problem (see {MANIFEST})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
