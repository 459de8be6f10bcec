"""The inbound side on slack-bolt: one AsyncApp whose listeners journal, then acknowledge.

The app runs with `process_before_response=True`: a listener finishes (the event is in the
journal) before Bolt builds its answer, so a 200 / Socket Mode ack always means "stored",
and a failed journal write becomes a 500 (no ack) that Slack retries. Retries
(X-Slack-Retry-Num) go through the same path; the journal deduplicates them, so the agent
answers once. Everything the listeners do not take is acknowledged and logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from omnichannel.adapters.slack.parse import Parsed, Scope, ShapeError, parse_action, parse_event
from omnichannel.adapters.slack.verify import RequestCheck
from omnichannel.adapters.slack.web import BotIdentity
from omnichannel.channel import ChannelContext

log = logging.getLogger(__name__)
ANY = re.compile(r".*", re.S)


def _retry(request: AsyncBoltRequest) -> str | None:
    values = request.headers.get("x-slack-retry-num")
    return values[0] if values else None


class Inbox:
    """Turns what Slack delivers into journal entries for one channel account."""

    def __init__(self, ctx: ChannelContext, channel: str, scope: Scope) -> None:
        self.ctx = ctx
        self.channel = channel
        self.scope = scope

    async def on_event(self, body: dict[str, Any],
                       request: AsyncBoltRequest) -> BoltResponse | None:
        try:
            parsed = parse_event(body, self.channel, self.ctx.account, self.scope)
        except ShapeError as exc:
            log.warning("slack event refused", extra={"reason": str(exc),
                                                       "event_id": body.get("event_id")})
            return BoltResponse(status=400, body={"error": str(exc)})
        await self.store(parsed, body.get("event_id"), _retry(request))
        return None

    async def on_action(self, body: dict[str, Any], ack: Any) -> BoltResponse | None:
        try:
            parsed = parse_action(body, self.channel, self.ctx.account)
        except ShapeError as exc:
            log.warning("slack interaction refused", extra={"reason": str(exc)})
            return BoltResponse(status=400, body={"error": str(exc)})
        await self.store(parsed, None, None)
        await ack()
        return None

    async def store(self, parsed: Parsed, event_id: Any, retry: str | None) -> None:
        """Publish (the journal write) or say why not; raises when the journal fails."""
        inbound = parsed.inbound
        if inbound is None:
            log.info("slack event ignored", extra={"reason": parsed.ignored, "event_id": event_id})
            return
        if parsed.needs_known_thread:
            known = await self.ctx.history(inbound.chat_id, limit=1)
            if not known.messages:
                log.info("slack event ignored", extra={
                    "reason": "thread reply without a mention in a thread not ours",
                    "event_id": event_id})
                return
        published = await self.ctx.publish(inbound)
        log.info("slack message stored", extra={
            "external_id": inbound.external_id, "duplicate": published.duplicate,
            "retry": retry, "event_id": event_id})


async def on_error(error: Exception, body: dict[str, Any],
                   response: BoltResponse | None) -> BoltResponse | None:
    """Bolt's error hook: unhandled request types are acknowledged (Slack would otherwise
    retry them and, in HTTP mode, eventually disable the subscription); real failures keep
    their 500 so that Slack delivers again."""
    if isinstance(error, BoltUnhandledRequestError):
        event = body.get("event")
        log.info("slack request ignored", extra={
            "reason": "no listener", "type": body.get("type"),
            "event_type": event.get("type") if isinstance(event, dict) else None})
        return BoltResponse(status=200, body="")
    log.error("slack request failed; not acknowledged, Slack will retry",
              exc_info=(type(error), error, error.__traceback__))
    return None


def build_app(inbox: Inbox, identity: BotIdentity, bot_token: str, client: AsyncWebClient,
              signing_secret: str | None) -> AsyncApp:
    """An AsyncApp with our listeners. `client` carries no token: Bolt gives each request
    its own copy with the token from `authorize`, which answers from the auth.test made at
    start, so no request waits on (or fails by) a Slack API call."""

    async def authorize(enterprise_id: str | None, team_id: str | None,
                        user_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=identity.enterprise_id, team_id=identity.team_id,
                               bot_token=bot_token, bot_id=identity.bot_id,
                               bot_user_id=identity.user_id, user_id=user_id)

    app = AsyncApp(
        name="omnichannel-slack", logger=logging.getLogger(f"{__name__}.bolt"),
        client=client, authorize=authorize, signing_secret=signing_secret or "socket-mode",
        request_verification_enabled=signing_secret is not None,
        process_before_response=True, raise_error_for_unhandled_request=True)
    app.event("message")(inbox.on_event)
    app.event("app_mention")(inbox.on_event)
    app.block_action(ANY)(inbox.on_action)
    app.error(on_error)
    return app


def _shape(body: dict[str, Any]) -> str | None:
    """What makes a signed body unusable before Bolt's middleware reads it, if anything."""
    if not body:
        return "empty body"
    if "ssl_check" in body or "command" in body:  # Slack's SSL probe, a slash command
        return None
    if not isinstance(body.get("type"), str):
        return "no type"
    if "event" in body and not isinstance(body["event"], dict):
        return "event is not an object"
    event = body.get("event")
    if body["type"] == "event_callback" and not (
            isinstance(event, dict) and isinstance(event.get("type"), str)):
        return "event_callback without an event type"
    return None


def http_handler(app: AsyncApp, check: RequestCheck) -> Callable[[web.Request], Any]:
    """The aiohttp route for Event Subscriptions and Interactivity: size cap (413), then
    the signature on the raw bytes (401, nothing parsed, nothing stored), then Bolt."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if check.too_large(request):
            log.warning("slack request refused", extra={"reason": "body over max_body_bytes",
                                                         "length": request.content_length})
            return web.json_response({"error": "body too large"}, status=413)
        raw = await request.read()  # the server's own cap answers 413 past 1 MiB
        if len(raw) > check.max_body_bytes:
            log.warning("slack request refused", extra={"reason": "body over max_body_bytes",
                                                         "length": len(raw)})
            return web.json_response({"error": "body too large"}, status=413)
        why = check.refusal(raw, request.headers.get("X-Slack-Request-Timestamp"),
                            request.headers.get("X-Slack-Signature"))
        if why is not None:
            log.warning("slack request refused", extra={"reason": why.value})
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            log.warning("slack request refused", extra={"reason": f"unreadable body: "
                                                                   f"{type(exc).__name__}"})
            return web.json_response({"error": "body is not valid JSON or form data"},
                                     status=400)
        problem = _shape(bolt_request.body)
        if problem:
            log.warning("slack request refused", extra={"reason": problem})
            return web.json_response({"error": problem}, status=400)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle
