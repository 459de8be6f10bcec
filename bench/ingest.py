#!/usr/bin/env python
"""Ingest benchmark: signed Twilio SMS webhooks at the gateway against a bare aiohttp handler.

    python bench/ingest.py                          # defaults: 50 connections, 5,000
                                                    # requests per round, 3 rounds each
    python bench/ingest.py --requests 1000 --rounds 1   # quick

What it does, all on 127.0.0.1, every server in its own subprocess (so its CPU is its alone
and the load generator does not share its GIL):

- The gateway: `python -m omnichannel --config <tmp>/config.toml run` with only
  `[channels.sms]` enabled (web chat off, logging WARNING, commerce none, no help center).
  Its start-up credential check (GET Accounts/{sid}.json) and any later send go to a
  loopback fake of Twilio's REST API (`--fake-twilio PORT`, its own subprocess) through
  `api_base`.
- The bare server (`--bare-server PORT`): aiohttp, POST /twilio/sms awaits request.post()
  and answers 200 with the same empty TwiML the adapter sends. The floor aiohttp sets.
- The load: C keep-alive connections (aiohttp client, closed loop: each connection sends its
  next request when the previous answer is in) post N form-encoded Twilio inbound-message
  webhooks per round (Twilio's real field set, a valid X-Twilio-Signature for
  public_url + /twilio/sms, a unique MessageSid each: dedup would otherwise answer repeats
  without a journal write). Bodies and signatures are built before the timed window; bare
  and gateway get the very same bodies. Rounds alternate bare, gateway, bare, gateway, ...;
  each figure is the median of its rounds. Latency = request sent -> response read.
- "The agent turned off": the router has no switch for it, so the gateway runs with
  `[agent] debounce_seconds = 30` (the maximum) and the echo engine. A lane still waits at
  most MAX_DEBOUNCE_WAIT (10 s, router.py) after a conversation's first pending message, so
  a gateway round must finish within 10 s of its start: the bench checks the database after
  every round and reports how many agent replies were created inside the timed window
  (expected 0), and that every 200 has its journal row. After each gateway round it waits
  until those turns have run and their replies have gone to the fake Twilio (journal has
  nothing pending, outbox nothing queued, gateway CPU quiet) before the next round, so the
  deferred turns never land in a measured window, bare or gateway.
  What is measured on the gateway side is therefore: HTTP, form parsing, signature check,
  parse, redaction, the journal write (group commit on the writer thread) and the 200.

Human-readable lines first; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from _common import ServerProcess, _jsonable, daemon_config, log, machine_cpu, pct  # noqa: E402

HOST = "127.0.0.1"
PATH = "/twilio/sms"
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC = "https://shop.example.com"
FROM_NUMBER = "+15555550100"
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
DEBOUNCE = 30.0  # the config maximum
MAX_DEBOUNCE_WAIT = 10.0  # omnichannel.router.MAX_DEBOUNCE_WAIT: a lane waits no longer
TEXTS = ("Hi, where is my order?", "How much is shipping to Canada?",
         "Can I return the blue sweater I bought last week?", "thanks!",
         "Do you have the linen shirt in a medium?", "I never got my tracking number")








# --------------------------------------------------------------------------- servers

def bare_server_main(port: int) -> None:
    """The floor: aiohttp parsing the form and answering 200 with empty TwiML."""
    from aiohttp import web

    async def sms(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(text=TWIML_EMPTY, content_type="text/xml")

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post(PATH, sms)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=HOST, port=port, access_log=None, print=None)


def fake_twilio_main(port: int) -> None:
    """Twilio's REST API as far as the adapter needs it: the credential check and sends."""
    import base64
    import itertools

    from aiohttp import web

    want = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    counter = itertools.count(1)

    def refused() -> web.Response:
        return web.json_response({"code": 20003, "message": "Authenticate", "status": 401},
                                 status=401)

    async def account(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != want or request.match_info["sid"] != SID:
            return refused()
        return web.json_response({"sid": SID, "friendly_name": "bench", "status": "active",
                                  "type": "Full"})

    async def create(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != want:
            return refused()
        form = await request.post()
        sid = f"SM{next(counter):032x}"
        return web.json_response({
            "sid": sid, "account_sid": SID, "to": form.get("To"), "from": form.get("From"),
            "body": form.get("Body", ""), "status": "queued", "num_segments": "1",
            "direction": "outbound-api", "api_version": "2010-04-01",
            "date_created": "Thu, 01 Jan 2026 00:00:00 +0000",
            "uri": f"/2010-04-01/Accounts/{SID}/Messages/{sid}.json"}, status=201)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/2010-04-01/Accounts/{sid}.json", account)
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", create)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host=HOST, port=port, access_log=None, print=None)


def write_config(folder: Path, port: int, api_base: str) -> Path:
    return daemon_config(folder, port, f'engine = "echo"\ndebounce_seconds = {DEBOUNCE}', f"""
[knowledge]
builtin_helpcenter = false

[commerce]
backend = "none"

[channels.webchat]
enabled = false

[channels.sms]
enabled = true
account_sid = "{SID}"
auth_token = "{TOKEN}"
from_number = "{FROM_NUMBER}"
public_url = "{PUBLIC}"
api_base = "{api_base}"
request_timeout = 10
""")


class Server(ServerProcess):
    """One server subprocess: the gateway daemon, the bare server or the fake Twilio API."""

    def __init__(self, kind: str, tmp: Path, api_base: str = "") -> None:
        super().__init__(kind, tmp)
        self.kind = kind
        me = str(Path(__file__).resolve())
        if kind == "gateway":
            # /readyz is 200 only once the SMS channel passed its credential check.
            self.ready_path = "/readyz"
            cfg = write_config(self.dir, self.port, api_base)
            self.cmd = [sys.executable, "-m", "omnichannel", "--config", str(cfg), "run"]
        else:
            self.cmd = [sys.executable, me, f"--{kind}-server", str(self.port)]

    @property
    def db_path(self) -> Path:
        return self.dir / "state" / "omnichannel.db"


# --------------------------------------------------------------------------- the gateway's DB

def _query(db: Path, sql: str, args: tuple[Any, ...] = ()) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


async def db_count(server: Server, sql: str, args: tuple[Any, ...] = ()) -> int:
    return await asyncio.to_thread(_query, server.db_path, sql, args)


async def settle(server: Server, timeout: float = 40.0) -> float:
    """Wait until the deferred turns ran and their replies left: nothing pending in the
    journal, nothing queued in the outbox, the process quiet. Returns seconds waited."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        pending = await db_count(server, "SELECT count(*) FROM journal WHERE status = 'pending'")
        queued = await db_count(server, "SELECT count(*) FROM outbox "
                                        "WHERE status IN ('queued', 'sending')")
        if pending == 0 and queued == 0:
            break
        await asyncio.sleep(0.25)
    else:
        raise RuntimeError(f"gateway did not settle within {timeout}s:\n{server.tail()}")
    while time.monotonic() < deadline:  # CPU quiet: under 5% of a core for 0.3 s
        c0 = server.cpu_s()
        await asyncio.sleep(0.3)
        if server.cpu_s() - c0 <= 0.015:
            break
    return time.monotonic() - t0


# --------------------------------------------------------------------------- requests

def make_requests(tag: int, n: int, shoppers: int) -> list[tuple[bytes, str]]:
    """n Twilio inbound-SMS webhooks: (form body, X-Twilio-Signature). MessageSids are unique
    per tag; shoppers (From numbers) are fresh per tag, n / shoppers messages each."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    url = PUBLIC + PATH
    out = []
    for i in range(n):
        sid = f"SM{tag:02x}{i:030x}"
        shopper = f"+1555{tag % 100:02d}{i % shoppers:05d}"
        form = {
            "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0",
            "ToCity": "SAN FRANCISCO", "FromZip": "94105", "SmsSid": sid, "FromState": "CA",
            "SmsStatus": "received", "FromCity": "SAN FRANCISCO",
            "Body": TEXTS[i % len(TEXTS)], "FromCountry": "US", "To": FROM_NUMBER,
            "MessagingServiceSid": "MG" + "0" * 32, "ToZip": "94105", "NumSegments": "1",
            "ReferralNumMedia": "0", "MessageSid": sid, "AccountSid": SID, "From": shopper,
            "ApiVersion": "2010-04-01",
        }
        out.append((urlencode(form).encode(), validator.compute_signature(url, form)))
    return out




async def load_round(http: Any, server: Server, reqs: list[tuple[bytes, str]], conns: int,
                     timeout: float, others: tuple[Server, ...] = ()) -> dict[str, Any]:
    """reqs over `conns` closed-loop connections; server CPU over the timed window only."""
    import aiohttp

    url = server.base + PATH
    lat: list[float] = []
    statuses: dict[str, int] = {}
    errors: dict[str, int] = {}
    todo = iter(reqs)
    per_request = aiohttp.ClientTimeout(total=timeout)

    async def worker() -> None:
        for body, sig in todo:  # one shared iterator: each request is sent once
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "X-Twilio-Signature": sig}
            t = time.perf_counter()
            try:
                async with http.post(url, data=body, headers=headers,
                                     timeout=per_request) as r:
                    await r.read()
                    status = r.status
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            if status == 200:
                lat.append(time.perf_counter() - t)
            else:
                statuses[str(status)] = statuses.get(str(status), 0) + 1

    bg0 = sum(o.cpu_s() for o in others)
    m0 = machine_cpu()
    wall0 = time.time()
    cpu0, client0, t0 = server.cpu_s(), time.process_time(), time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(conns))),
                           timeout=timeout + len(reqs) * 0.01 + 30)
    wall = time.perf_counter() - t0
    cpu, client = server.cpu_s() - cpu0, time.process_time() - client0
    wall1 = time.time()
    bg = sum(o.cpu_s() for o in others) - bg0
    m1 = machine_cpu()
    jiffies = max(1, m1[0] - m0[0])
    busy = jiffies - (m1[1] - m0[1]) - (m1[2] - m0[2])
    tick = os.sysconf("SC_CLK_TCK")
    lat.sort()
    ok = len(lat)
    return {"ok": ok, "expected": len(reqs), "wall_s": wall, "window": (wall0, wall1),
            "req_per_s": ok / wall if wall > 0 else 0.0,
            "p50_ms": pct(lat, 0.50) * 1000, "p99_ms": pct(lat, 0.99) * 1000,
            "max_ms": lat[-1] * 1000 if lat else float("nan"),
            "server_cpu_us_per_req": cpu / ok * 1e6 if ok else float("nan"),
            "server_cores": cpu / wall if wall > 0 else 0.0,
            "client_cpu_us_per_req": client / ok * 1e6 if ok else float("nan"),
            "client_cores": client / wall if wall > 0 else 0.0,
            "background_cores": bg / wall if wall > 0 else 0.0,
            "machine_idle": (m1[1] - m0[1]) / jiffies, "steal": (m1[2] - m0[2]) / jiffies,
            # CPU busy on the machine beyond this bench's own processes (other work, kernel
            # threads): should be ~0, or the round competed for the cores.
            "foreign_cores": max(0.0, busy / tick / wall - cpu / wall - client / wall
                                 - bg / wall) if wall > 0 else 0.0,
            "bad_status": statuses, "errors": errors}


