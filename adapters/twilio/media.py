"""Inbound media downloads: allowed hosts only, capped size, allowed content types.

Twilio's media URLs (api.twilio.com/.../Media/ME...) redirect to a CDN host; every hop is
checked against the allowlist, and the account credentials go only to the API host itself.
Plain http is refused except on a loopback host (tests).
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
import mimetypes
import os
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp

log = logging.getLogger(__name__)
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_SAFE = re.compile(r"[^A-Za-z0-9_-]")
_MAX_REDIRECTS = 3


class MediaRejected(Exception):
    """The media was not downloaded (host, type, size or HTTP status)."""


def host_allowed(url: str, patterns: list[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("https", "http"):
        return False
    if parts.scheme == "http" and host not in _LOOPBACK:
        return False
    return any(fnmatch.fnmatchcase(host, p.lower()) for p in patterns)


def type_allowed(content_type: str, patterns: list[str]) -> bool:
    ctype = content_type.split(";", 1)[0].strip().lower()
    return bool(ctype) and any(fnmatch.fnmatchcase(ctype, p.lower()) for p in patterns)


async def download(
    session: aiohttp.ClientSession,
    url: str,
    folder: Path,
    stem: str,
    *,
    max_bytes: int,
    hosts: list[str],
    types: list[str],
    auth: str | None = None,
    auth_host: str | None = None,
) -> Path:
    """Fetch `url` into `folder/<stem>.<ext>`; MediaRejected says why not."""
    for _hop in range(_MAX_REDIRECTS + 1):
        if not host_allowed(url, hosts):
            raise MediaRejected(f"host not allowed: {urlsplit(url).hostname or url[:80]!r}")
        same = auth_host is not None and urlsplit(url).hostname == auth_host
        headers = {"Authorization": auth} if same and auth else {}
        async with session.get(url, allow_redirects=False, headers=headers) as resp:
            if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                url = urljoin(url, resp.headers["Location"])
                continue
            if resp.status != 200:
                raise MediaRejected(f"HTTP {resp.status}")
            ctype = resp.headers.get("Content-Type", "")
            if not type_allowed(ctype, types):
                raise MediaRejected(f"content type not allowed: {ctype[:80]!r}")
            if resp.content_length is not None and resp.content_length > max_bytes:
                raise MediaRejected(f"too large: {resp.content_length} bytes")
            ext = mimetypes.guess_extension(ctype.split(";", 1)[0].strip()) or ".bin"
            data = bytearray()
            async for chunk in resp.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise MediaRejected(f"too large: over {max_bytes} bytes")
            path = folder / f"{_SAFE.sub('', stem)[:80]}{ext}"
            await asyncio.to_thread(_write, path, bytes(data))
            return path
    raise MediaRejected("too many redirects")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
