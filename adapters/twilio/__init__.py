"""SMS and WhatsApp through Twilio: signed webhooks in, the Messages API out.

Routes (registered on start, on the gateway's own port):
  POST /twilio/sms, /twilio/whatsapp                 inbound messages
  POST /twilio/sms/status, /twilio/whatsapp/status   delivery status callbacks
Each channel has its own status path: the gateway keys receipts by channel, and one shared
"/twilio/status" route could only belong to one of the two adapters.

Choices, written down:
- Signatures (X-Twilio-Signature, HMAC-SHA1 with the auth token) are checked against
  `public_url` + the path and query as received, never request.url: behind a proxy the
  gateway sees http://127.0.0.1:PORT while Twilio signed https://shop.example.com/...
  Missing or invalid -> 403, nothing stored. A signed body without From / MessageSid
  -> 400. The 200 (empty TwiML) is sent only after ctx.publish returned; the journal's
  UNIQUE on MessageSid makes Twilio's retries no-ops. A failed journal write -> 503.
- MessageSid is the external id; SmsSid / SmsMessageSid (older names of the same id) are
  accepted when it is missing. The shopper's address (`From`, "whatsapp:+..." kept) is both
  chat and sender id; its E.164 number is `verified_phone` (the carrier / WhatsApp vouches
  for it); `ProfileName` (else `ProfileUsername`) is the sender name.
- Media: the text gets one placeholder per item ("[image attached]"). Unless
  `download_media = false`, items are also downloaded before the message is stored
  (allowed hosts, content types and size only, MEDIA_BUDGET seconds in all; a rejected or
  failed download leaves just the placeholder), as
  <media_dir>/<MessageSid>-<n>.<ext> (media_dir defaults to <state_dir>/media/<channel>;
  the MessageSid is the journal's external id, which ties the file to its message).
- SMS replies are plain text, smart-encoded to GSM-7 when only typographic punctuation stood
  in the way, and cut at a word boundary to `max_segments` (default 3). With `overflow =
  "link"` (the default) the cut reply ends with a short link to the whole reply, a page
  the gateway serves (fullreply.py); with "cut" it ends with `truncation_suffix` and the
  rest is dropped.
- SMS keywords (Twilio's default opt-out lists, whole message, any case): STOP & co. and
  START & co. are journaled like any message (the agent sees them); STOP marks the number
  opted out in memory and sends to it fail with PermanentDeliveryError("recipient opted out
  (STOP)"); START lifts that. The set is not persisted: after a restart Twilio itself still
  blocks the number (error 21610, mapped to a permanent error and re-learned). HELP goes to
  the agent like any message. WhatsApp has no carrier keywords.
- Capabilities: 1600 characters for both channels (Twilio's Body limit, error 21658, also
  for WhatsApp), plain text, no buttons, no typing indicator.
- WhatsApp's 24-hour window: with `outbound.window_open` False the configured approved
  template (ContentSid + ContentVariables) is sent instead of free text, else
  WindowClosedError. SMS has no window.
- Send errors: 429 -> RetryableDeliveryError(Retry-After), 5xx / network -> retryable,
  other 4xx -> PermanentDeliveryError. Start checks the credentials (GET Accounts/{sid}):
  refused -> AdapterAuthFailed; unreachable or 5xx -> AdapterNotReady.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

import omnichannel.i18n as i18n
from omnichannel.adapters.twilio import media as media_mod
from omnichannel.adapters.twilio import rest, sms
from omnichannel.adapters.twilio import webhook as wh
from omnichannel.adapters.twilio.config import (
    DEFAULT_SUFFIX,
    SMSConfig,
    TwilioConfig,
    WhatsAppConfig,
)
from omnichannel.adapters.twilio.fullreply import FullReplies
from omnichannel.channel import (
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryReceipt,
    Inbound,
    Markup,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
    WindowClosedError,
)

log = logging.getLogger(__name__)
_ = i18n.translator("channels")
# Seconds all of one message's downloads may take: Twilio gives up on a webhook after 15 s.
MEDIA_BUDGET = 10.0


class _TwilioAdapter:
    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    config_model: ClassVar[type[ChannelConfig]]

    def __init__(self, settings: TwilioConfig) -> None:
        self.settings = settings
        self.ctx: ChannelContext | None = None
        self._client: Any = None
        self._http: rest.HttpClient | None = None
        self._media: aiohttp.ClientSession | None = None
        self._media_dir: Path | None = None

    @property
    def inbound_path(self) -> str:
        return f"/twilio/{self.name}"

    @property
    def status_path(self) -> str:
        return f"/twilio/{self.name}/status"

    # lifecycle
    async def start(self, ctx: ChannelContext) -> None:
        await self.stop()  # a supervised retry starts from scratch
        s = self.settings
        client, http = rest.make_client(s.account_sid, s.auth_token.get_secret_value(),
                                        s.api_base, s.request_timeout)
        try:
            await rest.check_credentials(client, s.account_sid)
        except BaseException:
            await http.close()
            raise
        self._client, self._http, self.ctx = client, http, ctx
        if s.download_media:
            self._media_dir = s.media_dir or ctx.state_dir / "media" / self.name
            self._media = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=s.request_timeout))
        ctx.add_route("POST", self.inbound_path, self.on_message)
        ctx.add_route("POST", self.status_path, self.on_status)

    async def stop(self) -> None:
        http, session = self._http, self._media
        self._client = self._http = self._media = None
        if http is not None:
            await http.close()
        if session is not None and not session.closed:
            await session.close()

    async def typing(self, chat_id: str) -> None:
        return None  # Twilio has no typing indicator for SMS / WhatsApp

    # webhooks
    def _verified(self, request: web.Request, form: Any) -> bool:
        url = wh.signed_url(self.settings.public_url, request)
        token = self.settings.auth_token.get_secret_value()
        return wh.verify(token, url, form, request.headers.get(wh.SIGNATURE))

    async def on_message(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        if ctx is None or self._client is None:
            return wh.reject(503, "channel is not running")
        form = await wh.read_form(request)
        if not self._verified(request, form):
            log.warning("rejected a Twilio webhook with a bad or missing signature",
                        extra={"channel": self.name, "path": request.path})
            return wh.reject(403, "invalid or missing X-Twilio-Signature")
        try:
            msg = wh.parse_message(form)
        except wh.Malformed as exc:
            return wh.reject(400, f"not a Twilio message webhook: {exc}")
        if msg.media and self._media is not None:
            await self._download(msg)
        self.on_keyword(msg)
        inbound = Inbound(
            channel=self.name, account=ctx.account, external_id=msg.sid,
            chat_id=msg.address, sender_id=msg.address, text=msg.text,
            sender_name=msg.profile_name, verified_phone=msg.phone,
        )
        try:
            await ctx.publish(inbound)
        except Exception:
            log.exception("could not journal a Twilio message", extra={"channel": self.name})
            return wh.reject(503, "message not stored, retry later")
        return wh.twiml()

    def on_keyword(self, msg: wh.Message) -> None:
        """Carrier keywords; WhatsApp has none."""

    async def on_status(self, request: web.Request) -> web.Response:
        ctx = self.ctx
        if ctx is None or self._client is None:
            return wh.reject(503, "channel is not running")
        form = await wh.read_form(request)
        if not self._verified(request, form):
            return wh.reject(403, "invalid or missing X-Twilio-Signature")
        try:
            status = wh.parse_status(form)
        except wh.Malformed as exc:
            return wh.reject(400, f"not a Twilio status callback: {exc}")
        if status.status is not None:
            known = await ctx.delivery_status(status.sid, status.status, status.error)
            if not known:
                log.info("status for a message we do not know",
                         extra={"channel": self.name, "sid": status.sid})
        return wh.twiml()

    async def _download(self, msg: wh.Message) -> None:
        s, session = self.settings, self._media
        folder = self._media_dir
        assert folder is not None and session is not None
        api = urlsplit(s.api_base or "https://api.twilio.com").hostname
        auth = aiohttp.encode_basic_auth(s.account_sid, s.auth_token.get_secret_value())
        deadline = asyncio.get_running_loop().time() + MEDIA_BUDGET
        for i, item in enumerate(msg.media):
            try:
                async with asyncio.timeout_at(deadline):
                    await media_mod.download(
                        session, item.url, folder, f"{msg.sid}-{i}",
                        max_bytes=s.max_media_bytes, hosts=s.allowed_media_hosts,
                        types=s.allowed_media_types, auth=auth, auth_host=api)
            except media_mod.MediaRejected as exc:
                log.warning("media not downloaded", extra={"channel": self.name,
                            "sid": msg.sid, "reason": str(exc)})
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.warning("media download failed", extra={"channel": self.name,
                            "sid": msg.sid, "error": type(exc).__name__})
                if isinstance(exc, TimeoutError):
                    return  # the budget is spent: placeholders only for the rest

    # sending
    async def send(self, outbound: Outbound) -> DeliveryReceipt:
        client = self._client
        if client is None:
            raise RetryableDeliveryError(f"{self.name} channel is not running")
        to, params = await self.render(outbound)
        try:
            message = await client.messages.create_async(
                to=to, from_=self.settings.from_number,
                status_callback=self.settings.public_url + self.status_path, **params)
        except Exception as exc:
            if rest.error_code(exc) in rest.OPTED_OUT_CODES:
                self.opted_out(to)
            raise rest.delivery_error(exc) from None
        return DeliveryReceipt(platform_message_id=str(message.sid))

    async def render(self, outbound: Outbound) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    def opted_out(self, address: str) -> None:
        """Twilio refused `address` as unsubscribed."""


class TwilioSMSAdapter(_TwilioAdapter):
    name: ClassVar[str] = "sms"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=1600, markup=Markup.PLAIN, buttons=False, typing=False)
    config_model: ClassVar[type[ChannelConfig]] = SMSConfig
    settings: SMSConfig

    def __init__(self, settings: SMSConfig) -> None:
        super().__init__(settings)
        # STOP is recorded on disk: a restart must not text someone who opted out.
        self.opted_out_numbers: set[str] = set()
        self._opt_out_file: Path | None = None
        self._opt_out_key = b""
        self.full_replies: FullReplies | None = None

    async def start(self, ctx: ChannelContext) -> None:
        await super().start(ctx)
        s = self.settings
        self._opt_out_file = ctx.state_dir / f"sms-opt-outs-{ctx.account}.json"
        self.opted_out_numbers = await asyncio.to_thread(_load_numbers, self._opt_out_file)
        # An erased contact's opt-out is kept as a keyed hash (docs/datacare.md): honoured,
        # without keeping the number.
        self._opt_out_key = ctx.secret("opt-out")
        if s.overflow == "link":
            self.full_replies = FullReplies(ctx.state_dir / "sms-full-replies",
                                            ctx.secret("sms-full-reply"), s.full_reply_days)
            await asyncio.to_thread(self.full_replies.prune)
            ctx.add_route("GET", self.full_path, self.on_full_reply)

    @property
    def full_path(self) -> str:
        return f"{self.inbound_path}/full"

    async def on_full_reply(self, request: web.Request) -> web.Response:
        pages = self.full_replies
        if pages is None:
            return wh.reject(404, "not found")
        shop = self.ctx.brand.shop_name if self.ctx is not None else ""
        return pages.page(request.query.get("r", ""), shop, request.query.get("l"))

    def on_keyword(self, msg: wh.Message) -> None:
        word = sms.keyword(msg.body)
        if word is sms.Keyword.STOP:
            self.opted_out(msg.address)
        elif word is sms.Keyword.START and self.is_opted_out(msg.address):
            self.opted_out_numbers.discard(msg.address)
            self.opted_out_numbers.discard(self._hashed(msg.address))
            self._save_opt_outs()

    def _hashed(self, address: str) -> str:
        digest = hmac.new(self._opt_out_key, address.encode(), hashlib.sha256).hexdigest()
        return "hmac-sha256:" + digest

    def is_opted_out(self, address: str) -> bool:
        return (address in self.opted_out_numbers
                or (bool(self._opt_out_key) and self._hashed(address) in self.opted_out_numbers))

    def opted_out(self, address: str) -> None:
        if not self.is_opted_out(address):
            self.opted_out_numbers.add(address)
            self._save_opt_outs()

    def _save_opt_outs(self) -> None:
        if self._opt_out_file is not None:  # a few bytes: written in place, atomically
            _save_numbers(self._opt_out_file, self.opted_out_numbers)

    async def render(self, outbound: Outbound) -> tuple[str, dict[str, str]]:
        if self.is_opted_out(outbound.chat_id):
            raise PermanentDeliveryError("recipient opted out (STOP)")
        s, pages = self.settings, self.full_replies
        lang = i18n.normalize(outbound.language) or i18n.DEFAULT
        with i18n.using(lang):
            # The shipped suffix speaks the conversation's language; a merchant's own stays.
            suffix = (" … " + _("(shortened for SMS)") if s.truncation_suffix == DEFAULT_SUFFIX
                      else s.truncation_suffix)
            if pages is not None and not sms.fits(outbound.text, s.max_segments):
                token = await pages.save(outbound.outbox_id, outbound.text.strip())
                url = f"{s.public_url}{self.full_path}?r={token}" + (
                    f"&l={lang}" if lang != i18n.DEFAULT else "")
                suffix = " … " + _("Full reply: {url}").format(url=url)
        return outbound.chat_id, {"body": sms.fit(outbound.text, s.max_segments, suffix)}


class TwilioWhatsAppAdapter(_TwilioAdapter):
    name: ClassVar[str] = "whatsapp"
    # 1600, not WhatsApp's own 4096: Twilio caps every Message Body at 1600 characters
    # (error 21658), WhatsApp included.
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=1600, markup=Markup.PLAIN, buttons=False, typing=False,
        policy_window=24 * 3600)
    config_model: ClassVar[type[ChannelConfig]] = WhatsAppConfig
    settings: WhatsAppConfig

    async def render(self, outbound: Outbound) -> tuple[str, dict[str, str]]:
        to = outbound.chat_id
        if not to.startswith("whatsapp:"):
            to = "whatsapp:" + to
        if outbound.window_open:
            return to, {"body": outbound.text}
        s = self.settings
        if s.template_content_sid is None:
            raise WindowClosedError("WhatsApp's 24-hour window is closed and no "
                                    "template_content_sid is configured")
        shop = self.ctx.brand.shop_name if self.ctx is not None else ""
        variables = {k: v.replace("{shop_name}", shop).replace("{text}", outbound.text[:1000])
                     for k, v in s.template_variables.items()}
        params = {"content_sid": s.template_content_sid}
        if variables:
            params["content_variables"] = json.dumps(variables)
        return to, params


def _load_numbers(path: Path) -> set[str]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return set()
    except (OSError, ValueError) as exc:
        log.error("SMS opt-out list unreadable; refusing to guess",
                  extra={"path": str(path), "error": str(exc)})
        raise
    return {str(n) for n in data}


def _save_numbers(path: Path, numbers: set[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(sorted(numbers)))
    os.replace(tmp, path)


__all__ = ["SMSConfig", "TwilioSMSAdapter", "TwilioWhatsAppAdapter", "WhatsAppConfig"]
