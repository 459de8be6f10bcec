"""The clause reader: the claims each sentence of a reply makes, with one language's words."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from omnichannel.agent.claims.dutch import DUTCH
from omnichannel.agent.claims.english import ENGLISH
from omnichannel.agent.claims.french import FRENCH
from omnichannel.agent.claims.german import GERMAN
from omnichannel.agent.claims.italian import ITALIAN
from omnichannel.agent.claims.language import Aux, Language, Role, Verb, Who
from omnichannel.agent.claims.portuguese import PORTUGUESE
from omnichannel.agent.claims.spanish import SPANISH


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement that a support action was done, is under way or will happen."""

    text: str  # the clause that makes the claim, as written
    kind: str  # refund, cancel, return, exchange, label, email, ship, replacement, credit,
    # discount, address, payment, items, handoff (a person will reply), callback
    tense: str  # "done", "doing" or "will"


ANY = "action"  # "Done!", "All set": some action, named by nothing in the sentence
LANGUAGES: Mapping[str, Language] = {"en": ENGLISH, "es": SPANISH, "de": GERMAN, "fr": FRENCH,
                                     "pt": PORTUGUESE, "it": ITALIAN, "nl": DUTCH}


class _Form(StrEnum):
    BASE = "base"
    ING = "ing"
    ED = "ed"
    WILL = "will"
    FUT = "future"
    DID = "did"


class _Reading(StrEnum):
    WILL = "will"
    DOING = "doing"
    DONE = "done"
    PAST = "past"  # a bare past: done if the shop did it, the shopper's own act otherwise
    NOT = "not"  # negated, offered or obliged: a finite verb that claims nothing


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str  # lower case
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Frame:
    who: Who
    np: str  # the subject's words, where a passive finds its kind
    aux: tuple[Aux, ...]
    start: int  # where the clause starts in the sentence
    hypothetical: bool
    indefinite: bool


@dataclass(frozen=True, slots=True)
class _Found:
    claim: Claim
    conditional: bool


@dataclass(frozen=True, slots=True)
class _Compiled:
    lang: Language
    verbs: Mapping[str, re.Pattern[str]]
    groups: Mapping[str, tuple[Verb, _Form]]
    cues: tuple[tuple[str, re.Pattern[str]], ...]
    bounds: frozenset[str]
    tag: re.Pattern[str]
    conditional: re.Pattern[str]
    timeframe: re.Pattern[str]
    destination: re.Pattern[str]
    routine: re.Pattern[str]
    record: re.Pattern[str]
    by_person: re.Pattern[str]
    finished: re.Pattern[str]
    coming: re.Pattern[str]
    token: re.Pattern[str]
    sentence: re.Pattern[str]


_TOKEN = re.compile(r"\w+(?=n't\b)|n't\b|'(?:ll|ve|m|re|d|s)\b|\w+(?:[-.]\w+|,\d{3}\b)*|[^\w\s]",
                    re.I)
_ELIDED = re.compile(r"\w+'(?=\w)|" + _TOKEN.pattern, re.I)
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\s*[;\n]+\s*")
_SENTENCE_ORDINALS = re.compile(r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)[\"')\]]*\s+|\s*[;\n]+\s*")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "′": "'", "“": '"', "”": '"'})
_AGENTS = (Who.SELF, Who.WE, Who.PERSON, Who.AGENT)
_BE = (Aux.BE, Aux.WAS, Aux.BEEN, Aux.BEING)


def _alternatives(rx: str) -> list[str]:
    """The top-level alternatives of a regex fragment: "a|b(?:c|d)" gives "a", "b(?:c|d)"."""
    out: list[str] = []
    depth = start = 0
    for i, ch in enumerate(rx):
        depth += (ch == "(") - (ch == ")")
        if ch == "|" and depth == 0:
            out.append(rx[start:i])
            start = i + 1
    return [*out, rx[start:]]


