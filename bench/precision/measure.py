"""Precision of the auditor's findings on real directories, against findings labelled by hand.

Copies each corpus to a temp dir, audits it offline with the labels' `--as-of`, matches the findings to
`labels/<corpus>.yml` and prints per rule how many labelled findings were true, false or noise, the
precision at warning+error and at info, the recall on the labelled true findings, and how many findings
nobody has labelled yet.

    python bench/precision/measure.py --corpora DIR                 # DIR holds the corpora (or $AUDITOR_CORPORA)
    python bench/precision/measure.py --corpora DIR --markdown      # the tables as Markdown
    python bench/precision/measure.py --corpora DIR --save out/     # also keep each corpus's findings JSON
    python bench/precision/measure.py --findings out/               # re-match saved findings, no audit
    python bench/precision/measure.py --corpora DIR --list-unlabelled stubs.yml [--per-rule 10]

A label matches a finding by corpus, path, code and a quote: a short piece of the finding's message or
evidence (a URL, a name, a phrase), compared case- and whitespace-insensitively. Line numbers are left out
of the match so a label survives lines added above it; among several findings a label's quote fits, the one
nearest the label's line wins, and each finding takes at most one label.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

LABELS_DIR = Path(__file__).resolve().parent / "labels"
LABEL_VALUES = ("true", "false", "noise", "unverifiable")
JUDGED = ("true", "false", "noise")  # what precision counts; "unverifiable" = the corpus copy cannot tell
SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Corpus:
    """One real directory: where it sits in the corpora folder and how to get a copy to audit."""

    name: str
    source: str  # relative to the corpora folder
    version: str  # repository @ commit the copy was taken from
    git_bundle: bool = False  # clone the bundle (with its history) instead of copying a folder


# One repository each, as its maintainer would run the auditor on it. mcp-server-lists/ holds three unrelated
# repositories, so each is its own corpus; its wong2/ folder is the head of the wong2 bundle, audited from the
# clone so git dating has history to read.
CORPORA = (
    Corpus("awesome-copilot", "awesome-copilot", "github/awesome-copilot@ab7544d0"),
    Corpus("ever-works-mcp-servers", "ever-works-mcp-servers", "ever-works/awesome-mcp-servers-data@5a38897e"),
    Corpus("modelcontextprotocol-servers", "mcp-server-lists/modelcontextprotocol-servers",
           "modelcontextprotocol/servers@e21dbea7+76d64c82"),
    Corpus("registry", "mcp-server-lists/registry", "modelcontextprotocol/registry@81e5174a"),
    Corpus("sindresorhus-awesome", "sindresorhus-awesome", "sindresorhus/awesome@7cb5c837"),
    Corpus("wong2", "git/wong2-awesome-mcp-servers.bundle", "wong2/awesome-mcp-servers@39eb1d76", git_bundle=True),
)
DEFAULT_AS_OF = "2026-12-01"


@dataclass
class Label:
    corpus: str
    path: str
    code: str
    quote: str
    label: str
    reason: str
    line: int = 0
    severity: str = ""  # the severity when labelled, for the record; the run's severity is what counts


@dataclass
class Match:
    """The findings of one run paired with the labels."""

    findings: dict[str, list[dict[str, Any]]]  # corpus -> findings
    labelled: list[tuple[dict[str, Any], Label]] = field(default_factory=list)
    unlabelled: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lost: list[Label] = field(default_factory=list)  # labels no finding of this run fits


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def finding_text(finding: dict[str, Any]) -> str:
    return normalise(f"{finding.get('message', '')} {finding.get('evidence', '')}")


# --- labels ------------------------------------------------------------------------------------------------

def read_labels(path: Path) -> tuple[dict[str, Any], list[Label]]:
    """A label file: `corpus`, `version`, `as_of` and `labels`, each with path, code, quote, label, reason."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    corpus = str(document.get("corpus", path.stem))
    labels = []
    for number, item in enumerate(document.get("labels") or [], 1):
        value = str(item.get("label", "")).lower()
        if value not in LABEL_VALUES:
            raise SystemExit(f"{path}: label {number} ({item.get('path')} {item.get('code')}): "
                             f"label must be one of {', '.join(LABEL_VALUES)}, not {item.get('label')!r}")
        if not item.get("quote"):
            raise SystemExit(f"{path}: label {number} ({item.get('path')} {item.get('code')}): quote is empty")
        labels.append(Label(corpus=corpus, path=str(item["path"]), code=str(item["code"]), quote=str(item["quote"]),
                            label=value, reason=str(item.get("reason", "")), line=int(item.get("line") or 0),
                            severity=str(item.get("severity", ""))))
    return document, labels


