"""Keep one ingested root in step with the knowledge index.

A root is what the user named: a folder, a single file, a zip export, or a website (start page
or sitemap URL). Every document found is stored with the root and its own id (file path, zip
member or page URL) and a content hash; unchanged documents are skipped. Afterwards the
documents stored under that root but not found this time are removed. A document that exists
but could not be read keeps its earlier copy.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import aiohttp

from omnichannel.ingest import files
from omnichannel.ingest.parsers import parse_html, tagged_language
from omnichannel.ingest.web import Crawler, CrawlError, Failed, Gone, Page
from omnichannel.knowledge import language as lang_rule
from omnichannel.knowledge.model import Document, with_language

Progress = Callable[[int, int, str], None]


class SourceError(Exception):
    """The root as a whole cannot be read; nothing was changed."""


class Index(Protocol):
    async def index_document(
        self, doc: Document, root: str | None = None, fetched_at: float | None = None
    ) -> bool: ...

    async def documents_for_root(self, root: str) -> list[str]: ...

    async def remove_document(self, source: str) -> bool: ...


@dataclass
class Report:
    root: str
    unit: str  # "files" or "pages"
    found: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    sections: int = 0
    failed: list[str] = field(default_factory=list)  # reasons
    skipped: list[str] = field(default_factory=list)  # not errors: robots.txt, other hosts
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        extra = f", {len(self.skipped)} skipped" if self.skipped else ""
        unit = self.unit if self.found != 1 else self.unit[:-1]
        return (f"{self.found} {unit}, {self.changed} new or changed, {self.unchanged} "
                f"unchanged, {self.removed} removed, {len(self.failed)} failed{extra}; "
                f"{self.sections} sections")


def is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


async def ingest(
    index: Index,
    target: str,
    *,
    max_pages: int = 200,
    delay: float = 0.5,
    progress: Progress | None = None,
    session: aiohttp.ClientSession | None = None,
    language: str = "en",
) -> Report:
    """Ingest one root. Raises SourceError when it cannot be read at all. `language` is the
    shop's: documents whose language nothing tells (knowledge.language) are taken as it."""
    if is_url(target):
        return await ingest_site(index, target, max_pages=max_pages, delay=delay,
                                 progress=progress, session=session, language=language)
    return await ingest_path(index, Path(target), progress=progress, language=language)


async def _store(index: Index, report: Report, doc: Document, fetched_at: float) -> None:
    if await index.index_document(doc, report.root, fetched_at):
        report.changed += 1
    else:
        report.unchanged += 1
    report.sections += len(doc.sections)


async def _remove_unseen(index: Index, report: Report, seen: set[str]) -> None:
    for source in await index.documents_for_root(report.root):
        if source not in seen and await index.remove_document(source):
            report.removed += 1


def _kind(path: Path) -> tuple[str, str]:
    """The root id of a path and what it is: "folder", "zip" or "file"."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    if path.is_dir():
        return str(path.resolve()), "folder"
    suffix = path.suffix.lower()
    if suffix != ".zip" and suffix not in files.SUPPORTED:
        raise SourceError(f"{path}: unsupported file type {path.suffix or '(none)'} (supported: "
                          f"{', '.join(sorted(files.SUPPORTED | {'.zip'}))}, or a folder)")
    return str(path.resolve()), "zip" if suffix == ".zip" else "file"


async def ingest_path(index: Index, path: Path, progress: Progress | None = None,
                      language: str = "en") -> Report:
    root, kind = await asyncio.to_thread(_kind, path)
    report = Report(root=root, unit="files")
    seen: set[str] = set()

    async def take(entry: files.Entry, done: int, total: int) -> None:
        report.found += 1
        seen.add(entry.source)
        try:
            if entry.raw is None:
                raise ValueError(entry.error)
            doc = await asyncio.to_thread(files.load_bytes, entry.name, entry.raw, entry.source,
                                          language)
        except ValueError as exc:
            report.failed.append(str(exc))
        else:
            await _store(index, report, doc, time.time())
        if progress:
            progress(done, max(total, done), entry.name)

    if kind == "folder":
        found = await asyncio.to_thread(files.files_in, path)
        for i, p in enumerate(found, 1):
            await take(await asyncio.to_thread(files.read_file, p), i, len(found))
    elif kind == "zip":
        try:
            zf = await asyncio.to_thread(files.open_zip, path)
        except ValueError as exc:
            raise SourceError(str(exc)) from exc
        with zf:
            members = files.zip_members(zf)
            done = 0
            for info in members:
                for entry in await asyncio.to_thread(list, files.read_member(zf, info, root)):
                    done += 1
                    await take(entry, done, len(members))
    else:
        await take(await asyncio.to_thread(files.read_file, path), 1, 1)
    await _remove_unseen(index, report, seen)
    return report


def page_document(page: Page, language: str = "en") -> Document:
    """A fetched page as a document; the hash covers its text, not its markup."""
    title, sections = parse_html(page.html, page.url)
    digest = hashlib.sha256(title.encode())
    for s in sections:
        digest.update(f"\x00{s.heading}\x00{s.body}".encode())
    doc = Document(source=page.url, title=title, sections=sections, sha256=digest.hexdigest())
    tag = tagged_language(page.html, ".html")
    return lang_rule.decide(with_language(doc, tag), language)


async def ingest_site(
    index: Index,
    url: str,
    *,
    max_pages: int = 200,
    delay: float = 0.5,
    progress: Progress | None = None,
    session: aiohttp.ClientSession | None = None,
    language: str = "en",
) -> Report:
    try:
        crawler = Crawler(url, max_pages=max_pages, delay=delay, session=session)
    except CrawlError as exc:
        raise SourceError(str(exc)) from exc
    report = Report(root=crawler.start, unit="pages")
    seen: set[str] = set()
    try:
        async for event in crawler.pages():
            if isinstance(event, Page):
                report.found += 1
                seen.add(event.url)
                doc = await asyncio.to_thread(page_document, event, language)
                await _store(index, report, doc, event.fetched_at)
            elif isinstance(event, Failed):
                report.found += 1
                seen.add(event.url)  # keep what was read last time
                report.failed.append(f"{event.url}: {event.reason}")
            elif isinstance(event, Gone):
                report.skipped.append(f"{event.url}: gone (HTTP {event.status})")
            if progress:
                progress(crawler.requested, max(crawler.expected, crawler.requested), event.url)
    except CrawlError as exc:
        raise SourceError(str(exc)) from exc
    report.skipped += [f"{u}: {why}" for u, why in crawler.skipped]
    if crawler.complete:
        await _remove_unseen(index, report, seen)
    else:
        report.notes.append("some pages could not be read, so no page was removed this time")
    if crawler.truncated:
        report.notes.append(f"stopped at the page cap ({max_pages}); raise it with --max-pages")
    return report
