from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.pricing.prices import checked_date, plans, text_prices, vocabulary
from auditor.checks.rules.staleness._claims import own_date
from auditor.models import Entry, Finding, Severity


class PriceCheckOverdue(Rule):
    code = "PRC001"
    depends_on = "date"  # ages against the audit date
    name = "pricing.check-overdue"
    severity = Severity.warning
    reason = "PRICE_AGE"
    claim = "pricing"
    title = "A plan's price has not been checked against its source within the interval"
    what = "Reports each `pricing` plan whose `checked` date is older than `check_interval_days` in `rules/pricing.yml` (90 days unless a kind sets its own in `check_interval_days_by_kind`), or that has no usable `checked` date. One finding per plan, at the `pricing` key. An entry without `pricing` that states prices in its text (`$3.00 per 1M tokens`, `$20/month`: a currency and a unit or period) gets one finding when those prices are older than the interval, each dated by a date on its own line, else by the entry's last change (`updated`); a price with neither date is not judged, nor one on a line that illustrates (`example_words`)."
    why = "Vendors change prices and plan names without notice; a price nobody has compared with the vendor's page for months is a guess presented as a fact."
    example = "`pricing: [{plan: Pro, price: \"$20/month\", checked: 2026-01-10}]` audited on 2026-11-28: the Pro price was checked 322 days ago."
    fix = "Open the plan's `source`, correct the price if it changed, and set the plan's `checked` to today."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        pack = ctx.pack.get("pricing") or {}
        interval = int((pack.get("check_interval_days_by_kind") or {}).get(entry.kind or "")
                       or pack.get("check_interval_days") or 90)
        line = entry.line_of("pricing")
        items = plans(entry)
        if not items:
            yield from self._text_prices(entry, ctx, interval)
        for number, item in enumerate(items, start=1):
            plan = str(item.get("plan") or f"#{number}")
            price = item.get("price")
            where = f"the {plan} price" + (f" ({price})" if price not in (None, "") else "")
            source = f" ({item['source']})" if item.get("source") else ""
            raw = item.get("checked")
            checked = checked_date(raw) if raw not in (None, "") else None
            evidence = f"plan: {plan}, price: {price}, checked: {raw if raw not in (None, '') else '(none)'}"
            if checked is None:
                problem = "has no `checked` date" if raw in (None, "") else f"has a `checked` that is not a date: {raw!r}"
                yield self.finding(
                    entry, f"{where} {problem}", line=line, key=f"plan:{plan}", evidence=evidence,
                    fix=f"Compare the {plan} plan with its source{source} and add `checked: {ctx.as_of.isoformat()}`.",
                )
                continue
            if checked > ctx.as_of:
                continue
            age = (ctx.as_of - checked).days
            if age > interval:
                yield self.finding(
                    entry,
                    f"{where} was last checked {age} days ago on {checked.isoformat()} "
                    f"(prices are re-checked every {interval} days)",
                    line=line, key=f"plan:{plan}", evidence=evidence, claim_date=checked,
                    fix=f"Compare the {plan} plan with its source{source}, correct the price if it changed, "
                        f"and set its `checked: {ctx.as_of.isoformat()}`.",
                )

    def _text_prices(self, entry: Entry, ctx: AuditContext, interval: int) -> Iterable[Finding]:
        """Prices stated in the text of an entry with no `pricing`: one finding for those past the interval."""
        stale = [p for p in text_prices(entry, vocabulary(ctx), own_date(entry))
                 if p.date <= ctx.as_of and (ctx.as_of - p.date).days > interval]
        if not stale:
            return
        newest = max(p.date for p in stale)
        listed = ", ".join(f"{p.price.describe()} on line {p.line} ({p.basis} {p.date.isoformat()})" for p in stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        count = f"{len(stale)} price{'s' if len(stale) != 1 else ''}"
        yield self.finding(
            entry,
            f"{count} stated in the text, with no `pricing` to check them against, date from "
            f"{(ctx.as_of - newest).days} or more days ago (prices are re-checked every {interval} days): "
            f"{listed}{more}",
            line=stale[0].line, key="text-prices", claim_date=newest, evidence=stale[0].price.describe(),
            fix="Compare the prices with the vendor's pricing page, correct them, and record them under `pricing` "
                f"with `checked: {ctx.as_of.isoformat()}` (or remove them from the text).",
        )
