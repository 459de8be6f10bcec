"""Ingest roots: a local website (sitemap, robots.txt, links, cap), PDF, docx, captions, zips.

Every document is tracked under its root with a content hash, so a second ingest updates what
changed and removes what is gone. The website is an aiohttp test server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import sys
import time
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from omnichannel.ingest.files import load_bytes, title_from_name
from omnichannel.ingest.parsers import parse_transcript
from omnichannel.ingest.sources import SourceError, ingest
from omnichannel.ingest.webparse import canonical, parse_sitemap
from omnichannel.store import Store
from tests.support import ROOT

# -- documents made by the tests ---------------------------------------------------------------


def make_pdf(lines: list[str], title: str = "") -> bytes:
    """A minimal one-page PDF with one text line per entry (Helvetica, offsets computed)."""

    def esc(t: str) -> str:
        return t.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({esc(x)}) Tj T*" for x in lines) + " ET"
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({esc(title)}) >>" if title else "<< >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info {len(objs)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(paragraphs: list[tuple[str, str]]) -> bytes:
    """A Word file: (style id, text) paragraphs; styles.xml names Title and Heading1/2."""
    body = "".join(
        "<w:p>" + (f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else "")
        + f"<w:r><w:t xml:space=\"preserve\">{escape(text)}</w:t></w:r></w:p>"
        for style, text in paragraphs
    )
    styles = "".join(
        f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{name}"/></w:style>'
        for sid, name in (("Title", "Title"), ("Heading1", "heading 1"), ("Heading2", "heading 2"))
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}">'
                    f"<w:body>{body}</w:body></w:document>")
        zf.writestr("word/styles.xml", f'<w:styles xmlns:w="{W_NS}">{styles}</w:styles>')
    return buf.getvalue()


YOUTUBE_VTT = """WEBVTT
Kind: captions
Language: en

00:00:00.000 --> 00:00:02.500 align:start position:0%
welcome<00:00:00.400><c> to</c><00:00:00.800><c> the</c><00:00:01.200><c> care</c> video

00:00:02.500 --> 00:00:02.510 align:start position:0%
welcome to the care video

00:00:02.510 --> 00:00:05.000 align:start position:0%
welcome to the care video
rub the leather with mink oil

00:00:09.000 --> 00:00:11.000
&gt;&gt; then let the boots dry overnight
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
<i>Lace the trail runners</i>

