"""PostgreSQL implementation of `store.signals` (`Signals`): `LISTEN` on the channel of each
kind of work (`notify.CHANNELS`), on a connection of the watch's own (`NotifyListener`,
outside the pool: it is held for as long as the watch runs). The writers — the webhook
intake's revisions, sync requests, wake-ups — `notify.signal` in the transaction that stores
the work, so a signal arrives when the work is visible, from any process on any machine.
The listener reconnects with a backoff when the server goes away (one log line per outage)
and, back, yields every kind once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from middleware.store.postgres.database import PostgresDatabase
from middleware.store.postgres.notify import CHANNELS, RECONNECT_DELAY_S, NotifyListener
from middleware.store.signals import Kind

KIND_OF: dict[str, Kind] = {channel: kind for kind, channel in CHANNELS.items()}


class PostgresSignals:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db
        self.listener: NotifyListener | None = None  # while a watch runs (tests look at it)
        self.reconnect_delay_s = RECONNECT_DELAY_S  # the first wait after a lost connection

    async def watch(self) -> AsyncIterator[frozenset[Kind]]:
        url = self.db.pool.conninfo  # the pool's own URL (`PostgresDatabase.open`)
        if not isinstance(url, str):
            raise TypeError("the pool's conninfo is not a connection string")
        channels = list(CHANNELS.values())
        listener = NotifyListener(url, channels, reconnect_delay_s=self.reconnect_delay_s)
        self.listener = listener
        await listener.start()
        try:
            await listener.listening.wait()
            listener.take()  # nothing is missed from here on
            yield frozenset()
            while True:
                await listener.woken.wait()
                kinds = frozenset(KIND_OF[c] for c in listener.take() if c in KIND_OF)
                if kinds:
                    yield kinds
        finally:
            await listener.stop()
            self.listener = None
