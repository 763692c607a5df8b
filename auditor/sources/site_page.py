"""Reading one page of a live directory site with a profile's selectors: fields, body, headings, Related block.

Pure functions over parsel selectors, so the crawler process and the tests use the same code. Nothing here
raises on odd markup: lxml repairs what it can, and a selector that matches nothing gives None (or []).

`read_entry_page` runs once per entry page of a crawl, so it works on lxml nodes directly: each selector is
translated (CSS by parsel's own translator) and compiled once, and no parsel wrapper is made per match. It gives
what parsel's `Selector.css`/`.xpath` would: elements, strings for text and attributes, other XPath results
(numbers, booleans) as they are.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlMixin
from parsel import Selector, SelectorList
from parsel.csstranslator import GenericTranslator, HTMLTranslator

_BLOCK_TAGS = {"p", "ul", "ol", "pre", "table", "blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
_CONTAINER_TAGS = {"div", "section", "article", "main", "header", "footer", "aside", "details", "figure", "nav"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "button", "form"}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CSS = {True: HTMLTranslator(), False: GenericTranslator()}  # what parsel's Selector.css uses for HTML, for XML
_NAMESPACES = {"re": "http://exslt.org/regular-expressions", "set": "http://exslt.org/sets"}  # parsel's defaults
_STRING = etree.XPath("string(.)", smart_strings=False)


def squash(text: str | None) -> str:
    """Every run of whitespace as one space, none at either end (the same as a regex `\\s+` -> " " and strip)."""
    return " ".join(text.split()) if text else ""


def _parts(spec: Any) -> tuple[str, str]:
    """(language, expression) of a selector spec."""
    if isinstance(spec, dict):
        if "xpath" in spec:
            return "xpath", str(spec["xpath"])
        return "css", str(spec.get("css", ""))
    text = str(spec)
    if text.startswith("xpath:"):
        return "xpath", text[len("xpath:"):].strip()
    return "css", text


def select(node: Selector | SelectorList, spec: Any) -> SelectorList:
    """The nodes (or strings) a spec picks out under `node`; a bad expression picks nothing."""
    language, expression = _parts(spec)
    if not expression:
        return SelectorList([node]) if isinstance(node, Selector) else node
    try:
        return node.xpath(expression) if language == "xpath" else node.css(expression)
    except ValueError:  # a malformed selector, reported by the profile check where it can be
        return SelectorList([])


@lru_cache(maxsize=1024)
def _compiled(language: str, expression: str, html: bool = True) -> tuple[str, etree.XPath | None]:
    """(the XPath, its compiled evaluator or None when it does not compile). A CSS expression cssselect cannot
    translate raises, as `Selector.css` does."""
    query = expression if language == "xpath" else _CSS[html].css_to_xpath(expression)
    namespaces = {prefix: uri for prefix, uri in _NAMESPACES.items() if f"{prefix}:" in query}
    try:
        return query, etree.XPath(query, namespaces=namespaces, smart_strings=False)
    except etree.XPathError:
        return query, None


def _nodes(root: Any, spec: Any) -> list[Any]:
    """`select` on one lxml node (or a string, or another XPath result): the matches as lxml nodes and strings."""
    language, expression = _parts(spec)
    if not expression:
        return [root]
    is_node = isinstance(root, etree._Element)
    # parsel reads CSS as HTML in a page parsed as HTML (its elements are lxml.html's), as XML in an XML document
    query, evaluate = _compiled(language, expression, not is_node or isinstance(root, HtmlMixin))
    if not is_node:  # a text or attribute value: only `.` selects anything
        return [root] if isinstance(root, str) and query.strip() == "." else []
    if evaluate is None:
        return []
    try:
        result = evaluate(root)
    except etree.XPathError:
        return []
    return result if isinstance(result, list) else [result]


def text_of(node: Selector) -> str:
    """A node's text with whitespace squashed: the string itself for an attribute or text node."""
    return _text(node.root)


def _text(root: Any) -> str:
    if isinstance(root, str):
        return squash(root)
    if isinstance(root, etree._Element):
        return squash(_STRING(root))
    return ""  # a number or a boolean an XPath gave


def _one_value(node: Any, spec: Any) -> Any:
    if isinstance(spec, dict) and spec.get("fields"):
        return {name: _extract(node, sub) for name, sub in spec["fields"].items()}
    if isinstance(spec, dict) and spec.get("attr"):
        value = node.get(str(spec["attr"])) if isinstance(node, etree._Element) else None
        return squash(value) if value is not None else None
    return _text(node)


def _finish(value: Any, spec: Any) -> Any:
    if not isinstance(spec, dict) or not isinstance(value, str):
        return value
    if spec.get("pattern"):
        match = re.search(str(spec["pattern"]), value)
        if not match:
            return None
        value = match.group(1) if match.groups() else match.group(0)
    if spec.get("map"):
        mapping = {str(k).lower(): v for k, v in spec["map"].items()}
        value = mapping.get(value.lower(), value)
    return value


