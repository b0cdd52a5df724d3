"""The mapping file (`MAPPING_FILE`): read, validated and written; its values are
`domain.mapping`'s.

File format (pms-contract §5) uses sistema-os's words `categoria` / `plano`; inside the
program they are `room_code` / `plan_code`. `load_mapping` validates the whole file and
raises one `MappingFileError` naming every problem (fail fast at start). Codes are unique
per property (a categoria twice in one property is refused); Channex ids stay unique across
the whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from middleware.domain.mapping import Mapping, PmsLink, PropertyMap, RatePlanMap, RoomTypeMap
from middleware.errors import MappingFileError

CURRENCY_LEN = 3
PMS_ADAPTERS = ("sistemaos",)  # the adapters `pms.directory` can build, by name
PMS_KEYS = frozenset({"adapter", "base_url", "token_env", "webhook_token_env"})
PMS_TOKEN_PREFIX = "PMS_API_TOKEN_"  # config.PMS_SECRET_PREFIXES: read into Settings
WEBHOOK_PREFIX = "PMS_WEBHOOK_TOKEN_"


def _text(obj: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: '{key}' must be a non-empty string")
        return ""
    return value.strip()


def _items(obj: dict[str, Any], key: str, where: str, problems: list[str]) -> list[Any]:
    value = obj.get(key)
    if not isinstance(value, list) or not value:
        problems.append(f"{where}: '{key}' must be a non-empty list")
        return []
    return value


def _pms_link(raw: Any, where: str, problems: list[str]) -> PmsLink | None:
    """The optional `pms` block: adapter, base_url, token_env, webhook_token_env."""
    if raw is None:
        return None
    where = f"{where}.pms"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be an object")
        return None
    unknown = sorted(set(raw) - PMS_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
    adapter = _text(raw, "adapter", where, problems)
    if adapter and adapter not in PMS_ADAPTERS:
        problems.append(f"{where}: adapter '{adapter}' is unknown ({', '.join(PMS_ADAPTERS)})")
    base_url = _text(raw, "base_url", where, problems).rstrip("/")
    parts = urlsplit(base_url)
    if base_url and (parts.scheme not in ("http", "https") or not parts.netloc):
        problems.append(f"{where}: base_url '{base_url}' is not an http(s) URL")
    names: dict[str, str | None] = {}
    for key, prefix in (("token_env", PMS_TOKEN_PREFIX), ("webhook_token_env", WEBHOOK_PREFIX)):
        value = raw.get(key)
        if value is not None and (
            not isinstance(value, str) or not value.startswith(prefix) or len(value) == len(prefix)
        ):
            problems.append(f"{where}: '{key}' must name a variable {prefix}<NAME>")
            value = None
        names[key] = value
    return PmsLink(
        adapter=adapter,
        base_url=base_url,
        token_env=names["token_env"],
        webhook_token_env=names["webhook_token_env"],
    )


def parse_mapping(document: Any) -> Mapping:
    """Validate a decoded mapping document; every problem is named in one error."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise MappingFileError(["the document must be a JSON object with 'properties'"])
    properties: list[PropertyMap] = []
    seen_ids: set[str] = set()

    def unique_id(value: str, where: str) -> None:
        if value and value in seen_ids:
            problems.append(f"{where}: id {value} is used twice")
        seen_ids.add(value)

    for p_index, raw_prop in enumerate(_items(document, "properties", "mapping", problems)):
        where = f"properties[{p_index}]"
        if not isinstance(raw_prop, dict):
            problems.append(f"{where}: must be an object")
            continue
        property_id = _text(raw_prop, "channex_property_id", where, problems)
        unique_id(property_id, where)
        currency = _text(raw_prop, "currency", where, problems).upper()
        if currency and (len(currency) != CURRENCY_LEN or not currency.isalpha()):
            problems.append(f"{where}: currency '{currency}' is not an ISO-4217 code")
        timezone = _text(raw_prop, "timezone", where, problems)
        if timezone:
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(f"{where}: timezone '{timezone}' is unknown")
        rooms: list[RoomTypeMap] = []
        seen_codes: set[str] = set()  # categorias are unique within one property only
        for r_index, raw_room in enumerate(_items(raw_prop, "room_types", where, problems)):
            r_where = f"{where}.room_types[{r_index}]"
            if not isinstance(raw_room, dict):
                problems.append(f"{r_where}: must be an object")
                continue
            code = _text(raw_room, "categoria", r_where, problems)
            if code and code in seen_codes:
                problems.append(f"{r_where}: categoria '{code}' is mapped twice in this property")
            seen_codes.add(code)
            room_type_id = _text(raw_room, "channex_room_type_id", r_where, problems)
            unique_id(room_type_id, r_where)
            plans: list[RatePlanMap] = []
            plan_codes: set[str] = set()
            for k, raw_plan in enumerate(_items(raw_room, "rate_plans", r_where, problems)):
                k_where = f"{r_where}.rate_plans[{k}]"
                if not isinstance(raw_plan, dict):
                    problems.append(f"{k_where}: must be an object")
                    continue
                plan_code = _text(raw_plan, "plano", k_where, problems)
                if plan_code and plan_code in plan_codes:
                    problems.append(
                        f"{k_where}: plano '{plan_code}' is mapped twice in this categoria"
                    )
                plan_codes.add(plan_code)
                rate_plan_id = _text(raw_plan, "channex_rate_plan_id", k_where, problems)
                unique_id(rate_plan_id, k_where)
                plans.append(RatePlanMap(plan_code=plan_code, rate_plan_id=rate_plan_id))
            title = raw_room.get("title", "")
            if not isinstance(title, str):
                problems.append(f"{r_where}: 'title' must be a string")
                title = ""
            rooms.append(
                RoomTypeMap(
                    room_code=code,
                    room_type_id=room_type_id,
                    rate_plans=tuple(plans),
                    title=title.strip(),
                )
            )
        properties.append(
            PropertyMap(
                property_id=property_id,
                name=str(raw_prop.get("name") or ""),
                currency=currency,
                timezone=timezone,
                room_types=tuple(rooms),
                pms=_pms_link(raw_prop.get("pms"), where, problems),
            )
        )
    if problems:
        raise MappingFileError(problems)
    return Mapping(tuple(properties))