@cache
def _compiled(code: str) -> _Compiled:
    """A language's words as patterns, built once."""
    lang = LANGUAGES[code]
    # One pattern per first letter, tried only where a word starts: fast on long replies.
    by_letter: dict[str, list[tuple[int, str, str]]] = {}
    groups: dict[str, tuple[Verb, _Form]] = {}
    for i, verb in enumerate(lang.verbs):
        for form, alts in zip(_Form, verb.forms.split("/"), strict=False):
            name = f"v{i}_{form.value}"
            groups[name] = (verb, form)
            for alt in filter(None, _alternatives(alts)):
                if not alt[0].isalpha():
                    raise ValueError(f"a verb form must start with a letter: {alt!r}")
                by_letter.setdefault(alt[0].lower(), []).append((-alt.count(" "), name, alt))
    flags = re.I
    verbs = {}
    for letter, entries in by_letter.items():
        entries.sort(key=lambda e: e[0])  # stable: longer phrases first, then as written
        verbs[letter] = re.compile(
            "|".join(f"(?P<{name}_{n}>{alt})" for n, (_, name, alt) in enumerate(entries))
            .join(("(?:", r")\b")), flags)
    return _Compiled(
        lang=lang,
        verbs=verbs,
        groups=groups,
        cues=tuple((kind, re.compile(rx, flags)) for kind, rx in lang.cues),
        bounds=lang.joins | lang.breaks | lang.conditions,
        tag=re.compile(lang.tag, flags),
        conditional=re.compile(lang.conditional, flags),
        timeframe=re.compile(lang.timeframe, flags),
        destination=re.compile(lang.destination, flags),
        routine=re.compile(lang.routine, flags),
        record=re.compile(lang.record, flags),
        by_person=re.compile(lang.by_person, flags),
        finished=re.compile(lang.finished, flags),
        coming=re.compile(lang.coming, flags),
        token=_ELIDED if lang.elision else _TOKEN,
        sentence=_SENTENCE_ORDINALS if lang.ordinals else _SENTENCE,
    )


def _verbs(c: _Compiled, s: str, toks: list[_Tok]) -> list[tuple[re.Match[str], Verb, _Form]]:
    """The verbs in a sentence, left to right, tried at word starts only."""
    out: list[tuple[re.Match[str], Verb, _Form]] = []
    done_to = 0
    for tok in toks:
        pattern = c.verbs.get(tok.text[0])
        if tok.start < done_to or pattern is None:
            continue
        m = pattern.match(s, tok.start)
        if m and m.lastgroup:
            verb, form = c.groups[m.lastgroup.rsplit("_", 1)[0]]
            out.append((m, verb, form))
            done_to = m.end()
    return out




def found(text: str, lang: str) -> list[_Found]:
    """The claims in `text`, each with whether its sentence makes it conditional."""
    c = _compiled(lang if lang in LANGUAGES else "en")
    norm = text.translate(_QUOTES)  # same length, so offsets still point into `text`
    out: list[_Found] = []
    start = 0
    for sep in [*c.sentence.finditer(norm), None]:
        end = sep.start() if sep else len(norm)
        if norm[start:end].strip():
            found = _sentence(c, norm[start:end], text[start:end])
            out.extend(found or _set_phrases(c, norm[start:end], text[start:end]))
        start = sep.end() if sep else end
    return out


def _set_phrases(c: _Compiled, s: str, raw: str) -> list[_Found]:
    """Claims made without a verb of the action: "Done: your exchange is registered.",
    "All set!", "your new boots are on their way"."""
    if c.coming.search(s):
        return [_Found(Claim(raw.strip(), "ship", "will"), False)]
    if c.finished.search(s):
        kinds = [k for k in _cues(c, s) if k != "handoff"]
        return [_Found(Claim(raw.strip(), kinds[0] if kinds else ANY, "done"), False)]
    return []


def _tokens(c: _Compiled, s: str) -> list[_Tok]:
    return [_Tok(m.group().lower(), m.start(), m.end()) for m in c.token.finditer(s)]


def _phrase(toks: list[_Tok], end: int, floor: int, table: Collection[str]) -> int:
    """How many tokens (three at most) ending before `end` form a phrase in `table`; 0 if none."""
    for n in (3, 2, 1):
        if end - n >= floor and " ".join(t.text for t in toks[end - n:end]) in table:
            return n
    return 0


def _question_start(c: _Compiled, s: str, toks: list[_Tok]) -> tuple[int, bool]:
    """Where the question in a sentence starts (len(s) if none) and whether it is only a tag."""
    if not s.rstrip().endswith("?"):
        return len(s), False
    last = max(s.rfind(","), s.rfind("—"), s.rfind(" - "))
    if last > 0 and c.tag.match(s[last + 1:].strip(" -")):
        return last, True
    for i, tok in enumerate(toks):
        if tok.text in c.lang.openers and (i == 0 or toks[i - 1].text in c.bounds):
            return tok.start, False
    return 0, False


