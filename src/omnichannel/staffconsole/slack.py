"""The staff console in one Slack channel, run inside the daemon.

- A sync loop (woken by the router on each handoff or draft, and every few seconds anyway,
  so handoffs made while Slack was down or by another process are not missed) opens one
  thread per conversation handed to staff, with the packet, and posts each pending draft
  in that thread with Approve / Edit / Reject.
- `POST [console.slack] events_path` takes Slack's Events API (staff replies in a thread)
  and interactivity (buttons, the edit modal): the v0 signature and a 5-minute timestamp
  window are checked on the raw body first; retries (X-Slack-Retry-Num) are acknowledged
  and not acted on twice; the request is answered at once and the work runs after.
- A staff reply in a staff-owned conversation goes to the shopper through the outbox; in an
  agent-owned one the console asks "take over and send, or send once?"; `note:` stays
  internal. Every send goes through the outbox, whose claim re-checks the owner: the agent
  never talks over a person, and a person's reply is never dropped.
- With an LLM configured (`[models.routine]`, docs/languages.md), the packet shows each
  shopper message that is not in `[brand] language` with a translation under it, and with
  `[console] translate_replies = true` every thread reply is translated into the
  conversation's language before it is sent: the shopper gets the translation, the
  transcript keeps the staff's words in a note. A failed translation sends nothing and says
  so in the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web

from omnichannel import drafts
from omnichannel.agent.translate import (
    TranslationFailed,
    Translator,
    name,
    original_note,
    translator_for,
)
from omnichannel.channel import AdapterAuthFailed, AdapterNotReady
from omnichannel.config import SlackConsoleConfig
from omnichannel.conversation import Owner, Role, Status
from omnichannel.router import chunks_for, csat_for
from omnichannel.staffconsole import blocks

if TYPE_CHECKING:
    from omnichannel.gateway import Gateway as Runtime

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024
SYNC_EVERY = 3.0


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ConsoleError(Exception):
    pass


class SlackConsole:
    def __init__(self, settings: SlackConsoleConfig, rt: Runtime) -> None:
        self.s = settings
        self.rt = rt
        self.web: Any = None
        self.bot_user: str | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._work: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = asyncio.Lock()
        self._translator: tuple[object, Translator | None] | None = None

    # lifecycle
    async def start(self) -> None:
        from slack_sdk.errors import SlackApiError
        from slack_sdk.web.async_client import AsyncWebClient

        s = self.s
        if not (s.bot_token and s.signing_secret and s.channel):
            raise ConsoleError("[console.slack] needs bot_token, signing_secret and channel")
        self.web = AsyncWebClient(token=s.bot_token.get_secret_value(), base_url=s.api_base,
                                  timeout=int(s.timeout))
        try:
            auth = await self.web.auth_test()
        except SlackApiError as exc:
            raise AdapterAuthFailed(f"Slack refused the console's bot token: "
                                    f"{exc.response.get('error')}") from None
        except (OSError, TimeoutError, aiohttp.ClientError) as exc:
            raise AdapterNotReady(f"Slack unreachable: {type(exc).__name__}") from None
        self.bot_user = auth.get("user_id")
        self.rt.routes[("POST", s.events_path)] = self.handle
        assert self.rt.router is not None
        self.rt.router.staff_listeners.append(self._wake.set)
        self._task = asyncio.create_task(self._loop(), name="console:slack")
        log.info("staff console ready", extra={"channel": s.channel})

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._work) if t is not None]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        if self.rt.router is not None and self._wake.set in self.rt.router.staff_listeners:
            self.rt.router.staff_listeners.remove(self._wake.set)

    async def _loop(self) -> None:
        while True:
            try:
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("console sync failed (retrying)")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SYNC_EVERY)

    @property
    def store(self):  # type: ignore[no-untyped-def]
        assert self.rt.store is not None
        return self.rt.store

    def translator(self) -> Translator | None:
        """The staff translator while an LLM is configured (rebuilt after a reload)."""
        cfg = self.rt.config
        if self._translator is None or self._translator[0] is not cfg:
            self._translator = (cfg, translator_for(cfg.models.routine, cfg.brand.language))
        return self._translator[1]

    @property
    def router(self):  # type: ignore[no-untyped-def]
        assert self.rt.router is not None
        return self.rt.router

    # outgoing: threads and drafts
    async def sync(self) -> None:
        async with self._lock:
            for conv_id in await self.store.needing_threads():
                await self._open_thread(conv_id)
            for d in await self.store.unposted_drafts():
                thread = await self.store.thread_for(d.conversation_id)
                if thread is None:
                    thread = await self._open_thread(d.conversation_id)
                text, blks = blocks.draft(d)
                resp = await self.web.chat_postMessage(channel=thread[0], thread_ts=thread[1],
                                                       text=text, blocks=blks)
                await self.store.mark_draft_posted(d.id, resp["ts"])

    async def _open_thread(self, conv_id: int) -> tuple[str, str]:
        packet = await self.store.handoff_packet(conv_id)
        conv = await self.store.conversation(conv_id)
        packet["language"] = conv.language if conv is not None else None
        text, blks = blocks.packet(packet)
        if conv is not None and self.rt.config.console.translate_messages:
            await self._translated_packet(blks, packet["messages"], conv.language)
        resp = await self.web.chat_postMessage(channel=self.s.channel, text=text, blocks=blks)
        await self.store.save_thread(conv_id, self.s.channel, resp["ts"])
        log.info("handoff thread opened", extra={"conversation_id": conv_id})
        return self.s.channel, str(resp["ts"])

    async def _translated_packet(self, blks: list[dict[str, Any]],
                                 messages: list[dict[str, Any]], language: str | None) -> None:
        """The packet's recent messages again, each shopper message not in the staff's
        language followed by its translation (a failed one says so; the packet still goes)."""
        tr = self.translator()
        if tr is None or not messages:
            return
        found = [b for b in blks if str((b.get("text") or {}).get("text") or "")
                 .startswith("*Recent:*")]
        if not found:
            return

        async def one(m: dict[str, Any]) -> str | None:
            if m.get("role") != "customer":
                return None
            try:
                return await tr.for_staff(str(m["text"]), language)
            except TranslationFailed as exc:
                log.warning("packet translation failed", extra={"error": str(exc)[:200]})
                return ""

        translated = await asyncio.gather(*(one(m) for m in messages))
        if not any(t is not None for t in translated):
            return
        lines = []
        for m, t in zip(messages, translated, strict=True):
            lines.append(f"*{m['role']}:* {_esc(str(m['text']))[:300]}")
            if t:
                lines.append(f">_{name(tr.staff_language)}:_ {_esc(t)[:400]}")
            elif t == "":
                lines.append("> _(translation unavailable)_")
        found[0]["text"]["text"] = ("*Recent:*\n" + "\n".join(lines))[:2900]

    async def _say(self, conv_id: int, text: str) -> None:
        thread = await self.store.thread_for(conv_id)
        if thread is not None:
            await self.web.chat_postMessage(channel=thread[0], thread_ts=thread[1], text=text)

    # incoming: events and interactivity
    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.content.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return web.Response(status=413, text="too large\n")
        if not self._signed(request, raw):
            log.warning("console request refused: bad or missing Slack signature")
            return web.Response(status=401, text="bad signature\n")
        try:
            if request.content_type == "application/x-www-form-urlencoded":
                payload = json.loads(parse_qs(raw.decode())["payload"][0])
            else:
                payload = json.loads(raw)
        except (ValueError, KeyError, UnicodeDecodeError):
            return web.Response(status=400, text="unreadable body\n")
        if payload.get("type") == "url_verification":
            return web.json_response({"challenge": payload.get("challenge")})
        if request.headers.get("X-Slack-Retry-Num"):
            return web.Response(text="")  # the first delivery is being handled
        key = str(payload.get("event_id") or payload.get("trigger_id") or "")
        if key:
            if key in self._seen:
                return web.Response(text="")
            self._seen[key] = None
            while len(self._seen) > 5000:
                self._seen.popitem(last=False)
        kind = payload.get("type")
        if kind == "event_callback":
            self._spawn(self._event(payload.get("event") or {}))
        elif kind == "block_actions":
            self._spawn(self._action(payload))
        elif kind == "view_submission":
            self._spawn(self._edited(payload))
            return web.json_response({"response_action": "clear"})
        return web.Response(text="")

    def _signed(self, request: web.Request, raw: bytes) -> bool:
        assert self.s.signing_secret is not None
        ts = request.headers.get("X-Slack-Request-Timestamp", "")
        sig = request.headers.get("X-Slack-Signature", "")
        if not ts.isdigit() or abs(time.time() - int(ts)) > 300 or not sig:
            return False
        base = b"v0:" + ts.encode() + b":" + raw
        want = "v0=" + hmac.new(self.s.signing_secret.get_secret_value().encode(), base,
                                hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, sig)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(self._guard(coro))
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("console action failed")

    async def _event(self, event: dict[str, Any]) -> None:
        if event.get("type") != "message" or event.get("subtype") or event.get("bot_id"):
            return
        if event.get("user") == self.bot_user or event.get("channel") != self.s.channel:
            return
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts"):
            return  # top-level chatter in the channel is not a reply to anyone
        conv_id = await self.store.conversation_for_thread(self.s.channel, thread_ts)
        if conv_id is None:
            return
        text = str(event.get("text") or "").strip()
        author = str(event.get("user") or "staff")
        if not text:
            return
        if text.lower().startswith("note:"):
            await self.store.note(conv_id, f"{author}: {text[5:].strip()}")
            await self._say(conv_id, "Noted internally: the shopper does not see notes.")
            return
        conv = await self.store.conversation(conv_id)
        if conv is None:
            return
        translate = self.rt.config.console.translate_replies
        if conv.owner is Owner.STAFF:
            await self._send_staff(conv_id, conv.channel, text, take_over=True,
                                   translate=translate, author=author)
            return
        key = f"{event.get('channel')}:{event.get('ts')}"
        if await self.store.put_pending(key, conv_id, text, author):
            question, blks = blocks.ask_takeover(key)
            await self.web.chat_postMessage(channel=self.s.channel, thread_ts=thread_ts,
                                            text=question, blocks=blks)

    async def _send_staff(self, conv_id: int, channel: str, text: str, take_over: bool,
                          translate: bool = False, author: str = "") -> None:
        written, note = text, None
        tr = self.translator() if translate else None
        if tr is not None:
            conv = await self.store.conversation(conv_id)
            language = conv.language if conv is not None else None
            if tr.needed_for(language):
                try:
                    text = await tr.for_shopper(written, language)
                except TranslationFailed as exc:
                    log.warning("staff reply not translated", extra={
                        "conversation_id": conv_id, "error": str(exc)[:200]})
                    await self._say(conv_id, f"Not sent: your reply could not be translated "
                                    f"into {name(language)} (the model failed), so nothing "
                                    "went to the shopper. Try again in a moment.")
                    return
                note = original_note(written, tr.staff_language, str(language),
                                     f"<@{author}>" if author else "")
        adapter = self.router._adapter(channel)
        ids = await self.store.queue_message(conv_id, Role.STAFF, text,
                                             chunks_for(adapter, text),
                                             Owner.STAFF if take_over else None)
        if note is not None:
            await self.store.note(conv_id, note)
        self.router.outbox.kick(conv_id, ids)
        shadow = await self.store.latest_draft(conv_id, "shadow")
        if shadow is not None:  # shadow mode: how close was the agent's private draft?
            await self.store.score_shadow(shadow.id, text, drafts.edit_distance(shadow.text,
                                                                                text))
        await self._say(conv_id, f"Sent to the shopper ({channel})."
                        + (" You own this conversation now." if take_over else "")
                        + (f"\nTranslated, as sent:\n>>> {_esc(text)[:2500]}" if note else ""))

    async def _action(self, payload: dict[str, Any]) -> None:
        user = str((payload.get("user") or {}).get("id") or "staff")
        for act in payload.get("actions") or []:
            action, value = act.get("action_id"), str(act.get("value") or "")
            if action in ("approve_draft", "reject_draft", "edit_draft"):
                await self._draft_action(action, int(value), user, payload)
            elif action in ("pending_take_over", "pending_send_once"):
                taken = await self.store.take_pending(value)
                if taken is None:
                    continue  # pressed twice: the first press sent it
                conv_id, text = taken
                conv = await self.store.conversation(conv_id)
                if conv is not None:
                    await self._send_staff(conv_id, conv.channel, text,
                                           take_over=action == "pending_take_over",
                                           translate=self.rt.config.console.translate_replies,
                                           author=user)
            elif action in ("take_over", "give_back", "resolve", "send_suggested"):
                await self._conversation_action(action, int(value), user)

    async def _draft_action(self, action: str, draft_id: int, user: str,
                            payload: dict[str, Any]) -> None:
        d = await self.store.draft(draft_id)
        if d is None:
            return
        if action == "edit_draft":
            if d.status == "pending":
                await self.web.views_open(trigger_id=payload.get("trigger_id"),
                                          view=blocks.edit_modal(d))
            return
        if action == "approve_draft":
            outcome, detail = await drafts.approve(self.router, draft_id, user)
        else:
            outcome, detail = await drafts.reject(self.router, draft_id, user)
        if outcome != drafts.Outcome.DECIDED:
            await self._say(d.conversation_id, f"<@{user}>: {detail}")

    async def _edited(self, payload: dict[str, Any]) -> None:
        view = payload.get("view") or {}
        if view.get("callback_id") != "edit_draft":
            return
        draft_id = int(view.get("private_metadata") or 0)
        values = (view.get("state") or {}).get("values") or {}
        text = str(((values.get("reply") or {}).get("text") or {}).get("value") or "")
        user = str((payload.get("user") or {}).get("id") or "staff")
        d = await self.store.draft(draft_id)
        if d is None:
            return
        outcome, detail = await drafts.approve(self.router, draft_id, user, edited=text)
        if outcome != drafts.Outcome.DECIDED:
            await self._say(d.conversation_id, f"<@{user}>: {detail}")

    async def _conversation_action(self, action: str, conv_id: int, user: str) -> None:
        conv = await self.store.conversation(conv_id)
        if conv is None:
            return
        store = self.store
        if action == "take_over":
            if await store.set_owner(conv_id, Owner.STAFF, "takeover"):
                await store.note(conv_id, f"{user} took the conversation over")
                await self._say(conv_id, f"<@{user}> took over: the agent is quiet until "
                                "someone gives it back.")
        elif action == "give_back":
            if conv.owner is Owner.AGENT:
                return
            cfg = self.rt.config
            text = cfg.handoff.text("back_to_agent_notice", conv.language).format(
                assistant_name=cfg.brand.assistant_name)
            ids = await store.queue_message(conv_id, Role.SYSTEM, text,
                                            chunks_for(self.router._adapter(conv.channel),
                                                       text), Owner.AGENT)
            self.router.outbox.kick(conv_id, ids)
            await store.note(conv_id, f"{user} gave the conversation back to the agent")
            await self._say(conv_id, f"<@{user}> gave it back to the agent.")
        elif action == "resolve":
            if conv.status is not Status.RESOLVED:
                await store.set_status(conv_id, Status.RESOLVED)
                await store.note(conv_id, f"{user} resolved the conversation")
                question = csat_for(self.router, conv.channel, conv.language)
                ids = await store.ask_csat(conv_id, question.text, question.chunks,
                                           question.buttons)
                self.router.outbox.kick(conv_id, ids)
                await self._say(conv_id, f"<@{user}> resolved it."
                                + (" The shopper was asked for a rating." if ids else ""))
        elif action == "send_suggested":
            pending = await store.latest_draft(conv_id, "pending")
            if pending is not None:
                _outcome, detail = await drafts.approve(self.router, pending.id, user)
                await self._say(conv_id, f"<@{user}>: {detail}")
                return
            shadow = await store.latest_draft(conv_id, "shadow")
            if shadow is None:
                await self._say(conv_id, "There is no suggested reply for this conversation.")
                return
            await self._send_staff(conv_id, conv.channel, shadow.text, take_over=True)
