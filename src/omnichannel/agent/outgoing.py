"""The last check on a model's reply: nothing addressed to the model reaches the shopper.

Sentence by sentence, a reply loses what was written for the model (the notes' instruction
phrases, long runs copied from this turn's notes, JSON, tool names, internal ids, error and
role prefixes, tracebacks) and keeps the rest byte for byte. A reply with nothing to remove
comes back unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence

from omnichannel.agent.modelnotes import LABELS, MARKERS, internal_part
from omnichannel.agent.tools import TOOL_NAMES

RUN = 6  # words copied in a row from a note that make a sentence a copy of it
_HOLE = "\ufffc"  # stands for a removed block while the text is cut into sentences

# Engine vocabulary and fixed phrases of tools.py and guardrails.py that no reply needs.
_PHRASES = (
    *MARKERS, *TOOL_NAMES,
    "tool call", "tool calls", "tool_call", "tool_calls", "function call", "function_call",
    "tool result", "tool output", "tool response", "the tool returned", "tool_result",
    "system prompt", "system message", "system note", "developer message",
    "according to the tool", "the tool says", "the tool shows", "my tools",
    "as an ai language model", "as a language model", "as an ai model",
    "per-order cap", "per-customer cap", "daily cap of", "the shop needs a person to check",
    "idempotency key", "traceback (most recent call last)",
)
_PHRASE = re.compile(
    r"(?<!\w)(?:" + "|".join(r"\s+".join(re.escape(w) for w in p.split())
                             for p in sorted(_PHRASES, key=len, reverse=True)) + r")(?!\w)",
    re.I)
_LABEL = re.compile(r"(?:" + "|".join(re.escape(label) for label in LABELS) + r")\s*", re.I)
_ERROR = re.compile(r"^error\s*:\s*|(?<=[:(] )Error:\s*|(?<=[:(])Error:\s*", re.I)
_ROLE = re.compile(r"^(?:system|assistant|user|tool|developer|function)\s*:\s*", re.I)
_TAG = re.compile(r"<\|im_start\|>\s*(?:system|user|assistant|tool|developer)?|"
                  r"<\|[^|<>]{1,40}\|>|(?-i:\[/?[A-Z][A-Z_]{2,}\])|"
                  r"</?(?:tool|function|system|assistant|user|im_start|im_end|think|thinking)"
                  r"\w*\b[^<>]*>", re.I)
_REACT = re.compile(r"^(?:thought|observation|action(?: input)?)\s*:", re.I)  # agent traces
_TAG_BLOCK = re.compile(r"<(tool\w*|function\w*|think(?:ing)?)\b[^<>]*>.*?</\1\s*>",
                        re.I | re.S)
_TRACEBACK = re.compile(r"Traceback \(most recent call last\):[^\n]*(?:\n[ \t]+[^\n]*)*"
                        r"(?:\n[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt)\b"
                        r"[^\n]*)?")
_FRAME = re.compile(r"\bFile \"[^\"]*\", line \d+|\b[A-Z]\w*(?:Error|Exception)\b\s*:")
# snake_case outside hashtags and file names ("#summer_sale", "return_label.pdf")
_SNAKE = re.compile(r"(?<![\w@/.#\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@]|\.\w)")
_KEY_VALUE = re.compile(r"[\"'][a-z_][a-z0-9_]*[\"']\s*:\s*[\"'\[{\d\-tfn]")
_BRACKETS = re.compile(r"[{}]|\[\s*[\"'{\[]|[\"'}\]]\s*\]")
_LINK = re.compile(r"(?:https?://|www\.)\S+|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_WORD = re.compile(r"\w+(?:['’.,]\w+)*")
# A sentence ends at its stop, after a hole, and before a label (what follows a label is for
# the shopper even when the model ran it into the instruction before).
_END = re.compile(r"[.!?…]+[\"'”’)\]*_]*(?=\s|$)|[。！？]+|" + _HOLE + "|(?="
                  + _LABEL.pattern + ")", re.I)
_AFTER_HOLE = ".,;:!?"
_PUNCTUATION = re.compile(r"[\s.,;:!?…\-–—]*")
_FENCE = re.compile(r"^\s*```[\w-]*\s*$")


def shopper_text(text: str, internal: Sequence[str] = (),
                 labels: Mapping[str, str] | None = None) -> str:
    """`text` without what was addressed to the model, or "" when nothing is left.

    `internal`: this turn's tool and system notes (their words for the shopper do not
    count); `labels`: internal id -> what the shopper calls it ("Visa ending 4242").
    """
    return _filter(text, internal, labels or {})[0]


def internal_leak(text: str, internal: Sequence[str] = ()) -> bool:
    """True when shopper_text would remove something from `text`."""
    return _filter(text, internal, {})[1]


def _filter(text: str, internal: Sequence[str], labels: Mapping[str, str]
            ) -> tuple[str, bool]:
    """The cleaned text, and whether anything was removed."""
    if not text.strip():
        return "", False
    grams = {g for note in internal for g in _runs(_words(internal_part(note)))}
    holed = _holes(text)
    removed = holed != text
    changed = removed
    lines: list[str | None] = []
    for line in holed.split("\n"):
        pieces: list[str] = []
        kept_any = False
        dropped_last = False
        for body, space in _sentences(line):
            clean, dropped = _sentence(body, grams, labels)
            if dropped_last and _PUNCTUATION.fullmatch(body):
                clean, dropped = None, True  # the stop of a sentence that went
            removed = removed or dropped
            changed = changed or clean != body
            dropped_last = clean is None
            if clean is not None:
                pieces.append(clean + space)
                kept_any = kept_any or bool(clean.strip())
        if not line.strip():
            lines.append("")
        elif kept_any:
            lines.append("".join(pieces).rstrip())
        else:
            lines.append(None)  # every sentence of the line went
    if not changed:
        return text, False
    out = _tidy([line for line in lines if line is not None])
    return out, removed


def _sentence(body: str, grams: set[tuple[str, ...]], labels: Mapping[str, str]
              ) -> tuple[str | None, bool]:
    """The sentence as the shopper may read it (None: drop it), and whether it lost words."""
    if _HOLE in body:
        return None, True
    text = _relabel(body, labels)
    lead = text[:len(text) - len(text.lstrip())]
    rest = _strip(text[len(lead):])
    stripped = rest != text[len(lead):]
    if stripped and not re.search(r"\w", rest):
        return None, True
    if _internal(rest, grams):
        return None, True
    if stripped and rest[:1].islower() and rest[:1] != body.lstrip()[:1]:
        rest = rest[0].upper() + rest[1:]
    return lead + rest, stripped


def _strip(text: str) -> str:
    """Drop role tags, "Error:" and the notes' labels; the words after them stay."""
    before = None
    while before != text:
        before = text
        text = _TAG.sub("", text).lstrip()
        text = _ROLE.sub("", text)
    text = _LABEL.sub("", text)
    return _ERROR.sub("", text)