def load_mapping(path: Path) -> Mapping:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MappingFileError([f"{path}: cannot be read ({exc.strerror or exc})"]) from exc
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MappingFileError([f"{path}: not valid JSON ({exc})"]) from exc
    return parse_mapping(document)


def mapping_document(mapping: Mapping) -> dict[str, Any]:
    """The file form of `mapping` (what the setup script writes)."""
    return {
        "properties": [
            {
                "channex_property_id": prop.property_id,
                "name": prop.name,
                "currency": prop.currency,
                "timezone": prop.timezone,
                **({} if prop.pms is None else {"pms": _pms_document(prop.pms)}),
                "room_types": [
                    {
                        "categoria": room.room_code,
                        **({"title": room.title} if room.title else {}),
                        "channex_room_type_id": room.room_type_id,
                        "rate_plans": [
                            {"plano": plan.plan_code, "channex_rate_plan_id": plan.rate_plan_id}
                            for plan in room.rate_plans
                        ],
                    }
                    for room in prop.room_types
                ],
            }
            for prop in mapping.properties
        ]
    }


def _pms_document(link: PmsLink) -> dict[str, str]:
    document = {"adapter": link.adapter, "base_url": link.base_url}
    if link.token_env is not None:
        document["token_env"] = link.token_env
    if link.webhook_token_env is not None:
        document["webhook_token_env"] = link.webhook_token_env
    return document


def write_mapping(path: Path, mapping: Mapping) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a mapping."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(orjson.dumps(mapping_document(mapping), option=orjson.OPT_INDENT_2))
    tmp.replace(path)
