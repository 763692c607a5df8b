from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.pricing.prices import checked_date, parse_price, plans, vocabulary
from auditor.models import Entry, Finding, Severity


class IncompletePrice(Rule):
    code = "PRC003"
    depends_on = "entry"
    name = "pricing.incomplete-price"
    severity = Severity.warning
    reason = "PRICE_INCOMPLETE"
    claim = "pricing"
    title = "A plan's price has no currency or no billing period"
    what = "Reports each `pricing` plan whose `price` has a figure but no currency (`20/month`) or no period or unit (`$20`, where `/month`, `per user per month`, `per 100k requests` or `one-time` would say what the figure buys), or that has no `price` at all. Free plans (`Free`, `$0`) and prices without a figure (`Contact sales`) are fine. Currencies and period words are in `rules/pricing.yml`."
    why = "`$20` could be per month, per year or once; `20/month` could be dollars or euros. Readers compare plans by these prices, so half a price misleads."
    example = "`{plan: Pro, price: \"$20\"}` (per month? per year?) or `{plan: Team, price: \"20/month\"}` (which currency?)."
    fix = "Write the whole price as the vendor's page shows it: currency, amount and period, e.g. `$20/month` or `€9 per user per month`."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        vocab = vocabulary(ctx)
        line = entry.line_of("pricing")
        for number, item in enumerate(plans(entry), start=1):
            plan = str(item.get("plan") or f"#{number}")
            raw = item.get("price")
            checked = checked_date(item.get("checked")) if item.get("checked") else None
            if raw is None or str(raw).strip() == "":
                yield self.finding(entry, f"the {plan} plan has no `price`", line=line, key=f"plan:{plan}",
                                   evidence=f"plan: {plan}", claim_date=checked,
                                   fix=f"Add the {plan} plan's price with its currency and period, e.g. `$20/month`.")
                continue
            price = parse_price(raw, vocab)
            if price.amount is None or price.free:
                continue
            missing = [what for what, absent in (("currency", price.currency is None),
                                                 ("billing period", not price.units)) if absent]
            if missing:
                yield self.finding(
                    entry, f"the {plan} price `{price.describe()}` has no {' and no '.join(missing)}",
                    line=line, key=f"plan:{plan}", evidence=f"plan: {plan}, price: {raw}", claim_date=checked,
                    fix=f"Write the {plan} price in full as its source shows it, with "
                        f"{' and '.join(missing)}, e.g. `$20/month`.",
                )
