"""The resolution rules: what one conversation's history says about its outcome.

docs/analytics.md states them in prose; this module is the one place they are code. A
conversation is read as a timeline of shopper messages, answers (agent or staff), status
changes and handoffs, and judged at `now`:

- confirmed: after the last answer the shopper said it is solved (or pressed "solved");
- assumed: after the last answer the shopper did not ask for more within the rule's window
  (Fin: 24 h from the answer; Zendesk: 72 h of inactivity), the agent only;
- closed: staff marked it resolved;
- durable: resolved, and still so `durable_days` later;
and never resolved: greetings alone, an open question, an unkept promise, a question the
agent asked and the shopper left, a failed answer, or a handoff nobody has resolved since.
A reopen (status back to open, the shopper back in the same conversation after a
resolution, or a new conversation on the same chat within the durable window after a
closure) takes a resolution back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from omnichannel.agent.claims import unbacked
from omnichannel.agent.intents import (
    is_goodbye,
    is_greeting,
    is_thanks,
    red_flag,
    wants_person,
)
from omnichannel.store.analytics import History, MessageRow

HOUR = 3600.0
DAY = 86400.0
TAKEOVER = "staff_takeover"


class Kind(StrEnum):
    CONFIRMED = "confirmed"
    ASSUMED = "assumed"
    CLOSED = "closed"


class Pending(StrEnum):
    """Why a conversation is not (or not yet) resolved."""

    GREETING_ONLY = "greeting_only"
    UNANSWERED = "unanswered"  # the shopper's last request has no answer
    FURTHER_HELP = "further_help"  # the shopper said it did not help
    PROMISE = "promise"  # the last answer claims or promises something no action backs
    QUESTION = "question"  # the last answer asks the shopper to confirm; they left
    FAILED = "failed"  # the last answer was "I don't know"
    HANDOFF = "handoff"  # with staff, not resolved by them yet
    WAITING = "waiting"  # the rule's window has not passed yet
    REOPENED = "reopened"


@dataclass(frozen=True, slots=True)
class Rule:
    """One definition of an assumed resolution."""

    name: str
    window: float  # seconds
    # "answer": the window runs from the last answer (Fin); "activity": from the last
    # message of anyone (Zendesk's inactivity).
    anchor: str
    # Zendesk counts even a confirmed resolution only once the session has gone quiet.
    confirm_waits: bool
    summary: str


def fin(hours: float = 24.0) -> Rule:
    return Rule("fin", hours * HOUR, "answer", False,
                f"Fin: after the last answer the shopper confirms, or asks for nothing more "
                f"within {hours:g} h")


def zendesk(hours: float = 72.0) -> Rule:
    return Rule("zendesk", hours * HOUR, "activity", True,
                f"Zendesk: {hours:g} h without activity after an answer, no escalation, "
                f"last word not a request for more help")


class Say(StrEnum):
    """What a shopper message does to the outcome."""

    REQUEST = "request"  # a question or a request: needs an answer
    CONFIRM = "confirm"  # solved / thanks / that helped
    UNSOLVED = "unsolved"  # it did not help
    SMALLTALK = "smalltalk"  # hello, bye: changes nothing


# Button values a channel may offer for "solved" and "not solved" (docs/analytics.md).
SOLVED_BUTTONS = frozenset({"solved", "resolved", "that_helped", "helped", "csat_solved"})
UNSOLVED_BUTTONS = frozenset({"not_solved", "unsolved", "more_help", "get_more_help",
                              "handoff"})
# "ok thanks", "great, thank you!", "perfect": acknowledging an answer (Fin's own example).
_ACK = re.compile(
    r"^\s*(ok(ay)?|great|perfect|awesome|cool|brilliant|lovely|nice|excellent|got it|"
    r"understood|all right|alright|super|wonderful)\b[\s,!.]*((thanks|thank you|thx|ty|"
    r"cheers)\b[\s\w!.,']{0,30})?$", re.I)
_SOLVED = re.compile(
    r"\b(solved|resolved|sorted|fixed|works now|working now|that (helped|helps|did it|"
    r"answers it|answered it|works)|all good|problem solved|perfect)\b", re.I)
_UNSOLVED = re.compile(
    r"\b(not (solved|resolved|fixed|sorted|helpful|working)|(didn'?t|did not|doesn'?t|"
    r"does not|don'?t|won'?t) (help|work|answer|solve|fix)|still (not|no|broken|waiting|"
    r"haven'?t|missing|nothing)|that'?s not what|wrong answer|useless)\b", re.I)


def classify(msg: MessageRow) -> Say:
    """Read one shopper message. A purged body is taken as a request (unknown content)."""
    if msg.purged:
        return Say.REQUEST
    value = (msg.button_value or "").strip().lower()
    if value.startswith("csat:"):
        return Say.SMALLTALK  # a rating (pressed or typed) is not a new request: no reopen
    if value in SOLVED_BUTTONS:
        return Say.CONFIRM
    if value in UNSOLVED_BUTTONS:
        return Say.UNSOLVED
    text = msg.text.strip()
    if not text and not value:
        return Say.SMALLTALK
    if wants_person(text) or red_flag(text) or _UNSOLVED.search(text):
        return Say.UNSOLVED
    if is_thanks(text) or _ACK.match(text) or (_SOLVED.search(text) and len(text) <= 80):
        return Say.CONFIRM
    if is_greeting(text) or is_goodbye(text):
        return Say.SMALLTALK
    return Say.REQUEST


# Outbound messages that never reached the shopper do not answer anything.
_UNDELIVERED = frozenset({"cancelled", "dropped", "failed"})
_ASKS = frozenset({"yes", "no"})


@dataclass(slots=True)
class Outcome:
    conversation_id: int
    created_at: float
    channel: str
    engaged: bool = False  # at least one real request (not greetings alone)
    handed_off: bool = False
    handoff_reason: str | None = None
    handoff_at: float | None = None
    staff_replied: bool = False
    resolved: bool = False
    kind: Kind | None = None
    resolved_at: float | None = None
    resolved_by: str | None = None  # "agent" | "staff"
    automated: bool = False
    durable: bool = False
    # The durable window has passed, so `durable` is final either way.
    durable_known: bool = False
    reopened: int = 0
    pending: Pending | None = None
    first_response: float | None = None  # seconds to the agent's first reply
    staff_first_response: float | None = None  # seconds from the handoff to staff's reply
    time_to_resolution: float | None = None
    csat: tuple[int, str] | None = None  # (score, "agent" | "staff")

    @property
    def staff_involved(self) -> bool:
        return self.handed_off or self.staff_replied


def handoff_of(h: History) -> tuple[float, str] | None:
    """The first handoff (time, reason code): a handoff event, or an owner change to staff
    (staff taking over by replying has reason "staff_takeover")."""
    found: list[tuple[float, int, str]] = []
    for e in h.events:
        if e.kind == "handoff":
            found.append((e.created_at, e.id, str(e.detail.get("reason") or "unknown")))
        elif e.kind == "owner" and e.detail.get("owner") == "staff":
            # Staff taking over unasked (a reply from the CLI, Slack's or the dashboard's
            # take-over) all read as one reason.
            reason = str(e.detail.get("reason") or "takeover")
            found.append((e.created_at, e.id, TAKEOVER if reason.endswith(
                ("_message", "takeover")) else reason))
    if not found:
        return None
    first = min(found)
    return first[0], first[2]


def done_tools(h: History) -> set[str]:
    """Tools that ran successfully in the conversation (what backs a promise)."""
    done = set()
    for a in h.actions:
        r = a.result.strip().lower()
        if r.startswith("error") or r == "needs confirmation" or r.startswith("needs staff"):
            continue
        done.add(a.tool)
    return done


def outcome(h: History, rule: Rule, now: float, durable_days: float = 7.0) -> Outcome:
    """Judge one conversation at `now` under `rule`."""
    out = Outcome(conversation_id=h.id, created_at=h.created_at, channel=h.channel)
    handoff = handoff_of(h)
    if handoff is not None:
        out.handed_off, out.handoff_at, out.handoff_reason = True, handoff[0], handoff[1]

    # The timeline: shopper messages, replies that reached the shopper, owner and status
    # changes (an event sorts before a message written in the same instant: a handoff
    # turn changes the owner before it files its words).
    steps: list[tuple[float, int, int, str, object]] = []
    for m in h.messages:
        if m.role == "customer":
            steps.append((m.created_at, 1, m.id, "customer", m))
        elif m.role in ("agent", "staff") and m.delivery not in _UNDELIVERED:
            steps.append((m.created_at, 1, m.id, m.role, m))
    for e in h.events:
        if e.kind == "status":
            steps.append((e.created_at, 0, e.id, "status", str(e.detail.get("status"))))
        elif e.kind == "owner":
            steps.append((e.created_at, 0, e.id, "owner", str(e.detail.get("owner"))))
    steps.sort(key=lambda s: (s[0], s[1], s[2]))

    first_customer: float | None = None
    waiting_since: float | None = None  # the oldest request still without an answer
    last_activity = h.created_at
    owner = "agent"
    waiting = False  # a request without an answer yet
    answer: MessageRow | None = None
    confirmed_at: float | None = None
    unsolved = False
    closed_at: float | None = None
    for at, _rank, _id, what, item in steps:
        if what == "owner":
            owner = str(item)
            continue
        if what == "status":
            if item == "resolved":
                closed_at = at
            elif item == "open" and closed_at is not None:
                closed_at = None
                out.reopened += 1
            continue
        last_activity = max(last_activity, at)
        msg = item
        assert isinstance(msg, MessageRow)
        if what == "customer":
            first_customer = at if first_customer is None else first_customer
            say = classify(msg)
            if say in (Say.REQUEST, Say.UNSOLVED):
                out.engaged = True
                if closed_at is not None:
                    closed_at = None  # back in a conversation already closed
                    out.reopened += 1
                elif answer is not None and not waiting and (
                        confirmed_at is not None or at - answer.created_at >= rule.window):
                    out.reopened += 1  # a resolution that had been counted comes back
                if not waiting:
                    waiting_since = at
                waiting, confirmed_at = True, None
                unsolved = say is Say.UNSOLVED
            elif say is Say.CONFIRM and answer is not None and not waiting:
                confirmed_at = confirmed_at or at
            continue
        if what == "agent" and out.first_response is None and first_customer is not None:
            out.first_response = at - first_customer
        if what == "staff":
            out.staff_replied = True
            if out.staff_first_response is None:
                # From the agent's handoff; when staff took over unasked, from the oldest
                # request the shopper was still waiting on (none: nobody was waiting).
                start = (out.handoff_at if out.handoff_reason not in (None, TAKEOVER)
                         else waiting_since if waiting else None)
                if start is not None and at >= start:
                    out.staff_first_response = at - start
        # While staff own the conversation the agent's words (the handoff turn's own
        # apology) answer nothing: a handoff is never a resolution.
        if waiting and (what == "staff" or owner == "agent"):
            answer, waiting, unsolved = msg, False, False

    why = _not_resolvable(h, out, waiting, unsolved, answer, confirmed_at)
    by = "staff" if out.staff_involved else "agent"
    if closed_at is not None and out.engaged:
        # Staff closed it: their call, whatever the last message was.
        out.kind, out.resolved_at = Kind.CLOSED, closed_at
        if confirmed_at is not None and why is None:
            out.kind, out.resolved_at = Kind.CONFIRMED, confirmed_at
        if (h.next_on_chat_at is not None
                and h.next_on_chat_at - closed_at <= durable_days * DAY):
            out.kind, out.resolved_at, why = None, None, Pending.REOPENED
            out.reopened += 1
    elif why is None and answer is not None:
        quiet = now - (answer.created_at if rule.anchor == "answer" else last_activity)
        if confirmed_at is not None and (not rule.confirm_waits or quiet >= rule.window):
            out.kind, out.resolved_at = Kind.CONFIRMED, confirmed_at
        elif out.staff_involved:
            why = Pending.HANDOFF  # people resolve by closing, or the shopper confirms
        elif quiet >= rule.window:
            out.kind, out.resolved_at = Kind.ASSUMED, answer.created_at
        else:
            why = Pending.WAITING
    if out.kind is not None:
        assert out.resolved_at is not None
        out.resolved, out.resolved_by = True, by
        out.automated = by == "agent"
        start = first_customer if first_customer is not None else h.created_at
        out.time_to_resolution = max(0.0, out.resolved_at - start)
        out.durable_known = now - out.resolved_at >= durable_days * DAY
        out.durable = out.durable_known
    else:
        out.pending = why or (Pending.HANDOFF if out.handed_off else Pending.UNANSWERED)
    out.csat = _csat(h, by)
    return out


def _not_resolvable(h: History, out: Outcome, waiting: bool, unsolved: bool,
                    answer: MessageRow | None, confirmed_at: float | None) -> Pending | None:
    if not out.engaged:
        return Pending.GREETING_ONLY
    if out.handed_off and (waiting or answer is None or (
            out.handoff_at is not None and answer.created_at < out.handoff_at)):
        return Pending.HANDOFF  # nobody has answered since the handoff
    if waiting:
        return Pending.FURTHER_HELP if unsolved else Pending.UNANSWERED
    if answer is None:
        return Pending.UNANSWERED
    if h.failures > 0 and answer.role == "agent":
        return Pending.FAILED
    if not answer.purged and unbacked(answer.text, done_tools(h), handed_off=out.handed_off):
        return Pending.PROMISE
    if _ASKS <= {b.lower() for b in answer.buttons} and confirmed_at is None:
        return Pending.QUESTION
    return None


def _csat(h: History, by: str) -> tuple[int, str] | None:
    """The conversation's latest rating (asked at most once; if several, the last counts)."""
    for e in reversed(h.events):
        if e.kind != "csat":
            continue
        try:
            score = int(str(e.detail.get("score")))
        except ValueError:
            continue
        if 1 <= score <= 5:
            rated = str(e.detail.get("by") or by)
            return score, rated if rated in ("agent", "staff") else by
    return None

