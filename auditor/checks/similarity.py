"""Normalising text, titles and URLs, and blocking: which pairs of entries are worth comparing at all.

Comparing every entry with every other is quadratic (50,000 entries are 1.25 billion pairs), so the
duplicate rules never do it. Each entry is described by a set of *features* (the lines of its body,
the word pairs of its summary). A feature that many entries share is boilerplate (a section heading,
a fence, a stock sentence) and says nothing; a feature that only a handful share is a fingerprint
that text copied from one entry into another keeps. `RareFeatureBlocker` counts how many entries
have each feature and makes a candidate pair of two entries that share at least one feature held by
no more than `max_df` entries. Only candidate pairs are scored with rapidfuzz.

The cost is the sum, over rare features, of the square of how many entries share one: at most
`max_df` squared per feature, and in practice close to the number of real near-duplicates, because
two unrelated entries rarely share a line or a word pair nobody else uses. Everything here is
deterministic: features are counted and numbered in the order entries are added.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from itertools import chain, combinations
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

# A word keeps a trailing ++ or # (C++, C#, F#, Notepad++): without it C++ and C# would be the same word, "c".
WORD = re.compile(r"\w+(?:\+\+|#(?!\w))?")


def words(text: str | None) -> list[str]:
    """The lowercase words of a text: case, whitespace and punctuation (apostrophes too) do not count."""
    if not text:
        return []
    text = text.lower()
    if "'" in text or "’" in text:
        text = text.replace("'", "").replace("’", "")
    return WORD.findall(text)


def normalize_text(text: str | None) -> str:
    """The words of a text joined by single spaces (what near-duplicate scores compare)."""
    return " ".join(words(text))


def normalize_title(title: str | None, ignore_words: Iterable[str] = ()) -> str:
    """A title's words without case, punctuation and the words in `ignore_words` ("the", "a")."""
    ignored = ignore_words if isinstance(ignore_words, set | frozenset) else {w.lower() for w in ignore_words}
    return " ".join(word for word in words(title) if word not in ignored)


def shingles(tokens: list[str], size: int) -> set[tuple[str, ...]]:
    """The runs of `size` consecutive tokens (the tokens themselves when there are fewer)."""
    if size <= 1:
        return {(token,) for token in tokens}
    if len(tokens) < size:
        return {tuple(tokens)} if tokens else set()
    return set(zip(*(tokens[i:] for i in range(size)), strict=False))


# --- URLs -------------------------------------------------------------------------------------------

DEFAULT_TRACKING = ("utm_*", "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid",
                    "_hsenc", "_hsmi", "ref", "ref_src")
DEFAULT_CASE_INSENSITIVE = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")
_DEFAULT_PORTS = {80, 443}
_OTHER_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)
_SIMPLE_URL = re.compile(r"https?://([a-z0-9.-]+)(/[^?#\s]*)?(?:#\S*)?", re.IGNORECASE)


class UrlNormalizer:
    """`normalize_url` with its settings compiled once and its answers cached (directories repeat URLs)."""

    def __init__(self, tracking: Iterable[str] = DEFAULT_TRACKING,
                 case_insensitive_hosts: Iterable[str] = DEFAULT_CASE_INSENSITIVE) -> None:
        patterns = [fnmatch.translate(pattern.lower()) for pattern in tracking]
        self._tracking = re.compile("|".join(patterns)) if patterns else None
        self._hosts = tuple(host.lower() for host in case_insensitive_hosts)
        self._cache: dict[str, str | None] = {}

    def __call__(self, url: str | None) -> str | None:
        if not url:
            return None
        if url not in self._cache:
            self._cache[url] = self._normalize(url)
        return self._cache[url]

    def _normalize(self, url: str) -> str | None:
        text = url.strip()
        simple = _SIMPLE_URL.fullmatch(text)
        if simple:  # the common case, without urlsplit's cost
            host, path, query_text = simple[1].lower().rstrip("."), simple[2] or "", ""
        else:
            if text.startswith("//"):
                text = "http:" + text
            elif "://" not in text:
                if _OTHER_SCHEME.match(text):  # mailto:, tel:, urn: ... are not web pages
                    return None
                text = "http://" + text
            try:
                parts = urlsplit(text)
                port = parts.port
            except ValueError:
                return None
            if parts.scheme.lower() not in ("http", "https"):
                return None
            host = (parts.hostname or "").lower().rstrip(".")
            if not host:
                return None
            if port and port not in _DEFAULT_PORTS:
                host = f"{host}:{port}"
            path, query_text = parts.path, parts.query
        if host.startswith("www."):
            host = host[4:]
        bare_host = host.split(":", 1)[0]
        if "%" in path:
            path = unquote(path)
        if "//" in path:
            path = re.sub(r"/{2,}", "/", path)
        path = path.rstrip("/")
        if path[-4:].lower() == ".git":
            path = path[:-4].rstrip("/")
        if any(bare_host == h or bare_host.endswith("." + h) for h in self._hosts):
            path = path.lower()
        query = ""
        if query_text:
            kept = sorted((key, value) for key, value in parse_qsl(query_text, keep_blank_values=True)
                          if not (self._tracking and self._tracking.match(key.lower())))
            query = f"?{urlencode(kept)}" if kept else ""
        return host + path + query


