"""Which PMS serves which property (pms-contract §5.1), and the adapters by name.

A property with a `pms` block in the mapping gets an adapter of its own (its base URL, its
token from the variable `token_env` names); every other property uses the global one
(`PMS_BASE_URL` / `PMS_API_TOKEN`). Adapters are built by name from `ADAPTERS`, so another PMS
joins by adding its factory here, touching nothing outside its adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import aiohttp

from middleware.calllog import CallSink
from middleware.config import Settings
from middleware.domain.mapping import Mapping as RoomMapping
from middleware.errors import ConfigError
from middleware.pms.port import PmsPort
from middleware.pms.sistemaos import SistemaOsAdapter


@dataclass(frozen=True, slots=True, kw_only=True)
class AdapterSpec:
    """What one adapter is built from."""

    base_url: str
    api_token: str | None
    timeout_s: float
    flat_concurrency: int


AdapterFactory = Callable[[aiohttp.ClientSession, AdapterSpec, CallSink | None], PmsPort]


def _sistemaos(
    session: aiohttp.ClientSession, spec: AdapterSpec, on_call: CallSink | None
) -> PmsPort:
    return SistemaOsAdapter(
        session,
        spec.base_url,
        api_token=spec.api_token,
        timeout_s=spec.timeout_s,
        flat_concurrency=spec.flat_concurrency,
        on_call=on_call,
    )


ADAPTERS: dict[str, AdapterFactory] = {"sistemaos": _sistemaos}


class PmsDirectory:
    """The default adapter and the properties' own; `for_property` picks one."""

    def __init__(
        self,
        default: PmsPort,
        own: Mapping[str, PmsPort] | None = None,
        base_urls: Mapping[str, str] | None = None,
    ) -> None:
        self.default = default
        self._own = dict(own or {})
        self._base_urls = dict(base_urls or {})

    def for_property(self, property_id: str) -> PmsPort:
        return self._own.get(property_id, self.default)

    def has_own(self, property_id: str) -> bool:
        return property_id in self._own

    def base_url(self, property_id: str) -> str | None:
        """The property's own PMS address (None: the global one)."""
        return self._base_urls.get(property_id)


def build_directory(
    session: aiohttp.ClientSession,
    settings: Settings,
    mapping: RoomMapping,
    *,
    on_call: CallSink | None = None,
) -> PmsDirectory:
    """Every adapter the mapping asks for; a missing token variable or an unknown adapter is
    a `ConfigError` naming every one (fail fast at start)."""

    def spec(base_url: str, token: str | None) -> AdapterSpec:
        return AdapterSpec(
            base_url=base_url,
            api_token=token,
            timeout_s=settings.pms_timeout_s,
            flat_concurrency=settings.pms_flat_concurrency,
        )

    global_token = None if settings.pms_api_token is None else str(settings.pms_api_token)
    default = _sistemaos(session, spec(settings.pms_base_url, global_token), on_call)
    problems: list[str] = []
    own: dict[str, PmsPort] = {}
    base_urls: dict[str, str] = {}
    for prop in mapping:
        link = prop.pms
        if link is None:
            continue
        token: str | None = None
        if link.token_env is not None:
            secret = settings.pms_secrets.get(link.token_env)
            if secret is None:
                problems.append(f"{link.token_env} (the PMS token of {prop.name}) is not set")
            token = None if secret is None else str(secret)
        hook_env = link.webhook_token_env
        if hook_env is not None and hook_env not in settings.pms_secrets:
            problems.append(f"{hook_env} (the webhook token of {prop.name}) is not set")
        factory = ADAPTERS.get(link.adapter)
        if factory is None:
            problems.append(f"PMS adapter '{link.adapter}' of {prop.name} is unknown")
            continue
        own[prop.property_id] = factory(session, spec(link.base_url, token), on_call)
        base_urls[prop.property_id] = link.base_url
    if problems:
        raise ConfigError(problems)
    return PmsDirectory(default, own, base_urls)
