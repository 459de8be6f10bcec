"""Socket Mode: the same Bolt app, fed over a websocket the adapter opens.

No public URL and no signature: the app-level token (xapp-, connections:write) proves who
we are. The SDK's aiohttp SocketModeClient pings every `ping_interval` and reconnects by
itself (a new apps.connections.open URL) when the link drops or Slack asks to refresh;
an envelope is acknowledged only after Bolt answered 200, i.e. after the journal write.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from omnichannel.adapters.slack.web import SlackWeb
from omnichannel.channel import AdapterNotReady

log = logging.getLogger(__name__)


class SocketLink:
    def __init__(self, app: AsyncApp, web: SlackWeb, app_token: str, ping_interval: float,
                 connect_timeout: float) -> None:
        self.app = app
        self.web = web
        self._token = app_token
        self.ping_interval = ping_interval
        self.connect_timeout = connect_timeout
        self.handler: AsyncSocketModeHandler | None = None

    async def open(self) -> None:
        # Our own apps.connections.open first: a refused token is AdapterAuthFailed and an
        # outage AdapterNotReady, where the SDK would only log and retry forever.
        url = await self.web.socket_url(self._token)
        handler = AsyncSocketModeHandler(
            self.app, self._token, logger=logging.getLogger(f"{__name__}.sdk"),
            web_client=self.web.client_for(None), ping_interval=self.ping_interval)
        handler.client.wss_uri = url
        self.handler = handler
        try:
            await asyncio.wait_for(handler.connect_async(),  # type: ignore[no-untyped-call]
                                   self.connect_timeout)
        except TimeoutError:
            await self.close()
            raise AdapterNotReady("Socket Mode websocket did not open") from None
        except BaseException:
            await self.close()
            raise
        log.info("slack socket mode connected")

    async def close(self) -> None:
        handler, self.handler = self.handler, None
        if handler is not None:
            try:
                await handler.close_async()  # type: ignore[no-untyped-call]
            except Exception:  # a half-open link may fail to close; it is dropped anyway
                log.debug("socket mode close failed", exc_info=True)

    async def connected(self) -> bool:
        return self.handler is not None and await self.handler.client.is_connected()
