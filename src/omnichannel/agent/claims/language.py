"""The shape of a language's words: the verbs, cues, auxiliaries and subjects a reader uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """How a verb's subject relates to the action, which decides who may claim it."""

    ACT = "act"  # the shop does it: "I refunded you", "a label was sent"
    CONTACT = "contact"  # the shop gets in touch later: "we'll get back to you"
    PERSON = "person"  # only a person does it: "a colleague will reply"
    RECEIVE = "receive"  # the shopper gets it: "you'll receive a label"
    ARRIVE = "arrive"  # the thing comes: "your refund will arrive", "is on its way"


class Aux(StrEnum):
    """What an auxiliary or a word before the verb adds: a tense, a modal, a negation."""

    FUT = "future"
    OFFER = "offer"  # can, would, happy to, need to: not a statement of fact
    NEG = "negation"
    ABLE = "able"
    BE = "be"
    WAS = "was"
    BEEN = "been"
    BEING = "being"
    HAVE = "have"
    DID = "did"
    DO = "do"
    FILL = "filler"  # now, already, go ahead and


class Who(StrEnum):
    """What a clause's subject is."""

    SELF = "self"
    WE = "we"
    PERSON = "person"
    AGENT = "agent"  # the shop as an organisation: the warehouse, the system
    SHOPPER = "shopper"
    THING = "thing"
    GENERIC = "generic"  # "refunds", "any order": policy
    NOBODY = "nobody"  # "nothing", "no refund": negated
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Verb:
    """A verb (or set phrase) that names a support action, in each of its forms."""

    kind: str | None  # None: the object or subject names it ("processed your refund")
    role: Role
    # "base/ing/ed[/will[/future[/did]]]", regex alternatives; "will" forms read as future
    # after an auxiliary ("is on its way"); "future" forms are a future or a present of the
    # speaker by themselves ("reembolsaré", "ich storniere"); "did" forms a past of the speaker
    # ("cancelé", "cancelei").
    forms: str
    turns: tuple[str, ...] = ()  # kinds a cue nearby turns it into ("emailed a label": label)
    expect: bool = False  # "you can expect", "expect an email": promises even with can or bare
    passive_only: bool = False  # "is confirmed" states it; "I confirmed" may only have checked
    itself: bool = False  # a thing may do it too: "your replacement will ship tomorrow"
    second: bool = False  # the forms name the shopper with no pronoun: "recibirás"


@dataclass(frozen=True, slots=True)
class Language:
    """The words one language states, promises and refuses with."""

    verbs: tuple[Verb, ...]
    cues: tuple[tuple[str, str], ...]  # kind, regex; the first found wins
    aux: Mapping[str, Aux | tuple[Aux, ...]]  # one to three tokens, space-joined
    pronouns: Mapping[str, Who]
    people: frozenset[str]
    agents: frozenset[str]
    determiners: frozenset[str]
    indefinite: frozenset[str]
    generic: frozenset[str]
    nobody: frozenset[str]
    joins: frozenset[str]  # the next verb may share the subject: "cancelled it and refunded"
    breaks: frozenset[str]
    conditions: frozenset[str]  # the clause after them is hypothetical
    openers: frozenset[str]  # a clause starting with one is a question
    objects: frozenset[str]  # "Cancelled it." is a first person claim without the "I"
    prepositions: frozenset[str]  # "with the difference refunded": no subject, a plan
    tag: str  # "..., okay?": asks to go ahead, so what it asks about is conditional
    conditional: str  # the sentence makes its promises depend on something
    timeframe: str  # "is refunded within 5 days" is a future
    destination: str  # shipping somewhere new is an action, shipping itself is order status
    routine: str  # emails every order gets
    record: str  # a done thing read from the shop's records, not done now
    by_person: str  # "reviewed by our team"
    # A sentence that opens by declaring the job finished ("Done: ...", "All set!").
    finished: str = r"^\W*$"
    # New items or a replacement said to be coming ("your new boots are on their way").
    coming: str = r"^\W*$"
    # The auxiliary may stand apart from a verb at the clause's end ("ich habe sie storniert").
    bracket: bool = False
    # An elided article or pronoun is one token with its apostrophe ("l'étiquette", "j'ai").
    elision: bool = False
    # A number with a dot is an ordinal ("am 3. Mai"), not the end of a sentence.
    ordinals: bool = False


def aux_words(table: Mapping[Aux | tuple[Aux, ...], str]) -> dict[str, Aux | tuple[Aux, ...]]:
    """An auxiliary table from "word|word phrase" strings per meaning."""
    return {w: aux for aux, words in table.items() for w in words.split("|")}
