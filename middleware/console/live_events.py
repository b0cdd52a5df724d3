"""`GET /console/events`: server-sent events telling an open page that what it shows changed.

Every `POLL_S` the stream reads `state.live_mark` (one fingerprint of the store: calls,
webhooks, revisions, queued changes, pushes, notices; and whether the worker is stale) and
sends `event: change` when it differs from the page's own (`?since=`, stamped when the page
was rendered, so a change between the page and the stream is not missed). The page's
script then fetches itself again and swaps its main region. A stream ends after
`STREAM_S` and the script opens a new one with the mark of the page it shows, so a stream
never outlives a graceful shutdown (and a reconnect never replays an old change).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from middleware.console.state import console_state, live_mark, web_context

POLL_S = 0.5
STREAM_S = 1.5  # short: a graceful shutdown (uvicorn waits 2 s in tests) never cuts one
RECONNECT_MS = 1000


async def events(request: Request) -> Response:
    state = console_state(request)
    if not state.enabled or state.session_id(request) is None:
        return Response("sign in first", status_code=401, media_type="text/plain")
    context = web_context(request)
    since = request.query_params.get("since")

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STREAM_S
        seen = since or await live_mark(context)
        yield f"retry: {RECONNECT_MS}\n\n"
        changes = 0
        while loop.time() < deadline:
            await asyncio.sleep(POLL_S)
            now = await live_mark(context)
            if now != seen:
                seen, changes = now, changes + 1
                yield f"event: change\ndata: {changes}\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def routes() -> list[BaseRoute]:
    return [Route("/events", events, methods=["GET"])]