def load_labels(labels_dir: Path) -> tuple[dict[str, dict[str, Any]], list[Label]]:
    headers: dict[str, dict[str, Any]] = {}
    labels: list[Label] = []
    for path in sorted(labels_dir.glob("*.yml")):
        header, found = read_labels(path)
        headers[str(header.get("corpus", path.stem))] = header
        labels.extend(found)
    return headers, labels


# --- matching ----------------------------------------------------------------------------------------------

def match(findings: dict[str, list[dict[str, Any]]], labels: list[Label]) -> Match:
    """Pair labels with findings: same corpus, path and code, the quote inside the message or evidence.

    Within one path and code, labels and findings are paired in line order (lines added above them move them
    together, they do not swap them): the most pairs, then the least line distance."""
    places: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for corpus, items in findings.items():
        for finding in items:
            places[(corpus, finding["path"], finding["code"])].append(finding)
    labels_at: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        labels_at[(label.corpus, label.path, label.code)].append(index)
    result = Match(findings=findings)
    taken_labels: set[int] = set()
    for place, items in places.items():
        ordered = sorted(items, key=_line)
        label_indexes = sorted(labels_at.get(place, ()), key=lambda i: labels[i].line)
        pairs = _pair_in_order([labels[i] for i in label_indexes], ordered)
        paired = {finding_index: label_indexes[label_index] for label_index, finding_index in pairs}
        for finding_index, finding in enumerate(ordered):
            if finding_index in paired:
                result.labelled.append((finding, labels[paired[finding_index]]))
                taken_labels.add(paired[finding_index])
            else:
                result.unlabelled.append((place[0], finding))
    result.lost = [label for i, label in enumerate(labels) if i not in taken_labels]
    return result


def _line(finding: dict[str, Any]) -> int:
    return int(finding.get("line") or 0)


