"""A polite crawler for a help-center website: one host, robots.txt honoured, HTML only.

Started from a sitemap (or sitemap index), it fetches exactly the pages listed there; started
from a page, it follows links breadth-first. Either way it stays on the start URL's host,
skips what robots.txt disallows for `omnichannel-ingest`, waits between requests (at least the
site's Crawl-delay) and stops after `max_pages` page requests.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree as ET

import aiohttp

from omnichannel.ingest.webparse import (
    Links,
    canonical,
    decode,
    host_of,
    looks_like_sitemap,
    parse_sitemap,
)

AGENT = "omnichannel-ingest"
USER_AGENT = f"{AGENT}/0.1 (+https://github.com/omnichannel)"
MAX_BYTES = 8 * 1024 * 1024
HTML_TYPES = ("text/html", "application/xhtml+xml")
NOT_HTML = {".pdf", ".zip", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico",
            ".css", ".js", ".json", ".xml", ".mp4", ".mp3", ".webm", ".woff", ".woff2", ".txt"}


class CrawlError(Exception):
    """The site as a whole cannot be crawled: bad start URL, robots.txt, unreadable sitemap."""


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    html: str
    fetched_at: float


@dataclass(frozen=True, slots=True)
class Gone:
    """404 or 410: the page no longer exists."""

    url: str
    status: int


@dataclass(frozen=True, slots=True)
class Failed:
    """Could not be read this time (server error, timeout): an earlier copy is kept."""

    url: str
    reason: str


Event = Page | Gone | Failed


@dataclass(slots=True)
class _Response:
    status: int
    url: str
    content_type: str
    body: bytes
    charset: str | None


class Crawler:
    def __init__(
        self,
        start: str,
        *,
        max_pages: int = 200,
        delay: float = 0.5,
        timeout: float = 20.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        url = canonical(start)
        if url is None:
            raise CrawlError(f"{start}: not an http(s) URL")
        self.start = url
        self.host = host_of(url)
        self.max_pages = max_pages
        self.delay = delay
        self.timeout = timeout
        self.session = session
        self.requested = 0  # page requests so far (the cap counts these)
        self.expected = 1  # pages known so far, for a progress bar
        self.skipped: list[tuple[str, str]] = []
        self.complete = True  # False when a failure may have hidden pages
        self.truncated = False  # True when the page cap left pages unread
        self._robots = RobotFileParser()
        self._last = 0.0
        self._done: set[str] = set()

    async def pages(self) -> AsyncIterator[Event]:
        session = self.session or aiohttp.ClientSession(
            headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async for event in self._crawl(session):
                yield event
        finally:
            if self.session is None:
                await session.close()

    async def _crawl(self, session: aiohttp.ClientSession) -> AsyncIterator[Event]:
        await self._read_robots(session)
        delay = max(self.delay, min(float(self._robots.crawl_delay(AGENT) or 0), 60.0))
        self.delay = delay
        if not self._allowed(self.start):
            raise CrawlError(f"{self.start}: robots.txt disallows it for {AGENT}")
        first = await self._get(session, self.start)
        if isinstance(first, str) or first.status != 200:
            why = first if isinstance(first, str) else f"HTTP {first.status}"
            raise CrawlError(f"{self.start}: cannot fetch the start URL ({why})")
        seen: set[str] = {self.start}
        queue: deque[str] = deque()
        follow = not looks_like_sitemap(first.body, first.content_type)
        if not follow:
            for url in await self._sitemap(session, first):
                if url not in seen:
                    seen.add(url)
                    queue.append(url)
            if not queue:
                why = "robots.txt or the same-host rule excludes" if self.skipped else "lists no"
                raise CrawlError(f"{self.start}: the sitemap {why} pages")
        self.expected = min(len(queue) + (1 if follow else 0), self.max_pages)
        resp: _Response | str | None = first if follow else None
        url = self.start
        while True:
            if resp is None:
                if not queue:
                    return
                if self.requested >= self.max_pages:
                    self.truncated = True
                    return
                url = queue.popleft()
                resp = await self._get(session, url)
            self.requested += 1
            event, links = self._event(url, resp, follow)
            resp = None
            if event is not None:
                yield event
            for link in links:
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
            self.expected = min(self.requested + len(queue), self.max_pages)

    def _event(
        self, url: str, resp: _Response | str, follow: bool
    ) -> tuple[Event | None, list[str]]:
        if isinstance(resp, str):
            self.complete = self.complete and not follow
            return Failed(url, resp), []
        if resp.status in (404, 410):
            return Gone(url, resp.status), []
        if resp.status != 200:
            self.complete = self.complete and not follow
            return Failed(url, f"HTTP {resp.status}"), []
        final = canonical(resp.url) or url
        if host_of(final) != self.host:
            self.skipped.append((url, f"redirects to another host ({final})"))
            return None, []
        if final in self._done:  # a redirect to a page already read
            return None, []
        self._done.add(final)
        if not resp.content_type.startswith(HTML_TYPES):
            self.skipped.append((url, f"not HTML ({resp.content_type or 'no content type'})"))
            return None, []
        text = decode(resp.body, resp.charset)
        parsed = Links(AGENT)
        try:
            parsed.feed(text)
        except (ValueError, AssertionError):  # hopeless markup: index what parse_html makes of it
            pass
        links: list[str] = []
        if follow and not parsed.nofollow:
            base = canonical(parsed.base, final) if parsed.base else final
            links = [u for href in parsed.links if (u := self._candidate(href, base or final))]
        if parsed.noindex:
            self.skipped.append((url, "marked noindex"))
            return None, links
        return Page(final, text, time.time()), links

    def _candidate(self, href: str, base: str) -> str | None:
        url = canonical(href, base)
        if url is None or host_of(url) != self.host:
            return None
        if PurePosixPath(urlsplit(url).path).suffix.lower() in NOT_HTML:
            return None
        if not self._allowed(url):
            if url not in self._done:
                self._done.add(url)  # reported once, never fetched
                self.skipped.append((url, "disallowed by robots.txt"))
            return None
        return url

    def _allowed(self, url: str) -> bool:
        return self._robots.can_fetch(AGENT, url)

    async def _read_robots(self, session: aiohttp.ClientSession) -> None:
        parts = urlsplit(self.start)
        resp = await self._get(session, urlunsplit((parts.scheme, parts.netloc, "/robots.txt",
                                                    "", "")))
        if isinstance(resp, str):
            raise CrawlError(f"{self.start}: cannot reach the site ({resp})")
        if resp.status >= 500:
            raise CrawlError(f"{self.start}: robots.txt could not be read (HTTP {resp.status})")
        if resp.status in (401, 403):  # the convention urllib.robotparser follows too
            self._robots.parse(["User-agent: *", "Disallow: /"])
        elif resp.status == 200:
            self._robots.parse(decode(resp.body, resp.charset).splitlines())
        else:
            self._robots.parse([])

    async def _sitemap(self, session: aiohttp.ClientSession, resp: _Response) -> list[str]:
        urls: list[str] = []
        todo: deque[tuple[str, _Response | str | None]] = deque([(self.start, resp)])
        fetched = 0
        while todo and fetched < 50:
            where, got = todo.popleft()
            fetched += 1
            if got is None:
                got = await self._get(session, where)
            if isinstance(got, str) or got.status != 200:
                why = got if isinstance(got, str) else f"HTTP {got.status}"
                if where == self.start:
                    raise CrawlError(f"{where}: cannot fetch the sitemap ({why})")
                self.skipped.append((where, f"sitemap unavailable ({why})"))
                self.complete = False
                continue
            try:
                pages, children = parse_sitemap(got.body)
            except (ET.ParseError, OSError, EOFError) as exc:
                if where == self.start:
                    raise CrawlError(f"{where}: not a readable sitemap ({exc})") from exc
                self.skipped.append((where, f"not a readable sitemap ({exc})"))
                self.complete = False
                continue
            for child in children:
                url = canonical(child, where)
                if url and host_of(url) == self.host:
                    todo.append((url, None))
            for page in pages:
                url = canonical(page, where)
                if url is None or host_of(url) != self.host:
                    self.skipped.append((page, "another host"))
                elif not self._allowed(url):
                    self.skipped.append((url, "disallowed by robots.txt"))
                else:
                    urls.append(url)
        return urls

    async def _get(self, session: aiohttp.ClientSession, url: str) -> _Response | str:
        """One polite GET: the response, or the reason it failed."""
        wait = self._last + self.delay - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            async with session.get(url, headers={"User-Agent": USER_AGENT}) as resp:
                body = bytearray()
                async for chunk in resp.content.iter_chunked(65536):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        return f"larger than {MAX_BYTES // 1024 // 1024} MB"
                return _Response(resp.status, str(resp.url), resp.content_type or "",
                                 bytes(body), resp.charset)
        except (aiohttp.ClientError, TimeoutError, UnicodeError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            self._last = time.monotonic()
