"""The Twilio REST client (twilio's async support) and its errors as the gateway's."""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from omnichannel.channel import (
    AdapterAuthFailed,
    AdapterNotReady,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)

# The headers of the last Twilio response seen by the current task: twilio's exceptions
# drop them, and 429's Retry-After lives there. A context variable keeps concurrent sends
# (one task each in the outbox) apart.
_LAST_HEADERS: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "twilio_last_headers", default=None)
OPTED_OUT_CODES = {21610}  # "Attempt to send to unsubscribed recipient"
# twilio logs every request and response at INFO (never the credentials); keep it quiet.
_QUIET = logging.getLogger("omnichannel.adapters.twilio.http")
_QUIET.setLevel(logging.WARNING)


class HttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """twilio's aiohttp client with a real timeout and the response headers kept."""

    def __init__(self, timeout: float) -> None:
        super().__init__(pool_connections=False, logger=_QUIET)
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))

    async def request(self, *args: Any, **kwargs: Any) -> Response:
        auth = kwargs.pop("auth", None)  # aiohttp 3.14 deprecates BasicAuth: send the header
        if auth is not None:
            headers = dict(kwargs.get("headers") or {})
            headers["Authorization"] = aiohttp.encode_basic_auth(auth[0], auth[1])
            kwargs["headers"] = headers
        response: Response = await super().request(*args, **kwargs)
        _LAST_HEADERS.set(dict(response.headers or {}))
        return response

    async def close(self) -> None:
        if self.session is not None and not self.session.closed:
            await self.session.close()


def make_client(account_sid: str, auth_token: str, api_base: str | None,
                timeout: float) -> tuple[Client, HttpClient]:
    http = HttpClient(timeout)
    client = Client(account_sid, auth_token, http_client=http)
    if api_base is not None:
        # Every api.twilio.com call goes through this Domain's base_url (twilio 9.x:
        # twilio/base/domain.py); edge/region from the environment would rewrite the host.
        client.api.base_url = api_base
        client.edge = client.region = None
    return client, http


def _status(exc: TwilioException) -> tuple[int, int | None, str]:
    if isinstance(exc, TwilioServiceException):
        return int(exc.status), exc.code, str(exc.detail or exc.title)
    if isinstance(exc, TwilioRestException):
        return int(exc.status), exc.code, str(exc.msg)
    return 0, None, str(exc)


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def describe(exc: TwilioException) -> str:
    status, code, message = _status(exc)
    return f"Twilio HTTP {status}" + (f" error {code}" if code else "") + f": {message}"


def delivery_error(exc: BaseException) -> DeliveryError:
    """A failed Messages.create as the outbox's retryable / permanent error."""
    if isinstance(exc, (TwilioRestException, TwilioServiceException)):
        status, _code, _msg = _status(exc)
        text = describe(exc)
        if status == 429:
            return RetryableDeliveryError(text, retry_after(_LAST_HEADERS.get()))
        if status >= 500 or status == 0:
            return RetryableDeliveryError(text)
        return PermanentDeliveryError(text)
    if isinstance(exc, (aiohttp.ClientError, TimeoutError, OSError)):
        return RetryableDeliveryError(f"Twilio unreachable: {type(exc).__name__}: {exc}")
    return RetryableDeliveryError(f"unexpected Twilio client error: {type(exc).__name__}")


def error_code(exc: BaseException) -> int | None:
    if isinstance(exc, (TwilioRestException, TwilioServiceException)):
        return _status(exc)[1]
    return None


async def check_credentials(client: Client, account_sid: str) -> None:
    """GET Accounts/{sid}.json: AdapterAuthFailed when refused, AdapterNotReady when Twilio
    cannot be reached or answers with a server error."""
    try:
        await client.api.v2010.accounts(account_sid).fetch_async()
    except (TwilioRestException, TwilioServiceException) as exc:
        status = _status(exc)[0]
        if status in (401, 403, 404):
            raise AdapterAuthFailed(f"Twilio refused the account credentials "
                                    f"({describe(exc)})") from None
        raise AdapterNotReady(describe(exc)) from None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise AdapterNotReady(f"Twilio unreachable: {type(exc).__name__}: {exc}") from None