def normalize_url(
    url: str | None,
    tracking: Iterable[str] = DEFAULT_TRACKING,
    case_insensitive_hosts: Iterable[str] = DEFAULT_CASE_INSENSITIVE,
) -> str | None:
    """A URL reduced to what identifies the page, or None when it is not a web address.

    Ignored: the scheme (http and https), a leading `www.`, the case of the host, default ports,
    a trailing slash, a `.git` suffix, the fragment, query parameters matching `tracking` (globs such
    as `utm_*`) and the order of the others; the path's case too on `case_insensitive_hosts`.
    `https://www.GitHub.com/Org/Repo.git/?utm_source=x` -> `github.com/org/repo`.
    """
    return UrlNormalizer(tracking, case_insensitive_hosts)(url)


# --- blocking ---------------------------------------------------------------------------------------

class RareFeatureBlocker:
    """Candidate pairs of documents that share rare features.

    `add(features)` once per document, in a stable order; `pairs()` then returns `(i, j)` with `i < j`
    (document numbers in the order added) for every two documents that share at least `min_shared`
    features each held by at least 2 and at most `max_df` documents (a document with fewer features
    than that in all needs to share all of them). Features are any hashable values; a document's are
    deduplicated.
    """

    def __init__(self, max_df: int = 5, min_shared: int = 2, counts: Mapping[Hashable, int] | None = None) -> None:
        if max_df < 2:
            raise ValueError("max_df must be at least 2")
        self.max_df = max_df
        self.min_shared = max(1, min_shared)
        self._docs: list[tuple[Hashable, ...]] = []
        self.rare_features = 0  # after pairs(): features rare enough to pair on
        self.shared_pairs = 0  # after pairs(): pairs sharing at least one of them, before min_shared
        # How many documents hold a feature in all, when the documents added are a few of them (a query for a few
        # entries against counts kept for the whole directory); features it does not hold are counted here.
        self.known = counts

    def add(self, features: Iterable[Hashable]) -> int:
        """Add one document; returns its number."""
        self._docs.append(tuple(set(features)))
        return len(self._docs) - 1

    def __len__(self) -> int:
        return len(self._docs)

    def pairs(self) -> set[tuple[int, int]]:
        counts = Counter(chain.from_iterable(self._docs))
        if self.known is not None:
            for feature in counts.keys() & self.known.keys():
                counts[feature] = self.known[feature]
        rare = {feature for feature, count in counts.items() if 2 <= count <= self.max_df}
        del counts
        self.rare_features = len(rare)
        buckets: dict[Hashable, list[int]] = {}
        for number, features in enumerate(self._docs):
            for feature in rare.intersection(features):
                bucket = buckets.get(feature)
                if bucket is None:
                    buckets[feature] = [number]
                else:
                    bucket.append(number)
        if self.min_shared == 1:
            found: set[tuple[int, int]] = set()
            for members in buckets.values():
                found.update(combinations(members, 2))  # members are in document order, so i < j
            self.shared_pairs = len(found)
            return found
        together: Counter[tuple[int, int]] = Counter()
        for members in buckets.values():
            together.update(combinations(members, 2))
        self.shared_pairs = len(together)
        need, docs = self.min_shared, self._docs
        return {pair for pair, shared in together.items()
                if shared >= need or shared >= min(len(docs[pair[0]]), len(docs[pair[1]]))}
