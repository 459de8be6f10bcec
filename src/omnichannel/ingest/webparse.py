"""Pure helpers for the crawler: URL canonical form, links in a page, sitemaps."""

from __future__ import annotations

import gzip
import io
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree as ET


def canonical(url: str, base: str | None = None) -> str | None:
    """An absolute http(s) URL without its fragment, host lower-cased, default port dropped."""
    url = urldefrag(urljoin(base, url) if base else url)[0].strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    if port is not None and port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path or "/", parts.query, ""))


def host_of(url: str) -> str:
    return urlsplit(url).netloc


class Links(HTMLParser):
    """Links, <base href> and robots meta directives of a page."""

    def __init__(self, agent: str) -> None:
        super().__init__(convert_charrefs=True)
        self.agent = agent
        self.links: list[str] = []
        self.base: str | None = None
        self.noindex = self.nofollow = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("a", "area") and a.get("href"):
            self.links.append(a["href"])
        elif tag == "base" and a.get("href") and self.base is None:
            self.base = a["href"]
        elif tag == "meta" and a.get("name", "").lower() in ("robots", self.agent):
            content = a.get("content", "").lower()
            self.noindex |= "noindex" in content or "none" in content
            self.nofollow |= "nofollow" in content or "none" in content


def parse_sitemap(body: bytes) -> tuple[list[str], list[str]]:
    """(page URLs, child sitemap URLs) from a sitemap or sitemap index, gzip or not."""
    if body[:2] == b"\x1f\x8b":
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
            body = unzipped.read(64 * 1024 * 1024)
    root = ET.fromstring(body)
    pages: list[str] = []
    children: list[str] = []
    for entry in root:
        kind = entry.tag.rsplit("}", 1)[-1]
        for loc in entry:
            if loc.tag.rsplit("}", 1)[-1] == "loc" and loc.text and loc.text.strip():
                (children if kind == "sitemap" else pages).append(loc.text.strip())
    return pages, children


def looks_like_sitemap(body: bytes, content_type: str) -> bool:
    head = body[:512].lstrip()
    return (body[:2] == b"\x1f\x8b" or "xml" in content_type
            or head.startswith(b"<?xml") or head.startswith(b"<urlset")
            or head.startswith(b"<sitemapindex"))


def decode(body: bytes, charset: str | None) -> str:
    """Text in the charset the server named, else the page's <meta charset>, else UTF-8."""
    if not charset:
        m = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", body[:4096], re.I)
        charset = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
