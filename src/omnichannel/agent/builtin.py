"""The built-in engine: understanding, dialogue state and the help center; no network, no model.

Each turn: safety first (red flags and requests for a person are rules that cannot be
switched off), then the message is read (intent with calibrated confidence, per part when it
asks several things), then the open dialogue decides what the words mean: an answer to the
confirmation question, an answer to the slot question, an escape, or a new request.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import replace

import omnichannel.i18n as i18n
from omnichannel.agent import answers, catalog, cues, intents, slots, understanding
from omnichannel.agent.dialogue import State
from omnichannel.agent.engine import Deps, new_customer_messages
from omnichannel.agent.orders import TASKS, OrderFlow
from omnichannel.agent.outgoing import shopper_text
from omnichannel.agent.turn import Handoff, HandoffReason, Turn
from omnichannel.agent.understanding import Prediction, Reading, entities
from omnichannel.agent.understanding.confirm import Answer, decide
from omnichannel.agent.understanding.tone import assess
from omnichannel.commerce import CommerceError
from omnichannel.conversation import Button, Conversation, Message, Role

log = logging.getLogger(__name__)
_ = i18n.translator("agent")

# The classifier must be this sure to act on an intent; below it, only a help-center
# passage that plainly answers the question is given, else an honest "not sure".
CONFIDENT = 0.5
SURE = 0.8  # to leave an open question for a new request
CHANGE = ("modify_items", "exchange_items")
IDENTITY = "identity"  # a message that only says who the shopper is
ABOUT_AN_ORDER = 0.35  # enough for a task when the message names one of the shopper's orders

KNOWLEDGE = {
    "return_policy", "cancellation_policy", "shipping_options", "shipping_countries",
    "delivery_time", "payment_methods", "payment_problem", "gift_cards", "loyalty",
    "price_match", "stores", "account_create", "account_delete", "account_password",
    "account_edit", "newsletter", "contact_hours", "place_order", "warranty", "sizing",
    "invoice", "promo_code", "product_question", "recommendation", "feedback",
}
CATALOG = {"product_question", "promo_code", "recommendation"}


def _safety(reason: HandoffReason) -> str:
    """What the assistant says when a safety rule passes the conversation to a person."""
    if reason is HandoffReason.SELF_HARM:
        return _("I'm really sorry you're going through this. You don't have to face it alone: "
                 "if you are in danger, please call your local emergency number now. In the US "
                 "you can call or text 988 to reach the Suicide & Crisis Lifeline at any time.")
    if reason is HandoffReason.CARD_NUMBER:
        return _("For your safety, please don't type card numbers in chat. I've hidden it from "
                 "this conversation. Nobody from our team will ever ask for your full card "
                 "number here.")
    if reason is HandoffReason.LEGAL:
        return _("I understand. This needs someone from our team rather than me.")
    if reason is HandoffReason.ABUSE:
        return _("I'd like to get this sorted for you, and a person is better placed to do that.")
    if reason is HandoffReason.ANGER:
        return _("I'm really sorry this has been so frustrating, and that you've had to chase "
                 "it. A person from our team is the right one to sort it out with you.")
    return _("I'm sorry to hear that, and thank you for telling us. Your complaint deserves a "
             "proper look from a person on our team.")


def topics() -> tuple[Button, ...]:
    """The topic buttons in the turn's language (the label and the question it sends)."""
    return (Button(_("Shipping"), _("How much is shipping?")),
            Button(_("Returns"), _("How do I return an item?")),
            Button(_("Sizing"), _("How do I find my size?")))


def _offer_label(english: str, task: str) -> str:
    """The button that starts a task offered with a policy answer, in the turn's language."""
    labels = {"return": _("Start a return"), "cancel": _("Cancel an order"),
              "exchange": _("Start an exchange"), "modify_items": _("Change an order"),
              "modify_address": _("Change an order's address"),
              "refund_status": _("Check my refund")}
    return labels.get(task, english)


def _unsaid() -> str:
    return _("Sorry, something went wrong on my side with that answer. Could you ask it "
             "another way?")


