from collections.abc import Iterable

from auditor.checks.base import AuditContext
from auditor.checks.rules.links._links import WebLinkRule, anchors, evidence, internal_links, markers, resolve
from auditor.models import Entry, Finding, Severity


class FragmentMissing(WebLinkRule):
    code = "LNK003"
    name = "links.fragment-missing"
    severity = Severity.warning
    reason = "LINK_ANCHOR"
    title = "A link's #anchor is not on the page it points to"
    what = "Reports links whose page is alive but whose `#fragment` is not the id or name of any element in it. Web pages are read up to `link_max_body_kb`; an anchor not found in a page cut short there is not judged. Links to other entries (and `#anchor` links within the entry) are checked against the target entry's headings, offline. GitHub line anchors (`#L10`), single-page-app routes (`#/path`) and text fragments are never checked; the list is `fragments.skip` in `rules/links.yml`."
    why = "A link to a section that was renamed or removed drops readers at the top of a long page, with no hint of where to look."
    example = "`https://example.com/docs#installation` after the heading became \"Install\" (id `install`)."
    fix = "Point the link at the section's current anchor, or drop the `#fragment`."

    def outline(self, entry: Entry) -> object:
        # A link from another entry is judged by this entry's headings and anchors.
        return sorted(anchors(entry))

    def prepare(self, ctx: AuditContext) -> None:
        super().prepare(ctx)
        self.markers = markers(ctx)

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        for used, judgement in self.judged(entry, ctx):
            result = judgement.result
            if result.verdict == "fragment-missing" and not judgement.network_down:
                yield self.finding(entry, f"link {used.url}: {result.reason}", line=used.line, key=used.url,
                                   evidence=evidence(used, judgement))
        for used, target in internal_links(entry, ctx):
            landing = resolve(entry, target, ctx)
            if landing is None or not landing.ok or landing.entry is None or self.markers.skip_fragment(landing.fragment):
                continue
            names = anchors(ctx.full(landing.entry))
            if landing.fragment not in names:
                where = "this entry" if landing.entry is entry else f"`{landing.entry.path}`"
                yield self.finding(entry, f"link {used.url}: {where} has no heading or anchor `{landing.fragment}`",
                                   line=used.line, key=used.url, evidence=f"{used.where()}: {used.url}",
                                   fix=f"Use one of the anchors of {where}: "
                                       + ", ".join(f"#{a}" for a in sorted(names)[:8]) if names else self.fix)
