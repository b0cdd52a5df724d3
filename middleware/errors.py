"""The project's error tree.

Adapters translate third-party exceptions at one boundary into these and chain them; the
worker's handling is a short ladder over the types. Fields, not message parsing, carry what a
caller needs (`service`, `status`, `retry_after_s`).
"""

from __future__ import annotations

from collections.abc import Sequence


class MiddlewareError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(MiddlewareError):
    """The settings are invalid; `problems` names every bad or missing value."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid configuration: " + "; ".join(self.problems))


class MappingFileError(MiddlewareError):
    """The mapping file is missing, unreadable or inconsistent; `problems` lists each issue."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid mapping file: " + "; ".join(self.problems))


class PayloadError(MiddlewareError):
    """An inbound document (PMS ARI, booking revision, webhook) is malformed."""


class RoomMappingMissingError(MiddlewareError):
    """A Channex room type or rate plan has no categoria / plano in the mapping."""


class UpstreamError(MiddlewareError):
    """A call to Channex or sistema-os failed."""

    def __init__(
        self,
        service: str,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
    ) -> None:
        self.service = service
        self.status = status
        self.body = body
        super().__init__(f"{service}: {message}" + (f" (HTTP {status})" if status else ""))


class TransientUpstreamError(UpstreamError):
    """Worth retrying: timeout, connection failure, 5xx, 429 (with `retry_after_s` if given)."""

    def __init__(
        self,
        service: str,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(service, message, status=status, body=body)
        self.retry_after_s = retry_after_s

    @property
    def rate_limited(self) -> bool:
        return self.status == 429


class RejectedUpstreamError(UpstreamError):
    """The remote side refused the request (a 4xx other than 429); retrying as-is won't help."""


class ConflictUpstreamError(RejectedUpstreamError):
    """HTTP 409 from sistema-os: no apartment free for the booking (overbooking)."""
