"""`omnichannel chat`: the same agent and knowledge, in this terminal, through loopback."""

from __future__ import annotations

import asyncio
import getpass

from omnichannel.adapters.loopback import LoopbackAdapter
from omnichannel.app import GatewayContext, Runtime, index_knowledge, make_router
from omnichannel.channel import Outbound
from omnichannel.commerce.backends import close_backend, open_backend
from omnichannel.config import Config
from omnichannel.conversation import Owner
from omnichannel.store import Store


def _print(out: Outbound, name: str) -> list[str]:
    who = {"agent": name, "staff": "Team", "system": "Notice"}.get(out.role.value, out.role.value)
    print(f"{who}> {out.text}")
    for i, b in enumerate(out.buttons, 1):
        print(f"   [{i}] {b.label}")
    return [b.value for b in out.buttons]


async def chat(config: Config, engine: str | None = None) -> int:
    config = config.model_copy(deep=True)
    config.agent.debounce_seconds = 0
    store = Store(config.store.state_dir, synchronous=config.store.synchronous)
    await asyncio.to_thread(store.open)
    adapter = LoopbackAdapter()
    rt = Runtime(config=config, store=store)
    await index_knowledge(store, config)
    b = config.brand
    c = config.commerce
    commerce = await asyncio.to_thread(open_backend, c.backend, c.data, config.store.state_dir,
                                       c.seed, config.guardrails.return_window_days or None,
                                       c.shopify)
    router = make_router(config, store, lambda name: adapter if name == adapter.name else None,
                         engine, commerce)
    rt.router = router
    await router.outbox.start(recover=False, poll=False)
    await adapter.start(GatewayContext(rt, adapter.name))
    chat_id = f"terminal-{getpass.getuser()}"
    print(f"{b.assistant_name}> {b.greeting}")
    print("(type a message; a number presses a button; Ctrl-D to quit)")
    buttons: list[str] = []
    labels: list[str] = []
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "you> ")
            except EOFError:
                print()
                break
            line = line.strip()
            if not line:
                continue
            value = None
            if line.isdigit() and 0 < int(line) <= len(buttons):
                value, line = buttons[int(line) - 1], labels[int(line) - 1]
            published = await adapter.say(line, chat_id=chat_id, button_value=value)
            got = False
            timeout = 10.0
            while True:
                try:
                    out = await adapter.reply(chat_id, timeout=timeout)
                except TimeoutError:
                    break
                got = True
                buttons = _print(out, b.assistant_name)
                labels = [x.label for x in out.buttons]
                timeout = 0.3
            if not got:
                conv = await store.conversation(published.conversation_id)
                if conv is not None and conv.owner is Owner.STAFF:
                    print(f"(conversation #{conv.id} is with staff: answer it with "
                          f"`omnichannel reply {conv.id} TEXT`)")
    finally:
        await router.stop()
        await router.outbox.stop()
        await close_backend(commerce)
        await asyncio.to_thread(store.close)
    return 0
