import posixpath
from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.links._links import internal_links, resolve
from auditor.checks.suggest import history_fix, moved, wanted_path
from auditor.models import Entry, Finding, Severity


class InternalMissing(Rule):
    depends_on = "files"
    code = "LNK004"
    name = "links.internal-missing"
    severity = Severity.error
    reason = "LINK_BROKEN"
    title = "A link to another page of the directory leads nowhere"
    what = "Checks links into the directory itself against the directory, without the network: relative paths (`../skills/incident-response.md`), root-relative paths (`/skills/incident-response`), and links to the directory's own site (`link_site_urls`). A link is fine when it names an entry file, a folder with an index, any other file in the directory, a page the site builds (`/guides/runbooks` from `src/pages/guides/runbooks.astro`, `docs/glossary` from `docs/glossary/index.mdx`: rules/routes.yml), or ends in an entry's id. Otherwise it is reported; in a git checkout the history gives the fix (a renamed target's new path, or the commit that deleted it), else an entry whose name is close enough to be a typo (rules/suggestions.yml), else none."
    why = "Internal links break when entries are renamed or moved, and nothing outside the directory notices: the site renders a dead link."
    example = "`[debugging](../skills/systematic-debuging.md)` when the file is `systematic-debugging.md`."
    fix = "Correct the path (the finding suggests one when git knows the move or a typo is clear) or remove the link."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for used, target in internal_links(entry, ctx):
            landing = resolve(entry, target, ctx)
            if landing is None or landing.ok:
                continue
            move = moved(ctx, wanted_path(entry.path, target))
            if move is not None:
                fix = history_fix(move, target, posixpath.dirname(entry.path), "remove the link.")
            else:
                fix = (f"Did you mean `{landing.suggestion}`?" if landing.suggestion
                       else "Correct the path, or remove the link.")
            yield self.finding(entry, f"link `{used.url}` leads nowhere: {landing.why}", line=used.line,
                               key=used.url, evidence=f"{used.where()}: {used.url}", fix=fix)
