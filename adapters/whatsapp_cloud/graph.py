"""The Graph API calls the adapter makes, and Graph errors mapped to the channel's errors."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp

from omnichannel.channel import (
    AdapterAuthFailed,
    AdapterNotReady,
    DeliveryError,
    PermanentDeliveryError,
    RetryableDeliveryError,
    WindowClosedError,
)

log = logging.getLogger(__name__)

# Throttling (4 app, 80007 account, 130429 throughput, 131056 pair rate) and Meta-side
# trouble (1, 2, 131000, 131016): try again later.
RETRYABLE_CODES = frozenset({1, 2, 4, 80007, 130429, 131000, 131016, 131056})
WINDOW_CLOSED = 131047
AUTH_CODES = frozenset({190})
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


@dataclass(frozen=True, slots=True)
class GraphError:
    status: int
    code: int | None
    message: str
    retry_after: float | None

    def describe(self) -> str:
        code = f" code {self.code}" if self.code is not None else ""
        return f"Graph API HTTP {self.status}{code}: {self.message}"[:500]


def retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def graph_error(resp: aiohttp.ClientResponse) -> GraphError:
    code: int | None = None
    message = resp.reason or "error"
    try:
        body = await resp.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        code = err.get("code") if isinstance(err.get("code"), int) else None
        data = err.get("error_data")
        details = data.get("details") if isinstance(data, dict) else None
        message = str(details or err.get("message") or message)
    return GraphError(resp.status, code, message, retry_after(resp.headers.get("Retry-After")))


def delivery_error(err: GraphError) -> DeliveryError:
    """A refused send as the error type the outbox acts on."""
    if err.code == WINDOW_CLOSED:
        return WindowClosedError(err.describe())
    if err.status == 429 or err.code in RETRYABLE_CODES or err.status >= 500:
        return RetryableDeliveryError(err.describe(), err.retry_after)
    return PermanentDeliveryError(err.describe())


class Graph:
    """A thin client: one session, the bearer token only ever sent to Meta's URLs."""

    def __init__(self, api_base: str, phone_number_id: str, token: str,
                 timeout: float = 30.0) -> None:
        self.base = api_base.rstrip("/")
        self.phone_number_id = phone_number_id
        self._auth = {"Authorization": f"Bearer {token}"}
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))

    async def close(self) -> None:
        await self._session.close()

    async def check(self) -> None:
        """GET /{phone_number_id}: cheap proof that the token and the number work."""
        url = f"{self.base}/{self.phone_number_id}"
        try:
            async with self._session.get(url, headers=self._auth,
                                         params={"fields": "id"}) as resp:
                if resp.status < 300:
                    return
                err = await graph_error(resp)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise AdapterNotReady(f"Graph API unreachable: {type(exc).__name__}") from exc
        if err.status == 429 or err.status >= 500 or err.code in RETRYABLE_CODES:
            raise AdapterNotReady(err.describe())
        if err.status in (401, 403) or err.code in AUTH_CODES:
            raise AdapterAuthFailed(f"access token refused ({err.describe()})")
        raise AdapterAuthFailed(f"phone number {self.phone_number_id} not usable with this "
                                f"token ({err.describe()})")

    async def send(self, payload: dict[str, Any]) -> str:
        """POST /{phone_number_id}/messages; the new message's wamid."""
        url = f"{self.base}/{self.phone_number_id}/messages"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        try:
            async with self._session.post(url, json=body, headers=self._auth) as resp:
                if resp.status >= 300:
                    raise delivery_error(await graph_error(resp))
                data = await resp.json(content_type=None)
        except aiohttp.ClientConnectorError as exc:  # never reached Meta: safe to retry
            raise RetryableDeliveryError(f"Graph API unreachable: {type(exc).__name__}") from exc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # The request may have arrived: the outbox marks it uncertain, never resends.
            raise DeliveryError(f"no usable answer from the Graph API ({type(exc).__name__}); "
                                "the message may have been sent") from exc
        try:
            wamid = data["messages"][0]["id"]
        except (KeyError, IndexError, TypeError):
            raise DeliveryError("Graph API answer carried no message id") from None
        return str(wamid)

    async def download(self, media_id: str, folder: Path, max_bytes: int,
                       allowed: list[str]) -> Path | None:
        """GET /{media-id} -> url, then the bytes (bearer token) into `folder`.

        Refuses types outside `allowed` and anything over `max_bytes` (declared or actual).
        Returns the file, or None when refused."""
        if not _SAFE_ID.match(media_id):
            log.warning("media id refused", extra={"media_id": media_id[:40]})
            return None
        async with self._session.get(f"{self.base}/{media_id}", headers=self._auth) as resp:
            if resp.status >= 300:
                log.warning("media lookup failed",
                            extra={"media_id": media_id, "error": (await graph_error(resp))
                                   .describe()})
                return None
            info = await resp.json(content_type=None)
        url, mime = info.get("url"), str(info.get("mime_type") or "").split(";")[0].strip()
        size = info.get("file_size")
        # The bearer token goes with the request: only to https (or to a local http fake).
        scheme = "https://" if self.base.startswith("https://") else "http://"
        if not isinstance(url, str) or not url.startswith(scheme):
            log.warning("media lookup gave no url", extra={"media_id": media_id})
            return None
        if not _allowed(mime, allowed):
            log.info("media type not allowed", extra={"media_id": media_id, "mime": mime[:80]})
            return None
        if isinstance(size, int) and size > max_bytes:
            log.info("media too large", extra={"media_id": media_id, "size": size})
            return None
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        ext = mimetypes.guess_extension(mime) or ".bin"
        final = folder / f"{media_id}{ext}"
        part = folder / f".{media_id}.part"
        got = 0
        try:
            async with self._session.get(url, headers=self._auth) as resp:
                if resp.status >= 300:
                    log.warning("media download failed",
                                extra={"media_id": media_id, "status": resp.status})
                    return None
                with part.open("wb") as fh:
                    async for block in resp.content.iter_chunked(64 * 1024):
                        got += len(block)
                        if got > max_bytes:
                            log.info("media too large", extra={"media_id": media_id})
                            return None
                        await asyncio.to_thread(fh.write, block)
            os.replace(part, final)
        finally:
            part.unlink(missing_ok=True)
        return final


def _allowed(mime: str, allowed: list[str]) -> bool:
    for pattern in allowed:
        if pattern == mime or (pattern.endswith("/*") and mime.startswith(pattern[:-1])):
            return True
    return False
