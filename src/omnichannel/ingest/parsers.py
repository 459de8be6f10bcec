"""Files into knowledge documents: Markdown (with front matter), HTML, plain text and
transcripts, split into sections of at most MAX_SECTION_CHARS, each tagged with the language
the file declares (ingest.sources decides the rest by knowledge.language)."""

from __future__ import annotations

import hashlib
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import omnichannel.i18n as i18n
from omnichannel.knowledge.model import Document, Section, with_language

MAX_SECTION_CHARS = 1500
SUPPORTED = {".md", ".markdown", ".html", ".htm", ".txt"}


def _split_long(body: str) -> list[str]:
    if len(body) <= MAX_SECTION_CHARS:
        return [body]
    parts, current = [], ""
    for para in re.split(r"\n\s*\n", body):
        if current and len(current) + len(para) + 2 > MAX_SECTION_CHARS:
            parts.append(current)
            current = para
        else:
            current = f"{current}\n\n{para}" if current else para
    if current:
        parts.append(current)
    return parts


def _sections(title: str, pieces: list[tuple[str, str]]) -> list[Section]:
    out = []
    for heading, body in pieces:
        body = body.strip()
        if not body:
            continue
        for chunk in _split_long(body):
            out.append(Section(heading=heading or title, body=chunk))
    return out


_FRONT = re.compile(r"\A\ufeff?---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z_-]+)", re.I)


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """A Markdown file's `---` block of `key: value` lines, and the text after it."""
    m = _FRONT.match(text)
    if not m:
        return {}, text
    fields = {}
    for line in m.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[m.end():]


def tagged_language(text: str, suffix: str) -> str:
    """The language a document declares: `language:` (or `lang:`) in Markdown front matter,
    `<html lang>` in HTML; "" when it declares none (the code as written, not checked)."""
    if suffix in (".md", ".markdown"):
        fields, _ = front_matter(text)
        return fields.get("language") or fields.get("lang") or ""
    if suffix in (".html", ".htm"):
        m = _HTML_LANG.search(text[:4096])
        return m.group(1) if m else ""
    return ""


def parse_markdown(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    _, text = front_matter(text)
    title = fallback_title
    pieces: list[tuple[str, str]] = []
    heading = ""
    lines: list[str] = []
    for line in text.splitlines():
        m = re.match(r"^(#{1,3})\s+(.*?)\s*#*\s*$", line)
        if m and len(m.group(1)) == 1 and title == fallback_title and not pieces and not lines:
            title = m.group(2)
            continue
        if m:
            pieces.append((heading, "\n".join(lines)))
            heading, lines = m.group(2), []
            continue
        lines.append(line)
    pieces.append((heading, "\n".join(lines)))
    return title, _sections(title, pieces)


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.pieces: list[tuple[str, list[str]]] = [("", [])]
        self._in: str | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "nav", "footer"):
            self._skip += 1
        elif tag in ("h1", "h2", "h3", "title"):
            self._in = tag
            if tag != "title":
                self.pieces.append(("", []))
        elif tag in ("p", "li", "br", "div", "tr"):
            self.pieces[-1][1].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "nav", "footer"):
            self._skip = max(0, self._skip - 1)
        elif tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in == "title":
            self.title += data
        elif self._in == "h1" and not self.title.strip():
            self.title += data
        elif self._in:
            head, body = self.pieces[-1]
            self.pieces[-1] = (head + data, body)
        else:
            self.pieces[-1][1].append(data)


def parse_html(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    parser = _HTMLText()
    parser.feed(text)
    title = " ".join(parser.title.split()) or fallback_title
    pieces = [
        (" ".join(h.split()), re.sub(r"\n\s*\n+", "\n\n", "".join(b)).strip())
        for h, b in parser.pieces
    ]
    return title, _sections(title, pieces)


def parse_text(text: str, fallback_title: str) -> tuple[str, list[Section]]:
    return fallback_title, _sections(fallback_title, [("", text)])


def make_sections(title: str, pieces: list[tuple[str, str]]) -> list[Section]:
    """(heading, body) pieces as sections: empty ones dropped, long ones split."""
    return _sections(title, pieces)


_CUE_TIME = re.compile(
    r"^\s*(\d+:)?(\d{1,2}):(\d{2})[.,](\d{3})\s*(?:-->|,)\s*(\d+:)?(\d{1,2}):(\d{2})[.,](\d{3})"
)


def _seconds(h: str | None, m: str, s: str, ms: str) -> float:
    return int((h or "0:")[:-1]) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_transcript(text: str, fallback_title: str, gap: float = 2.0) -> tuple[str, list[Section]]:
    """A WebVTT, SRT or SBV caption file as plain paragraphs.

    Cue numbers, timestamps, settings and inline tags go; YouTube's rolling captions (each cue
    repeating the previous line) are collapsed; a pause of `gap` seconds or a speaker change
    (`>>`) starts a new paragraph.
    """
    paragraphs: list[list[str]] = [[]]
    last_line = ""
    last_end = 0.0
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = block.strip().split("\n")
        stamp = next((i for i, line in enumerate(lines) if _CUE_TIME.match(line)), None)
        if stamp is None:  # the WEBVTT header, NOTE, STYLE and REGION blocks
            continue
        g = _CUE_TIME.match(lines[stamp])
        assert g is not None
        start = _seconds(g.group(1), g.group(2), g.group(3), g.group(4))
        end = _seconds(g.group(5), g.group(6), g.group(7), g.group(8))
        if paragraphs[-1] and start - last_end >= gap:
            paragraphs.append([])
        last_end = max(last_end, end)
        for line in lines[stamp + 1:]:
            line = re.sub(r"<[^>]*>|\{\\[^}]*\}", "", line)
            line = " ".join(html.unescape(line).split())
            if not line or line == last_line:
                continue
            last_line = line
            if line.startswith(">>"):
                line = line.lstrip("> ")
                if paragraphs[-1]:
                    paragraphs.append([])
            if line:
                paragraphs[-1].append(line)
    body = "\n\n".join(" ".join(p) for p in paragraphs if p)
    return fallback_title, _sections(fallback_title, [("", body)])


def decode_text(raw: bytes, label: str) -> str:
    """UTF-8 text (a byte-order mark is dropped). Raises ValueError naming `label`."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{label}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc


def load_document(path: Path, source: str | None = None) -> Document:
    """Read one file. Raises ValueError for an unsupported type or undecodable bytes."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ValueError(f"{path}: unsupported file type {suffix or '(none)'}")
    raw = path.read_bytes()
    text = decode_text(raw, str(path))
    fallback = path.stem.replace("-", " ").replace("_", " ").capitalize()
    if suffix in (".md", ".markdown"):
        title, sections = parse_markdown(text, fallback)
    elif suffix in (".html", ".htm"):
        title, sections = parse_html(text, fallback)
    else:
        title, sections = parse_text(text, fallback)
    doc = Document(
        source=source or str(path),
        title=title,
        sections=sections,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    return with_language(doc, i18n.normalize(tagged_language(text, suffix)) or "")


def find_documents(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ValueError(f"{path}: no such file or directory")
    return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)