2
00:00:03,200 --> 00:00:05,000
{\\an8}with a heel lock knot.
"""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store(tmp_path / "state")
    s.open()
    yield s
    s.close()


async def found(store: Store, text: str) -> set[str]:
    return {p.source for p in await store.search(text, limit=10)}


# -- the website -------------------------------------------------------------------------------


class Site:
    def __init__(self, robots: str = "User-agent: *\nDisallow: /private/\n") -> None:
        self.robots = robots
        self.pages = {
            "/": '<title>Help</title><h2>Start</h2><p>Welcome to the help center.</p>'
                 '<a href="/returns#policy">Returns</a> <a href="/returns">again</a> '
                 '<a href="/private/secret">secret</a> <a href="http://other.invalid/x">x</a> '
                 '<a href="/manual.pdf">manual</a>',
            "/returns": '<title>Returns</title><h2>Refund window</h2>'
                        '<p>Refunds within 30 days of delivery.</p><a href="/shipping">ship</a>',
            "/shipping": "<title>Shipping</title><p>Parcels leave the warehouse daily.</p>",
            "/private/secret": "<title>Secret</title><p>Staff only discount codes.</p>",
        }
        self.sitemap = ["/", "/returns", "/private/secret", "http://other.invalid/elsewhere"]
        self.hits: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.hits.append(request.path)
        if request.path == "/robots.txt":
            return web.Response(text=self.robots)
        if request.path == "/sitemap.xml":
            base = f"http://{request.host}"
            urls = "".join(f"<url><loc>{u if u.startswith('http') else base + u}</loc></url>"
                           for u in self.sitemap)
            return web.Response(
                text='<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                     f'sitemap/0.9">{urls}</urlset>', content_type="application/xml")
        if request.path in self.pages:
            return web.Response(text=self.pages[request.path], content_type="text/html")
        return web.Response(status=404, text="not found")


@pytest.fixture
async def site() -> AsyncIterator[tuple[Site, TestServer]]:
    s = Site()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", s.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield s, server
    await server.close()


async def test_sitemap_ingest_updates_and_removes(
    store: Store, site: tuple[Site, TestServer]
) -> None:
    s, server = site
    url = str(server.make_url("/sitemap.xml"))
    home, returns = str(server.make_url("/")), str(server.make_url("/returns"))
    report = await ingest(store, url, delay=0)
    assert (report.found, report.changed, report.removed) == (2, 2, 0)
    assert not any(h.startswith("/private/") for h in s.hits)
    assert "/shipping" not in s.hits  # a sitemap lists the pages: no link following
    assert any("other.invalid" in r for r in report.skipped)
    assert any("/private/secret" in r and "robots" in r for r in report.skipped)
    assert await found(store, "refund window") == {returns}
    assert await store.documents_for_root(url) == sorted([home, returns])

    s.pages["/returns"] = s.pages["/returns"].replace("30 days", "60 days")
    report = await ingest(store, url, delay=0)
    assert (report.changed, report.unchanged, report.removed) == (1, 1, 0)
    hits = await store.search("refunds within days", limit=5)
    bodies = [h.body for h in hits if h.source == returns]
    assert len(bodies) == 1 and "60 days" in bodies[0] and "30 days" not in bodies[0]

    gone = s.pages.pop("/returns")  # still in the sitemap, but 404
    report = await ingest(store, url, delay=0)
    assert (report.found, report.removed) == (1, 1) and not report.failed
    assert await found(store, "refund window") == set()

    s.pages["/returns"] = gone
    assert (await ingest(store, url, delay=0)).changed == 1
    s.sitemap.remove("/returns")  # dropped from the sitemap
    report = await ingest(store, url, delay=0)
    assert report.removed == 1 and await store.documents_for_root(url) == [home]


async def test_link_crawl_respects_cap_robots_and_delay(
    store: Store, site: tuple[Site, TestServer]
) -> None:
    s, server = site
    start = str(server.make_url("/"))
    report = await ingest(store, start, delay=0, max_pages=2)
    assert report.found == 2 and any("page cap" in n for n in report.notes)
    report = await ingest(store, start, delay=0.05, max_pages=10)
    assert report.found == 3  # /, /returns (once, fragment dropped), /shipping
    assert s.hits.count("/returns") == 2 and "/manual.pdf" not in s.hits
    assert not any(h.startswith("/private/") for h in s.hits)
    assert await found(store, "parcels warehouse") == {str(server.make_url("/shipping"))}
    s.hits.clear()
    t0 = time.monotonic()
    await ingest(store, start, delay=0.05, max_pages=10)
    assert len(s.hits) == 4 and time.monotonic() - t0 >= 3 * 0.05  # robots.txt + 3 pages


async def test_unusable_sites_are_clear_errors(
    store: Store, site: tuple[Site, TestServer]
) -> None:
    s, server = site
    with pytest.raises(SourceError, match="HTTP 404"):
        await ingest(store, str(server.make_url("/nope")), delay=0)
    s.robots = "User-agent: omnichannel-ingest\nDisallow: /\n"
    with pytest.raises(SourceError, match="robots.txt disallows"):
        await ingest(store, str(server.make_url("/")), delay=0)
    with pytest.raises(SourceError, match="not an http"):
        await ingest(store, "http://", delay=0)


def test_sitemap_index_gzip_and_canonical_urls() -> None:
    index = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
             b'sitemap/0.9"><sitemap><loc> /a.xml </loc></sitemap></sitemapindex>')
    assert parse_sitemap(gzip.compress(index)) == ([], ["/a.xml"])
    urlset = (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://'
              b'www.google.com/schemas/sitemap-image/1.1"><url><loc>http://h/p</loc><image:image>'
              b"<image:loc>http://h/i.png</image:loc></image:image></url></urlset>")
    assert parse_sitemap(urlset) == (["http://h/p"], [])
    assert canonical("HTTP://Example.COM:80#top") == "http://example.com/"
    assert canonical("../b?x=1#f", "https://h:8443/a/c") == "https://h:8443/b?x=1"
    assert canonical("mailto:x@y") is None and canonical("http://h:bad/") is None


# -- files ------------------------------------------------------------------------------------


def test_transcripts_lose_timestamps_tags_and_rolling_repeats() -> None:
    _, sections = parse_transcript(YOUTUBE_VTT, "Care")
    assert [s.body for s in sections] == [
        "welcome to the care video rub the leather with mink oil\n\n"
        "then let the boots dry overnight"]
    _, sections = parse_transcript(SRT, "Laces")
    assert sections[0].body == "Lace the trail runners with a heel lock knot."
    assert title_from_name("Boot care [dQw4w9WgXcQ].en.vtt") == "Boot care"
    assert title_from_name("Shipping 0123456789abcdef0123456789abcdef.md") == "Shipping"


def test_docx_styles_become_title_and_sections() -> None:
    doc = load_bytes("care.docx", make_docx([
        ("Title", "Jacket care"), ("", "Intro text."), ("Heading1", "Washing"),
        ("", "Cold wash & hang dry."), ("Heading2", "Storing"), ("", "Keep it on a hanger."),
    ]), "care.docx")
    assert doc.title == "Jacket care"
    assert [(s.heading, s.body) for s in doc.sections] == [
        ("Jacket care", "Intro text."), ("Washing", "Cold wash & hang dry."),
        ("Storing", "Keep it on a hanger.")]


async def test_folder_of_pdf_docx_and_captions_syncs(store: Store, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "warranty.pdf").write_bytes(
        make_pdf(["Zippers carry a lifetime warranty.", "Send them to our repair shop."],
                 title="Warranty policy"))
    (docs / "sizing.docx").write_bytes(make_docx([("Heading1", "Sizing"), ("", "Gloves run "
                                                  "small, order one size up.")]))
    (docs / "boot-care [abc123XYZ_-].en.vtt").write_text(YOUTUBE_VTT)
    (docs / "laces.srt").write_text(SRT)
    (docs / ".hidden.md").write_text("# Hidden\n\nnever indexed")
    report = await ingest(store, str(docs))
    assert (report.found, report.changed, report.failed) == (4, 4, [])
    assert await found(store, "zipper lifetime warranty") == {str((docs / "warranty.pdf")
                                                                 .resolve())}
    hits = await store.search("zipper warranty")
    assert hits[0].title == "Warranty policy"
    assert await found(store, "gloves size up") == {str((docs / "sizing.docx").resolve())}
    hits = await store.search("mink oil leather")
    assert hits and hits[0].title == "Boot care" and "<c>" not in hits[0].body
    assert await found(store, "heel lock knot")

    (docs / "laces.srt").unlink()
    report = await ingest(store, str(docs))
    assert (report.found, report.unchanged, report.removed) == (3, 3, 1)
    assert not await found(store, "heel lock knot")
    assert len(await store.documents_for_root(str(docs.resolve()))) == 3


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


async def test_notion_and_drive_zip_exports(store: Store, tmp_path: Path) -> None:
    notion = tmp_path / "Export-1234.zip"
    page_id = "0123456789abcdef0123456789abcdef"
    members = {
        f"Help/Shipping {page_id}.md": b"# Shipping\n\n## Couriers\n\nWe ship with DHL Express.",
        f"Help/Returns {page_id}.html": b"<html><head><title>Returns</title><style>p{}</style>"
                                        b"</head><body><h2>Labels</h2><p>Print the prepaid "
                                        b"label.</p></body></html>",
        f"Help/Returns {page_id}/logo.png": b"\x89PNG",
        "__MACOSX/Help/._Shipping.md": b"junk",
    }
    write_zip(notion, members)
    report = await ingest(store, str(notion))
    assert (report.found, report.changed) == (2, 2)
    hits = await store.search("DHL couriers")
    assert hits[0].title == "Shipping" and hits[0].source.endswith(f"Shipping {page_id}.md")
    assert await found(store, "prepaid label")

    del members[f"Help/Shipping {page_id}.md"]
    write_zip(notion, members)
    report = await ingest(store, str(notion))
    assert (report.found, report.unchanged, report.removed) == (1, 1, 1)
    assert not await found(store, "DHL couriers")

    drive = tmp_path / "drive-download.zip"
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:  # Notion's zip-of-zips, one level deep
        zf.writestr("Care.html", "<h1>Care</h1><p>Brush suede with a soft brush.</p>")
    write_zip(drive, {"Gift cards.docx": make_docx([("", "Gift cards never expire.")]),
                      "Part-1.zip": inner.getvalue()})
    report = await ingest(store, str(drive))
    assert (report.found, report.changed) == (2, 2)
    assert (await store.search("gift cards expire"))[0].title == "Gift cards"
    assert await found(store, "suede brush")


# -- the command -------------------------------------------------------------------------------


async def run_cli(tmp_path: Path, *argv: str) -> tuple[int, str, str]:
    (tmp_path / "config.toml").write_text('[store]\nstate_dir = "state"\n')
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "omnichannel", "--config", str(tmp_path / "config.toml"),
        "ingest", *argv, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_command_reports_each_root_and_bad_input(
    tmp_path: Path, site: tuple[Site, TestServer]
) -> None:
    _, server = site
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\n garbage")
    (tmp_path / "latin1.srt").write_bytes("1\n00:00:01,000 --> 00:00:02,000\ncaf\xe9\n"
                                          .encode("latin-1"))
    code, out, err = await run_cli(
        tmp_path, "--delay", "0", "--max-pages", "5", str(server.make_url("/sitemap.xml")),
        str(server.make_url("/missing")), str(tmp_path / "broken.zip"), str(tmp_path / "scan.pdf"),
        str(tmp_path / "latin1.srt"), str(tmp_path / "nowhere"))
    assert code == 1 and "Traceback" not in err, err
    assert "2 pages, 2 new or changed, 0 unchanged, 0 removed, 0 failed, 2 skipped" in out
    assert "missing: cannot fetch the start URL (HTTP 404)" in err
    assert "not a readable zip file" in err
    assert "not a readable PDF" in err and "not valid UTF-8" in err
    assert "no such file or directory" in err
    assert "2/2" in err  # the progress bar
    code, out, err = await run_cli(tmp_path, "--max-pages", "0", str(tmp_path))
    assert code != 0 and "--max-pages" in err and "Traceback" not in err
