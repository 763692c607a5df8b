from auditor.checks.rules.xref._refs import ReferenceRule
from auditor.models import Severity


class BrokenFileLink(ReferenceRule):
    code = "XRF005"
    name = "xref.broken-file-link"
    severity = Severity.error
    reason = "XREF_BROKEN"
    ref_kind = "link"
    noun = "link"
    title = "A relative link between the directory's files leads nowhere"
    what = (
        "In entries read in another directory format (awesome lists, SKILL.md folders, YAML pairs and their "
        "twins, plugin READMEs, docs pages), checks every relative link against the directory's files: relative "
        "to the file, and on a static site's pages (`site_content_roots`) as a route, relative to the page's own "
        "route (`../setup/`) or the site root (`/guide/setup/`), a locale falling back to the default one, or a page the site builds from its pages folder (`website/src/pages/cookbook/index.astro`, rules/routes.yml). "
        "Fenced code, inline code and template placeholders (`{{url}}`, `${x}`, `<url>`) are skipped, and so are "
        "links that leave the directory or name site routes it does not hold (`/images/...` of a site whose "
        "assets live elsewhere). The fix: in a git checkout what became of the target (renamed: its new path; deleted: the commit), else an existing file close enough to be a typo (rules/suggestions.yml), else none."
    )
    why = "A link to a renamed or removed file renders as a 404 on the site and breaks the skill's bundled references."
    example = "`[patterns](references/patern.md)` in `skills/x/SKILL.md` when the file is `references/pattern.md`."
    fix = "Correct the path (the finding suggests the closest existing file) or remove the link."
