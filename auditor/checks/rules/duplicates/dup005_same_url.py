from auditor.checks.rules.duplicates._index import DuplicateRule, Match
from auditor.models import Entry, Finding, Severity


class SameUrl(DuplicateRule):
    code = "DUP005"
    name = "duplicates.same-url"
    severity = Severity.warning
    part = "url"
    title = "The homepage or repository is another entry's"
    what = (
        "Reports an entry whose `links.homepage` or `links.repo` (the keys in `url.fields`, rules/duplicates.yml) "
        "is the same address as one of another same-kind entry's, after normalisation: scheme, `www.`, host "
        "case, default port, trailing slash, `.git`, fragment and tracking parameters such as `utm_*` are "
        "ignored, and path case on hosts like github.com. Entries of different kinds may share an address (an "
        "MCP server and the tool it belongs to). An address more than `url.max_group` entries share is a hub, "
        "not a duplicate, and is not reported; nor are addresses listed in `url.ignore`. Reported once per "
        "pair, on the entry whose path sorts later."
    )
    why = "Two entries pointing at one project are usually one project listed twice, under two names."
    example = "`repo: https://github.com/CrystalDBA/postgres-mcp.git` and `repo: https://github.com/crystaldba/postgres-mcp`."
    fix = (
        "Merge the two entries if they describe the same project; if they do not, link each to its own page "
        "(or add the shared address to `url.ignore` when sharing it is right)."
    )

    def report(self, entry: Entry, match: Match) -> Finding:
        data = match.data
        return self.finding(
            entry,
            f"`{data.get('field')}` is the same address as the `{data.get('other_field')}` of {self.other(match)}",
            line=entry.line_of("links"), key=match.other.id,
            evidence=(f"both link {data.get('url')}" if data.get("url") == data.get("other_url")
                      else f"{data.get('url')} = {data.get('other_url')} (both {match.detail})"),
            fix=f"Merge `{entry.id}` into `{match.other.id}` if they are the same project; otherwise link each to "
                "its own page.",
        )
