import re
from collections.abc import Iterable

from auditor.checks.base import AuditContext, Rule
from auditor.checks.rules.pricing.prices import Price, body_prices, checked_date, parse_price, plans, vocabulary
from auditor.markdown_text import fenced_lines
from auditor.models import Entry, Finding, Severity

NEAR = 60  # at most this many characters between a plan's name and its price in a sentence


class BodyPriceMismatch(Rule):
    code = "PRC002"
    depends_on = "entry"
    name = "pricing.body-mismatch"
    severity = Severity.warning
    reason = "PRICE_MISMATCH"
    claim = "pricing"
    title = "The body gives a plan a different price from the front matter"
    what = "Finds a plan's name in the body followed in the same sentence (within 60 characters, no other plan or price between) by a price with a currency, and reports it when the amount differs from that plan's `price` in the front matter. Prices for another period (`$190/year` beside `$19/month`), in another currency, or introduced by words such as `previously`, `then` or `plus` (`change_words` in `rules/pricing.yml`) are not compared. Code blocks are skipped."
    why = "When the text and the pricing table disagree, at least one of them is wrong, and readers cannot tell which."
    example = "Front matter `{plan: Team, price: \"$99/month\"}`; the FAQ says \"The Team plan is $79/month per workspace\"."
    fix = "Check the vendor's pricing page and make the body and the front matter say the same price (and update `checked`)."

    def check(self, entry: Entry, ctx: AuditContext) -> Iterable[Finding]:
        vocab = vocabulary(ctx)
        known: list[tuple[str, Price, dict]] = []
        for item in plans(entry):
            if item.get("plan") and item.get("price") not in (None, ""):
                price = parse_price(item["price"], vocab)
                if price.amount is not None:
                    known.append((str(item["plan"]), price, item))
        if not known:
            return
        names = {plan: re.compile(rf"(?<![\w-]){re.escape(plan)}(?![\w-])") for plan, _, _ in known}
        any_plan = re.compile("|".join(rf"(?<![\w-]){re.escape(plan)}(?![\w-])" for plan, _, _ in known))
        code = fenced_lines(entry.body_lines)
        for offset, text in enumerate(entry.body_lines):
            if (code[offset] or not any(plan in text for plan, _, _ in known)
                    or not any(marker in text for marker in vocab.markers)):
                continue
            prices = list(body_prices(text, vocab))
            for plan, expected, item in known:
                for mention in names[plan].finditer(text):
                    found = next(((m, p) for m, p in prices if m.start() >= mention.end()), None)
                    if found is None:
                        continue
                    match, said = found
                    between = text[mention.end():match.start()]
                    if (len(between) > NEAR or re.search(r"[.!?;](\s|$)", between) or any_plan.search(between)
                            or vocab.change_re.search(between.lower())):
                        continue
                    if self._agrees(expected, said):
                        continue
                    checked = checked_date(item.get("checked")) if item.get("checked") else None
                    yield self.finding(
                        entry,
                        f"the body says the {plan} plan costs {said.describe()}; the front matter says "
                        f"{expected.describe()}",
                        line=entry.body_start + offset, key=f"plan:{plan}:{said.describe()}",
                        evidence=text.strip(), claim_date=checked,
                        fix=f"Check the {plan} plan on the vendor's pricing page"
                            + (f" ({item['source']})" if item.get("source") else "")
                            + ", then make the body and `pricing` agree and update `checked`.",
                    )

    @staticmethod
    def _agrees(expected: Price, said: Price) -> bool:
        if expected.currency and said.currency and expected.currency != said.currency:
            return True  # another currency: regional pricing, not comparable
        if expected.period and said.period and expected.period != said.period:
            return True  # another period: an annual price beside a monthly one
        return abs((expected.amount or 0.0) - (said.amount or 0.0)) < 0.005
