"""What the dashboard and /metrics read of the running gateway, as a protocol: they sit below
the gateway's floor, so they are handed it (app.py puts it on `PROCESS`) and never import it."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from omnichannel.channel import Adapter
from omnichannel.commerce import Commerce
from omnichannel.config import Config
from omnichannel.router import Router
from omnichannel.store import Store
from omnichannel.supervisor import Supervisor


class Process(Protocol):
    """The parts of a running gateway (gateway.Gateway) the web pages read."""

    config: Config
    store: Store
    commerce: Commerce | None
    router: Router
    supervisors: dict[str, Supervisor]

    def adapter(self, name: str) -> Adapter | None: ...


PROCESS = web.AppKey("process", Process)


def process(request: web.Request) -> Process:
    return request.app[PROCESS]