def _aux(c: _Compiled, toks: list[_Tok], end: int, floor: int) -> tuple[tuple[Aux, ...], int]:
    """The auxiliaries right before a verb ("have now", "'ll go ahead and") and where they start."""
    found: list[Aux] = []
    while n := _phrase(toks, end, floor, c.lang.aux):
        found[:0] = _auxes(c.lang.aux[" ".join(t.text for t in toks[end - n:end])])
        end -= n
    return tuple(found), end


def _auxes(value: Aux | tuple[Aux, ...]) -> tuple[Aux, ...]:
    return value if isinstance(value, tuple) else (value,)


def _bracket(c: _Compiled, toks: list[_Tok], first: int, floor: int
             ) -> tuple[tuple[Aux, ...], int, int | None]:
    """The auxiliaries standing apart before a clause-final verb ("habe ... storniert"), where
    the first one is, and a subject pronoun right after it ("jetzt habe ich ..."), if any."""
    seg_at, _ = _segment(c, toks, first, floor)
    found: list[Aux] = []
    at = None
    for i in range(seg_at, first):
        value = c.lang.aux.get(toks[i].text)
        if value is None or value is Aux.FILL:
            continue
        found += _auxes(value)
        at = i if at is None else at
    if at is None:
        return (), first, None
    after = at + 1
    inverted = after if after < first and toks[after].text in c.lang.pronouns else None
    return tuple(found), at, inverted


def _segment(c: _Compiled, toks: list[_Tok], end: int, floor: int) -> tuple[int, str]:
    """Where the subject before `end` starts and what stopped the search ("" at the start)."""
    j = end
    while j > floor:
        if n := _phrase(toks, j, floor, c.bounds):
            return j, " ".join(t.text for t in toks[j - n:j])
        j -= 1
    return floor, "" if floor == 0 else "verb"


def _subject(c: _Compiled, words: list[str]) -> tuple[Who, bool]:
    """Who or what the subject words are, and whether they are indefinite ("a label")."""
    lang = c.lang
    if not words or words[0] in lang.prepositions:
        return Who.NONE, False
    if words[-1] in lang.pronouns:
        return lang.pronouns[words[-1]], False
    first = words[0]
    if first in lang.nobody:
        return Who.NOBODY, False
    if any(w in lang.people for w in words):
        return Who.PERSON, False
    if any(w in lang.agents for w in words):
        return Who.AGENT, False
    if first in lang.generic or (len(words) > 1 and first in lang.determiners
                                 and words[1] in lang.generic):
        return Who.GENERIC, False  # "los reembolsos": a plural the language lists as policy
    if (first not in lang.determiners and first.endswith("s")
            and not first.endswith(("ss", "us")) and len(first) > 3):
        return Who.GENERIC, False
    return Who.THING, first in lang.indefinite


def _form(aux: tuple[Aux, ...], form: _Form) -> _Form:
    """A base form after have or be is a participle spelt the same: "has been set up"."""
    if form is _Form.BASE and {Aux.HAVE, *_BE} & set(aux) and Aux.FUT not in aux:
        return _Form.ED
    return form


def _reading(aux: tuple[Aux, ...], form: _Form, verb: Verb) -> _Reading | None:
    """The tense the auxiliaries and the verb's form make; None for a verb that is not finite."""
    if Aux.NEG in aux:
        return _Reading.NOT
    if Aux.ABLE in aux:
        return _Reading.DONE if {Aux.WAS, Aux.BEEN, Aux.HAVE} & set(aux) else _Reading.NOT
    if Aux.OFFER in aux and not verb.expect:
        return _Reading.NOT
    if form is _Form.FUT:
        return _Reading.WILL
    if form is _Form.DID:
        return _Reading.DONE
    if Aux.FUT in aux or Aux.OFFER in aux:
        return _Reading.DONE if form is _Form.ED and Aux.HAVE in aux else _Reading.WILL
    if form is _Form.WILL:
        return _Reading.WILL if aux else None
    if form is _Form.ING:
        return _Reading.DOING if {Aux.BE, Aux.WAS, Aux.BEEN} & set(aux) else None
    if form is _Form.ED:
        if Aux.BEING in aux:
            return _Reading.DOING
        if {Aux.HAVE, Aux.DID, *_BE} & set(aux):
            return _Reading.DONE
        return _Reading.PAST
    if Aux.DID in aux:
        return _Reading.DONE
    if verb.expect and not aux:
        return _Reading.WILL  # "Expect an email with the label shortly."
    return None