def _internal(sentence: str, grams: set[tuple[str, ...]]) -> bool:
    """True for a sentence written for the model rather than the shopper."""
    bare = _LINK.sub(" ", sentence)  # links and emails may hold underscores and brackets
    if (_PHRASE.search(bare) or _REACT.match(sentence) or _SNAKE.search(bare)
            or _KEY_VALUE.search(bare) or _BRACKETS.search(bare) or _FRAME.search(bare)):
        return True
    return bool(grams) and any(g in grams for g in _runs(_words(sentence)))


def _relabel(text: str, labels: Mapping[str, str]) -> str:
    """Internal ids replaced by what the shopper calls them, said once."""
    for key in sorted(labels, key=len, reverse=True):
        if key not in text:
            continue
        label, k = re.escape(labels[key]), re.escape(key)
        plain = labels[key].replace("\\", "\\\\")  # a replacement string, not a pattern
        text = re.sub(rf"{label}\s*\(\s*{k}\s*\)|{k}\s*\(\s*{label}\s*\)", plain, text)
        text = re.sub(rf"(?<!\w){k}(?!\w)", plain, text)
    return text


def _holes(text: str) -> str:
    """Tool and thinking blocks, tracebacks and JSON values, each replaced by one hole."""
    text = _TAG_BLOCK.sub(_HOLE, text)
    text = _TRACEBACK.sub(_HOLE, text)
    decoder = json.JSONDecoder()
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] in "{[":
            try:
                value, end = decoder.raw_decode(text, i)
            except ValueError:
                value, end = None, i
            if isinstance(value, dict) or (isinstance(value, list) and any(
                    isinstance(v, str | dict | list) for v in value)):
                out.append(_HOLE)
                i = end
                while i < len(text) and text[i] in _AFTER_HOLE:  # the stop after the value
                    i += 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _sentences(line: str) -> Iterator[tuple[str, str]]:
    """A line cut after each sentence end (and after each hole), with the space that follows."""
    start = 0
    for m in _END.finditer(line):
        end = m.end()
        if end == start:
            continue
        after = end + len(line[end:]) - len(line[end:].lstrip())
        yield line[start:end], line[end:after]
        start = after
    if start < len(line):
        yield line[start:], ""


def _tidy(lines: list[str]) -> str:
    """One blank line at most between paragraphs, and no fences left around nothing."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        if _FENCE.match(line) and out and _FENCE.match(out[-1]):
            out.pop()
            continue
        if _FENCE.match(line) and len(out) >= 2 and not out[-1].strip() and _FENCE.match(
                out[-2]):
            del out[-2:]
            continue
        out.append(line)
    return "\n".join(out).strip()


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _runs(words: list[str]) -> Iterator[tuple[str, ...]]:
    return (tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1))
