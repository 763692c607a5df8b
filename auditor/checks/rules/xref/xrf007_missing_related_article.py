from auditor.checks.rules.xref._refs import ReferenceRule
from auditor.models import Severity


class MissingRelatedArticle(ReferenceRule):
    code = "XRF007"
    name = "xref.missing-related-article"
    severity = Severity.error
    reason = "XREF_BROKEN"
    ref_kind = "related-article"
    noun = "related article"
    title = "A page's `relatedArticles` names no page"
    what = (
        "Checks the paths (or slugs) in a docs page's `relatedArticles` front matter against the pages of the "
        "directory, relative to the page and as site routes. Articles that resolve raise nothing. The fix names "
        "the closest existing page."
    )
    why = "The Related articles box renders a dead link, or the site build fails on the missing reference."
    example = "`relatedArticles: [./creating-effective-skill.md]` when the page is `creating-effective-skills.md`."
    fix = "Correct the path to the page (the finding suggests the closest one) or remove it from `relatedArticles`."
