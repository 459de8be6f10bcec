"""`omnichannel chat`: the same agent and knowledge, in this terminal, through loopback."""

from __future__ import annotations

import asyncio
import getpass

from omnichannel.adapters.loopback import LoopbackAdapter
from omnichannel.channel import Outbound
from omnichannel.config import Config
from omnichannel.conversation import Owner
from omnichannel.gateway import Gateway


def _print(out: Outbound, name: str) -> list[str]:
    who = {"agent": name, "staff": "Team", "system": "Notice"}.get(out.role.value, out.role.value)
    print(f"{who}> {out.text}")
    for i, b in enumerate(out.buttons, 1):
        print(f"   [{i}] {b.label}")
    return [b.value for b in out.buttons]


async def chat(config: Config, engine: str | None = None) -> int:
    config = config.model_copy(deep=True)
    config.agent.debounce_seconds = 0
    adapter = LoopbackAdapter()
    # Beside a daemon that may be running on the same state: no recovery, no background work.
    gw = await Gateway.open(config, engine=engine, channels={adapter.name: adapter},
                            background=False)
    try:
        return await _converse(gw, adapter)
    finally:
        await gw.close()


async def _converse(gw: Gateway, adapter: LoopbackAdapter) -> int:
    b, store = gw.config.brand, gw.store
    async with asyncio.timeout(10):  # loopback starts at once; the supervisor has no event
        while gw.adapter(adapter.name) is None:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    chat_id = f"terminal-{getpass.getuser()}"
    print(f"{b.assistant_name}> {b.greeting}")
    print("(type a message; a number presses a button; Ctrl-D to quit)")
    buttons: list[str] = []
    labels: list[str] = []
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
    return 0