def _pair_in_order(labels: list[Label], findings: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(label, finding) index pairs, both lists sorted by line: an alignment keeping their order, with the
    most pairs whose quote fits and, among those, the least total line distance; then what is left (findings
    on one line come in no set order) is paired nearest line first."""
    quotes = [normalise(label.quote) for label in labels]
    texts = [finding_text(finding) for finding in findings]
    n, m = len(labels), len(findings)
    # best[i][j]: (pairs, -distance) using labels[i:] and findings[j:]
    best = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            options = [best[i + 1][j], best[i][j + 1]]
            if quotes[i] in texts[j]:
                pairs, distance = best[i + 1][j + 1]
                options.append((pairs + 1, distance - abs(_line(findings[j]) - labels[i].line)))
            best[i][j] = max(options)
    chosen, i, j = [], 0, 0
    while i < n and j < m:
        if quotes[i] in texts[j]:
            pairs, distance = best[i + 1][j + 1]
            if best[i][j] == (pairs + 1, distance - abs(_line(findings[j]) - labels[i].line)):
                chosen.append((i, j))
                i, j = i + 1, j + 1
                continue
        if best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    left_labels = set(range(n)) - {i for i, _ in chosen}
    left_findings = set(range(m)) - {j for _, j in chosen}
    for _, i, j in sorted((abs(_line(findings[j]) - labels[i].line), i, j)
                          for i in left_labels for j in left_findings if quotes[i] in texts[j]):
        if i in left_labels and j in left_findings:
            chosen.append((i, j))
            left_labels.discard(i)
            left_findings.discard(j)
    return chosen


# --- figures -----------------------------------------------------------------------------------------------

@dataclass
class RuleRow:
    code: str
    severity: str
    findings: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    lost_true: int = 0

    @property
    def judged(self) -> int:
        return sum(self.counts[value] for value in JUDGED)

    @property
    def precision(self) -> float | None:
        return self.counts["true"] / self.judged if self.judged else None

    @property
    def unlabelled(self) -> int:
        return self.findings - sum(self.counts.values())


def rule_rows(result: Match) -> list[RuleRow]:
    rows: dict[tuple[str, str], RuleRow] = {}

    def row(code: str, severity: str) -> RuleRow:
        return rows.setdefault((code, severity), RuleRow(code, severity))

    for items in result.findings.values():
        for finding in items:
            row(finding["code"], finding["severity"]).findings += 1
    for finding, label in result.labelled:
        row(finding["code"], finding["severity"]).counts[label.label] += 1
    for label in result.lost:
        if label.label == "true":
            row(label.code, label.severity or "?").lost_true += 1
    return sorted(rows.values(), key=lambda r: (_severity_rank(r.severity), r.code))


def _severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


@dataclass
class Overall:
    name: str
    judged: int
    true: int
    findings: int
    weighted: float | None  # each rule's precision weighted by its findings in this run (rules with labels only)

    @property
    def precision(self) -> float | None:
        return self.true / self.judged if self.judged else None


def overall(rows: Iterable[RuleRow], name: str, severities: tuple[str, ...]) -> Overall:
    chosen = [r for r in rows if r.severity in severities]
    judged = sum(r.judged for r in chosen)
    weighed = [r for r in chosen if r.judged]
    weight = sum(r.findings for r in weighed)
    weighted = sum(r.findings * (r.precision or 0.0) for r in weighed) / weight if weight else None
    return Overall(name, judged, sum(r.counts["true"] for r in chosen), sum(r.findings for r in chosen), weighted)


def recall(result: Match) -> tuple[int, int]:
    """(labelled true findings this run still produces, labelled true findings)."""
    found = sum(1 for _, label in result.labelled if label.label == "true")
    return found, found + sum(1 for label in result.lost if label.label == "true")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def render(result: Match, markdown: bool) -> str:
    rows = rule_rows(result)
    header = ["rule", "severity", "findings", "judged", "true", "false", "noise", "precision", "unverifiable",
              "unlabelled", "true lost"]
    body = [[r.code, r.severity, str(r.findings), str(r.judged), str(r.counts["true"]), str(r.counts["false"]),
             str(r.counts["noise"]), _pct(r.precision), str(r.counts["unverifiable"]), str(r.unlabelled),
             str(r.lost_true)] for r in rows]
    totals = [overall(rows, "warning + error", ("error", "warning")), overall(rows, "info", ("info",))]
    found, true_total = recall(result)
    summary_header = ["severity", "findings", "judged", "true", "precision (judged)",
                      "precision (weighted by findings per rule)"]
    summary = [[t.name, str(t.findings), str(t.judged), str(t.true), _pct(t.precision), _pct(t.weighted)]
               for t in totals]
    corpora = ", ".join(f"{name} {len(items)}" for name, items in sorted(result.findings.items()))
    lines = [_table(header, body, markdown), "", _table(summary_header, summary, markdown), "",
             f"Recall on labelled true findings: {found} of {true_total} still found"
             f" ({_pct(found / true_total if true_total else None)}).",
             f"Findings per corpus: {corpora}.",
             f"Unlabelled findings: {len(result.unlabelled)}; labels that matched no finding: {len(result.lost)}."]
    return "\n".join(lines) + "\n"


def _table(header: list[str], body: list[list[str]], markdown: bool) -> str:
    if markdown:
        numeric = [all(re.fullmatch(r"[\d%.-]+", row[i]) for row in body) if body else False
                   for i in range(len(header))]
        rule = ["---:" if is_number else "---" for is_number in numeric]
        return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, rule, *body])
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
                     for row in [header, *body])


# --- stubs for labels not written yet ----------------------------------------------------------------------

_QUOTED = re.compile(r"`([^`]{3,80})`|'([^']{3,80})'|\"([^\"]{3,80})\"|(https?://\S{3,120})")


def pick_quote(finding: dict[str, Any], siblings: list[dict[str, Any]]) -> str:
    """A piece of the finding that tells it from the others at its path and code and is likely to survive a
    rewording of the message: the longest quoted name or URL, else the start of the evidence, else of the
    message."""
    others = [finding_text(f) for f in siblings if f is not finding]
    message = " ".join(str(finding.get("message", "")).split())
    evidence = " ".join(str(finding.get("evidence", "")).split())
    quoted = [_head(next(group for group in m.groups() if group).rstrip(".,;:)*"), 120)
              for m in _QUOTED.finditer(f"{message} {evidence}")]
    candidates = sorted(set(quoted), key=len, reverse=True) + [_head(evidence), _head(message)]
    for candidate in candidates:
        if candidate and not any(normalise(candidate) in other for other in others):
            return candidate
    return next((c for c in candidates if c), message)


def _head(text: str, limit: int = 60) -> str:
    """The text's first words, up to `limit` characters, cut at a word and before an ellipsis."""
    cut = "…" in text
    text = text.split("…")[0]
    if cut:  # the part before an ellipsis may end in half a word
        text = text.rsplit(" ", 1)[0]
    if len(text) <= limit:
        return text.strip()
    return text[:limit].rsplit(" ", 1)[0].strip()


def stubs(result: Match, per_rule: int | None) -> str:
    """Unlabelled findings as label entries with `label` and `reason` left blank, grouped by corpus; at most
    `per_rule` per corpus and rule, spread evenly over the rule's findings."""
    siblings: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for corpus, items in result.findings.items():
        for finding in items:
            siblings[(corpus, finding["path"], finding["code"])].append(finding)
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for corpus, finding in result.unlabelled:
        grouped[(corpus, finding["code"])].append(finding)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (corpus, _code), items in sorted(grouped.items()):
        chosen = items if per_rule is None or len(items) <= per_rule else \
            [items[round(i * (len(items) - 1) / max(per_rule - 1, 1))] for i in range(per_rule)]
        for finding in chosen:
            out[corpus].append({
                "path": finding["path"], "code": finding["code"], "line": finding.get("line", 0),
                "severity": finding["severity"],
                "quote": pick_quote(finding, siblings[(corpus, finding["path"], finding["code"])]),
                "message": finding.get("message", ""), "label": "", "reason": "",
            })
    return yaml.safe_dump({corpus: out[corpus] for corpus in sorted(out)}, sort_keys=False, allow_unicode=True,
                          width=120)


# --- running the audit -------------------------------------------------------------------------------------

def audit_copy(directory: Path, as_of: str) -> list[dict[str, Any]]:
    """Findings of `auditor audit DIR --offline --as-of D --format json`, paths relative to DIR."""
    env = {k: v for k, v in os.environ.items() if k != "AUDITOR_DB"}
    done = subprocess.run([sys.executable, "-m", "auditor", "audit", str(directory), "--offline", "--as-of", as_of,
                           "--format", "json"], cwd=directory, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"audit of {directory} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)["findings"]


def audit_corpus(corpus: Corpus, corpora: Path, work: Path, as_of: str) -> list[dict[str, Any]]:
    source = corpora / corpus.source
    if not source.exists():
        raise SystemExit(f"{source}: not found (is --corpora the folder holding the corpora?)")
    target = work / corpus.name
    if corpus.git_bundle:
        subprocess.run(["git", "clone", "--quiet", str(source), str(target)], check=True)
    else:
        shutil.copytree(source, target)
        for path in [target, *target.rglob("*")]:  # the corpora are read-only; the audit writes .auditor/
            path.chmod(path.stat().st_mode | 0o200)
    return audit_copy(target, as_of)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=os.environ.get("AUDITOR_CORPORA"),
                        help="the folder holding the corpora (default: $AUDITOR_CORPORA)")
    parser.add_argument("--findings", type=Path, help="read <corpus>.json saved by --save instead of auditing")
    parser.add_argument("--save", type=Path, help="write each corpus's findings to DIR/<corpus>.json")
    parser.add_argument("--only", action="append", help="audit only this corpus (repeatable)")
    parser.add_argument("--labels", type=Path, default=LABELS_DIR, help="folder of <corpus>.yml label files")
    parser.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    parser.add_argument("--list-unlabelled", type=Path, metavar="FILE",
                        help="write the unlabelled findings to FILE as label stubs")
    parser.add_argument("--per-rule", type=int, help="with --list-unlabelled: at most N per corpus and rule")
    parser.add_argument("--show-lost", action="store_true", help="list the labels that matched no finding")
    args = parser.parse_args(argv)

    headers, labels = load_labels(args.labels)
    corpora = [c for c in CORPORA if not args.only or c.name in args.only]
    findings: dict[str, list[dict[str, Any]]] = {}
    if args.findings:
        for corpus in corpora:
            path = args.findings / f"{corpus.name}.json"
            if path.exists():
                findings[corpus.name] = json.loads(path.read_text(encoding="utf-8"))
    else:
        if args.corpora is None:
            parser.error("pass --corpora DIR (the folder holding the corpora) or set AUDITOR_CORPORA")
        with tempfile.TemporaryDirectory(prefix="precision-") as work:
            for corpus in corpora:
                as_of = str(headers.get(corpus.name, {}).get("as_of", DEFAULT_AS_OF))
                print(f"auditing {corpus.name} (as of {as_of})", file=sys.stderr)
                findings[corpus.name] = audit_corpus(corpus, args.corpora, Path(work), as_of)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, items in findings.items():
            (args.save / f"{name}.json").write_text(json.dumps(items, indent=1), encoding="utf-8")
    labels = [label for label in labels if label.corpus in findings]
    result = match(findings, labels)
    sys.stdout.write(render(result, args.markdown))
    if args.show_lost:
        for label in result.lost:
            print(f"lost: {label.corpus} {label.path}:{label.line} {label.code} [{label.label}] {label.quote!r}")
    if args.list_unlabelled:
        args.list_unlabelled.write_text(stubs(result, args.per_rule), encoding="utf-8")
        print(f"wrote {args.list_unlabelled}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
