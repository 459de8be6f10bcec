"""Staff actions on conversations, shared by the CLI (and later the Slack console).

They write to the store only; the running gateway's outbox picks the rows up within
`[outbox] poll_seconds`, so they work whether or not the daemon is running right now.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import omnichannel.i18n as i18n
from omnichannel.agent.translate import TranslationFailed, Translator, original_note
from omnichannel.config import Config
from omnichannel.conversation import Owner, Role, Status
from omnichannel.registry import AdapterUnavailable, load_class
from omnichannel.router import chunks_for, csat_message
from omnichannel.store import Store


def language_name(code: str | None) -> str:
    """ "Spanish" for "es": staff read the conversation's language in English."""
    return i18n.ENGLISH_NAMES.get(code, code) if code else "-"


async def conversations(store: Store, show_all: bool, limit: int, as_json: bool) -> int:
    """`omnichannel conversations`: those waiting for staff (all with `show_all`)."""
    rows = await store.list_conversations(owner=None if show_all else "staff",
                                          status=None if show_all else "open", limit=limit)
    languages: dict[int, str | None] = {}
    for r in rows:
        conv = await store.conversation(r.id)
        languages[r.id] = conv.language if conv is not None else None
    if as_json:
        print(json.dumps([dataclasses.asdict(r) | {"language": languages[r.id]} for r in rows],
                         indent=2))
        return 0
    if not rows:
        print("no conversations" if show_all else "no conversations waiting for staff")
        return 0
    for r in rows:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.updated_at))
        flag = f"  ⚠ {r.uncertain} uncertain deliveries" if r.uncertain else ""
        last = (r.last_text or "").replace("\n", " ")[:70]
        print(f"#{r.id:<5} {r.channel:<9} {r.owner:<5} {r.status:<8} {when} "
              f"{language_name(languages[r.id]):<10} {r.handoff_reason or '-':<16} {last}{flag}")
    return 0


async def show(store: Store, conversation_id: int) -> int:
    """`omnichannel show ID`: the conversation's facts, its language, and the transcript."""
    conv = await store.conversation(conversation_id)
    if conv is None:
        print(f"no conversation #{conversation_id}", file=sys.stderr)
        return 1
    print(f"#{conv.id} {conv.channel} owner={conv.owner} status={conv.status} "
          f"intent={conv.intent} language={language_name(conv.language)}")
    for m in await store.transcript(conversation_id):
        print(f"[{m.role:<8}] {m.text}")
    return 0


def _chunks(channel: str, text: str):  # type: ignore[no-untyped-def]
    try:
        cls = load_class(channel)
    except AdapterUnavailable:
        cls = None
    return chunks_for(cls, text)


async def staff_reply(store: Store, conversation_id: int, text: str, take_over: bool,
                      translate: bool = False, translator: Translator | None = None) -> int:
    """`omnichannel reply`; with `translate`, the reply goes out in the conversation's
    language and the transcript keeps the staff's words in a note (or nothing is sent)."""
    conv = await store.conversation(conversation_id)
    if conv is None:
        print(f"no conversation #{conversation_id}", file=sys.stderr)
        return 1
    text = written = text.strip()
    if not text:
        print("the reply is empty", file=sys.stderr)
        return 1
    translated = False
    if translate:
        if translator is None:
            print("--translate needs an LLM: set [models.routine] (docs/languages.md); "
                  "nothing was sent", file=sys.stderr)
            return 1
        if translator.needed_for(conv.language):
            try:
                text = await translator.for_shopper(written, conv.language)
            except TranslationFailed as exc:
                print(f"the reply could not be translated into "
                      f"{language_name(conv.language)} ({exc}); nothing was sent",
                      file=sys.stderr)
                return 1
            translated = True
    ids = await store.queue_message(conversation_id, Role.STAFF, text,
                                    _chunks(conv.channel, text),
                                    Owner.STAFF if take_over else None)
    if translated and translator is not None:
        await store.note(conversation_id, original_note(written, translator.staff_language,
                                                        str(conv.language)))
        print(f"translated into {language_name(conv.language)}: {text}")
    state = "staff own the conversation now" if take_over else "the agent still owns it"
    print(f"queued reply to #{conversation_id} ({len(ids)} part(s)); {state}")
    return 0


async def give_back(store: Store, config: Config, conversation_id: int) -> int:
    conv = await store.conversation(conversation_id)
    if conv is None:
        print(f"no conversation #{conversation_id}", file=sys.stderr)
        return 1
    if conv.owner is Owner.AGENT:
        print(f"#{conversation_id} is already with the agent")
        return 0
    text = config.handoff.text("back_to_agent_notice", conv.language).format(
        assistant_name=config.brand.assistant_name)
    await store.queue_message(conversation_id, Role.SYSTEM, text, _chunks(conv.channel, text),
                              Owner.AGENT)
    print(f"#{conversation_id} is back with the agent")
    return 0


async def resolve(store: Store, conversation_id: int) -> int:
    conv = await store.conversation(conversation_id)
    if conv is None:
        print(f"no conversation #{conversation_id}", file=sys.stderr)
        return 1
    await store.set_status(conversation_id, Status.RESOLVED)
    try:
        caps = load_class(conv.channel).capabilities
        question = csat_message(caps.max_text_length, caps.max_buttons)
    except AdapterUnavailable:
        question = csat_message(4096, 0)
    asked = await store.ask_csat(conversation_id, question.text, question.chunks,
                                 question.buttons)
    print(f"#{conversation_id} resolved" + ("; the shopper is asked for a rating" if asked
                                            else ""))
    return 0
