"""The LLM prompt, built in a stable order that favours provider prompt caching:
voice, policy, the conversation's language, retrieved knowledge, customer and order context,
then the conversation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import omnichannel.i18n as i18n
from omnichannel.agent.voice import Voice
from omnichannel.commerce import Customer, Order
from omnichannel.conversation import Message, Role
from omnichannel.knowledge.model import Passage

POLICY = """Rules you must follow:
- Use the tools for every fact about orders, products and customers; never invent one.
- Before any private data, the shopper must be verified: name and zip code, or email plus an
  order number of that email. Help one customer per conversation only.
- Before any change (cancel, return, exchange, modify, address, refund) call the tool: it
  answers with a summary to confirm. Show the shopper that summary and ask for an explicit
  yes. After the shopper confirms, call the same tool with exactly the same arguments.
- Call one tool at a time.
- Never promise an action ("I'll refund", "I'll email you") unless a tool already did it.
- If the shopper wants a person, or you cannot help within these tools, call
  transfer_to_human_agents with a short summary. Never say you are transferring them unless
  you called it.
- Reply in plain text, briefly, in the shop's voice."""


def system_prompt(voice: Voice, policy: str = POLICY, lang: str | None = None) -> str:
    """Voice and policy (the same for every conversation of a shop), then the language."""
    sign = f" Sign off with: {voice.sign_off}" if voice.sign_off else ""
    # Last, so the voice and policy stay a cacheable prefix shared by every language.
    return (f"You are {voice.assistant_name}, the customer support assistant of "
            f"{voice.shop_name}. Be warm, plain and concise.{sign}\n\n{policy}\n\n"
            f"{language_line(lang or i18n.current())}")


def language_line(lang: str) -> str:
    """Which language to answer in, whatever the language of passages and tool results."""
    name = i18n.ENGLISH_NAMES.get(lang, i18n.ENGLISH_NAMES[i18n.DEFAULT])
    return (f"The conversation is in {name}. Always reply in {name}, even when help-center "
            f"passages, tool results or these instructions are in English; keep order numbers, "
            f"product names and amounts exactly as given.")


def knowledge_block(passages: Sequence[Passage]) -> str:
    if not passages:
        return ""
    parts = [f"[{p.title} > {p.heading}] ({p.source})\n{p.body}" for p in passages]
    return "Help-center passages (cite the title when you use one):\n\n" + "\n\n".join(parts)


def customer_block(customer: Customer | None, orders: Sequence[Order]) -> str:
    if customer is None:
        return "The shopper is not verified yet."
    lines = [f"Verified customer: {customer.name} (user id {customer.id}, {customer.email}).",
             "Payment methods: " + ", ".join(f"{p.id} ({p.label()})"
                                             for p in customer.payment_methods)]
    for o in orders:
        items = ", ".join(i.name for i in o.items)
        lines.append(f"Order {o.id}: {o.status.value}; {items}")
    return "\n".join(lines)


def build_messages(
    voice: Voice,
    passages: Sequence[Passage],
    customer: Customer | None,
    orders: Sequence[Order],
    history: Sequence[Message],
    notes: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """System blocks first (stable across turns), then the conversation."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(voice)}]
    knowledge = knowledge_block(passages)
    if knowledge:
        messages.append({"role": "system", "content": knowledge})
    messages.append({"role": "system", "content": customer_block(customer, orders)})
    for m in history:
        if m.role is Role.CUSTOMER:
            messages.append({"role": "user", "content": m.text})
        elif m.role in (Role.AGENT, Role.STAFF):
            messages.append({"role": "assistant", "content": m.text})
    for note in notes:
        messages.append({"role": "system", "content": note})
    return messages