async def check_gateway_round(gw: Server, r: dict[str, Any], tag: int) -> None:
    """Every 200 has its journal row; no agent reply was created inside the timed window."""
    t0, t1 = r.pop("window")
    r["journaled"] = await db_count(gw, "SELECT count(*) FROM journal WHERE external_id LIKE ?",
                                    (f"SM{tag:02x}%",))
    r["agent_replies_in_window"] = await db_count(
        gw, "SELECT count(*) FROM messages WHERE role != 'customer' AND created_at BETWEEN ? "
            "AND ?", (t0, t1))


def median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("req_per_s", "p50_ms", "p99_ms", "max_ms", "wall_s", "server_cpu_us_per_req",
            "server_cores", "client_cpu_us_per_req", "client_cores", "background_cores",
            "machine_idle", "steal", "foreign_cores")
    out: dict[str, Any] = {k: statistics.median(r[k] for r in rounds) for k in keys}
    out["rounds"] = len(rounds)
    out["ok"] = sum(r["ok"] for r in rounds)
    out["expected"] = sum(r["expected"] for r in rounds)
    out["failed"] = out["expected"] - out["ok"]
    for k in ("journaled", "agent_replies_in_window"):
        if all(k in r for r in rounds):
            out[k] = sum(r[k] for r in rounds)
    return out


