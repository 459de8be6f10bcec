"""Slack as a shopper channel: a shared (Slack Connect) or community workspace.

Inbound: slack-bolt's AsyncApp, fed either by our aiohttp server (`mode = "http"`: Event
Subscriptions and Interactivity POST to `events_path`; size cap, then the v0 signature
on the raw body, then Bolt) or by Socket Mode (`mode = "socket"`). Listeners journal
through `ctx.publish` before Bolt acknowledges (events.py). Direct messages are always
answered; in channels only messages that mention the bot, messages in `support_channels`,
and replies in threads that are already conversations of ours. Bots, edits, deletions and
other subtypes are ignored (parse.py). A pressed Block Kit button is an Inbound with
`button_value`.

Outbound: chat.postMessage in the thread the chat id names (parse.chat_id), text as
mrkdwn, buttons as an actions block (mrkdwn.py). Errors: a 429 that outlasts the short
in-call wait is RetryableDeliveryError with Retry-After; invalid_auth, not_in_channel,
channel_not_found and the like are permanent (web.py).

Slack has no typing indicator for bots in the Events API: `typing()` does nothing. Nor
does it say when a user types (`user_typing` is legacy RTM only), so no typing signal
is published: answers wait only the router's short merge window.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from slack_bolt.async_app import AsyncApp

from omnichannel.adapters.slack.config import SlackConfig
from omnichannel.adapters.slack.events import Inbox, build_app, http_handler
from omnichannel.adapters.slack.mrkdwn import blocks, render
from omnichannel.adapters.slack.parse import Scope, split_chat
from omnichannel.adapters.slack.socket import SocketLink
from omnichannel.adapters.slack.verify import RequestCheck
from omnichannel.adapters.slack.web import BotIdentity, SlackWeb
from omnichannel.channel import (
    Capabilities,
    ChannelConfig,
    ChannelContext,
    DeliveryReceipt,
    Markup,
    Outbound,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

log = logging.getLogger(__name__)


class SlackAdapter:
    name: ClassVar[str] = "slack"
    # 3,000: Slack recommends under 4,000 characters and a Block Kit section holds 3,000;
    # mrkdwn escaping can lengthen a chunk, and blocks split it again where needed.
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=3000, markup=Markup.MRKDWN, buttons=True, max_buttons=25,
        typing=False, threads=True, media=False, min_send_interval=1.0,
    )
    config_model: ClassVar[type[ChannelConfig]] = SlackConfig

    def __init__(self, settings: SlackConfig) -> None:
        self.settings = settings
        self.ctx: ChannelContext | None = None
        self.web: SlackWeb | None = None
        self.identity: BotIdentity | None = None
        self.bolt: AsyncApp | None = None
        self.socket: SocketLink | None = None

    # lifecycle
    async def start(self, ctx: ChannelContext) -> None:
        await self.stop()  # a supervised retry starts from scratch
        s = self.settings
        token = s.bot_token.get_secret_value()
        web = SlackWeb(token, s.api_base, s.timeout, s.rate_limit_max_wait)
        try:
            identity = await web.identity()
            inbox = Inbox(ctx, self.name, Scope(identity.user_id, frozenset(s.support_channels)))
            secret = s.signing_secret.get_secret_value() if s.signing_secret else None
            app = build_app(inbox, identity, token, web.client_for(None),
                            secret if s.mode == "http" else None)
            if s.mode == "socket":
                assert s.app_token is not None  # the config insists
                link = SocketLink(app, web, s.app_token.get_secret_value(), s.ping_interval,
                                  connect_timeout=s.timeout)
                await link.open()
                self.socket = link
            else:
                assert secret is not None
                ctx.add_route("POST", s.events_path,
                              http_handler(app, RequestCheck(secret, s.max_body_bytes)))
        except BaseException:
            await web.close()
            raise
        self.web, self.ctx, self.identity, self.bolt = web, ctx, identity, app
        log.info("slack ready", extra={"mode": s.mode, "team_id": identity.team_id,
                                       "bot_user_id": identity.user_id})

    async def stop(self) -> None:
        socket, self.socket = self.socket, None
        if socket is not None:
            await socket.close()
        web, self.web = self.web, None
        if web is not None:
            await web.close()

    async def typing(self, chat_id: str) -> None:
        """Bots get no typing indicator from the Events API."""

    # outbound
    async def send(self, outbound: Outbound) -> DeliveryReceipt:
        web = self.web
        if web is None:
            raise RetryableDeliveryError("slack is not started")
        channel, thread_ts = split_chat(outbound.chat_id)
        if not channel:
            raise PermanentDeliveryError("empty Slack chat id")
        text = render(outbound.text)
        layout = blocks(text, outbound.buttons) if outbound.buttons else None
        ts = await web.post(channel, text, thread_ts=thread_ts, blocks=layout)
        return DeliveryReceipt(f"{channel}:{ts}")


__all__ = ["SlackAdapter", "SlackConfig"]
