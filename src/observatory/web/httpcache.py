"""The one HTTP-cache helper: ETags, conditional requests and the bounded cache of finished responses.

Pages, the API and the PDF reports all use it, so a URL is validated (``If-None-Match``, 304) the same way
everywhere:

- ``etag(release_id, fmt, path, query)`` is a strong tag tied to the release and the *normalised* URL.
- ``matches(if_none_match, tag)`` is the weak comparison RFC 9110 §13.1.2 prescribes for
  ``If-None-Match``: ``W/"x"`` matches ``"x"``, lists are split on commas, and ``*`` matches any.
- ``ResponseCache`` keeps finished responses (body, gzip body, headers) least recently used out first and
  bounded in bytes, counting everything it holds: key, body, compressed body and headers
  (``cachetools.LRUCache`` with a ``getsizeof``). Hostile URLs cannot grow it past its bound, and
  ``normalise_query`` makes ``?a=1&a=1&b=2`` and ``?b=2&a=1`` one API key (page keys keep the exact query,
  since page bodies repeat it in their links).

Nothing taken from the request's Host header is ever part of a key or of a cached body: absolute URLs come
from the configured ``base_url`` (see ``observatory.web.security``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from cachetools import LRUCache

CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=60"
IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_BYTES = int(os.environ.get("OBSERVATORY_CACHE_BYTES", str(32 * 1024 * 1024)))
ENTRY_MAX = 8 * 1024 * 1024  # a larger response is served but not kept
GZIP_MIN = 1000  # as the app's GZipMiddleware
ENTRY_OVERHEAD = 400  # bytes of Python objects around an entry (dataclass, tuples, dict slot), measured roughly


def etag(release_id: str, fmt: str, path: str, query: str = "", extra: str = "", *, exact: bool = False) -> str:
    """A strong ETag (``"<32 hex>"``) for this release, format and URL, plus ``extra``.

    The query is normalised (``normalise_query``) unless ``exact``: pages repeat their query in their links,
    so two spellings of one query are two bodies there.
    """
    text = f"{release_id}|{fmt}|{path}?{query if exact else normalise_query(query)}" + (f"|{extra}" if extra else "")
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def matches(if_none_match: str | bytes | None, tag: str | bytes) -> bool:
    """Whether an ``If-None-Match`` value names ``tag`` (weak comparison: ``W/`` ignored; ``*``; lists)."""
    if not if_none_match:
        return False
    sent = if_none_match.decode("latin-1") if isinstance(if_none_match, bytes) else if_none_match
    mine = (tag.decode("latin-1") if isinstance(tag, bytes) else tag).strip().removeprefix("W/")
    listed = [t.strip().removeprefix("W/") for t in sent.split(",")]
    return "*" in listed or mine in listed


def normalise_query(query: str, known: Iterable[str] | None = None) -> str:
    """The query with repeated identical pairs dropped and pairs sorted; only ``known`` names if given.

    Order of different values of one name is kept (``area=a&area=b`` is a list), so the answer cannot change.
    """
    if not query:
        return ""
    allowed = set(known) if known is not None else None
    seen: set[tuple[str, str]] = set()
    pairs: list[tuple[str, str]] = []
    for pair in parse_qsl(query, keep_blank_values=True):
        if (allowed is not None and pair[0] not in allowed) or pair in seen:
            continue
        seen.add(pair)
        pairs.append(pair)
    pairs.sort(key=lambda p: p[0])  # stable: values of one name stay in their order
    return urlencode(pairs)


@dataclass
class Entry:
    """A finished response: body, every header, its ETag, and its gzip form once made."""

    body: bytes
    headers: list[tuple[bytes, bytes]]
    etag: bytes
    compressible: bool
    gz: bytes | None = None
    key_bytes: int = 0

    def size(self) -> int:
        head = sum(len(k) + len(v) + 64 for k, v in self.headers)
        return ENTRY_OVERHEAD + self.key_bytes + len(self.body) + len(self.gz or b"") + head + len(self.etag)


CacheKey = tuple[str, ...]


class ResponseCache:
    """Finished responses by key, least recently used out first, bounded by everything they hold in bytes."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: LRUCache[CacheKey, Entry] = LRUCache(maxsize=max_bytes, getsizeof=Entry.size)
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> Entry | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: CacheKey, entry: Entry) -> None:
        entry.key_bytes = sum(len(k) for k in key)
        if len(entry.body) > ENTRY_MAX or entry.size() > self.max_bytes:
            return
        with self._lock:
            self._items[key] = entry

    def add_gzip(self, key: CacheKey, entry: Entry, gz: bytes) -> None:
        """Keep the compressed body too (re-inserted, so its size is counted)."""
        with self._lock:
            if entry.gz is None and self._items.get(key) is entry:
                entry.gz = gz
                del self._items[key]
                if entry.size() <= self.max_bytes:
                    self._items[key] = entry

    @property
    def bytes_held(self) -> int:
        return int(self._items.currsize)

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


RESPONSES = ResponseCache()