def fmt_round(label: str, r: dict[str, Any]) -> str:
    bad = "".join(f" HTTP {k}: {v}" for k, v in r.get("bad_status", {}).items())
    bad += "".join(f" {k}: {v}" for k, v in r.get("errors", {}).items())
    bad += f" steal {r['steal']:.0%}" if r.get("steal", 0) >= 0.02 else ""
    extra = ""
    if "journaled" in r:
        extra = (f"  journaled {r['journaled']}  agent replies in window "
                 f"{r['agent_replies_in_window']}")
    return (f"  {label:<12} {r['req_per_s']:7.0f} req/s  p50 {r['p50_ms']:6.2f} ms  "
            f"p99 {r['p99_ms']:6.2f} ms  server {r['server_cpu_us_per_req']:5.0f} us/req "
            f"({r['server_cores']:.2f} cores)  client {r['client_cpu_us_per_req']:4.0f} us/req "
            f"({r['client_cores']:.2f} cores)  bg {r['background_cores']:.2f}  "
            f"other {r['foreign_cores']:.2f}  idle {r['machine_idle']:.0%}  "
            f"{r['ok']}/{r['expected']} in "
            f"{r['wall_s']:.2f} s{extra}{bad}")


# --------------------------------------------------------------------------- main

async def bench(args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp
    import twilio

    tmp = Path(tempfile.mkdtemp(prefix="omnichannel-ingest-"))
    shoppers = max(1, min(args.shoppers, args.requests))
    result: dict[str, Any] = {
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "aiohttp": aiohttp.__version__, "twilio": twilio.__version__,
                    "platform": platform.platform()},
        "settings": {"connections": args.connections, "requests": args.requests,
                     "rounds": args.rounds, "shoppers_per_round": shoppers,
                     "debounce_seconds": DEBOUNCE, "engine": "echo",
                     "max_debounce_wait": MAX_DEBOUNCE_WAIT},
    }
    log(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, aiohttp "
        f"{aiohttp.__version__}, twilio {twilio.__version__}")
    log(f"load: {args.connections} keep-alive connections, closed loop, {args.requests} signed "
        f"webhooks per round ({shoppers} shoppers, unique MessageSids), {args.rounds} rounds "
        f"each, alternating bare / gateway")
    log(f"agent off: debounce_seconds {DEBOUNCE:g} (lanes still fire {MAX_DEBOUNCE_WAIT:g} s "
        f"after a conversation's first message: each gateway round is checked for agent "
        f"replies inside its window, and the gateway settles before every next round)")
    servers: list[Server] = []
    t_start = time.monotonic()
    try:
        fake = await Server("fake-twilio", tmp).start()
        servers.append(fake)
        bare = await Server("bare", tmp).start()
        servers.append(bare)
        gw = await Server("gateway", tmp, api_base=fake.base).start()
        servers.append(gw)
        log(f"started fake Twilio, bare server and gateway in "
            f"{time.monotonic() - t_start:.1f} s")
        conn = aiohttp.TCPConnector(limit=args.connections, keepalive_timeout=120)
        async with aiohttp.ClientSession(connector=conn) as http:
            # Warm-up (not reported): code paths, connections, the SQLite file.
            warm = make_requests(0xFF, min(args.requests, 1000), shoppers)
            for srv in (bare, gw):
                r = await load_round(http, srv, warm, args.connections, args.timeout)
                if r["ok"] != r["expected"]:
                    raise RuntimeError(f"warm-up against {srv.kind} failed: {fmt_round('', r)}"
                                       f"\n{srv.tail()}")
            # One connection: the path's own latency, no queueing.
            log("\none connection, closed loop (no queueing; latency floor):")
            single = make_requests(0xFE, min(args.requests, 500), shoppers)
            result["single_connection"] = {}
            for name, srv in (("bare", bare), ("gateway", gw)):
                r = await load_round(http, srv, single, 1, args.timeout, (fake,))
                if srv is gw:
                    await check_gateway_round(gw, r, 0xFE)
                r.pop("window", None)
                result["single_connection"][name] = {k: r[k] for k in (
                    "req_per_s", "p50_ms", "p99_ms", "server_cpu_us_per_req")}
                log(fmt_round(name, r))
            waited = await settle(gw)
            log(f"  (gateway settled in {waited:.1f} s: deferred turns answered)")

            log(f"\nthroughput and latency, {args.connections} connections (per round):")
            rounds: dict[str, list[dict[str, Any]]] = {"bare": [], "gateway": []}
            settles: list[float] = []
            for i in range(args.rounds):
                reqs = make_requests(i + 1, args.requests, shoppers)  # same bodies for both
                r = await load_round(http, bare, reqs, args.connections, args.timeout,
                                     (gw, fake))
                r.pop("window")
                rounds["bare"].append(r)
                log(fmt_round(f"bare #{i + 1}", r))
                r = await load_round(http, gw, reqs, args.connections, args.timeout,
                                     (bare, fake))
                await check_gateway_round(gw, r, i + 1)
                rounds["gateway"].append(r)
                log(fmt_round(f"gateway #{i + 1}", r))
                if r["wall_s"] >= MAX_DEBOUNCE_WAIT:
                    log(f"  note: the round took {r['wall_s']:.1f} s, longer than the "
                        f"{MAX_DEBOUNCE_WAIT:g} s debounce cap: turns may run in its window")
                settles.append(await settle(gw))
            log(f"  (gateway settled {', '.join(f'{s:.1f}' for s in settles)} s after its "
                f"rounds)")
        errors = [ln for ln in gw.tail(200_000).splitlines() if '"level": "error"' in ln]
        result["gateway_error_lines"] = len(errors)
        if errors:
            log(f"  gateway logged {len(errors)} errors; first: {errors[0][:300]}")

        med = {k: median_of(v) for k, v in rounds.items()}
        result.update(med)
        result["rounds_detail"] = {k: [{kk: vv for kk, vv in r.items()} for r in v]
                                   for k, v in rounds.items()}
        b, g = med["bare"], med["gateway"]
        tput = g["req_per_s"] / b["req_per_s"] if b["req_per_s"] else float("nan")
        p99 = g["p99_ms"] / b["p99_ms"] if b["p99_ms"] else float("nan")
        # The same ratios round by round (each gateway round against the bare run before it).
        per_round = [(gr["req_per_s"] / br["req_per_s"], gr["p99_ms"] / br["p99_ms"])
                     for br, gr in zip(rounds["bare"], rounds["gateway"], strict=True)]
        result["throughput_ratio"] = round(tput, 3)
        result["p99_ratio"] = round(p99, 3)
        result["per_round_ratios"] = [{"throughput": round(t, 3), "p99": round(p, 3)}
                                      for t, p in per_round]
        log("\nmedian of rounds:")
        log(fmt_round("bare", b))
        log(fmt_round("gateway", g))
        log(f"  throughput gateway/bare {tput:.3f} (target >= 0.8)   p99 gateway/bare "
            f"{p99:.3f} (target <= 1.5)")
        log("  per round: " + "  ".join(f"#{i + 1} {t:.3f} / {p:.3f}"
                                        for i, (t, p) in enumerate(per_round)))
        if b["server_cpu_us_per_req"] > 0 and g["server_cpu_us_per_req"] > 0:
            log(f"  server CPU per request: bare {b['server_cpu_us_per_req']:.0f} us, gateway "
                f"{g['server_cpu_us_per_req']:.0f} us "
                f"({g['server_cpu_us_per_req'] / b['server_cpu_us_per_req']:.2f}x)")
        if b["client_cores"] > 0.85:
            log(f"  note: the bare rounds are bounded by this load generator (client "
                f"{b['client_cores']:.2f} cores on {os.cpu_count()} CPUs, bare server "
                f"{b['server_cores']:.2f}): the bare server can do more, so the ratio "
                f"flatters the gateway")
        busy = max(b["foreign_cores"], g["foreign_cores"])
        if busy > 0.15:
            log(f"  note: other work used {busy:.2f} cores during the rounds (median): the "
                f"figures are disturbed; rerun on a quiet machine")
        clean = (g["failed"] == 0 and b["failed"] == 0
                 and g.get("journaled") == g["ok"] and g.get("agent_replies_in_window") == 0)
        targets = {
            "throughput_ratio_ge_0.8": bool(tput >= 0.8),
            "p99_ratio_le_1.5": bool(p99 <= 1.5),
            "all_requests_200_and_journaled_no_agent_in_window": bool(clean),
        }
        result["targets"] = targets
        log("\ntargets:")
        for k, v in targets.items():
            log(f"  {'PASS' if v else 'FAIL'}  {k}")
        result["elapsed_s"] = round(time.monotonic() - t_start, 1)
        log(f"\nelapsed {result['elapsed_s']} s")
        return result
    finally:
        for srv in reversed(servers):
            srv.stop()
        if args.keep_tmp:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)




def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--requests", type=int, default=5000, help="requests per round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per server")
    ap.add_argument("--shoppers", type=int, default=500,
                    help="distinct From numbers per round (fresh each round)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds for one request")
    ap.add_argument("--max-seconds", type=float, default=170.0,
                    help="give up after this long overall")
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--fake-twilio-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare_server is not None:
        bare_server_main(args.bare_server)
        return 0
    if args.fake_twilio_server is not None:
        fake_twilio_main(args.fake_twilio_server)
        return 0
    if not (1 <= args.connections <= 1000 and 1 <= args.requests <= 200_000
            and 1 <= args.rounds <= 20):
        ap.error("--connections 1..1000, --requests 1..200000, --rounds 1..20")
    result = asyncio.run(asyncio.wait_for(bench(args), args.max_seconds))
    print(json.dumps(_jsonable(result), sort_keys=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
