"""The claim checker: what a reply says was done, is under way or will happen, and what backs it.

A claim states that a support action (a refund, a label, a person replying) was done, is being
done or will be done. It is backed when a write tool succeeded in this conversation whose action,
or what the shop does after it, is that kind; a conditional promise ("once you confirm, I'll
cancel it") may also rest on the write the shopper is being asked to confirm. The words are data,
one `Language` per code; the reading below is the same for every language.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


@dataclass(frozen=True, slots=True)
class Claim:
    """One statement that a support action was done, is under way or will happen."""

    text: str  # the clause that makes the claim, as written
    kind: str  # refund, cancel, return, exchange, label, email, ship, replacement, credit,
    # discount, address, payment, items, handoff (a person will reply), callback
    tense: str  # "done", "doing" or "will"


@dataclass(frozen=True, slots=True)
class Capability:
    """What one successful write backs: the action itself, then what the shop does after it."""

    does: frozenset[str]
    then: frozenset[str] = frozenset()


_REFUND = frozenset({"refund", "credit"})  # to the original payment method in 5-7 business days
CAPABILITIES: Mapping[str, Capability] = {
    "cancel_pending_order": Capability(frozenset({"cancel"}), _REFUND),
    # A return or an exchange: an email with the label and instructions, then the refund.
    "return_delivered_order_items": Capability(frozenset({"return"}),
                                               frozenset({"label", "email"}) | _REFUND),
    "exchange_delivered_order_items": Capability(
        frozenset({"exchange", "items"}),
        frozenset({"label", "email", "ship", "payment"}) | _REFUND),  # new items; the difference
    "modify_pending_order_items": Capability(frozenset({"items", "exchange"}),
                                             frozenset({"payment"}) | _REFUND),
    "modify_pending_order_address": Capability(frozenset({"address"}), frozenset({"ship"})),
    "modify_pending_order_payment": Capability(frozenset({"payment"}), _REFUND),
    "modify_user_address": Capability(frozenset({"address"})),
    "refund_order": Capability(_REFUND),
    "transfer_to_human_agents": Capability(frozenset({"handoff"})),  # a person replies here
}
HANDED_OFF = frozenset({"handoff"})  # this turn hands off: a person will indeed reply
ANY = "action"  # "Done!", "All set": some action, named by nothing in the sentence
# No tool does these, so nothing ever backs them: phone calls, discounts and coupons, a free
# replacement shipment, a waived fee.
NEVER = frozenset({"callback", "discount", "replacement"})


def backed_kinds(tools: Collection[str]) -> frozenset[str]:
    """The kinds of claim that these successful (or pending) write tools make true."""
    kinds: set[str] = set()
    for tool in tools:
        cap = CAPABILITIES.get(tool)
        if cap:
            kinds |= cap.does | cap.then
    return frozenset(kinds - NEVER)


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
    forms: str  # "base/ing/ed[/will]", regex alternatives; "will" forms read as future
    turns: tuple[str, ...] = ()  # kinds a cue nearby turns it into ("emailed a label": label)
    expect: bool = False  # "you can expect", "expect an email": promises even with can or bare
    passive_only: bool = False  # "is confirmed" states it; "I confirmed" may only have checked
    itself: bool = False  # a thing may do it too: "your replacement will ship tomorrow"


@dataclass(frozen=True, slots=True)
class Language:
    """The words one language states, promises and refuses with."""

    verbs: tuple[Verb, ...]
    cues: tuple[tuple[str, str], ...]  # kind, regex; the first found wins
    aux: Mapping[str, Aux]  # one to three tokens, space-joined
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


_EN_VERBS = (
    Verb("refund", Role.ACT, "refunds?|reimburses?|credits? (?:it )?back/refunding|reimbursing"
         "/refunded|reimbursed|credited back"),
    Verb("cancel", Role.ACT, "cancels?/cancell?ing/cancell?ed"),
    Verb("return", Role.ACT, "returns?/returning/returned", ("refund",)),
    Verb("exchange", Role.ACT, "exchanges?|swaps?/exchanging|swapping/exchanged|swapped"),
    Verb("replacement", Role.ACT, "replaces?|reships?|resends?/replacing|reshipping|resending"
         "/replaced|reshipped|resent", ("label", "email")),
    Verb("email", Role.ACT, "e-?mails?/e-?mailing/e-?mailed", ("label", "discount", "credit")),
    Verb("ship", Role.ACT, "ships?|dispatch(?:es)?|deliver(?:s)?|sends? out|mails? out"
         "/shipping|dispatching|delivering|sending out|mailing out"
         "/shipped|dispatched|delivered|sent out|mailed out", ("replacement", "label"),
         itself=True),
    Verb("credit", Role.ACT, "credits?/crediting/credited"),
    Verb("discount", Role.ACT, "waives?|discounts?|comps?|upgrades?|expedites?|price[- ]match"
         "/waiving|discounting|comping|upgrading|expediting|price[- ]matching"
         "/waived|discounted|comped|upgraded|expedited|price[- ]matched"),
    Verb("payment", Role.ACT, "charges?|bills?/charging|billing/charged|billed"),
    Verb("items", Role.ACT, "updates?|changes?|modif(?:y|ies)|switch(?:es)?|edits?|corrects?"
         "|amends?|adjusts?|adds?|removes?|appl(?:y|ies)"
         "/updating|changing|modifying|switching|editing|correcting|amending|adjusting|adding"
         "|removing|applying/updated|changed|modified|switched|edited|corrected|amended"
         "|adjusted|added|removed|applied",
         ("address", "payment", "discount", "credit", "refund")),
    Verb(None, Role.ACT, "process(?:es)?|issues?|submits?|initiates?|starts?|arranges?|sets? up"
         "|creates?|places?|files?|opens?|puts? through|completes?|approves?|takes? care of"
         "|sorts? out|prepares?|books?|raises?|generates?|authori[sz]es?|finali[sz]es?|sends?"
         "|mails?|notif(?:y|ies)|alerts?|forwards?|pass(?:es)?|requests?"
         "/processing|issuing|submitting|initiating|starting|arranging|setting up|creating"
         "|placing|filing|opening|putting through|completing|approving|taking care of|sorting out"
         "|preparing|booking|raising|generating|authori[sz]ing|finali[sz]ing|sending|mailing"
         "|notifying|alerting|forwarding|passing|requesting"
         "/processed|issued|submitted|initiated|started|arranged|set up|created|placed|filed"
         "|opened|put through|complete|completed|approved|taken care of|took care of"
         "|sorted out|prepared|booked|raised|generated|authori[sz]ed|finali[sz]ed|sent|mailed"
         "|notified|alerted|forwarded|passed|requested|done|all set"),
    Verb(None, Role.ACT, "//confirmed", passive_only=True),
    Verb("handoff", Role.ACT, "transfers?|escalates?|connects?|refers?|hands? (?:you |this |it )?"
         "(?:over|off)|flags?|loops? in|assigns?/transferring|escalating|connecting|referring"
         "|handing (?:you |this |it )?(?:over|off)|flagging|looping in|assigning"
         "/transferred|escalated|connected|referred|handed (?:you |this |it )?(?:over|off)"
         "|flagged|looped in|assigned"),
    Verb("handoff", Role.CONTACT, "get back to|get back in touch|be in touch|get in touch|follow up"
         "|reach out|contact|let you know|update you|keep you (?:posted|updated|informed)"
         "|circle back|write back|write to you|message you|touch base"
         "/getting back to|getting in touch|following up|reaching out|contacting|letting you know"
         "|updating you|keeping you (?:posted|updated|informed)|circling back|writing back"
         "|writing to you|messaging you|touching base"
         "/got back to|gotten back to|been in touch|got in touch|followed up|reached out"
         "|contacted|updated you|kept you (?:posted|updated|informed)|circled back|wrote back"
         "|wrote to you|messaged you|touched base"),
    Verb("callback", Role.CONTACT, "call you(?: back)?|call back|phone you|ring you(?: back)?"
         "|give you a (?:call|ring)|schedule a call(?:back)?|arrange a call(?:back)?"
         "/calling you(?: back)?|calling back|phoning you|ringing you|giving you a (?:call|ring)"
         "/called you(?: back)?|phoned you|rang you|gave you a (?:call|ring)"),
    Verb("handoff", Role.PERSON, "reply|replies|respond|responds|review|reviews|look into"
         "|looks into|take a look|takes a look|take over|takes over|help|helps|assist|assists"
         "|investigate|investigates|pick (?:this|it) up|join|joins|be with you|answer|answers"
         "|take (?:it|this|over) from here|takes (?:it|this|over) from here"
         "/replying|responding|reviewing|looking into|taking a look|taking over|helping"
         "|assisting|investigating|picking (?:this|it) up|joining|answering"
         "/replied|responded|reviewed|looked into|taken a look|took a look|taken over|took over"
         "|helped|assisted|investigated|picked (?:this|it) up|joined|answered"),
    Verb("handoff", Role.RECEIVE, "hear(?: back)?(?: from)?/hearing(?: back)?(?: from)?"
         "/heard(?: back)?(?: from)?"),
    Verb(None, Role.RECEIVE, "expect|look out for|keep an eye out for|watch for"
         "/expecting|looking out for", expect=True),
    Verb(None, Role.RECEIVE, "receives?|gets?|sees?|finds?|notices?"
         "/receiving|getting|seeing|finding|noticing/received|got|gotten|seen|saw|found|noticed"),
    Verb(None, Role.ARRIVE, "arrives?|reach(?:es)? (?:you|your)|follows?|appears?|shows? up"
         "|lands?|posts?|go(?:es)? through|comes? through|go(?:es)? (?:back )?to"
         "/arriving|reaching (?:you|your)|following|appearing|showing up|landing|posting"
         "|going through|coming through|going back to"
         "/arrived|reached (?:you|your)|followed|appeared|showed up|landed|posted|went through"
         "|gone through|came through|went (?:back )?to|gone (?:back )?to"
         "/on (?:its|their|the) way|heading your way|coming your way|in the (?:mail|post)"
         "|in your inbox|in transit|en route"),
)

_EN_CUES = (
    ("label", r"\blabels?\b"),
    ("replacement", r"\breplacements?\b|\breship\w*|\bresen[dt]\w*"),
    ("discount", r"\bdiscount\w*|\bcoupons?\b|\bpromo\w*|\bvouchers?\b|%\s*off\b|\bpercent off\b"
     r"|\bprice\b|\bgoodwill\b|\bwaive\w*|\bfree (?:shipping|upgrade|express)\b"
     r"|\bcompensation\b|\bfees?\b|\bat no (?:charge|cost)\b|\bfree of charge\b"
     r"|\bcomplimentary\b|\bfor free\b"),
    ("callback", r"\b(?:phone )?calls?\b|\bcallbacks?\b"),
    ("credit", r"\b(?:store |account )?credit\b(?! card)|\bgift ?cards?\b"),
    ("email", r"\be-?mails?\b|\binstructions\b|\bconfirmation\b|\binbox\b"),
    ("refund", r"\brefund\w*|\breimburs\w*|\bmoney\b|\bthe (?:full )?amount\b|\$\s?\d"),
    ("exchange", r"\bexchang\w*|\bswap\w*"),
    ("return", r"\breturns?\b|\brma\b"),
    ("cancel", r"\bcancel\w*"),
    ("handoff", r"\bteam\b|\bcolleagues?\b|\bspecialists?\b|\bagents?\b|\bhumans?\b|\bperson\b"
     r"|\bstaff\b|\bsupervisors?\b|\bmanagers?\b|\btickets?\b|\brepresentatives?\b"
     r"|\bsomeone\b|\bwarehouse\b|\bdepartment\b|\breply\b|\bresponse\b"),
    ("address", r"\baddress(?:es)?\b"),
    ("payment", r"\bpayments?\b|(?<!gift )\bcards?\b|\bbilling\b|\bpaypal\b|\bcharge[sd]?\b"),
    ("items", r"\bitems?\b|\bsizes?\b|\bcolou?rs?\b|\bvariants?\b|\bquantit(?:y|ies)\b"
     r"|\bproducts?\b"),
    ("ship", r"\borders?\b|\bpackages?\b|\bparcels?\b|\bshipments?\b|\bdeliver\w*|\bship\w*"),
)


def _words(table: Mapping[Aux, str]) -> dict[str, Aux]:
    return {w: aux for aux, words in table.items() for w in words.split("|")}


_EN_AUX = _words({
    Aux.FUT: "will|'ll|wo|shall|sha|should|gonna|going to|about to|let me|let us|let 's"
             "|scheduled to|set to|due to|expected to|plan to|planning to|likely to",
    Aux.OFFER: "would|'d|could|can|ca|may|might|must|need to|needs to|have to|has to|had to"
               "|happy to|glad to|want to|wants to|like to|me to|us to|offer to|ought to"
               "|supposed to|free to|welcome to",
    Aux.NEG: "not|n't|never|cannot|no longer|unable to|yet to|failed to|hardly",
    Aux.ABLE: "able to",
    Aux.BE: "am|'m|is|'s|are|'re|be",
    Aux.WAS: "was|were",
    Aux.BEEN: "been",
    Aux.BEING: "being",
    Aux.HAVE: "have|'ve|has|had",
    Aux.DID: "did",
    Aux.DO: "do|does",
    Aux.FILL: "go ahead and|gone ahead and|went ahead and|going ahead and|goes ahead and"
              "|go and|proceed to|proceeded to|now|just|already|also|then|still|actually"
              "|successfully|personally|quickly|immediately|officially|fully|automatically"
              "|soon|definitely|certainly|happily|gladly|finally|really|hereby|both|usually"
              "|typically|normally|generally|promptly|manually|right",
})

ENGLISH = Language(
    verbs=_EN_VERBS,
    cues=_EN_CUES,
    aux=_EN_AUX,
    pronouns={"i": Who.SELF, "we": Who.WE, "us": Who.WE, "you": Who.SHOPPER, "it": Who.THING,
              "this": Who.THING, "that": Who.THING, "these": Who.THING, "those": Who.THING,
              "everything": Who.THING, "they": Who.PERSON, "he": Who.PERSON, "she": Who.PERSON,
              "someone": Who.PERSON, "somebody": Who.PERSON, "nothing": Who.NOBODY,
              "nobody": Who.NOBODY, "none": Who.NOBODY},
    people=frozenset("team teams colleague colleagues specialist specialists agent agents human "
                     "humans person people staff supervisor supervisors manager managers "
                     "representative representatives rep member members expert experts advisor "
                     "advisors adviser associate associates someone somebody teammate support "
                     "service".split()),
    agents=frozenset("warehouse store shop system department company fulfillment fulfilment "
                     "billing".split()),
    determiners=frozenset("the your my our this that these those its their his her a an one "
                          "another both order".split()),
    indefinite=frozenset({"a", "an", "another"}),
    generic=frozenset("any all every each most many some such".split()),
    nobody=frozenset("no nothing none nobody neither never".split()),
    joins=frozenset({",", "and", "or", "&", "plus"}),
    breaks=frozenset(";|:|—|–|-|(|)|\"|but|so|because|since|while|which|who|where|as"
                     "|though|although|however|meanwhile|otherwise|so that".split("|")),
    conditions=frozenset("if|once|when|whenever|after|before|until|unless|upon|provided"
                         "|assuming|whether|as soon as|in case|as long as".split("|")),
    openers=frozenset("would could can shall should will do does did is are was were have has "
                      "may might what when where which who whom whose why how anything any want "
                      "need wanna".split()),
    objects=frozenset("it them you that this your the both".split()),
    prepositions=frozenset("with without for to of in on at by from about into via per "
                           "including".split()),
    tag=r"^(?:ok(?:ay)?|alright|all right|right|sound good|does that (?:sound good|work)"
        r"(?: for you)?|is that (?:ok(?:ay)?|alright|all right|fine|good)(?: with you)?"
        r"|shall i|should i|yes|correct)\W*$",
    conditional=r"\b(?:if|once|when|whenever|as soon as|after|before|until|unless|upon"
                r"|provided|assuming|with your (?:ok|okay|approval|confirmation|go-ahead"
                r"|permission|consent))\b|^\W*(?:please |just |simply )?(?:confirm|reply|say"
                r"|type|answer|tap|click|press|respond)\b.*\band\b",
    timeframe=r"\b(?:within|in (?:\d|a |an |one |two |three |a few )|by |tomorrow|soon"
              r"|shortly|next |today|later|over the next)",
    destination=r"\baddress\b|\bnow ships?\b|\bto \d+ \w+",
    routine=r"\btracking\b|\bshipping (?:confirmation|notification|update)s?\b"
            r"|\border confirmation\b|\b(?:when|once) (?:it|your order|the order) ships\b",
    record=r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
           r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b"
           r"|\b\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct"
           r"|nov|dec)[a-z]*\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
           r"|\byesterday\b|\blast (?:week|month|year|night)\b|\b\d+ (?:days?|weeks?|months?"
           r"|hours?) ago\b|\bearlier (?:today|this \w+)\b|\bshows?\b|\bshowing\b|\bmarked\b"
           r"|\bstatus\b|\baccording to\b|\brecords? (?:show|say|indicate)",
    by_person=r"\bby (?:a |an |the |our |one of )",
    finished=r"^\W*(?:(?:all |it'?s |it is |that'?s |that is )?done|all set|all sorted"
             r"|sorted|success(?:fully)?|completed?|finished)\b\s*(?:[:!.,-]|$)",
    coming=r"\b(?:your|the) (?:new|replacement|exchanged?) [\w\s-]{0,60}?\b(?:is|are|will be)"
           r" (?:on (?:its|their|the) way|coming|being (?:sent|shipped))\b"
           r"|\b(?:your|the) (?:new|replacement|exchanged?) [\w\s-]{0,60}?\bwill (?:ship|arrive"
           r"|be (?:sent|shipped|delivered))\b",
)
LANGUAGES: Mapping[str, Language] = {"en": ENGLISH}


class _Form(StrEnum):
    BASE = "base"
    ING = "ing"
    ED = "ed"
    WILL = "will"


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


_TOKEN = re.compile(r"\w+(?=n't\b)|n't\b|'(?:ll|ve|m|re|d|s)\b|\w+(?:[-.]\w+|,\d{3}\b)*|[^\w\s]",
                    re.I)
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\s*[;\n]+\s*")
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


def claims(text: str, lang: str = "en") -> list[Claim]:
    """Every statement in `text` that a support action was done, is under way or will happen."""
    return [found.claim for found in _found(text, lang)]


def unbacked(text: str, done: Collection[str], *, handed_off: bool = False,
             pending: Collection[str] = (), lang: str = "en") -> list[Claim]:
    """The claims in `text` that nothing backs."""
    now = backed_kinds(done) | (HANDED_OFF if handed_off else frozenset())
    if now - HANDED_OFF:
        now |= {ANY}  # "Done!" is true of whatever write ran
    later = backed_kinds(pending)
    return [f.claim for f in _found(text, lang)
            if f.claim.kind not in now and not (f.conditional and f.claim.kind in later)]


def _found(text: str, lang: str) -> list[_Found]:
    c = _compiled(lang if lang in LANGUAGES else "en")
    norm = text.translate(_QUOTES)  # same length, so offsets still point into `text`
    out: list[_Found] = []
    start = 0
    for sep in [*_SENTENCE.finditer(norm), None]:
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


def _tokens(s: str) -> list[_Tok]:
    return [_Tok(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(s)]


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
        found.insert(0, c.lang.aux[" ".join(t.text for t in toks[end - n:end])])
        end -= n
    return tuple(found), end


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
    if first in lang.generic or (first not in lang.determiners and first.endswith("s")
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
        return who in (Who.SHOPPER, *_AGENTS) or (who is Who.NONE and verb.expect)
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
    asked_at, tagged = _question_start(c, s, toks := _tokens(s))
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
        seg_at, stop = _segment(c, toks, aux_at, floor)
        if stop == "verb" and not aux:
            continue  # "get your order cancelled": the complement of the verb before
        own = tuple(a for a in aux if a is not Aux.FILL)
        if seg_at == aux_at and stop in c.lang.joins and prev is not None:
            frame = _Frame(prev.who, prev.np, aux if own else prev.aux + aux, prev.start,
                           prev.hypothetical, prev.indefinite)
        else:
            frame = _frame(c, s, toks, seg_at, aux_at, aux, stop)
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
           aux: tuple[Aux, ...], stop: str) -> _Frame:
    words = [t.text for t in toks[seg_at:aux_at]]
    who, indefinite = _subject(c, words)
    main = len(words) > 1 and words[-1] in c.lang.pronouns  # "if you agree I will": not "if"'s
    begin = toks[aux_at - 1 if main else seg_at].start
    return _Frame(who, s[begin:toks[aux_at].start], aux, begin,
                  stop in c.lang.conditions and not main, indefinite)


def _more_aux(c: _Compiled, s: str, end: int) -> bool:
    """An auxiliary after the clause makes a leading -ing its subject: "Returning it is easy"."""
    return end < len(s) and c.lang.aux.get(_tokens(s[end:])[0].text, Aux.FILL) is not Aux.FILL


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
    return Claim(raw[frame.start:clause.end].strip(" ,;:-—–.!?\"'’"), kind, tense)
