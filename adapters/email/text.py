"""Plain-text helpers: HTML to text, format=flowed, quoted history and signatures."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
          "ul", "ol", "hr", "pre", "section", "article", "header", "footer"}
_SKIP = {"script", "style", "head", "title", "blockquote"}
_ORIGINAL = re.compile(r"^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine"
                       r"|mensaje original)\s*-{2,}$", re.I)
_FROM = re.compile(r"^\**(from|von|de|van)\s*:\**\s", re.I)
_SENT = re.compile(r"^\**(sent|date|gesendet|envoyé|enviado|datum)\s*:", re.I)
_FORWARD = re.compile(r"^(-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:)$", re.I)
_ON = re.compile(r"^(on|am|le|el|op|il)\s", re.I)
_WROTE = re.compile(r"(wrote|schrieb|a écrit|escribió|schreef|ha scritto)\s*:$", re.I)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag in _SKIP or "gmail_quote" in cls:
            self.skip += 1
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skip:
            self.skip -= 1
        elif tag in _BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def unflow(text: str, delsp: bool = False) -> str:
    """RFC 3676: a line ending in a space continues on the next (signature line excepted)."""
    out: list[str] = []
    carry = ""
    for line in text.split("\n"):
        if line.endswith(" ") and line != "-- ":
            carry += line[:-1] if delsp else line
            continue
        out.append(carry + line)
        carry = ""
    if carry:
        out.append(carry)
    return "\n".join(out)


def _attribution(lines: list[str], i: int) -> bool:
    """'On <date>, <name> wrote:' spread over up to three lines."""
    if not _ON.match(lines[i].strip()):
        return False
    return any(_WROTE.search(" ".join(x.strip() for x in lines[i:i + k]))
               for k in (1, 2, 3))


def strip_quoted(text: str) -> str:
    """Drop quoted history, '>' lines and the '-- ' signature; keep the new text.
    A forwarded message is content (the shopper shows us something): kept whole."""
    lines = text.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        s = line.strip()
        if _FORWARD.match(s):
            kept.extend(x.rstrip() for x in lines[i:])
            break
        if line.rstrip() == "--" or _ORIGINAL.match(s) or _attribution(lines, i):
            break
        if _FROM.match(s) and any(_SENT.match(x.strip()) for x in lines[i + 1:i + 4]):
            break
        if re.fullmatch(r"_{20,}", s) and i + 1 < len(lines) and _FROM.match(
                lines[i + 1].strip()):
            break
        if s.startswith(">"):
            continue
        kept.append(line.rstrip())
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return out or text.strip()
