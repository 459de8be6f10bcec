"""Documents from files: text, HTML, PDF, Word (.docx), captions, and zip exports.

Notion exports a zip of Markdown or HTML pages (sometimes a zip of zips); Google Drive
exports Docs as .docx or zipped HTML; YouTube exports captions as .vtt or .srt (.sbv).
Every reader raises ValueError with a readable reason; nothing here touches the store.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

from omnichannel.ingest.parsers import (
    decode_text,
    make_sections,
    parse_html,
    parse_markdown,
    parse_text,
    parse_transcript,
    tagged_language,
)
from omnichannel.knowledge import language
from omnichannel.knowledge.model import Document, Section, with_language

TEXT = {".md", ".markdown", ".html", ".htm", ".txt"}
CAPTIONS = {".vtt", ".srt", ".sbv"}
SUPPORTED = TEXT | CAPTIONS | {".pdf", ".docx"}
MAX_FILE_BYTES = 64 * 1024 * 1024

# pypdf logs every repaired cross-reference table; a damaged file is reported once, by us.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class Entry:
    """One file found in a folder or zip: its document id, name, and bytes or why not."""

    source: str
    name: str
    raw: bytes | None
    error: str = ""


def title_from_name(name: str) -> str:
    """A readable title from a file name: Notion's page ids and yt-dlp's video ids dropped."""
    stem = PurePosixPath(name).stem
    if PurePosixPath(name).suffix.lower() in CAPTIONS:
        stem = re.sub(r"\.[a-z]{2,3}(?:-[\w-]+)?$", "", stem)  # "talk.en-US.vtt"
    stem = re.sub(r"\s*\[[\w-]{6,}\]$", "", stem)  # "How to return [dQw4w9WgXcQ]"
    stem = re.sub(r"\s+[0-9a-f]{32}$", "", stem)  # "Shipping 0f3c...e1" (Notion)
    stem = " ".join(stem.replace("_", " ").replace("-", " ").split()) or name
    return stem[:1].upper() + stem[1:]


def load_bytes(name: str, raw: bytes, source: str, default_language: str = "en") -> Document:
    """Parse one file's bytes by its extension, in the language `knowledge.language` settles
    (`default_language` when nothing tells). Raises ValueError."""
    suffix = PurePosixPath(name).suffix.lower()
    fallback = title_from_name(name)
    tag = ""
    if suffix in (".md", ".markdown", ".html", ".htm"):
        tag = tagged_language(decode_text(raw, source), suffix)
    if suffix in (".md", ".markdown"):
        title, sections = parse_markdown(decode_text(raw, source), fallback)
    elif suffix in (".html", ".htm"):
        title, sections = parse_html(decode_text(raw, source), fallback)
    elif suffix == ".txt":
        title, sections = parse_text(decode_text(raw, source), fallback)
    elif suffix in CAPTIONS:
        title, sections = parse_transcript(decode_text(raw, source), fallback)
    elif suffix == ".pdf":
        title, sections = parse_pdf(raw, source, fallback)
    elif suffix == ".docx":
        title, sections = parse_docx(raw, source, fallback)
    else:
        raise ValueError(f"{source}: unsupported file type {suffix or '(none)'}")
    if not sections:
        raise ValueError(f"{source}: no text found")
    doc = Document(source=source, title=title, sections=sections,
                   sha256=hashlib.sha256(raw).hexdigest())
    return language.decide(with_language(doc, tag), default_language)


def parse_pdf(raw: bytes, label: str, fallback: str) -> tuple[str, list[Section]]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValueError("it is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        meta_title = (meta.title or "") if meta is not None else ""
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ValueError(f"{label}: not a readable PDF ({exc or type(exc).__name__})") from exc
    title = " ".join(str(meta_title).split())
    if not title or title.lower() in ("untitled", "untitled document"):
        title = fallback
    body = "\n\n".join(re.sub(r"[ \t]+", " ", p).strip() for p in pages if p.strip())
    if not body:
        raise ValueError(f"{label}: the PDF has no text layer (scanned pages need OCR first)")
    return title, make_sections(title, [("", body)])


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"


def _paragraphs(el: ET.Element) -> Iterator[ET.Element]:
    """w:p elements in document order, skipping the duplicate mc:Fallback copies."""
    for child in el:
        if child.tag == _W + "p":
            yield child
        if not child.tag.endswith("}Fallback"):
            yield from _paragraphs(child)


def _text(el: ET.Element) -> str:
    out: list[str] = []
    for child in el:
        if child.tag == _W + "t":
            out.append(child.text or "")
        elif child.tag == _W + "tab":
            out.append("\t")
        elif child.tag in (_W + "br", _W + "cr"):
            out.append("\n")
        elif child.tag not in (_W + "p", _W + "txbxContent", _W + "pPr"):
            out.append(_text(child))
    return "".join(out)


def parse_docx(raw: bytes, label: str, fallback: str) -> tuple[str, list[Section]]:
    """Word's XML read with the standard library: Title and Heading 1-3 styles give structure."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            if zf.getinfo("word/document.xml").file_size > MAX_FILE_BYTES:
                raise ValueError("word/document.xml is too large")
            body = ET.fromstring(zf.read("word/document.xml"))
            names = set(zf.namelist())
            styles = ET.fromstring(zf.read("word/styles.xml")) if "word/styles.xml" in names \
                else None
            core = ET.fromstring(zf.read("docProps/core.xml")) if "docProps/core.xml" in names \
                else None
    except (zipfile.BadZipFile, KeyError, ET.ParseError, ValueError, OSError,
            RuntimeError, EOFError) as exc:
        raise ValueError(f"{label}: not a readable .docx ({exc})") from exc
    style_names: dict[str, str] = {}
    for st in styles.iter(_W + "style") if styles is not None else ():
        name = st.find(_W + "name")
        if name is not None:
            style_names[st.get(_W + "styleId", "")] = (name.get(_W + "val") or "").lower()
    doc_title = ""
    if core is not None:
        found = core.find(_DC_TITLE)
        doc_title = " ".join((found.text or "").split()) if found is not None else ""
    title = ""
    pieces: list[tuple[str, list[str]]] = [("", [])]
    for p in _paragraphs(body):
        text = _text(p).strip()
        if not text:
            continue
        style = p.find(f"{_W}pPr/{_W}pStyle")
        sid = style.get(_W + "val", "") if style is not None else ""
        kind = style_names.get(sid, sid.lower())
        level = re.match(r"heading\s*(\d)", kind)
        first = len(pieces) == 1 and not pieces[0][1]
        if kind == "title" and not title:
            title = " ".join(text.split())
        elif level and level.group(1) == "1" and first and not title:
            title = " ".join(text.split())
        elif level and int(level.group(1)) <= 3:
            pieces.append((" ".join(text.split()), []))
        else:
            pieces[-1][1].append(text)
    title = title or doc_title or fallback
    return title, make_sections(title, [(h, "\n\n".join(b)) for h, b in pieces])


