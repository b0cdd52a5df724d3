"""Operator alerts: one Slack-compatible message per new problem to `ALERT_WEBHOOK_URL`.

Rate-limited by itself (the same kind at most once per `PER_KIND_INTERVAL_S`, and at most
`MAX_PER_HOUR` in all), masked like the logs (no secrets, no guest e-mail or phone), and it
never raises: an alert that cannot be delivered is logged and dropped.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

import aiohttp
import structlog

from middleware import clock as clocks
from middleware.logs import mask_text

log = structlog.get_logger(__name__)

PER_KIND_INTERVAL_S = 300.0
MAX_PER_HOUR = 30
TIMEOUT_S = 5.0
MAX_TEXT = 1500


class Alerter:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str | None,
        *,
        clock: clocks.Clock = clocks.utc_now,
        source: str = "channex-middleware",
    ) -> None:
        self._session = session
        self._url = url
        self._clock = clock
        self._source = source
        self._last_by_kind: dict[str, datetime] = {}
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

    async def send(self, kind: str, text: str) -> None:
        if self._url is None:
            return
        now = self._clock()
        if not self._allowed(kind, now):
            self.suppressed += 1
            return
        self._last_by_kind[kind] = now
        self._sent.append(now)
        body = {"text": mask_text(f"[{self._source}] {kind}: {text}")[:MAX_TEXT]}
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