def extract(node: Selector, spec: Any) -> Any:
    """The value a field spec gives on `node`.

    A text spec (or `{css|xpath: ...}`) gives the first match's text; `attr` an attribute of it; `many: true`
    every match as a list; `fields` a mapping read under each match; `key` + `value` (with `many`) a mapping;
    `pattern` keeps a regex group; `map` translates values; `join` joins a list into one text."""
    return _extract(node.root, spec)


def _extract(node: Any, spec: Any) -> Any:
    if not isinstance(spec, dict):  # a selector text: the first match with some text
        for item in _nodes(node, spec):
            text = _text(item)
            if text:
                return text
        return None
    nodes = _nodes(node, spec) if "css" in spec or "xpath" in spec else [node]
    if spec.get("key") and spec.get("value"):
        mapping: dict[str, Any] = {}
        for item in nodes:
            key = _extract(item, spec["key"])
            if key:
                mapping.setdefault(str(key), _extract(item, spec["value"]))
        return mapping or None
    many = spec.get("many")
    values = []
    for item in nodes:
        value = _finish(_one_value(item, spec), spec)
        if value is not None and value != "":
            values.append(value)
            if not many:  # only the first value counts
                break
    if many:
        if spec.get("join") is not None:
            return str(spec["join"]).join(str(v) for v in values) or None
        return values or spec.get("default")
    return values[0] if values else spec.get("default")


# -- the body, as Markdown lines --------------------------------------------------------------------------

def _inline(el: Any, base_url: str, skip_lists: bool = False) -> str:
    """An element's text (not its tail) with links as [text](url) and code as `code`."""
    parts: list[str] = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str):
            tag = child.tag.lower()
            if tag in _SKIP_TAGS or (skip_lists and tag in ("ul", "ol")):
                pass
            elif tag == "a" and (child.get("href") or "").strip():
                href = child.get("href").strip()
                url = href if href.startswith(("mailto:", "javascript:", "#")) else urljoin(base_url, href)
                inner = _inline(child, base_url)
                parts.append(f"[{inner}]({url})" if inner else url)
            elif tag == "code":
                parts.append(f"`{_inline(child, base_url)}`")
            elif tag == "br":
                parts.append(" ")
            elif tag in _BLOCK_TAGS or tag in _CONTAINER_TAGS or tag == "li":
                parts.append(f" {_inline(child, base_url)} ")
            else:
                parts.append(_inline(child, base_url))
        if child.tail:
            parts.append(child.tail)
    return squash("".join(parts))


def body_lines(container: Selector, base_url: str, exclude: list[Any] | None = None) -> list[str]:
    """The container's content as Markdown: headings as `## `, list items as `- `, paragraphs as text, code
    blocks fenced, one blank line between blocks. Elements matched by `exclude` are left out."""
    return _body_lines(container.root, base_url, exclude)


def _body_lines(root: Any, base_url: str, exclude: list[Any] | None = None) -> list[str]:
    excluded = set()
    for spec in exclude or []:
        for node in _nodes(root, spec):
            if not isinstance(node, str):
                excluded.add(node)
    lines: list[str] = []

    def block(text_lines: list[str]) -> None:
        if not text_lines:
            return
        if lines and lines[-1] != "":
            lines.append("")
        lines.extend(text_lines)

    def walk(el: Any, loose: list[str]) -> None:
        for child in el:
            tail = child.tail
            if not isinstance(child.tag, str) or child in excluded:
                if tail and not tail.isspace():
                    loose.append(tail)
                continue
            tag = child.tag.lower()
            if tag in _SKIP_TAGS:
                pass
            elif tag in _BLOCK_TAGS or tag in _CONTAINER_TAGS or tag == "li":
                flush(loose)
                emit(child, tag)
            else:
                loose.append(_inline(child, base_url))
            if tail and not tail.isspace():
                loose.append(tail)

    def flush(loose: list[str]) -> None:
        text = squash(" ".join(loose))
        loose.clear()
        if text:
            block([text])

    def emit(el: Any, tag: str) -> None:
        if tag in _HEADING_TAGS:
            block([f"{'#' * int(tag[1])} {_inline(el, base_url)}"])
        elif tag in ("ul", "ol"):
            block(_list_lines(el, base_url, 0))
        elif tag == "pre":
            block(["```", *_STRING(el).strip("\n").splitlines(), "```"])
        elif tag == "table":
            rows = []
            for tr in el.iter("tr"):
                cells = [_inline(td, base_url) for td in tr if isinstance(td.tag, str)
                         and td.tag.lower() in ("td", "th")]
                rows.append("| " + " | ".join(cells) + " |")
            block(rows)
        elif tag == "blockquote":
            block([f"> {_inline(el, base_url)}"])
        elif tag == "dl":
            block([f"- {_inline(item, base_url)}" for item in el if isinstance(item.tag, str)])
        elif tag == "hr":
            block(["---"])
        elif tag == "p" or tag == "li":
            text = _inline(el, base_url)
            if text:
                block([text if tag == "p" else f"- {text}"])
        else:  # a container: its children are blocks (and loose text is a paragraph)
            loose: list[str] = []
            if el.text and not el.text.isspace():
                loose.append(el.text)
            walk(el, loose)
            flush(loose)

    loose: list[str] = []
    if root.text and not root.text.isspace():
        loose.append(root.text)
    walk(root, loose)
    flush(loose)
    return lines