def _passive(aux: tuple[Aux, ...], form: _Form) -> bool:
    real = [a for a in aux if a is not Aux.FILL]
    return form is _Form.ED and bool(real) and real[-1] in _BE


def _accepts(c: _Compiled, verb: Verb, who: Who, passive: bool, reading: _Reading,
             after: str) -> bool:
    """Whether this subject doing (or undergoing) this verb is the shop claiming something."""
    if who in (Who.NOBODY, Who.GENERIC):
        return False
    if verb.passive_only and not passive:
        return False
    role = verb.role
    if passive:
        return role in (Role.ACT, Role.PERSON) or (role is Role.CONTACT and who is not Who.SELF)
    if who is Who.NONE and reading is _Reading.PAST:
        return role in (Role.ACT, Role.CONTACT) and after in c.lang.objects  # "Cancelled it."
    if role in (Role.ACT, Role.CONTACT):
        return who in (*_AGENTS, Who.NONE) or (verb.itself and who is Who.THING)
    if role is Role.PERSON:
        return who in (Who.PERSON, Who.AGENT)
    if role is Role.RECEIVE:
        return who in (Who.SHOPPER, *_AGENTS) or (who is Who.NONE
                                                  and (verb.expect or verb.second))
    return who in (Who.THING, Who.NONE)


def _cues(c: _Compiled, text: str) -> list[str]:
    return [kind for kind, rx in c.cues if rx.search(text)]


def _kind(c: _Compiled, verb: Verb, regions: tuple[str, ...]) -> str | None:
    """The kind of action: the verb's own unless a cue turns it, else the first cue around."""
    if verb.kind is not None:
        found = _cues(c, " ".join(regions[:2]))
        turned = [k for k in verb.turns if k in found]  # the verb's own order: "payment" first
        return turned[0] if turned else verb.kind
    for region in regions:
        if found := _cues(c, region):
            return found[0]
    return None


@dataclass(frozen=True, slots=True)
class _Clause:
    """One finite verb and what surrounds it in its sentence."""

    verb: Verb
    form: _Form
    frame: _Frame
    reading: _Reading
    obj: str  # from the verb to the clause's end: where an active verb finds its kind
    after: str  # the word right after the verb
    end: int  # where the clause ends in the sentence: a boundary or the next auxiliary
    bound: int  # the next boundary ("on May 3" may read as an auxiliary)


def _sentence(c: _Compiled, s: str, raw: str) -> list[_Found]:
    asked_at, tagged = _question_start(c, s, toks := _tokens(c, s))
    conditional = tagged or bool(c.conditional.search(s))
    out: list[_Found] = []
    seen: set[tuple[str, str]] = set()
    for clause in _clauses(c, s, toks, asked_at):
        claim = _claim(c, clause, s, raw)
        if claim and (claim.kind, claim.tense) not in seen:
            seen.add((claim.kind, claim.tense))
            out.append(_Found(claim, conditional and claim.tense == "will"))
    return out


def _clauses(c: _Compiled, s: str, toks: list[_Tok], asked_at: int) -> list[_Clause]:
    """The finite verbs before the question (if any) that state something: not negated,
    offered or hypothetical. Each shares the subject of the one before after "and"."""
    starts = [t.start for t in toks]
    out: list[_Clause] = []
    prev: _Frame | None = None
    floor = 0  # the token after the last finite verb: its object ends the search backwards
    for m, verb, form in _verbs(c, s, toks):
        if m.start() >= asked_at:
            break
        first, after_i = bisect_left(starts, m.start()), bisect_left(starts, m.end())
        aux, aux_at = _aux(c, toks, first, floor)
        inverted = None
        if c.lang.bracket and not any(a is not Aux.FILL for a in aux):
            apart, at, inverted = _bracket(c, toks, aux_at, floor)
            if apart:
                aux, aux_at = apart + aux, at
        if c.lang.bracket and form is _Form.ED and Aux.FUT in aux and Aux.HAVE not in aux:
            aux = tuple(Aux.BEING if a is Aux.FUT else a for a in aux)  # "wird storniert"
        seg_at, stop = _segment(c, toks, aux_at, floor)
        if stop == "verb" and not aux:
            continue  # "get your order cancelled": the complement of the verb before
        own = tuple(a for a in aux if a is not Aux.FILL)
        if seg_at == aux_at and stop in c.lang.joins and prev is not None:
            frame = _Frame(prev.who, prev.np, aux if own else prev.aux + aux, prev.start,
                           prev.hypothetical, prev.indefinite)
        else:
            frame = _frame(c, s, toks, seg_at, aux_at, aux, stop, inverted)
        bound = next((t.start for t in toks[after_i:] if t.text in c.bounds), len(s))
        end = next((t.start for t in toks[after_i:] if t.start < bound
                    and c.lang.aux.get(t.text, Aux.FILL) is not Aux.FILL), bound)
        after = toks[after_i].text if after_i < len(toks) else ""
        form = _form(frame.aux, form)
        reading = _reading(frame.aux, form, verb)
        if (reading is None and form is _Form.ING and not aux and not stop and seg_at == first
                and after in c.lang.objects and not _more_aux(c, s, end)):
            reading = _Reading.DOING  # "Transferring you now.", "Processing your refund."
        if reading is None:
            continue
        prev, floor = frame, after_i
        if not frame.hypothetical and reading is not _Reading.NOT:
            out.append(_Clause(verb, form, frame, reading, s[m.end():end], after, end, bound))
    return out


