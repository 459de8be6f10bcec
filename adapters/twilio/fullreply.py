"""Whole SMS replies behind a short link, for replies cut to the segment cap.

A reply longer than `max_segments` is cut at a word and ends with a link to a small page
the gateway serves from the state directory. The token is an HMAC of the outbox row id with
the installation's secret: stable across send retries (one file per reply), unguessable
(96 bits), and the page expires after `full_reply_days`. The page carries no-store,
no-referrer and noindex headers: it holds the shopper's reply, so only the link's holder
should read it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import os
import re
import time
from pathlib import Path

from aiohttp import web

import omnichannel.i18n as i18n

_ = i18n.translator("channels")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16}$")
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


class FullReplies:
    def __init__(self, folder: Path, secret: bytes, days: int) -> None:
        self.folder, self._secret, self.max_age = folder, secret, days * 86400.0

    def token(self, outbox_id: int) -> str:
        digest = hmac.new(self._secret, b"sms-full-reply:%d" % outbox_id, hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:12]).decode()

    async def save(self, outbox_id: int, text: str) -> str:
        token = self.token(outbox_id)
        await asyncio.to_thread(self._write, token, text)
        return token

    def _write(self, token: str, text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{token}.txt"
        tmp = path.with_suffix(".part")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)

    def load(self, token: str) -> str | None:
        if not _TOKEN.match(token):
            return None
        path = self.folder / f"{token}.txt"
        try:
            if time.time() - path.stat().st_mtime > self.max_age:
                return None
            return path.read_text(encoding="utf-8")
        except OSError:
            return None

    def prune(self) -> int:
        """Delete expired pages; returns how many went."""
        gone = 0
        if not self.folder.is_dir():
            return 0
        cutoff = time.time() - self.max_age
        for path in self.folder.glob("*.txt"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    gone += 1
            except OSError:
                continue
        return gone

    def page(self, token: str, shop_name: str, lang: str | None = None) -> web.Response:
        """The reply behind `token`, its few words in `lang` (the link's `l`)."""
        with i18n.using(lang) as code:
            return self._page(token, shop_name, code)

    def _page(self, token: str, shop_name: str, lang: str) -> web.Response:
        text = self.load(token)
        if text is None:
            return web.Response(status=404,
                                text=_("This reply has expired or does not exist.") + "\n",
                                headers=PAGE_HEADERS)
        title = html.escape(shop_name or _("Your reply"))
        body = (f"<!doctype html><html lang={lang}><meta charset=utf-8>"
                f"<meta name=viewport content='width=device-width,initial-scale=1'>"
                f"<title>{title}</title><body style='font:16px/1.5 system-ui,sans-serif;"
                f"max-width:40em;margin:1em auto;padding:0 1em'><h1 style='font-size:1.2em'>"
                f"{title}</h1><p style='white-space:pre-wrap'>{html.escape(text)}</p>")
        return web.Response(text=body, content_type="text/html", headers=PAGE_HEADERS)
