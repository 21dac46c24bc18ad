"""Headers on every answer of every service: nothing cached, nothing sniffed.

Answers carry personal data (intake) or a branch's figures: `Cache-Control: no-store` keeps them out
of browser, proxy and gateway caches, where the next user of a shared computer or a misconfigured
proxy could read them; `X-Content-Type-Options: nosniff` stops a browser from reading a JSON answer
holding a client's text as HTML or script.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class SecurityHeaders:
    """A pure ASGI middleware setting SECURITY_HEADERS on every answer (outermost: refusals get them too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
