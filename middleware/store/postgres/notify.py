"""Wake-up hints through PostgreSQL's `LISTEN/NOTIFY`: a writer says "work arrived" in the
transaction that stored it, a worker waiting on an `asyncio.Event` is woken at once.

A hint, never the work itself: `notify` queues the notice in the writer's transaction, so the
server delivers it only when that transaction commits (never for a rollback), to every
session listening on the channel then. `signal` is `notify` on the channel of a kind of work
(`store.signals`). `NotifyListener` keeps one connection of its own listening; on every
notification it notes the channel in `heard` and sets `woken`. When the connection is lost (or
cannot be made) it tries again after `reconnect_delay_s`, doubling up to `RECONNECT_MAX_S`,
logging the outage once and the return once; back, it counts every channel as heard —
notices sent while it was away are gone, so the worker looks at the store anyway. The
worker's poll stays the fallback for everything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import psycopg
import structlog
from psycopg import AsyncConnection, sql

from middleware.store.postgres.database import Conn
from middleware.store.signals import Kind

RECONNECT_DELAY_S = 0.1
RECONNECT_MAX_S = 5.0
CONNECT_TIMEOUT_S = 5
MAX_PAYLOAD_BYTES = 7999  # the server refuses 8000 bytes and more (UTF-8)
# the channel of each kind of work (`store.signals`)
CHANNELS: dict[Kind, str] = {
    "revisions": "mw_revisions",
    "sync_requests": "mw_sync_requests",
    "wakeups": "mw_wakeups",
}

log = structlog.get_logger(__name__)


async def notify(conn: Conn, channel: str, payload: str = "") -> None:
    """Queue a notification in the caller's transaction: sent when it commits."""
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a notification payload holds at most {MAX_PAYLOAD_BYTES} bytes")
    await conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))


async def signal(conn: Conn, kind: Kind) -> None:
    """Work of `kind` is stored in the caller's transaction: listeners hear it at commit (the
    server folds identical notices of one transaction into one)."""
    await notify(conn, CHANNELS[kind])


class NotifyListener:
    """One connection listening on `channels`; `start()`, then wait on `woken` and `take()`
    the channels heard before looking at the store, `stop()` at shutdown."""

    def __init__(
        self,
        url: str,
        channels: Sequence[str],
        *,
        reconnect_delay_s: float = RECONNECT_DELAY_S,
        reconnect_max_s: float = RECONNECT_MAX_S,
    ) -> None:
        self.url = url
        self.channels = tuple(channels)
        self.reconnect_delay_s = reconnect_delay_s
        self.reconnect_max_s = max(reconnect_max_s, reconnect_delay_s)
        self.woken = asyncio.Event()
        self.heard: set[str] = set()  # channels heard since the last `take()`
        self.listening = asyncio.Event()  # set while the connection listens
        self.backend_pid: int | None = None
        self.connections = 0  # connections made and listening (1 + reconnects)
        self.outages = 0  # times the connection was lost or could not be made, logged once each
        self.attempts = 0  # connections tried
        self.payloads: list[tuple[str, str]] = []  # (channel, payload) of the latest notices
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="pg-notify-listener")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.listening.clear()

    def take(self) -> set[str]:
        """The channels heard since the last call (and `woken` cleared)."""
        self.woken.clear()
        heard, self.heard = self.heard, set()
        return heard

    async def _run(self) -> None:
        down = False
        delay_s = self.reconnect_delay_s
        while True:
            try:
                await self._listen(back=down)
                error = "the server ended the notification stream"
            except psycopg.Error as exc:
                error = str(exc)
            if self.listening.is_set():  # it was up: this is a new outage, backoff afresh
                self.listening.clear()
                down, delay_s = False, self.reconnect_delay_s
            if not down:
                down = True
                self.outages += 1
                log.warning("pg_listener_lost", error=error, retry_in_s=delay_s)
            self.backend_pid = None
            await asyncio.sleep(delay_s)
            delay_s = min(delay_s * 2, self.reconnect_max_s)

    async def _listen(self, *, back: bool) -> None:
        self.attempts += 1
        conn = await AsyncConnection.connect(
            self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        )
        async with conn:
            for channel in self.channels:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.backend_pid = conn.info.backend_pid
            self.connections += 1
            self.listening.set()
            if self.connections > 1:  # whatever was sent while nobody listened: look now
                self.heard.update(self.channels)
                self.woken.set()
            if back:
                log.info("pg_listener_back", connections=self.connections)
            async for note in conn.notifies():
                self.payloads = [*self.payloads[-99:], (note.channel, note.payload)]
                self.heard.add(note.channel)
                self.woken.set()
