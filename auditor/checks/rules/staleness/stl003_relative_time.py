import re
from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.staleness._claims import _BLANK, ClaimRule, analyze, own_date
from auditor.models import Entry, Finding, Severity

_QUOTED = re.compile(r"\u201c[^\u201d\n]*\u201d|\"[^\"\n]*\"")


class RelativeTime(ClaimRule):
    code = "STL003"
    depends_on = "date"  # ages against the audit date
    name = "staleness.relative-time"
    severity = Severity.info
    reason = "RELATIVE_TIME"
    claim = "relative"
    title = "Time-relative words in an entry whose review is overdue"
    what = (
        "When an entry's `reviewed` date (for an entry never reviewed, its last change: `updated`, or `published` "
        "for news) is older than its kind's `review_interval_days` (`default_claim_interval_days` in "
        "`rules/time_words.yml` for entries without a kind), reports the words whose meaning depends on when they "
        "were written (\"currently\", \"recently\", \"coming soon\", \"not yet\", \"the latest\", \"is now\", "
        "\"new in\", \"is the only tool\", \"this year\"...), once per entry, listing every line. An entry with "
        "neither date is not judged. The words and patterns are in `rules/time_words.yml`; fenced code, code "
        "spans and URLs are skipped. "
        "An info, not a warning: on real directories (bench/precision) about a quarter of these words describe "
        "what a tool does or returns (\"the latest package versions\", \"papers currently in storage\", \"create "
        "new feature flags\") rather than a claim about the present, which a word list cannot tell apart; the "
        "dated forms (STL002 \"as of March 2025\", STL004 passed offers) stay warnings."
    )
    why = (
        "\"Recently added\" was true when someone last checked; once nobody has checked for longer than the "
        "kind's interval, each such word is a claim the reader cannot date."
    )
    example = "`Streaming transcription is currently in closed beta.` in a tool last reviewed 682 days ago."
    fix = "Replace each relative word with a date or a timeless statement, then set `reviewed` to today."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        lex = self.lex(ctx)
        interval = ctx.config.kind_data(entry.kind).get("review_interval_days") or lex.default_claim_days
        # The words speak from the last review; an entry never reviewed speaks from its last change. An entry
        # with neither date is not judged: nothing says when its words were written.
        since, source = (entry.reviewed, "reviewed") if entry.reviewed else own_date(entry)
        if since is None or since > ctx.as_of:
            return
        age = (ctx.as_of - since).days
        if age <= int(interval):
            return
        analysis = analyze(entry, lex)
        hits: list[tuple[int, str, str]] = []
        # Line by line, each part of the word list tried only where a substring test says it may occur: with
        # entries dated by their last change most entries are old enough to be read, and one regex of every
        # pattern (lookbehinds, no literal prefix) over every line is slow.
        for line, raw in analysis.units:
            if not raw or not lex.relative.line_matches(raw):
                continue
            # quoted text is someone else's words (a sample prompt: "Find my tasks due this week"), not a claim
            text = _QUOTED.sub(lambda m: " " * len(m.group(0)), _BLANK.sub(lambda m: " " * len(m.group(0)), raw))
            for match in lex.relative.line_matches(text):
                hits.append((line, " ".join(match.group(0).split()), raw.strip()))
        if not hits:
            return
        listed = ", ".join(f"\u201c{word}\u201d (line {line})" for line, word, _ in hits[:6])
        more = f" and {len(hits) - 6} more" if len(hits) > 6 else ""
        words = "word" if len(hits) == 1 else "words"
        evidence = hits[0][2]
        when = (f"last reviewed {age} days ago" if source == "reviewed"
                else f"never reviewed, last changed {age} days ago (`{source}`)")
        subject = f"a {entry.kind}" if entry.kind else "an entry without a kind"
        yield self.finding(
            entry,
            f"{len(hits)} time-relative {words} in an entry {when} "
            f"({subject} is due every {interval} days): {listed}{more}",
            line=hits[0][0], key="relative-time", claim_date=since,
            evidence=evidence if len(evidence) <= 220 else evidence[:217] + "...",
            fix="Replace each relative word with a date or a timeless statement, verify the entry, and set "
                f"`reviewed: {ctx.as_of.isoformat()}`.",
        )
