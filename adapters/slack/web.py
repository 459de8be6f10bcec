"""Slack's Web API as the adapter uses it: one AsyncWebClient, errors mapped to ours.

Nothing here knows about inbound requests, so the staff console can reuse it as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from omnichannel.channel import (
    AdapterAuthFailed,
    AdapterNotReady,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

log = logging.getLogger(__name__)

# The token itself is refused: stop and ask for a new one.
AUTH_ERRORS = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "no_permission", "org_login_required", "ekm_access_denied", "team_access_not_granted",
    "missing_scope", "not_allowed_token_type",
})
# Slack-side trouble that clears by itself: try the same message again later.
RETRYABLE_ERRORS = frozenset({"ratelimited", "service_unavailable", "team_added_to_org"})
# "It's possible some aspect of the operation succeeded": never resend blindly.
UNCERTAIN_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout"})


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """What auth.test says about our token: who we are in the workspace."""

    team_id: str
    user_id: str
    bot_id: str
    enterprise_id: str | None = None
    team: str | None = None


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            if isinstance(value, list):
                return str(value[0]) if value else None
            return str(value)
    return None


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    value = header(headers, "Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class ShortRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """The SDK's 429 handler (waits Retry-After, then tries once more), but only when the
    wait is short: a long Retry-After goes back to the outbox, which owns the schedule and
    does not hold the conversation's lane meanwhile."""

    def __init__(self, max_wait: float) -> None:
        super().__init__(max_retry_count=1)
        self.max_wait = max_wait

    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        if not await super()._can_retry_async(state=state, request=request,
                                              response=response, error=error):
            return False
        assert response is not None
        wait = retry_after(response.headers)
        return wait is not None and wait <= self.max_wait


def make_client(token: str | None, base_url: str, timeout: float, max_wait: float,
                session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """An AsyncWebClient on `base_url` with the retry handlers we rely on: one retry of a
    connection reset (a stale keep-alive socket), one of a short 429."""
    handlers: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(
            max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.1)),
        ShortRateLimitRetry(max_wait)]
    return AsyncWebClient(token=token, base_url=base_url, timeout=int(max(1, timeout)),
                          session=session, retry_handlers=handlers,
                          logger=logging.getLogger("omnichannel.adapters.slack.sdk"))


def describe(exc: SlackApiError) -> str:
    resp = exc.response
    error = resp.get("error") if isinstance(resp.data, dict) else None
    return f"Slack API HTTP {resp.status_code}: {error or 'no error code'}"[:300]


def error_code(exc: SlackApiError) -> str | None:
    data = exc.response.data
    return str(data.get("error")) if isinstance(data, dict) and data.get("error") else None


def delivery_error(exc: SlackApiError) -> DeliveryError:
    """A refused chat.postMessage as the error type the outbox acts on."""
    status, code = exc.response.status_code, error_code(exc)
    if status == 429 or code in RETRYABLE_ERRORS or status in (502, 503, 504):
        return RetryableDeliveryError(describe(exc), retry_after(exc.response.headers))
    if code in UNCERTAIN_ERRORS or status >= 500:
        return DeliveryError(f"{describe(exc)}; the message may have been posted")
    # invalid_auth, not_in_channel, channel_not_found, is_archived, msg_too_long,
    # invalid_blocks ...: the same request would fail again.
    return PermanentDeliveryError(describe(exc))


class SlackWeb:
    """The calls the adapter makes, on one client and one HTTP session."""

    def __init__(self, token: str, base_url: str, timeout: float = 30.0,
                 rate_limit_max_wait: float = 5.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.rate_limit_max_wait = rate_limit_max_wait
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))
        self.client = make_client(token, base_url, timeout, rate_limit_max_wait, self._session)

    def client_for(self, token: str | None) -> AsyncWebClient:
        """Another client (another token, or none) on the same base URL and session."""
        return make_client(token, self.base_url, self.timeout, self.rate_limit_max_wait,
                           self._session)

    async def close(self) -> None:
        await self._session.close()

    async def identity(self) -> BotIdentity:
        """auth.test: proof that the token works, and our bot user id for mentions."""
        try:
            resp = await self.client.auth_test()
        except SlackApiError as exc:
            code, status = error_code(exc), exc.response.status_code
            if code in AUTH_ERRORS or status in (401, 403):
                raise AdapterAuthFailed(f"bot_token refused by Slack ({describe(exc)})") from None
            raise AdapterNotReady(describe(exc)) from None
        except (aiohttp.ClientError, TimeoutError, SlackClientError) as exc:
            raise AdapterNotReady(f"Slack API unreachable: {type(exc).__name__}") from None
        if not resp.get("bot_id") or not resp.get("user_id"):
            raise AdapterAuthFailed("bot_token is not a bot token (auth.test has no bot_id); "
                                    "use the Bot User OAuth Token, xoxb-…")
        return BotIdentity(team_id=str(resp.get("team_id") or ""), user_id=str(resp["user_id"]),
                           bot_id=str(resp["bot_id"]), enterprise_id=resp.get("enterprise_id"),
                           team=resp.get("team"))

    async def post(self, channel: str, text: str, *, thread_ts: str | None = None,
                   blocks: list[dict[str, Any]] | None = None) -> str:
        """chat.postMessage; the new message's ts."""
        args: dict[str, Any] = {"channel": channel, "text": text}
        if thread_ts:
            args["thread_ts"] = thread_ts
        if blocks:
            args["blocks"] = blocks
        try:
            resp = await self.client.chat_postMessage(**args)
        except SlackApiError as exc:
            raise delivery_error(exc) from None
        except aiohttp.ClientConnectorError as exc:  # never reached Slack: safe to retry
            raise RetryableDeliveryError(
                f"Slack API unreachable: {type(exc).__name__}") from None
        except (aiohttp.ClientError, TimeoutError, SlackClientError, ValueError) as exc:
            # The request may have arrived: the outbox marks it uncertain, never resends.
            raise DeliveryError(f"no usable answer from the Slack API ({type(exc).__name__}); "
                                "the message may have been posted") from None
        ts = resp.get("ts")
        if not ts:
            raise DeliveryError("chat.postMessage answered ok without a ts")
        return str(ts)

    async def socket_url(self, app_token: str) -> str:
        """apps.connections.open: checks the app-level token (a Socket Mode URL is issued
        and left to expire; the SDK asks for its own)."""
        try:
            resp = await self.client_for(None).apps_connections_open(app_token=app_token)
        except SlackApiError as exc:
            code, status = error_code(exc), exc.response.status_code
            if code in AUTH_ERRORS or status in (401, 403):
                raise AdapterAuthFailed(f"app_token refused by Slack ({describe(exc)})") from None
            raise AdapterNotReady(describe(exc)) from None
        except (aiohttp.ClientError, TimeoutError, SlackClientError) as exc:
            raise AdapterNotReady(f"Slack API unreachable: {type(exc).__name__}") from None
        url = resp.get("url")
        if not isinstance(url, str) or not url.startswith(("wss://", "ws://")):
            raise AdapterNotReady("apps.connections.open gave no websocket URL")
        return url