class BuiltinEngine:
    name = "builtin"
    history = 12  # earlier messages tell repetition (anger) from a first complaint

    def __init__(self) -> None:
        understanding.warm()

    async def respond(
        self, conversation: Conversation, history: Sequence[Message], deps: Deps
    ) -> Turn:
        turn = await self._respond(conversation, history, deps)
        # The rules write their own words, but they quote the shop's errors and texts: the
        # same output filter as the model's keeps internals (JSON, ids, tool names) out.
        clean = shopper_text(turn.text)
        if clean == turn.text:
            return turn
        log.warning("internal text kept out of a reply", extra={"intent": turn.intent})
        return replace(turn, text=clean or _unsaid(), failed=turn.failed or not clean)

    async def _respond(
        self, conversation: Conversation, history: Sequence[Message], deps: Deps
    ) -> Turn:
        burst = new_customer_messages(history)
        text = " ".join(m.text.strip() for m in burst if m.text.strip())
        button = burst[-1].button_value if burst else None
        earlier = [m.text for m in history if m.role is Role.CUSTOMER and m not in burst]
        voice = deps.voice

        flag = intents.red_flag(text, earlier[-6:])
        if flag is not None:
            return _handoff(voice.sign(_safety(flag.reason)), flag.reason, flag.detail, burst)
        if intents.wants_person(text, button):
            return _handoff("", HandoffReason.REQUESTED, "asked for a person", burst)
        if not text and not button:
            return Turn(text=voice.greeting, buttons=topics(), intent="greeting")
        if cues.ARE_YOU_A_BOT.search(text):
            return Turn(text=voice.sign(_(
                "I'm {assistant}, {shop}'s automated assistant. I can help with orders, "
                "returns, shipping and our products, or bring in a person from our team "
                "whenever you like.").format(assistant=voice.assistant_name,
                                             shop=voice.shop_name)),
                        buttons=(Button(voice.person_label, intents.HANDOFF_BUTTON),),
                        intent="smalltalk.bot")
        wanted = (slots.without_options(entities.without_identity(text)) if text else
                  (button or ""))
        reading = (await asyncio.to_thread(understanding.read, wanted) if wanted else
                   Reading(text, Prediction(IDENTITY, 1.0), ()))
        turn = await _Turn(conversation, deps, burst, reading, text, button).run()
        if turn.handoff is None and assess(text, earlier[-6:]).frustrated:
            # An upset shopper: the rules' answer is a draft a model may improve under `auto`.
            turn = replace(turn, confidence=min(turn.confidence, 0.5))
        return turn


class _Turn:
    """One turn's decisions, with the dialogue state it reads and writes."""

    def __init__(self, conversation: Conversation, deps: Deps, burst: Sequence[Message],
                 reading: Reading, text: str, button: str | None) -> None:
        self.conversation = conversation
        self.deps = deps
        self.voice = deps.voice
        self.burst = burst
        self.reading = reading
        self.text = text
        self.button = button
        self.state = State.from_json(conversation.agent_state)
        tools = deps.tools
        self.flow = (OrderFlow(tools, self.state, self.voice.sign,
                               tools.policy.return_window_days) if tools is not None else None)

    async def run(self) -> Turn:
        flow, state, reading = self.flow, self.state, self.reading
        if flow is not None and self.button and self.button.startswith(cues.START):
            return await flow.start([self.button[len(cues.START):]], self.text)
        if flow is not None and not state.tasks and state.pending is None:
            # Who the shopper is counts whenever they say it, even before any request.
            await flow.identify(self.text)
        if flow is not None and state.pending is not None:
            turn = await self._confirming(flow)
            if turn is not None:
                return turn
        if flow is not None and state.tasks:
            turn = await self._asking(flow)
            if turn is not None:
                return turn
        return await self._new(reading)

    # the open questions -------------------------------------------------------------------
    async def _confirming(self, flow: OrderFlow) -> Turn | None:
        if self.button in ("yes", "no"):
            return await flow.execute() if self.button == "yes" else flow.decline()
        answer = decide(self.text, self.reading.whole)
        if answer is Answer.YES:
            return await flow.execute()
        if answer is Answer.NO:
            return flow.decline()
        if self._new_request():
            self.state.pending = None
            if self.state.tasks:
                self.state.tasks.pop(0)
            return None
        if self.reading.intent in KNOWLEDGE and cues.family(self.reading.whole) >= SURE:
            # A question before saying yes: answered, and the confirmation still stands.
            found = await self._knowledge(self.reading.intent, True)
            if found is not None:
                again = flow.ask_again()
                return replace(found, text=f"{found.text}\n\n{again.text}",
                               buttons=again.buttons, state=again.state)
        if self.reading.intent == "correction" or self.reading.whole.score("correction") > 0.2:
            return await flow.correct(self.text)
        if self.state.misses >= 2:
            self.state.clear()
            return _handoff(self.voice.sign(_("I don't want to get this wrong, so I haven't "
                                              "changed anything.")),
                            HandoffReason.REPEATED_FAILURE,
                            "the shopper's answer to a confirmation stayed unclear", self.burst,
                            state=self.state.to_json())
        return flow.ask_again()

    async def _asking(self, flow: OrderFlow) -> Turn | None:
        reading = self.reading
        if cues.ESCAPE.match(self.text) or (reading.intent == "start_over" and
                                            reading.confidence >= CONFIDENT):
            self.state.clear()
            if reading.intent in KNOWLEDGE and cues.family(reading.whole) >= CONFIDENT:
                return None  # "nvm, how long do returns take?": the question is answered
            return Turn(text=self.voice.sign(_("No problem, I've dropped that. What else can "
                                               "I help with?")),
                        buttons=topics(), intent="orders.escaped",
                        state=self.state.to_json())
        before = self.state.to_json()
        flow.elsewhere = reading.intent in KNOWLEDGE and cues.family(reading.whole) >= CONFIDENT
        turn = await flow.resume(self.text, self.button)
        if flow.progress or self.state.to_json() != before and self.state.misses == 0:
            return turn
        if self._new_request():
            self.state.restore(before)
            self.state.tasks.clear()
            self.state.asking, self.state.misses, self.state.said = None, 0, []
            return None
        if reading.intent in KNOWLEDGE and cues.family(reading.whole) >= CONFIDENT:
            # A question in the middle of a task: answer it, keep the task open.
            self.state.restore(before)
            found = await self._knowledge(reading.intent, True)
            if found is not None:
                go_on = _("Whenever you're ready, we can go on with your request.")
                return Turn(text=f"{found.text}\n\n{go_on}", intent=found.intent,
                            sources=found.sources, confidence=found.confidence,
                            state=self.state.to_json())
        return turn

    def _new_request(self) -> bool:
        """The message is a new request rather than an answer to the open question."""
        r = self.reading
        if cues.family(r.whole) < SURE:
            return False
        current = self.state.tasks[0].intent if self.state.tasks else None
        if r.intent in TASKS:
            return TASKS[r.intent] != current and not (
                {TASKS[r.intent], current} <= {"exchange", "modify_items"})
        return r.intent in ("complaint", "human_agent")

    # a new message --------------------------------------------------------------------------
    async def _new(self, reading: Reading) -> Turn:
        requests = self._requests(reading)
        flow = self.flow
        if flow is not None and entities.order_ids(self.text) and not any(
                r[0] in TASKS or r[0] in KNOWLEDGE for r in requests):
            # An order number alone: the shopper wants to know about that order.
            return await self._task(["order_status"], max(reading.confidence, CONFIDENT))
        if flow is not None and not any(r[0] in TASKS for r in requests) and (
                turn := await flow.again(self.text)) is not None:
            return turn
        if flow is not None and not any(r[0] in TASKS or r[0] in KNOWLEDGE for r in requests) and (
                turn := await flow.pick(self.text)) is not None:
            return turn
        if flow is not None and flow.notes and not requests:
            return Turn(text=self.voice.sign(" ".join(flow.notes) + " " + _(
                "How can I help with your order?")), intent="orders.verified",
                        confidence=1.0, state=self.state.to_json())
        if flow is not None and self.state.offer and (
                reading.intent == "affirm" or cues.TAKE_OFFER.search(self.text)):
            # "ok let's start one" after a policy answer that offered the task.
            offered, self.state.offer = self.state.offer, None
            return await flow.start([offered], self.text)
        if not requests:
            return await self._single(reading.intent, reading.confidence)
        if len(requests) == 1:
            return self._noted(await self._single(*requests[0]))
        # Several things at once: each question answered, the first task started.
        tasks = [r for r in requests if r[0] in TASKS and not self._general(r[0], r[2])]
        turns = [await self._single(*r) for r in requests if r not in tasks][:3]
        if tasks and self.flow is not None:
            # Two things to do ("where is it, and can I change its address?"): the first is
            # worked on, the second waits its turn.
            turns.append(await self._task([r[0] for r in tasks[:2]], reading.confidence))
        return _merge([t for t in turns if t.text], self.state,
                      self.flow.notes if self.flow is not None else ())

    def _general(self, intent: str, text: str) -> bool:
        """Asking versus doing: a general question about a task gets the policy and an
        offer to start it ("how do I return an item?", "when do refunds arrive?")."""
        return intent in cues.OFFERS and not cues.PERSONAL.search(text) and bool(
            cues.HOW_TO.search(text) or intent == "refund_status")

    def _noted(self, turn: Turn) -> Turn:
        """"You're verified" in front of an answer that did not say it already."""
        notes = self.flow.notes if self.flow is not None else []
        if not notes or not turn.text or notes[0] in turn.text:
            return turn
        return replace(turn, text=" ".join(notes) + " " + turn.text)

    def _requests(self, reading: Reading) -> list[tuple[str, float, str]]:
        """(intent, confidence, its words) of each request in the message, in order, once
        each. One task per message (the whole message's); other parts count when they are
        questions of their own."""
        intent, whole = reading.intent, cues.family(reading.whole)
        change = reading.whole.score("modify_items") + reading.whole.score("exchange_items")
        if slots.option_phrases(self.text) and (
                intent in CHANGE or intent not in ("return_items", "cancel_order")):
            # "change the X to one with ...": a new variant is asked for, whatever else.
            intent, whole = max(CHANGE, key=reading.whole.score), max(change, CONFIDENT)
        if intent in cues.POLICY_TWIN and (
                (cues.REQUEST.search(self.text) and not cues.HOW_TO.search(self.text)) or
                (cues.CAN_I_DO.search(self.text) and cues.PERSONAL.search(self.text))):
            # "I need to cancel an order", "can I cancel the pending one?": requests.
            intent = cues.POLICY_TWIN[intent]
        if intent in cues.TWIN_POLICY and cues.FEE.search(self.text):
            intent = cues.TWIN_POLICY[intent]  # "is there a fee to cancel my order": a question
        if intent == "place_order" and cues.EDIT_ORDER.search(self.text):
            # Adding to or changing an order already placed is not placing one.
            intent, whole = "modify_items", max(whole, CONFIDENT)
        if intent in TASKS and whole >= ABOUT_AN_ORDER and cues.PERSONAL.search(self.text):
            whole = max(whole, CONFIDENT)  # a request that names one of the shopper's orders
        main = (intent, whole, self.text)
        if not reading.parts:
            return [main] if whole >= CONFIDENT else []
        task = whole >= CONFIDENT and intent in TASKS
        found: list[tuple[str, float, str]] = []
        if task:
            found.append(main)
        for clause, p in reading.parts:
            conf = cues.family(p)
            if p.intent in TASKS and conf >= SURE and not (
                    task and (TASKS[p.intent] == TASKS[intent] or p.intent in CHANGE)):
                found.append((p.intent, conf, clause))
            elif p.intent in KNOWLEDGE and conf >= SURE and (
                    not task or (conf >= 0.9 and cues.QUESTION.search(clause))):
                found.append((p.intent, conf, clause))
        if not found and whole >= CONFIDENT:
            found = [main]
        seen: dict[str, tuple[str, float, str]] = {}
        for request in found:
            seen.setdefault(request[0], request)
        return list(seen.values())

    async def _unsure_reading(self) -> Turn:
        """The classifier is not sure: the intents it considered, each only if the help
        center's answer plainly matches the question; else an honest "not sure"."""
        p = self.reading.whole
        for intent, score in ((p.intent, p.confidence), *p.alternatives[:2]):
            if score < 0.15:
                break
            if intent in KNOWLEDGE or intent in cues.OFFERS:
                found = await self._knowledge(intent, True, strict=True)
                if found is not None:
                    return replace(found, confidence=min(found.confidence, score))
        found = await self._knowledge(None, False)
        return found if found is not None else self._unsure()

    async def _single(self, intent: str, confidence: float, text: str | None = None) -> Turn:
        voice = self.voice
        text = text or self.text
        fresh = not self.state.tasks and self.state.last is None
        if confidence < CONFIDENT or (fresh and intent in ("affirm", "deny", "correction",
                                                            "start_over")):
            return await self._unsure_reading()
        general = self._general(intent, text)
        if intent in TASKS and self.flow is not None and not general:
            return await self._task([intent], confidence)
        if intent == IDENTITY:
            if self.flow is not None and self.flow.notes:
                return Turn(text=voice.sign(" ".join(self.flow.notes) + " " + _(
                    "How can I help with your order?")), intent="orders.verified",
                            confidence=1.0, state=self.state.to_json())
            if self.flow is not None and self.flow.unmatched:
                return Turn(text=voice.sign(_("I couldn't find an account with that name and "
                                              "zip code. Could you check them? Your email and "
                                              "an order number work too.")),
                            intent="orders.verify.unmatched", state=self.state.to_json())
            return Turn(text=voice.sign(_("Thanks. What can I help you with?")), intent="idle",
                        state=self.state.to_json())
        if intent == "human_agent":
            return _handoff("", HandoffReason.REQUESTED, "asked for a person", self.burst)
        if intent == "complaint" and len(re.findall(r"[a-z]{3,}", text.lower())) < 3:
            return await self._unsure_reading()  # "so": too little to hand anyone off on
        if intent == "complaint":
            # Rules can only pass a complaint on; under `auto` a model may do better, so the
            # turn does not claim the confidence that keeps models out (safety handoffs do).
            turn = _handoff(voice.sign(_safety(HandoffReason.COMPLAINT)),
                            HandoffReason.COMPLAINT, "the shopper has a complaint", self.burst)
            return replace(turn, confidence=min(confidence, 0.5))
        if intent == "greeting":
            return Turn(text=_("Hi! I'm {assistant}, the {shop} assistant. What can I help you "
                               "with today?").format(assistant=voice.assistant_name,
                                                     shop=voice.shop_name), buttons=topics(),
                        intent="greeting", confidence=confidence)
        if intent == "thanks":
            return Turn(text=voice.sign(_("You're welcome! Is there anything else I can help "
                                          "with?")), intent="thanks", confidence=confidence)
        if intent == "goodbye":
            return Turn(text=voice.sign(_("Thanks for chatting with us. Have a great day!")),
                        intent="goodbye", confidence=confidence)
        if intent in ("affirm", "deny", "correction", "start_over"):
            return Turn(text=voice.sign(_("Okay. What can I help you with?")), buttons=topics(),
                        intent="idle", confidence=confidence, state=self.state.to_json())
        if intent in CATALOG and self.deps.tools is not None:
            product = await catalog.answer(self.deps.tools, text)
            if product is not None:
                extra = ""
                if intent == "promo_code" and cues.NOT_WORKING.search(text):
                    why = await self._knowledge(intent, True, text=text)
                    extra = f"\n\n{why.text}" if why is not None else ""
                return Turn(text=voice.sign(product.text) + extra, intent=product.intent,
                            confidence=confidence)
        if intent == "out_of_scope":
            return self._unsure(out_of_scope=True)
        found = await self._knowledge(intent, True, text=text)
        if found is None:
            found = await self._knowledge(None, False, text=text)
        if found is None:
            return self._unsure()
        if intent == "feedback":
            found = replace(found, text=_("Thank you, we'd love to hear it.") + " " + found.text)
        offer = cues.OFFERS.get(intent)
        if offer is not None and self.flow is not None:
            self.state.offer = offer[1]
            found = replace(found, buttons=(Button(_offer_label(*offer), cues.START + offer[1]),),
                            state=self.state.to_json())
        return found

    async def _task(self, intents_: list[str], confidence: float) -> Turn:
        assert self.flow is not None
        turn = await self.flow.start([TASKS[i] for i in intents_], self.text)
        return replace(turn, confidence=confidence)

    async def _knowledge(self, intent: str | None, confident: bool,
                         strict: bool = False, text: str | None = None) -> Turn | None:
        found = await answers.find(self.deps.knowledge, text or self.text, intent, confident,
                                   strict, self._in_catalog if self.deps.tools else None,
                                   sure=confident and self.reading.confidence >= 0.9)
        if found is None:
            return None
        confidence = min(self.reading.confidence if confident else 1.0, max(found.confidence,
                                                                            0.6))
        return Turn(text=self.voice.sign(found.text), intent=f"faq.{_slug(found.passage.title)}",
                    sources=(found.passage.source,), confidence=round(confidence, 4),
                    state=self.state.to_json())

    async def _in_catalog(self, word: str) -> bool:
        """The shop sells something by that word ("shoes"): not a thing it does not offer."""
        assert self.deps.tools is not None
        try:
            return bool(await self.deps.tools.products(word))
        except CommerceError:
            return False

    def _unsure(self, out_of_scope: bool = False) -> Turn:
        voice = self.voice
        failures = self.conversation.failures + 1
        if failures >= self.deps.max_failures:
            return Turn(
                text=_("I'm sorry, I haven't been able to help with this."),
                handoff=Handoff(HandoffReason.REPEATED_FAILURE, _summary(
                    f"{failures} questions the assistant could not answer", self.burst)),
                intent="unknown", failed=True, confidence=0.0)
        lead = (_("That's outside what I can help with here: I know about our products, "
                  "orders, shipping, returns and the shop's policies.") if out_of_scope else
                _("I'm not sure about that one, and I'd rather not guess."))
        rest = _("You can rephrase it, pick a topic below, or talk to a person from our team.")
        return Turn(text=f"{lead} {rest}",
                    buttons=(*topics()[:2], Button(voice.person_label,
                                                        intents.HANDOFF_BUTTON)),
                    intent="unknown", failed=True, confidence=0.0,
                    state=self.state.to_json())


def _merge(turns: list[Turn], state: State, notes: Sequence[str] = ()) -> Turn:
    """Several answers in one reply; the last one's buttons and the strongest decisions.
    `notes` ("you're verified") are said once, before the first answer."""
    if len(turns) == 1:
        return turns[0]
    lead = " ".join(notes)
    parts = [t.text.removeprefix(lead).lstrip() if lead else t.text for t in turns]
    text = (f"{lead} " if lead else "") + "\n\n".join(parts)
    last = turns[-1]
    handoff = next((t.handoff for t in turns if t.handoff), None)
    sources = tuple(s for t in turns for s in t.sources)
    return Turn(text=text, buttons=last.buttons, handoff=handoff, intent=last.intent,
                failed=all(t.failed for t in turns), sources=sources,
                state=state.to_json(), confidence=min(t.confidence for t in turns))


def _handoff(text: str, reason: HandoffReason, detail: str, burst: Sequence[Message],
             state: str | None = None) -> Turn:
    return Turn(text=text, handoff=Handoff(reason, _summary(detail, burst)),
                intent=f"handoff.{reason.value}", state=state)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def _summary(reason: str, burst: Sequence[Message]) -> str:
    last = intents.redact_cards(" ".join(m.text for m in burst))[:300]
    return f"{reason}. Last message: {last!r}" if last else reason
