"""Operator alerts: one Slack-compatible message (`{"text": ...}`) per new problem to
`ALERT_WEBHOOK_URL`.

Rate-limited by itself: the same kind at most once per `PER_KIND_INTERVAL_S` (the next message
of that kind says how many were held back meanwhile) and at most `MAX_PER_HOUR` in all. The
text is masked like the logs — the configured secrets, e-mail addresses and phone numbers
never leave — and `send` never raises: an alert that cannot be delivered is logged and
dropped.

Who alerts: the outbox pump (dead letters, Channex warnings on a push), the booking processor
(a booking needing attention) and the web process's `watch.ProblemWatch` (a stale worker,
Channex's own warning webhooks).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

import aiohttp
import structlog

from middleware import clock as clocks
from middleware.logs import MASK, MIN_SECRET_LENGTH, mask_text

log = structlog.get_logger(__name__)

PER_KIND_INTERVAL_S = 300.0
MAX_PER_HOUR = 30
TIMEOUT_S = 5.0
MAX_TEXT = 1500

# How a worker part raises an alert: (kind, text). `no_alert` for parts run without one.
Alert = Callable[[str, str], Awaitable[None]]


async def no_alert(_kind: str, _text: str) -> None:
    return None


class Alerter:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str | None,
        *,
        clock: clocks.Clock = clocks.utc_now,
        source: str = "channex-middleware",
        secrets: Iterable[str] = (),
    ) -> None:
        self._session = session
        self._url = url
        self._clock = clock
        self._source = source
        self._secrets = tuple(s for s in secrets if len(s) >= MIN_SECRET_LENGTH)
        self._last_by_kind: dict[str, datetime] = {}
        self._held_by_kind: dict[str, int] = {}
        self._sent: deque[datetime] = deque()
        self.suppressed = 0
        self.delivered = 0

    def _allowed(self, kind: str, now: datetime) -> bool:
        last = self._last_by_kind.get(kind)
        if last is not None and now - last < timedelta(seconds=PER_KIND_INTERVAL_S):
            return False
        while self._sent and now - self._sent[0] > timedelta(hours=1):
            self._sent.popleft()
        return len(self._sent) < MAX_PER_HOUR

    def render(self, kind: str, text: str, held: int = 0) -> str:
        """The message text: masked, capped at `MAX_TEXT`."""
        more = f" (+{held} more of this kind held back)" if held else ""
        line = f"[{self._source}] {kind}: {text}{more}"
        for secret in self._secrets:
            line = line.replace(secret, MASK)
        return mask_text(line)[:MAX_TEXT]

    async def send(self, kind: str, text: str) -> None:
        if self._url is None:
            return
        now = self._clock()
        if not self._allowed(kind, now):
            self.suppressed += 1
            self._held_by_kind[kind] = self._held_by_kind.get(kind, 0) + 1
            return
        self._last_by_kind[kind] = now
        self._sent.append(now)
        body = {"text": self.render(kind, text, self._held_by_kind.pop(kind, 0))}
        try:
            async with self._session.post(
                self._url, json=body, timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)
            ) as response:
                if response.status >= 300:
                    log.warning("alert_rejected", kind=kind, status=response.status)
                    return
            self.delivered += 1
        except (TimeoutError, aiohttp.ClientError) as exc:
            log.warning("alert_failed", kind=kind, error=type(exc).__name__)
