from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.prose import PackRule, describe, engine_for, evidence, suggested_fix
from auditor.models import Entry, Finding, Severity


class CustomStyle(PackRule):
    code = "PRS008"
    depends_on = ""  # reads the directory's style files: never reused
    name = "prose.custom-style"
    severity = Severity.warning
    pack = ""
    title = "The directory's own Vale style rules"
    what = ("Runs the directory's own prose rules: Vale rule files (`extends: existence | substitution | occurrence "
            "| repetition | consistency | conditional | metric`) in the folders or files named by the `prose_styles` "
            "setting, and any `[pack.prose.<name>]` table of `auditor.toml` that is not a shipped pack. One finding "
            "per rule per entry, named `Style.Rule`, quoting the first matches. Its severity follows the rule's "
            "`level` (suggestion -> info, warning, error) unless `[rules.severity]` sets PRS008. A rule that cannot "
            "run as written (another kind, an unsupported scope, a bad regex) is reported once, naming its file.")
    why = "Directories that already keep a Vale style should not have to rewrite it to get it into their audit."
    example = "`styles/House/Terms.yml` swaps `Github` for `GitHub`; an entry that writes `Github` gets a finding."
    fix = "Follow the style rule named in the finding, or change the rule in the directory's style."

    def dependency(self, ctx: AuditContext) -> str:
        # Without `prose_styles` its rules come from the rule packs alone, which the entry cache's key holds.
        return "entry" if not ctx.config.settings.get("prose_styles") else ""

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        engine = engine_for(ctx)
        if not engine.custom:
            return
        prose = engine.prose(entry)
        overridden = self.code in ctx.config.severities
        for rule in engine.custom:
            outcome = rule.run(prose)
            if outcome is None:
                continue
            message = f"{rule.name}: {describe(outcome)}"
            first_note = outcome.matches[0].note
            if rule.kind in ("existence", "occurrence", "metric", "repetition", "conditional") and first_note:
                message += f" ({first_note})"
            finding = self.finding(
                entry, message, line=outcome.matches[0].line, key=rule.name, evidence=evidence(outcome),
                fix=suggested_fix(outcome, rule.data.get("link") and f"See {rule.data['link']}" or self.fix),
            )
            if not overridden:
                finding.severity = rule.level
            yield finding
