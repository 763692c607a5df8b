from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.staleness._claims import _BLANK, ClaimRule, analyze
from auditor.models import Entry, Finding, Severity


class RelativeTime(ClaimRule):
    code = "STL003"
    name = "staleness.relative-time"
    severity = Severity.warning
    reason = "RELATIVE_TIME"
    claim = "relative"
    title = "Time-relative words in an entry whose review is overdue"
    what = (
        "When an entry's `reviewed` date is older than its kind's `review_interval_days`, reports the words whose "
        "meaning depends on when they were written (\"currently\", \"recently\", \"soon\", \"the latest\", "
        "\"is now\", \"new feature\", \"this year\"...), once per entry, listing every line. The words and "
        "patterns are in `rules/time_words.yml`; fenced code, code spans and URLs are skipped."
    )
    why = (
        "\"Recently added\" was true when someone last checked; once nobody has checked for longer than the "
        "kind's interval, each such word is a claim the reader cannot date."
    )
    example = "`Streaming transcription is currently in closed beta.` in a tool last reviewed 682 days ago."
    fix = "Replace each relative word with a date or a timeless statement, then set `reviewed` to today."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        interval = ctx.config.kind_data(entry.kind).get("review_interval_days")
        if entry.reviewed is None or not interval or entry.reviewed > ctx.as_of:
            return
        age = (ctx.as_of - entry.reviewed).days
        if age <= int(interval):
            return
        lex = self.lex(ctx)
        analysis = analyze(entry, lex)
        if not lex.relative.search(analysis.whole):
            return
        hits: list[tuple[int, str, str]] = []
        for line, raw in analysis.units:
            if not raw or not lex.relative.search(raw):
                continue
            text = _BLANK.sub(lambda m: " " * len(m.group(0)), raw)
            for match in lex.relative.finditer(text):
                hits.append((line, " ".join(match.group(0).split()), raw.strip()))
        if not hits:
            return
        listed = ", ".join(f"\u201c{word}\u201d (line {line})" for line, word, _ in hits[:6])
        more = f" and {len(hits) - 6} more" if len(hits) > 6 else ""
        words = "word" if len(hits) == 1 else "words"
        evidence = hits[0][2]
        yield self.finding(
            entry,
            f"{len(hits)} time-relative {words} in an entry last reviewed {age} days ago "
            f"(a {entry.kind} is due every {interval} days): {listed}{more}",
            line=hits[0][0], key="relative-time", claim_date=entry.reviewed,
            evidence=evidence if len(evidence) <= 220 else evidence[:217] + "...",
            fix="Replace each relative word with a date or a timeless statement, verify the entry, and set "
                f"`reviewed: {ctx.as_of.isoformat()}`.",
        )