def _frame(c: _Compiled, s: str, toks: list[_Tok], seg_at: int, aux_at: int,
           aux: tuple[Aux, ...], stop: str, inverted: int | None = None) -> _Frame:
    words = [t.text for t in toks[seg_at:aux_at]]
    who, indefinite = _subject(c, words)
    if inverted is not None and who not in _AGENTS:
        # "Soeben habe ich ...", "Die Bestellung habe ich ...": the pronoun after the verb
        who, indefinite = _subject(c, [toks[inverted].text])
    main = len(words) > 1 and words[-1] in c.lang.pronouns  # "if you agree I will": not "if"'s
    begin = toks[aux_at - 1 if main else seg_at].start
    return _Frame(who, s[begin:toks[aux_at].start], aux, begin,
                  stop in c.lang.conditions and not main, indefinite)


def _more_aux(c: _Compiled, s: str, end: int) -> bool:
    """An auxiliary after the clause makes a leading -ing its subject: "Returning it is easy"."""
    return end < len(s) and c.lang.aux.get(_tokens(c, s[end:])[0].text, Aux.FILL) is not Aux.FILL


def _claim(c: _Compiled, clause: _Clause, s: str, raw: str) -> Claim | None:
    """The claim one clause makes, or None when it is policy, order status or no action."""
    verb, frame, reading, obj = clause.verb, clause.frame, clause.reading, clause.obj
    who = frame.who
    passive = _passive(frame.aux, clause.form) or (
        reading is _Reading.PAST and who is Who.THING and verb.role is not Role.ARRIVE)
    if not _accepts(c, verb, who, passive, reading, clause.after):
        return None
    if verb.role is Role.PERSON and passive and not c.by_person.search(obj):
        return None  # "your return will be reviewed" is the process; "by our team", a person
    if reading is _Reading.PAST and who is Who.SHOPPER and verb.role is not Role.RECEIVE:
        return None  # "you returned it last week"
    present = passive and not {Aux.FUT, Aux.HAVE, Aux.WAS, Aux.BEEN, Aux.DID} & set(frame.aux)
    if present and frame.indefinite:
        return None  # "a refund is issued once the item arrives": how it works
    tense = "done" if reading is _Reading.PAST else reading.value
    if present and tense == "done" and c.timeframe.search(obj):
        tense = "will"  # "your refund is processed within 5 days"
    np_first = verb.role is Role.ARRIVE or passive
    kind = _kind(c, verb, (frame.np, obj, s) if np_first else (obj, frame.np, s))
    text = s[frame.start:clause.end]
    if kind is None:
        return None
    if kind == "email" and verb.kind == "email" and who is Who.PERSON:
        kind = "handoff"  # "our team will email you": a person gets in touch
    if kind == "ship" and (tense == "done" or (who not in _AGENTS
                                               and not c.destination.search(text))):
        return None  # "it shipped yesterday", "your order should arrive Friday": order status
    if kind == "email" and c.routine.search(s):
        return None  # tracking and order emails every order gets
    if tense == "done" and who is not Who.SELF and c.record.search(s[:clause.bound]):
        return None  # "your order was cancelled on May 3": read from the shop's records
    return Claim(raw[frame.start:clause.end].strip(" ,;:-—–.!?¿¡\"'’"), kind, tense)
