"""Meta's WhatsApp Cloud API: a signed webhook in, the Graph API out.

Inbound: `GET <webhook_path>` answers Meta's subscription handshake; `POST <webhook_path>`
checks `X-Hub-Signature-256` on the raw bytes, journals every message of the body through
`ctx.publish` and only then answers 200 (a redelivery is a no-op that also gets 200).
Delivery receipts (`statuses[]`) go to `ctx.delivery_status`.

Media: the text says what arrived (`[image: caption] (media <id>)`). Unless
`download_media = false`, the file is fetched at once by a background task the adapter
owns (Graph `GET /{media-id}`, then the URL with the bearer token), within
`max_media_bytes` and `allowed_media_types`, and saved as `<media_dir>/<media-id>.<ext>`
(media_dir defaults to <state_dir>/media/whatsapp_cloud; the media id in the message text
ties file and message).
A download is best effort: one lost to a restart is not retried (Meta keeps media for 30
days, so the id in the transcript is enough to fetch it by hand).

Outbound: text, or an interactive reply-button message (<= 3 buttons). When the 24-hour
customer-service window is closed (`Outbound.window_open` false, or Meta answers 131047)
the configured approved template is sent instead, else `WindowClosedError`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import Any, ClassVar, Literal

from aiohttp import web
from pydantic import Field, SecretStr, field_validator

from omnichannel.adapters.whatsapp_cloud.compose import (
    BUTTON_TITLE_MAX,
    split_for_buttons,
    template_param,
    text_message,
    title,
)
from omnichannel.adapters.whatsapp_cloud.graph import Graph
from omnichannel.adapters.whatsapp_cloud.parse import MediaRef, ShapeError, parse
from omnichannel.channel import (
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryReceipt,
    Markup,
    Outbound,
    RetryableDeliveryError,
    WindowClosedError,
)

log = logging.getLogger(__name__)

BUTTON_ID_MAX = 256
DEFAULT_MEDIA_TYPES = [
    "image/jpeg", "image/png", "image/webp", "application/pdf", "audio/ogg", "audio/mpeg",
    "audio/mp4", "audio/aac", "audio/amr", "video/mp4", "video/3gpp",
]


class WhatsAppCloudConfig(ChannelConfig):
    phone_number_id: str = Field(pattern=r"^[0-9]{1,32}$")
    access_token: SecretStr
    app_secret: SecretStr
    verify_token: SecretStr
    api_base: str = Field("https://graph.facebook.com/v21.0", pattern=r"^https?://\S+$")
    webhook_path: str = Field("/whatsapp/webhook", pattern=r"^/[A-Za-z0-9/_.-]*$")
    timeout: float = Field(30.0, gt=0, le=300)
    # Inbound media is fetched at once into media_dir (default <state_dir>/media/<channel>);
    # false keeps only the media id in the message text.
    download_media: bool = True
    media_dir: Path | None = None
    max_media_bytes: int = Field(16 * 1024 * 1024, ge=1)
    allowed_media_types: list[str] = Field(default_factory=lambda: list(DEFAULT_MEDIA_TYPES))
    max_parallel_downloads: int = Field(4, ge=1, le=32)
    # Sent when the 24-hour window is closed; unset means WindowClosedError.
    template_name: str | None = Field(None, pattern=r"^[a-z0-9_]{1,512}$")
    template_language: str = Field("en_US", pattern=r"^[A-Za-z_]{2,10}$")
    # "text": the reply fills the template's body parameter {{1}}.
    template_parameter: Literal["text"] | None = None

    @field_validator("access_token", "app_secret", "verify_token")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value


class WhatsAppCloudAdapter:
    name: ClassVar[str] = "whatsapp_cloud"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=4096, markup=Markup.PLAIN, buttons=True, max_buttons=3,
        policy_window=24 * 3600,
    )
    config_model: ClassVar[type[ChannelConfig]] = WhatsAppCloudConfig

    def __init__(self, settings: WhatsAppCloudConfig) -> None:
        self.settings = settings
        self.ctx: ChannelContext | None = None
        self.graph: Graph | None = None
        self._secret = settings.app_secret.get_secret_value().encode()
        self._verify = settings.verify_token.get_secret_value().encode()
        self._tasks: set[asyncio.Task[None]] = set()
        self._downloads = asyncio.Semaphore(settings.max_parallel_downloads)
        self._media_dir: Path | None = None

    # lifecycle
    async def start(self, ctx: ChannelContext) -> None:
        s = self.settings
        graph = Graph(s.api_base, s.phone_number_id, s.access_token.get_secret_value(),
                      s.timeout)
        try:
            await graph.check()
        except BaseException:
            await graph.close()
            raise
        if self.graph is not None:
            await self.graph.close()
        self.graph, self.ctx = graph, ctx
        self._media_dir = (s.media_dir or ctx.state_dir / "media" / self.name
                           if s.download_media else None)
        ctx.add_route("GET", s.webhook_path, self.handshake)
        ctx.add_route("POST", s.webhook_path, self.webhook)

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        if self.graph is not None:
            await self.graph.close()
            self.graph = None

    async def typing(self, chat_id: str) -> None:
        """Cloud API typing indicators need the inbound message id; not offered."""

    # outbound
    async def send(self, outbound: Outbound) -> DeliveryReceipt:
        if self.graph is None:
            raise RetryableDeliveryError("whatsapp_cloud is not started")
        if not outbound.window_open:
            return await self._template(outbound, "the 24-hour window is closed")
        try:
            return DeliveryReceipt(await self._free_form(outbound))
        except WindowClosedError as exc:  # Meta's clock says closed (131047)
            return await self._template(outbound, str(exc))

    async def _free_form(self, outbound: Outbound) -> str:
        assert self.graph is not None
        to, text = outbound.chat_id, outbound.text
        if not outbound.buttons:
            return await self.graph.send(text_message(to, text))
        buttons = outbound.buttons[:3]
        extra = outbound.buttons[3:]
        if extra:  # the router keeps to max_buttons; never drop a choice silently
            text += "\n" + "\n".join(f"- {b.label}" for b in extra)
        head, body = split_for_buttons(text)
        if head:
            await self.graph.send(text_message(to, head))
        titles: list[str] = []
        for b in buttons:  # Meta refuses a message whose button titles repeat
            name = title(b.label)
            if name in titles:
                name = title(b.label[: BUTTON_TITLE_MAX - 3]) + f" {len(titles) + 1}"
            titles.append(name)
        rows = [{"type": "reply", "reply": {"id": b.value[:BUTTON_ID_MAX], "title": t}}
                for b, t in zip(buttons, titles, strict=True)]
        return await self.graph.send({
            "to": to, "type": "interactive",
            "interactive": {"type": "button", "body": {"text": body or "-"},
                            "action": {"buttons": rows}},
        })

    async def _template(self, outbound: Outbound, why: str) -> DeliveryReceipt:
        assert self.graph is not None
        s = self.settings
        if not s.template_name:
            raise WindowClosedError(f"{why} and no template is configured (template_name)")
        template: dict[str, Any] = {"name": s.template_name,
                                    "language": {"code": s.template_language}}
        if s.template_parameter == "text":
            template["components"] = [{"type": "body", "parameters": [
                {"type": "text", "text": template_param(outbound.text)}]}]
        wamid = await self.graph.send({"to": outbound.chat_id, "type": "template",
                                       "template": template})
        return DeliveryReceipt(wamid)

    # inbound
    async def handshake(self, request: web.Request) -> web.Response:
        q = request.query
        token = q.get("hub.verify_token", "").encode()
        if q.get("hub.mode") != "subscribe" or not hmac.compare_digest(token, self._verify):
            log.warning("webhook verification refused")
            return web.Response(status=403, text="verification failed")
        challenge = q.get("hub.challenge", "")
        if not challenge or len(challenge) > 256:
            return web.Response(status=400, text="hub.challenge is missing")
        return web.Response(text=challenge, content_type="text/plain")

    def signed(self, raw: bytes, header: str | None) -> bool:
        if not header or not header.startswith("sha256="):
            return False
        want = "sha256=" + hmac.new(self._secret, raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header.strip().lower().encode(), want.encode())

    async def webhook(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        assert ctx is not None
        raw = await request.read()
        if not self.signed(raw, request.headers.get("X-Hub-Signature-256")):
            log.warning("webhook signature missing or invalid")
            return _error(403, "invalid or missing X-Hub-Signature-256")
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):
            return _error(400, "body is not valid JSON")
        try:
            parsed = parse(body, self.name, ctx.account, self.settings.phone_number_id)
        except ShapeError as exc:
            return _error(400, f"not a WhatsApp Cloud webhook body: {exc}")
        fresh: set[str] = set()
        try:
            for inbound in parsed.inbound:
                published = await ctx.publish(inbound)
                if not published.duplicate:
                    fresh.add(inbound.external_id)
            for st in parsed.statuses:
                if not await ctx.delivery_status(st.message_id, st.status, st.error):
                    log.debug("receipt for an unknown message", extra={"wamid": st.message_id})
        except Exception:
            # Not stored, so no 200: Meta delivers the body again and dedup makes that safe.
            log.exception("could not journal a WhatsApp webhook")
            return _error(500, "could not store the event; please retry")
        if self._media_dir is not None:
            for ref in parsed.media:
                if ref.message_id in fresh:
                    self._spawn(self._download(ref))
        return web.json_response({"ok": True})

    # media
    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro, name="whatsapp_cloud:media")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _download(self, ref: MediaRef) -> None:
        s, folder = self.settings, self._media_dir
        assert folder is not None
        async with self._downloads:
            graph = self.graph
            if graph is None:
                return
            try:
                path = await graph.download(ref.media_id, folder, s.max_media_bytes,
                                            s.allowed_media_types)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("media download failed",
                            extra={"media_id": ref.media_id, "error": type(exc).__name__})
                return
        if path is not None:
            log.info("media saved", extra={"media_id": ref.media_id, "path": str(path)})

    async def drain(self) -> None:
        """Wait for the media downloads under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


__all__ = ["WhatsAppCloudAdapter", "WhatsAppCloudConfig", "split_for_buttons", "template_param"]