def _list_lines(el: Any, base_url: str, depth: int) -> list[str]:
    result = []
    for li in el:
        if not isinstance(li.tag, str) or li.tag.lower() != "li":
            continue
        nested = [child for child in li if isinstance(child.tag, str) and child.tag.lower() in ("ul", "ol")]
        text = _inline(li, base_url, skip_lists=True)
        result.append(f"{'  ' * depth}- {text}")
        for child in nested:
            result.extend(_list_lines(child, base_url, depth + 1))
    return result


# -- a whole entry page -----------------------------------------------------------------------------------

def read_entry_page(profile: dict[str, Any], url: str, html: str | Selector) -> dict[str, Any]:
    """Everything the profile reads from one entry page, as plain data (one JSON line of the crawl). `html` is the
    page's text, or the page already parsed (a Scrapy response's `selector`), which spares parsing it again."""
    page = (html if isinstance(html, Selector) else Selector(text=html, base_url=url)).root
    problems: list[str] = []
    fields: dict[str, Any] = {}
    for name, spec in (profile.get("fields") or {}).items():
        value = _extract(page, spec)
        if value not in (None, "", [], {}):
            if name == "links" and isinstance(value, dict):
                value = {k: urljoin(url, str(v)) for k, v in value.items() if v}
            fields[name] = value
    if not fields.get("title"):
        problems.append("the page has no title where the profile looks for one")
    body_spec = profile.get("body")
    containers: list[Any] = []
    body: list[str] = []
    if body_spec:
        containers = [node for node in _nodes(page, body_spec) if not isinstance(node, str)]
        if not containers:
            problems.append(f"the page has no body where the profile looks for one ({_parts(body_spec)[1]})")
        for node in containers:
            body.extend(([""] if body else []) + _body_lines(node, url, profile.get("body_exclude")))
    related_spec = profile.get("related") or {}
    blocks = _nodes(page, related_spec["block"]) if related_spec.get("block") else []
    related = _read_related(blocks, related_spec, url)
    item_nodes: list[Any] = []
    for block in blocks[:1]:
        item_nodes = [n for n in _nodes(block, related_spec.get("items") or "li") if not isinstance(n, str)]
    in_body, in_item = {id(node) for node in containers}, {id(node) for node in item_nodes}
    headings = []
    ancestors: list[list[Any]] = []  # kept, so lxml hands out the same proxies from one heading to the next
    for node in _nodes(page, profile.get("headings") or "h1, h2, h3, h4, h5, h6"):
        if isinstance(node, str) or str(node.tag).lower() not in _HEADING_TAGS:
            continue
        ancestors.append(list(node.iterancestors()) if in_body or in_item else [])
        above = {id(ancestor) for ancestor in ancestors[-1]}
        headings.append({"level": int(str(node.tag)[1]), "text": _text(node),
                         "in_body": not above.isdisjoint(in_body), "in_related_item": not above.isdisjoint(in_item)})
    links: list[dict[str, str]] = []
    link_scopes = profile.get("internal_links") or []
    scopes = [_nodes(page, spec) for spec in link_scopes] if link_scopes else [containers, blocks]
    seen: set[str] = set()
    for scope in scopes:
        for node in scope:
            for anchor in _nodes(node, "a[href]"):
                href = (anchor.get("href") or "").strip()
                if not href or href.startswith(("mailto:", "javascript:", "tel:", "#")):
                    continue
                absolute = urldefrag(urljoin(url, href))[0]
                if absolute not in seen:
                    seen.add(absolute)
                    links.append({"url": absolute, "text": _text(anchor)})
    return {"fields": fields, "body": body, "related": related, "headings": headings, "links": links,
            "problems": problems}


def _read_related(blocks: list[Any], spec: dict[str, Any], url: str) -> dict[str, Any] | None:
    """The Related block as shown (the first of `blocks`, what the profile's `related.block` matched)."""
    if not spec.get("block"):
        return None
    if not blocks:
        return {"found": False, "count": None, "count_text": "", "items": []}
    block = blocks[0]
    count_text = _extract(block, spec["count"]) if spec.get("count") else None
    count = None
    if count_text is not None:
        match = re.search(r"\d+", str(count_text))
        count = int(match.group(0)) if match else None
    items = []
    for item in _nodes(block, spec.get("items") or "li"):
        link = _extract(item, spec["link"]) if spec.get("link") else _extract(item, "a::attr(href)")
        items.append({
            "title": _extract(item, spec["title"]) if spec.get("title") else None,
            "url": urldefrag(urljoin(url, str(link)))[0] if link else None,
            "blurb": _extract(item, spec["blurb"]) if spec.get("blurb") else None,
        })
    return {"found": True, "count": count, "count_text": str(count_text or ""), "items": items}


def is_same_site(url: str, domains: list[str]) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == d or host.endswith("." + d) for d in domains)
