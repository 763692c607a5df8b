import re
from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.models import Entry, Finding, Severity

_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")


class UnansweredQuestion(Rule):
    code = "STR011"
    name = "structure.unanswered-question"
    severity = Severity.warning
    depends_on = "entry"
    title = "A question in the FAQ has no answer"
    what = (
        "In the FAQ section (`faq_section` in `rules/kinds.yml`), reports a `### Question?` heading with no text "
        "under it, or a bullet question followed by another question or by nothing."
    )
    why = "A question without an answer tells readers the entry is unfinished, and search engines show it as such."
    example = "`### Does it work offline?` followed directly by `### How is it priced?`."
    fix = "Write the answer under the question, or remove the question."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        faq_title = ctx.pack.get("kinds", {}).get("faq_section", "Frequently Asked Questions").lower()
        sections = entry.sections
        for index, section in enumerate(sections):
            if section.level != 2 or section.title.strip().lower() != faq_title:
                continue
            yield from self._bullet_questions(entry, section.body)
            for sub in sections[index + 1:]:
                if sub.level <= 2:
                    break
                if sub.level == 3 and not sub.text:
                    yield self._unanswered(entry, sub.title, sub.line)
                elif sub.level == 3:
                    yield from self._bullet_questions(entry, sub.body)

    def _bullet_questions(self, entry: Entry, body: list[tuple[int, str]]) -> Iterable[Finding]:
        # Every non-blank line counts: an answer may be a bullet, an indented continuation or a paragraph.
        lines = [(n, text) for n, text in body if text.strip()]
        for position, (number, text) in enumerate(lines):
            match = _BULLET.match(text)
            if not match or not match.group(1).strip().endswith("?"):
                continue
            following = lines[position + 1][1] if position + 1 < len(lines) else None
            after = _BULLET.match(following) if following is not None else None
            if following is None or (after and after.group(1).strip().endswith("?")):
                yield self._unanswered(entry, match.group(1).strip(), number)

    def _unanswered(self, entry: Entry, question: str, line: int) -> Finding:
        return self.finding(
            entry, f"FAQ question has no answer: {question}", line=line, key=question.lower(),
            evidence=question, fix="Write the answer directly below the question, or remove it.",
        )
