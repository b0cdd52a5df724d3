"""Settings: one frozen value built once per process from the environment (and `.env`).

`load_settings` reads every variable, validates all of them and raises one `ConfigError`
that names every bad or missing value, so a misconfigured deployment fails at start with
the whole list rather than one problem per restart. Secrets are Starlette `Secret`s:
their `repr` is a mask, and only the clients unwrap them with `str()`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from starlette.config import Config
from starlette.datastructures import Secret

from middleware.errors import ConfigError

RateFormat = Literal["auto", "minor", "decimal"]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_ENV_FILE = ".env"
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    # Channex
    channex_base_url: str = "https://staging.channex.io/api/v1"
    channex_api_key: Secret | None = None
    channex_enabled: bool = True
    channex_webhook_secret: Secret | None = None
    channex_webhook_secret_header: str = "X-Channex-Webhook-Secret"
    channex_webhook_allow_unsigned: bool = False  # the web process starts without the secret
    channex_allowed_ips: tuple[IpNetwork, ...] = ()
    channex_trust_forwarded_for: bool = False
    channex_webhook_replay_window_s: int = 300
    channex_webhook_max_body_bytes: int = 1_000_000
    channex_price_rate_limit: int = 10
    channex_avail_rate_limit: int = 10
    channex_rate_window_s: float = 60.0  # the rate-limit window; scales the 429 pauses
    channex_sync_days: int = 500
    channex_max_payload_bytes: int = 10_000_000
    channex_rate_format: RateFormat = "auto"
    channex_timeout_s: float = 30.0
    # ARI behaviour
    weekend_days: tuple[int, ...] = (4, 5)
    ari_debounce_s: float = 2.0
    ari_max_delay_s: float = 6.0
    # a PMS change notice or a booking's re-sync waits this long for others to share its read
    pms_read_coalesce_s: float = 1.0
    full_sync_hour: int | None = None
    outbox_max_attempts: int = 12
    # Channex parity (read back, compare with the PMS, heal)
    parity_interval_s: int = 900  # 0 = off
    parity_days: int = 30
    parity_full_hour: int | None = 4  # hotel-local hour of the whole-horizon pass; None = off
    parity_read_limit: int = 0  # reads' own budget per window and lane; 0 = share, pushes first
    # sistema-os
    pms_base_url: str = "http://localhost:8000"
    pms_api_token: Secret | None = None
    pms_poll_interval_s: int = 60
    pms_timeout_s: float = 15.0
    pms_flat_concurrency: int = 4
    # Bookings
    feed_poll_interval_s: int = 60
    unacked_warn_s: int = 1200
    # Files
    mapping_file: Path = Path("data/mapping.json")
    database_path: Path = Path("data/middleware.db")
    database_url: Secret | None = None  # postgresql://...: the store is PostgreSQL, not SQLite
    legacy_bookings_file: Path | None = None  # None: bookings.json beside the database
    # Access
    admin_token: Secret | None = None
    pms_webhook_token: Secret | None = None
    # Worker
    worker_interval_s: float = 5.0
    worker_batch_size: int = 50
    worker_in_process: bool = False
    heartbeat_stale_s: int = 60
    worker_lease_s: float = 120.0
    worker_concurrency: int = 32  # properties or lanes worked on at once, per loop
    # Storage: audit calls, pushes, webhook events and notices older than this are pruned
    prune_after_days: int = 30  # 0 = keep everything
    prune_interval_s: int = 3600
    # finished sync requests and done wake-ups: kept this long (0 = as long as the audit)
    prune_work_after_hours: int = 24
    # Finished bookings (departed this long ago, every revision done) are forgotten: their rows
    # go, a tombstone stays (store.retention). 0 = keep every booking forever
    booking_retention_days: int = 90
    # Per-property PMS secrets (mapping `pms.token_env` / `pms.webhook_token_env`), by name
    pms_secrets: dict[str, Secret] = field(default_factory=dict, repr=False)
    # Operations
    alert_webhook_url: str | None = None
    metrics_dir: Path | None = None  # set: prometheus multiprocess mode (web + worker)
    log_level: str = "INFO"
    host: str = "0.0.0.0"  # the web process's bind address
    port: int = 8001

    @property
    def legacy_bookings_path(self) -> Path:
        """The legacy booking store imported once at the first start."""
        return self.legacy_bookings_file or self.database_path.parent / "bookings.json"

    def secret_values(self) -> tuple[str, ...]:
        """Every configured secret, for the log masker."""
        secrets = (
            self.channex_api_key,
            self.channex_webhook_secret,
            self.pms_api_token,
            self.admin_token,
            self.pms_webhook_token,
            self.database_url,
            *self.pms_secrets.values(),
        )
        return tuple(str(s) for s in secrets if s is not None)


# `DATABASE_URL`'s schemes: either selects the PostgreSQL store (store.open)
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class _Reader:
    """Reads raw strings through Starlette's `Config` and collects every problem."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self.problems: list[str] = []

    def raw(self, key: str) -> str | None:
        value = self._config(key, cast=str, default=None)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def present(self, key: str) -> bool:
        """Set at all, even to an empty value (which may mean "off")."""
        return self._config(key, cast=str, default=None) is not None

    def parse(self, key: str, default: T, convert: Callable[[str], T], expect: str) -> T:
        text = self.raw(key)
        if text is None:
            return default
        try:
            return convert(text)
        except (ValueError, TypeError):
            self.problems.append(f"{key}={text}: expected {expect}")
            return default

    def integer(self, key: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        value = self.parse(key, default, int, "an integer")
        if value < minimum or (maximum is not None and value > maximum):
            upper = "" if maximum is None else f" and <= {maximum}"
            self.problems.append(f"{key}={value}: must be >= {minimum}{upper}")
            return default
        return value

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        value = self.parse(key, default, float, "a number")
        if value < minimum:
            self.problems.append(f"{key}={value}: must be >= {minimum}")
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        return self.parse(key, default, _to_bool, "true or false")

    def secret(self, key: str) -> Secret | None:
        text = self.raw(key)
        return None if text is None else Secret(text)

    def database_url(self, key: str) -> Secret | None:
        """A PostgreSQL URL (it carries a password: the problem never quotes it)."""
        url = self.secret(key)
        if url is not None and not str(url).startswith(POSTGRES_SCHEMES):
            self.problems.append(f"{key}: expected a postgresql:// URL")
            return None
        return url

    def url(self, key: str, default: str) -> str:
        text = self.raw(key) or default
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            self.problems.append(f"{key}={text}: expected an http(s) URL")
            return default
        return text.rstrip("/")


def _to_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _weekdays(text: str) -> tuple[int, ...]:
    days = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    if not days or any(day < 0 or day > 6 for day in days):
        raise ValueError(text)
    return days


def _networks(text: str) -> tuple[IpNetwork, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def _rate_format(text: str) -> RateFormat:
    if text == "auto":
        return "auto"
    if text == "minor":
        return "minor"
    if text == "decimal":
        return "decimal"
    raise ValueError(text)


def _log_level(text: str) -> str:
    upper = text.upper()
    if upper not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(text)
    return upper


PMS_SECRET_PREFIXES = ("PMS_API_TOKEN_", "PMS_WEBHOOK_TOKEN_")


def _pms_secrets(environ: Mapping[str, str], config: Config) -> dict[str, Secret]:
    """Every `PMS_API_TOKEN_<X>` / `PMS_WEBHOOK_TOKEN_<X>` set (pms-contract §5.1: a mapping's
    `token_env` names one of them), from the env file and the environment (which wins)."""
    names = {*config.file_values, *environ}
    found: dict[str, Secret] = {}
    for name in sorted(names):
        if name.startswith(PMS_SECRET_PREFIXES):
            value = config(name, cast=str, default="").strip()
            if value:
                found[name] = Secret(value)
    return found


def load_settings(
    environ: Mapping[str, str], env_file: str | Path | None = DEFAULT_ENV_FILE
) -> Settings:
    """Build `Settings` from `environ` (wins) and `env_file` when it exists.

    Raises `ConfigError` listing every invalid or missing value.
    """
    path = Path(env_file) if env_file is not None else None
    config = Config(env_file=path if path is not None and path.is_file() else None, environ=environ)
    r = _Reader(config)
    d = Settings()
    full_sync_hour_text = r.raw("FULL_SYNC_HOUR")
    full_sync_hour = None if full_sync_hour_text is None else r.integer("FULL_SYNC_HOUR", 3, 0, 23)
    parity_full_hour = (
        (None if r.raw("PARITY_FULL_HOUR") is None else r.integer("PARITY_FULL_HOUR", 4, 0, 23))
        if r.present("PARITY_FULL_HOUR")
        else d.parity_full_hour
    )
    settings = Settings(
        channex_base_url=r.url("CHANNEX_BASE_URL", d.channex_base_url),
        channex_api_key=r.secret("CHANNEX_API_KEY"),
        channex_enabled=r.boolean("CHANNEX_ENABLED", d.channex_enabled),
        channex_webhook_secret=r.secret("CHANNEX_WEBHOOK_SECRET"),
        channex_webhook_secret_header=r.raw("CHANNEX_WEBHOOK_SECRET_HEADER")
        or d.channex_webhook_secret_header,
        channex_webhook_allow_unsigned=r.boolean(
            "CHANNEX_WEBHOOK_ALLOW_UNSIGNED", d.channex_webhook_allow_unsigned
        ),
        channex_allowed_ips=r.parse("CHANNEX_ALLOWED_IPS", (), _networks, "IPs or CIDRs, commas"),
        channex_trust_forwarded_for=r.boolean(
            "CHANNEX_TRUST_FORWARDED_FOR", d.channex_trust_forwarded_for
        ),
        channex_webhook_replay_window_s=r.integer(
            "CHANNEX_WEBHOOK_REPLAY_WINDOW", d.channex_webhook_replay_window_s
        ),
        channex_webhook_max_body_bytes=r.integer(
            "CHANNEX_WEBHOOK_MAX_BODY_BYTES", d.channex_webhook_max_body_bytes, 1024
        ),
        channex_price_rate_limit=r.integer("CHANNEX_PRICE_RATE_LIMIT", 10, 1, 1000),
        channex_avail_rate_limit=r.integer("CHANNEX_AVAIL_RATE_LIMIT", 10, 1, 1000),
        channex_rate_window_s=r.number("CHANNEX_RATE_WINDOW", d.channex_rate_window_s, 1.0),
        channex_sync_days=r.integer("CHANNEX_SYNC_DAYS", d.channex_sync_days, 1, 730),
        channex_max_payload_bytes=r.integer(
            "CHANNEX_MAX_PAYLOAD_BYTES", d.channex_max_payload_bytes, 1024, 10_000_000
        ),
        channex_rate_format=r.parse(
            "CHANNEX_RATE_FORMAT", d.channex_rate_format, _rate_format, "auto, minor or decimal"
        ),
        channex_timeout_s=r.number("CHANNEX_TIMEOUT", d.channex_timeout_s, 0.1),
        weekend_days=r.parse("WEEKEND_DAYS", d.weekend_days, _weekdays, "weekdays 0-6, commas"),
        ari_debounce_s=r.number("ARI_DEBOUNCE", d.ari_debounce_s),
        ari_max_delay_s=r.number("ARI_MAX_DELAY", d.ari_max_delay_s),
        pms_read_coalesce_s=r.number("PMS_READ_COALESCE", d.pms_read_coalesce_s),
        full_sync_hour=full_sync_hour,
        outbox_max_attempts=r.integer("OUTBOX_MAX_ATTEMPTS", d.outbox_max_attempts, 1),
        parity_interval_s=r.integer("PARITY_INTERVAL", d.parity_interval_s),
        parity_days=r.integer("PARITY_DAYS", d.parity_days, 1, 730),
        parity_full_hour=parity_full_hour,
        parity_read_limit=r.integer("PARITY_READ_LIMIT", d.parity_read_limit, 0, 1000),
        pms_base_url=r.url("PMS_BASE_URL", d.pms_base_url),
        pms_api_token=r.secret("PMS_API_TOKEN"),
        pms_poll_interval_s=r.integer("PMS_POLL_INTERVAL", d.pms_poll_interval_s),
        pms_timeout_s=r.number("PMS_TIMEOUT", d.pms_timeout_s, 0.1),
        pms_flat_concurrency=r.integer("PMS_FLAT_CONCURRENCY", d.pms_flat_concurrency, 1, 64),
        feed_poll_interval_s=r.integer("FEED_POLL_INTERVAL", d.feed_poll_interval_s),
        unacked_warn_s=r.integer("UNACKED_WARN", d.unacked_warn_s, 1),
        mapping_file=Path(r.raw("MAPPING_FILE") or d.mapping_file),
        database_path=Path(r.raw("DATABASE_PATH") or d.database_path),
        database_url=r.database_url("DATABASE_URL"),
        legacy_bookings_file=Path(legacy) if (legacy := r.raw("LEGACY_BOOKINGS_FILE")) else None,
        admin_token=r.secret("ADMIN_TOKEN"),
        pms_webhook_token=r.secret("PMS_WEBHOOK_TOKEN"),
        worker_interval_s=r.number("WORKER_INTERVAL", d.worker_interval_s, 0.01),
        worker_batch_size=r.integer("WORKER_BATCH_SIZE", d.worker_batch_size, 1),
        worker_in_process=r.boolean("WORKER_IN_PROCESS", d.worker_in_process),
        heartbeat_stale_s=r.integer("HEARTBEAT_STALE", d.heartbeat_stale_s, 1),
        worker_lease_s=r.number("WORKER_LEASE", d.worker_lease_s, 1.0),
        worker_concurrency=r.integer("WORKER_CONCURRENCY", d.worker_concurrency, 1, 1000),
        prune_after_days=r.integer("PRUNE_AFTER_DAYS", d.prune_after_days, 0, 3650),
        prune_interval_s=r.integer("PRUNE_INTERVAL", d.prune_interval_s, 0),
        prune_work_after_hours=r.integer(
            "PRUNE_WORK_AFTER_HOURS", d.prune_work_after_hours, 0, 24 * 3650
        ),
        booking_retention_days=r.integer(
            "BOOKING_RETENTION_DAYS", d.booking_retention_days, 0, 3650
        ),
        pms_secrets=_pms_secrets(environ, config),
        alert_webhook_url=r.url("ALERT_WEBHOOK_URL", "http://unset")
        if r.raw("ALERT_WEBHOOK_URL")
        else None,
        metrics_dir=Path(metrics) if (metrics := r.raw("METRICS_DIR")) else None,
        log_level=r.parse("LOG_LEVEL", d.log_level, _log_level, "DEBUG, INFO, WARNING or ERROR"),
        host=r.raw("HOST") or d.host,
        port=r.integer("PORT", d.port, 1, 65535),
    )
    if settings.channex_enabled and settings.channex_api_key is None:
        r.problems.append("CHANNEX_API_KEY is required while CHANNEX_ENABLED is true")
    if settings.ari_max_delay_s < settings.ari_debounce_s:
        r.problems.append(
            f"ARI_MAX_DELAY={settings.ari_max_delay_s}: must be >= ARI_DEBOUNCE "
            f"({settings.ari_debounce_s})"
        )
    longest_call_s = max(settings.channex_timeout_s, settings.pms_timeout_s)
    if settings.worker_lease_s <= longest_call_s:
        r.problems.append(
            f"WORKER_LEASE={settings.worker_lease_s}: must exceed the longest call timeout"
            f" ({longest_call_s} s), or a slow call would lose its claim"
        )
    if r.problems:
        raise ConfigError(r.problems)
    return settings
