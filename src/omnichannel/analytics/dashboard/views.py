"""The dashboard's request handlers. Every page but the login needs a session; every POST
needs the session's CSRF token (and, when the browser sends one, a same-host Origin)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web

from omnichannel.agent.translate import (
    TranslationFailed,
    Translator,
    name,
    original_note,
    translator_for,
)
from omnichannel.analytics.accounting import Report, build, rules_for
from omnichannel.analytics.cost import Prices
from omnichannel.analytics.dashboard import pages
from omnichannel.analytics.dashboard.auth import (
    COOKIE,
    LOGIN_COOKIE,
    PATH,
    Session,
    Signer,
    Throttle,
    same,
)
from omnichannel.analytics.passwords import verify_password
from omnichannel.analytics.process import Process, process
from omnichannel.analytics.resolution import outcome
from omnichannel.analytics.settings import AnalyticsSettings, DashboardSettings
from omnichannel.conversation import Owner, Role, Status

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
PREFIX = pages.PREFIX
REPORT_TTL = 10.0
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Dashboard:
    """What the handlers share: settings, the cookie signer, the login limit, a short
    report cache (the overview is computed at most every REPORT_TTL seconds)."""

    settings: DashboardSettings
    analytics: AnalyticsSettings
    signer: Signer
    throttle: Throttle
    prices: Prices
    secure: bool = False  # cookies marked Secure (public_url is https)
    _cache: dict[int, tuple[float, Report]] = field(default_factory=dict)
    _lock: asyncio.Lock | None = None
    _translator: tuple[object, Translator | None] | None = None

    def translator(self, rt: Any) -> Translator | None:
        """The staff translator while an LLM is configured (rebuilt after a reload)."""
        cfg = rt.config
        if self._translator is None or self._translator[0] is not cfg:
            self._translator = (cfg, translator_for(cfg.models.routine, cfg.brand.language))
        return self._translator[1]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.analytics.timezone)

    async def report(self, rt: Any, days: int) -> Report:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            hit = self._cache.get(days)
            if hit is not None and time.monotonic() - hit[0] < REPORT_TTL:
                return hit[1]
            since = time.time() - days * 86400.0
            try:
                report = await build(rt.store, self.analytics, since=since, prices=self.prices,
                                     commerce=rt.commerce)
            except Exception:  # a shop backend failing must not take the page down
                log.exception("dashboard report with revenue failed; retrying without")
                report = await build(rt.store, self.analytics, since=since,
                                     prices=self.prices)
            self._cache[days] = (time.monotonic(), report)
            return report


DASHBOARD = web.AppKey("dashboard", Dashboard)
SESSION = web.RequestKey("dashboard_session", Session)
FORM = web.RequestKey("dashboard_form", dict)


def _dash(request: web.Request) -> Dashboard:
    return request.app[DASHBOARD]


def _rt(request: web.Request) -> Process:
    return process(request)


def page(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", headers=HEADERS)


def _redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location, headers={"Cache-Control": "no-store"})


def _origin_ok(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


def authed(handler: Handler) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        session = _dash(request).signer.read(request.cookies.get(COOKIE))
        if session is None:
            if request.method == "GET" and not request.path.endswith("/rows"):
                raise _redirect(f"{PREFIX}/login?" + urlencode({"next": request.path_qs}))
            raise web.HTTPUnauthorized(text="sign in again", headers=HEADERS)
        if request.method == "POST":
            form = await request.post()
            token = form.get("csrf")
            if not same(token if isinstance(token, str) else None, session.csrf) or (
                    not _origin_ok(request)):
                raise web.HTTPForbidden(text="This form has expired: reload the page and "
                                        "try again.", headers=HEADERS)
            request[FORM] = {k: v for k, v in form.items() if isinstance(v, str)}
        request[SESSION] = session
        return await handler(request)

    return wrapped


def _csrf(request: web.Request) -> str:
    return request[SESSION].csrf


def _next(value: object) -> str:
    target = value if isinstance(value, str) else PREFIX
    if not target.startswith(PREFIX) or target.startswith("//") or "\\" in target:
        return PREFIX
    return target


def _login_page(request: web.Request, error: str | None, status: int, next_: str) -> web.Response:
    cookie, token = _dash(request).signer.login_token()
    resp = page(pages.login(token, error, next_), status)
    resp.set_cookie(LOGIN_COOKIE, cookie, max_age=3600, path=PATH, httponly=True,
                    samesite="Strict", secure=_dash(request).secure)
    return resp


async def login_form(request: web.Request) -> web.StreamResponse:
    d = _dash(request)
    next_ = _next(request.query.get("next"))
    if d.signer.read(request.cookies.get(COOKIE)) is not None:
        raise _redirect(next_)
    return _login_page(request, None, 200, next_)


async def login(request: web.Request) -> web.StreamResponse:
    d = _dash(request)
    form = await request.post()
    next_ = _next(form.get("next"))
    who = request.remote or "?"
    if d.throttle.blocked(who):
        return _login_page(request, "Too many failed attempts: wait a few minutes.", 429,
                           next_)
    token = form.get("csrf")
    if not _origin_ok(request) or not d.signer.login_ok(
            request.cookies.get(LOGIN_COOKIE), token if isinstance(token, str) else None):
        return _login_page(request, "The sign-in form expired: try again.", 403, next_)
    password = form.get("password")
    ok = isinstance(password, str) and bool(password) and await asyncio.to_thread(
        verify_password, password, d.settings.password_hash)
    if not ok:
        d.throttle.failed(who)
        log.warning("dashboard sign-in refused", extra={"remote": who})
        return _login_page(request, "Wrong password.", 401, next_)
    d.throttle.succeeded(who)
    value, _session = d.signer.issue()
    resp = _redirect(next_)
    resp.set_cookie(COOKIE, value, max_age=int(d.signer.lifetime), path=PATH, httponly=True,
                    samesite="Strict", secure=d.secure)
    resp.del_cookie(LOGIN_COOKIE, path=PATH)
    raise resp


@authed
async def logout(request: web.Request) -> web.StreamResponse:
    resp = _redirect(f"{PREFIX}/login")
    resp.del_cookie(COOKIE, path=PATH)
    raise resp


async def slash(request: web.Request) -> web.StreamResponse:
    raise _redirect(PREFIX)


def _days(request: web.Request) -> int:
    try:
        return min(366, max(1, int(request.query.get("days", "30"))))
    except ValueError:
        return 30


@authed
async def overview(request: web.Request) -> web.StreamResponse:
    rt, d = _rt(request), _dash(request)
    days = _days(request)
    report = await d.report(rt, days)
    queue = await rt.store.handoff_queue()
    return page(pages.overview(report, queue, days, d.zone, _csrf(request)))


def _filters(request: web.Request) -> dict[str, str]:
    q = request.query
    owner = q.get("owner", "")
    status = q.get("status", "")
    return {"channel": q.get("channel", "")[:64],
            "owner": owner if owner in ("agent", "staff") else "",
            "status": status if status in ("open", "resolved") else ""}


async def _listed(request: web.Request) -> tuple[Any, dict[str, str], list[Any]]:
    rt = _rt(request)
    f = _filters(request)
    rows = await rt.store.conversation_list(f["channel"] or None, f["owner"] or None,
                                        f["status"] or None, 100)
    return rt, f, rows


@authed
async def conversations(request: web.Request) -> web.StreamResponse:
    d = _dash(request)
    rt, f, rows = await _listed(request)
    channels = await rt.store.channel_names()
    return page(pages.conversations(rows, f, channels, d.zone, _csrf(request),
                                    d.settings.poll_seconds))


@authed
async def conversation_rows(request: web.Request) -> web.StreamResponse:
    _rt_, _f, rows = await _listed(request)
    return page(pages.conversation_rows(rows, _dash(request).zone))


@authed
async def handoffs(request: web.Request) -> web.StreamResponse:
    d = _dash(request)
    queue = await _rt(request).store.handoff_queue()
    return page(pages.handoffs(queue, d.zone, _csrf(request), d.settings.poll_seconds))


@authed
async def handoff_rows(request: web.Request) -> web.StreamResponse:
    queue = await _rt(request).store.handoff_queue()
    return page(pages.handoff_rows(queue, _dash(request).zone))


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound(text="no such conversation") from None


_DONE = {"reply": "Reply queued to the shopper; you own the conversation now.",
         "translated": "Reply translated into the shopper's language and queued (the "
         "original is kept as a note); you own the conversation now.",
         "takeover": "You own the conversation now: the agent stays quiet.",
         "giveback": "The conversation is back with the agent.",
         "resolve": "Marked resolved.", "empty": "The reply was empty: nothing was sent."}


@authed
async def conversation(request: web.Request) -> web.StreamResponse:
    return await _conversation_page(request, _DONE.get(request.query.get("done", "")))


async def _conversation_page(request: web.Request, notice: str | None, draft: str = "",
                             status: int = 200) -> web.Response:
    rt, d = _rt(request), _dash(request)
    found = await rt.store.histories(0, None, _id(request))
    if not found:
        raise web.HTTPNotFound(text="no such conversation")
    h = found[0]
    rule = rules_for(d.analytics)[d.analytics.resolution_rule]
    result = outcome(h, rule, time.time(), d.analytics.durable_days)
    conv = await rt.store.conversation(h.id)
    language = conv.language if conv is not None else None
    tr = d.translator(rt)
    translations: dict[int, str] = {}
    if tr is not None and rt.config.console.translate_messages:
        translations = await _translations(tr, h, language)
    offer = name(language) if tr is not None and tr.needed_for(language) else None
    return page(pages.transcript(h, result, d.zone, _csrf(request), notice, language,
                                 translations=translations, translate_into=offer,
                                 staff_language=name(tr.staff_language) if tr else "",
                                 draft=draft), status)


TRANSLATED_MESSAGES = 20  # the latest shopper messages a page translates


async def _translations(tr: Translator, h: Any, language: str | None) -> dict[int, str]:
    """Message id -> translation of the latest shopper messages not in the staff's
    language ("" where the model failed: the page says so, the original still shows)."""
    wanted = [m for m in h.messages if m.role == Role.CUSTOMER and not m.purged
              and m.text.strip()][-TRANSLATED_MESSAGES:]

    async def one(m: Any) -> str | None:
        try:
            return await tr.for_staff(m.text, language)
        except TranslationFailed as exc:
            log.warning("dashboard translation failed", extra={"error": str(exc)[:200]})
            return ""

    done = await asyncio.gather(*(one(m) for m in wanted))
    return {m.id: t for m, t in zip(wanted, done, strict=True) if t is not None}


@authed
async def act(request: web.Request) -> web.StreamResponse:
    """Staff actions from the transcript page: reply, take over, give back, resolve."""
    from omnichannel.router import chunks_for

    rt = _rt(request)
    cid, action = _id(request), request.match_info["action"]
    conv = await rt.store.conversation(cid)
    if conv is None:
        raise web.HTTPNotFound(text="no such conversation")
    store, form = rt.store, request[FORM]
    done = action
    if action == "reply":
        text = written = str(form.get("text") or "").strip()[:4000]
        tr = _dash(request).translator(rt) if form.get("translate") else None
        note = None
        if not text:
            done = "empty"
        elif form.get("translate") and tr is None:
            return await _conversation_page(
                request, "Translation needs an LLM ([models.routine]): nothing was sent.",
                written, 409)
        elif tr is not None and tr.needed_for(conv.language):
            try:
                text = await tr.for_shopper(written, conv.language)
            except TranslationFailed as exc:
                log.warning("staff reply not translated", extra={
                    "conversation_id": cid, "error": str(exc)[:200]})
                return await _conversation_page(
                    request, f"The reply could not be translated into {name(conv.language)}"
                    " (the model failed): nothing was sent. Try again.", written, 502)
            note = original_note(written, tr.staff_language, str(conv.language))
            done = "translated"
        if text:
            ids = await store.queue_message(cid, Role.STAFF, text,
                                            chunks_for(rt.adapter(conv.channel), text),
                                            Owner.STAFF)
            if note is not None:
                await store.note(cid, note)
            _kick(rt, cid, ids)
    elif action == "takeover":
        if await store.set_owner(cid, Owner.STAFF, "takeover"):
            await store.note(cid, "Taken over from the dashboard")
    elif action == "giveback":
        if conv.owner is Owner.STAFF:
            cfg = rt.config
            text = cfg.handoff.text("back_to_agent_notice", conv.language).format(
                assistant_name=cfg.brand.assistant_name)
            ids = await store.queue_message(cid, Role.SYSTEM, text,
                                            chunks_for(rt.adapter(conv.channel), text),
                                            Owner.AGENT)
            _kick(rt, cid, ids)
            await store.note(cid, "Given back to the agent from the dashboard")
    elif action == "resolve":
        if conv.status is not Status.RESOLVED:
            await store.set_status(cid, Status.RESOLVED)
            await store.note(cid, "Resolved from the dashboard")
    else:
        raise web.HTTPNotFound(text="no such action")
    raise _redirect(f"{PREFIX}/conversations/{cid}?done={done}")


def _kick(rt: Any, conversation_id: int, ids: list[int]) -> None:
    if rt.router is not None and ids:
        rt.router.outbox.kick(conversation_id, ids)


_TYPES = {"dashboard.js": "application/javascript", "dashboard.css": "text/css"}


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in _TYPES:
        raise web.HTTPNotFound(text="not found")
    return web.Response(body=(STATIC / name).read_bytes(), content_type=_TYPES[name],
                        charset="utf-8", headers={"Cache-Control": "no-cache",
                                                  "X-Content-Type-Options": "nosniff"})
