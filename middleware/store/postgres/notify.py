"""Wake-up hints through PostgreSQL's `LISTEN/NOTIFY`: a writer says "work arrived" in the
transaction that stored it, a worker waiting on an `asyncio.Event` is woken at once.

A hint, never the work itself: `notify` queues the notice in the writer's transaction, so the
server delivers it only when that transaction commits (never for a rollback), to every
session listening on the channel then. `NotifyListener` keeps one connection of its own
listening; on every notification it sets `woken`. When the connection is lost it connects
again after `RECONNECT_DELAY_S` and sets `woken` once more on its return — notices sent while
it was away are gone, so the worker looks at the store anyway. The worker's poll stays the
fallback for everything else (a listener that cannot connect at all).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import psycopg
import structlog
from psycopg import AsyncConnection, sql

from middleware.store.postgres.database import Conn

RECONNECT_DELAY_S = 1.0
MAX_PAYLOAD_BYTES = 7999  # the server refuses 8000 bytes and more (UTF-8)

log = structlog.get_logger(__name__)


async def notify(conn: Conn, channel: str, payload: str = "") -> None:
    """Queue a notification in the caller's transaction: sent when it commits."""
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"a notification payload holds at most {MAX_PAYLOAD_BYTES} bytes")
    await conn.execute("SELECT pg_notify(%s, %s)", (channel, payload))


class NotifyListener:
    """One connection listening on `channels`; `start()`, then wait on `woken` (and clear it
    before looking at the store), `stop()` at shutdown."""

    def __init__(
        self, url: str, channels: Sequence[str], *, reconnect_delay_s: float = RECONNECT_DELAY_S
    ) -> None:
        self.url = url
        self.channels = tuple(channels)
        self.reconnect_delay_s = reconnect_delay_s
        self.woken = asyncio.Event()
        self.listening = asyncio.Event()  # set while the connection listens
        self.backend_pid: int | None = None
        self.connections = 0  # connections made and listening (1 + reconnects)
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

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except psycopg.OperationalError as exc:
                log.warning("pg_listener_lost", error=str(exc), retry_in_s=self.reconnect_delay_s)
            self.listening.clear()
            self.backend_pid = None
            await asyncio.sleep(self.reconnect_delay_s)

    async def _listen(self) -> None:
        async with await AsyncConnection.connect(self.url, autocommit=True) as conn:
            for channel in self.channels:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
            self.backend_pid = conn.info.backend_pid
            self.connections += 1
            self.listening.set()
            self.woken.set()  # whatever was sent while nobody listened: look now
            async for note in conn.notifies():
                self.payloads = [*self.payloads[-99:], (note.channel, note.payload)]
                self.woken.set()