def _hidden(rel: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(rel).parts)


def files_in(folder: Path) -> list[Path]:
    """Supported files under a folder, hidden ones (.git, .DS_Store) left out."""
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUPPORTED
        and not _hidden(p.relative_to(folder).as_posix())
    )


def read_file(path: Path) -> Entry:
    source = str(path.resolve())
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return Entry(source, path.name, None, f"{source}: larger than 64 MB")
        return Entry(source, path.name, path.read_bytes())
    except OSError as exc:
        return Entry(source, path.name, None, f"{source}: {exc.strerror or exc}")


def open_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip export. Raises ValueError when it is not a readable zip."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"{path.resolve()}: not a readable zip file ({exc})") from exc


def zip_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Members worth reading: supported files, and zips (Notion's "Part-1.zip")."""
    return sorted(
        (i for i in zf.infolist()
         if not i.is_dir() and not _hidden(i.filename)
         and PurePosixPath(i.filename).suffix.lower() in SUPPORTED | {".zip"}),
        key=lambda i: i.filename,
    )


def read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, prefix: str, nested: bool = True
) -> Iterator[Entry]:
    """One member as entries (several for a nested zip, one level deep), read lazily."""
    name = info.filename
    source = f"{prefix}!/{name}"
    if info.file_size > MAX_FILE_BYTES:
        yield Entry(source, name, None, f"{source}: larger than 64 MB")
        return
    try:
        raw = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        yield Entry(source, name, None, f"{source}: cannot be extracted ({exc})")
        return
    if PurePosixPath(name).suffix.lower() != ".zip":
        yield Entry(source, PurePosixPath(name).name, raw)
    elif nested:
        try:
            inner = zipfile.ZipFile(io.BytesIO(raw))
        except (zipfile.BadZipFile, EOFError) as exc:
            yield Entry(source, name, None, f"{source}: not a readable zip file ({exc})")
            return
        with inner:
            for member in zip_members(inner):
                yield from read_member(inner, member, source, nested=False)
