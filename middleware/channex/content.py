"""Channex content calls: properties, room types, rate plans, webhooks (setup and health checks).

`ContentCalls` sits between the transport and `ChannexClient`. Entities
come back as Channex resource objects (`{"type", "id", "attributes", "relationships"?}`);
list calls walk every page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from middleware.channex import transport
from middleware.errors import PayloadError

PAGE_LIMIT = 100
MAX_PAGES = 1000  # a guard against a server that never reports its total


class ContentCalls(transport.ChannexTransport):
    """Content endpoints over the transport's `_send`."""

    async def properties_options(self) -> list[dict[str, Any]]:
        """Every property the key can see: `{id, title, currency}` each, unpaginated."""
        path = "/properties/options"
        return data_list(await self._send("GET", path), path)

    async def get_property(self, property_id: str) -> dict[str, Any]:
        """Fails with RejectedUpstreamError (401 bad key, 404 unknown property)."""
        return await self._one("GET", f"/properties/{transport.segment(property_id)}")

    async def create_property(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return await self._one("POST", "/properties", {"property": attributes})

    async def update_property(self, property_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
        return await self._one(
            "PUT", f"/properties/{transport.segment(property_id)}", {"property": attributes}
        )

    async def room_types_options(self) -> list[dict[str, Any]]:
        """Every room type the key can see (`{id, property_id, title, ...}`), unpaginated."""
        path = "/room_types/options"
        return data_list(await self._send("GET", path), path)

    async def rate_plans_options(self) -> list[dict[str, Any]]:
        """Every rate plan the key can see (`{id, property_id, room_type_id, ...}`),
        unpaginated."""
        path = "/rate_plans/options"
        return data_list(await self._send("GET", path), path)

    async def list_room_types(self, property_id: str) -> list[dict[str, Any]]:
        return await self._all("/room_types", {"filter[property_id]": property_id})

    async def create_room_type(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return await self._one("POST", "/room_types", {"room_type": attributes})

    async def update_room_type(
        self, room_type_id: str, attributes: dict[str, Any]
    ) -> dict[str, Any]:
        return await self._one(
            "PUT", f"/room_types/{transport.segment(room_type_id)}", {"room_type": attributes}
        )

    async def list_rate_plans(self, property_id: str) -> list[dict[str, Any]]:
        return await self._all("/rate_plans", {"filter[property_id]": property_id})

    async def create_rate_plan(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return await self._one("POST", "/rate_plans", {"rate_plan": attributes})

    async def list_webhooks(self) -> list[dict[str, Any]]:
        return await self._all("/webhooks", {})

    async def create_webhook(self, attributes: dict[str, Any]) -> dict[str, Any]:
        return await self._one("POST", "/webhooks", {"webhook": attributes})

    async def update_webhook(self, webhook_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
        return await self._one(
            "PUT", f"/webhooks/{transport.segment(webhook_id)}", {"webhook": attributes}
        )

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._send("DELETE", f"/webhooks/{transport.segment(webhook_id)}")

    async def _one(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        document = await self._send(method, path, body=body)
        data = document.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise PayloadError(f"channex {method} {path}: 'data' must be an object with an id")
        return data

    async def _all(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        """Every page of a paginated list (`pagination[limit]` 100) until `meta.total`."""
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            query = {**params, "pagination[page]": str(page), "pagination[limit]": str(PAGE_LIMIT)}
            document = await self._send("GET", path, params=query)
            batch = data_list(document, path)
            items.extend(batch)
            meta = document.get("meta")
            total = meta.get("total") if isinstance(meta, dict) else None
            if not batch or not isinstance(total, int) or len(items) >= total:
                break
        return items


def data_list(document: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The `data` array of a list answer; each item must be an object."""
    data = document.get("data")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PayloadError(f"channex GET {path}: 'data' must be a list of objects")
    return data


def title_of(resource: dict[str, Any]) -> str | None:
    attributes = resource.get("attributes")
    title = attributes.get("title") if isinstance(attributes, dict) else None
    return title if isinstance(title, str) else None


def related_id(resource: dict[str, Any], name: str) -> str | None:
    """`relationships.<name>.data.id`, falling back to `attributes.<name>_id`."""
    relationships = resource.get("relationships")
    if isinstance(relationships, dict):
        link = relationships.get(name)
        data = link.get("data") if isinstance(link, dict) else None
        if isinstance(data, dict) and isinstance(data.get("id"), str):
            return str(data["id"])
    attributes = resource.get("attributes")
    value = attributes.get(f"{name}_id") if isinstance(attributes, dict) else None
    return value if isinstance(value, str) else None
