"""The setup's webhook: one per property, found by property id and callback, kept current.

A property's webhook is the one whose `property_id` is the property's and whose callback is
the wanted URL, or the same path on another host (the middleware moved: a new ngrok or
reverse-proxy address). That one is updated in place to the new URL; other webhooks of the
same property and path (left by earlier runs) are deleted, so Channex never keeps calling a
dead address beside the live one. Webhooks of other properties — several hotels behind one
middleware share its callback URL — and global ones are never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from middleware.channex import content
from middleware.channex.client import ChannexClient
from middleware.channex.setup_report import IdChange, Verb

Note = Callable[[Verb, str, str, str | None], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    keep: dict[str, Any] | None  # the webhook to keep (update if it differs), None: create
    stale: tuple[dict[str, Any], ...]  # this property's other webhooks on the same path


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def callback_of(webhook: dict[str, Any]) -> str | None:
    attributes = webhook.get("attributes")
    value = attributes.get("callback_url") if isinstance(attributes, dict) else None
    return value if isinstance(value, str) else None


def choose(webhooks: list[dict[str, Any]], property_id: str, url: str) -> Choice:
    """Which of `webhooks` is the property's for `url`, and which are leftovers."""
    own = [
        w
        for w in webhooks
        if content.related_id(w, "property") == property_id
        and (callback := callback_of(w)) is not None
        and (callback == url or _path(callback) == _path(url))
    ]
    exact = [w for w in own if callback_of(w) == url]
    keep = next(iter(exact or own), None)
    return Choice(keep=keep, stale=tuple(w for w in own if w is not keep))


async def reconcile(
    client: ChannexClient,
    property_id: str | None,
    wanted: dict[str, Any],
    *,
    dry_run: bool,
    note: Note,
) -> list[IdChange]:
    """Create, update or match the property's webhook; delete its leftovers. Returns the
    callback change, if any (old → new URL)."""
    url = str(wanted["callback_url"])
    name = repr(url)
    if property_id is None:  # a dry run: the property is still to be created
        note("create", "webhook", name, None)
        return []
    choice = choose(await client.list_webhooks(), property_id, url)
    changes: list[IdChange] = []
    for old in choice.stale:
        if not dry_run:
            await client.delete_webhook(str(old["id"]))
        note("delete", "webhook", repr(callback_of(old)), str(old["id"]))
    if choice.keep is None:
        if dry_run:
            note("create", "webhook", name, None)
            return changes
        created = await client.create_webhook(wanted)
        note("create", "webhook", name, str(created["id"]))
        return changes
    webhook_id = str(choice.keep["id"])
    current = choice.keep.get("attributes") or {}
    if all(current.get(k, v) == v for k, v in wanted.items()):
        note("match", "webhook", name, webhook_id)
        return changes
    previous = callback_of(choice.keep)
    if previous is not None and previous != url:
        changes.append(IdChange(kind="webhook url", name=webhook_id, old=previous, new=url))
    if not dry_run:
        await client.update_webhook(webhook_id, wanted)
    note("update", "webhook", name, webhook_id)
    return changes
